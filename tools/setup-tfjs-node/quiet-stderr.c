/*
 * A tiny Node addon that sends file descriptor 2 to /dev/null and back. TensorFlow 2.21 writes
 * its load-time log lines (absl's "All log messages before absl::InitializeLog()", oneDNN's and
 * cpu_feature_guard's notices) straight to fd 2 while its libraries load, before any setting such
 * as TF_CPP_MIN_LOG_LEVEL is read, and Node itself cannot redirect a file descriptor. The
 * matryoshka engine mutes fd 2 around `require('@tensorflow/tfjs-node')` when this addon is
 * present (setup.js builds it beside the tfjs-node addon). Load errors still reach JavaScript as
 * exceptions, which this does not touch.
 */
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <unistd.h>

static int saved_stderr = -1;

static napi_value mute(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  if (saved_stderr >= 0) return NULL;
  fflush(stderr);
  int devnull = open("/dev/null", O_WRONLY);
  if (devnull < 0) return NULL;
  saved_stderr = dup(2);
  if (saved_stderr >= 0) dup2(devnull, 2);
  close(devnull);
  return NULL;
}

static napi_value unmute(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  if (saved_stderr < 0) return NULL;
  fflush(stderr);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  saved_stderr = -1;
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "mute", NAPI_AUTO_LENGTH, mute, NULL, &fn);
  napi_set_named_property(env, exports, "mute", fn);
  napi_create_function(env, "unmute", NAPI_AUTO_LENGTH, unmute, NULL, &fn);
  napi_set_named_property(env, exports, "unmute", fn);
  return exports;
}
