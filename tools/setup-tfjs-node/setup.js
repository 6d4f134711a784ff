#!/usr/bin/env node
/*
 * Post-install helper that makes the optional dependency @tensorflow/tfjs-node
 * usable without network access to Google storage.
 *
 *   1. tfjs-node already loads                          -> nothing to do
 *   2. otherwise try tfjs-node's own installer (scripts/install.js)
 *   3. otherwise build the native addon from source against the TensorFlow
 *      C API shipped inside the `tensorflow-cpu` pip wheel (Linux x64 only);
 *      extracted libraries and the built addon are cached outside git
 *   4. otherwise print one line: the WebAssembly/CPU backend will be used.
 *
 * The script never fails the install: every path ends with exit code 0.
 * Set MATRYOSHKA_SKIP_TFJS_NODE=1 to skip it (tfjs-node is then left unbuilt).
 * Plain CommonJS, Node.js built-ins only. See README.md next to this file.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');

const TAG = '[setup-tfjs-node]';
const ROOT = path.resolve(__dirname, '..', '..');
const PKG = '@tensorflow/tfjs-node';
const env = process.env;
const started = Date.now();

const MIN = 60 * 1000;
const INSTALL_TIMEOUT = num(env.MATRYOSHKA_TFJS_NODE_INSTALL_TIMEOUT_MS, 3 * MIN);
const PIP_TIMEOUT = num(env.MATRYOSHKA_TFJS_NODE_PIP_TIMEOUT_MS, 30 * MIN);
const BUILD_TIMEOUT = num(env.MATRYOSHKA_TFJS_NODE_BUILD_TIMEOUT_MS, 20 * MIN);
const PIP_SPEC = env.MATRYOSHKA_TF_PIP_SPEC || 'tensorflow-cpu>=2.9,<3';
const MARKER = '.matryoshka-tfjs-node.json';
const QUIET_STDERR = 'matryoshka-quiet-stderr.node';
const NEED_FREE_BYTES = 1.4e9; // wheel (~0.3 GB) + extracted libs (~0.9 GB)

let logFile = null;

function num(v, d) {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : d;
}

function say(msg) {
  console.log(`${TAG} ${msg}`);
}

function log(msg) {
  if (!logFile) return;
  try {
    fs.appendFileSync(logFile, `[${new Date().toISOString()}] ${msg}\n`);
  } catch (_) {
    /* logging must never break the install */
  }
}

class Fallback extends Error {}

function fallback(reason) {
  throw new Fallback(reason);
}

function rm(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

function exists(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch (_) {
    return false;
  }
}

/** Runs a command synchronously, appending its output to the log file. */
function run(cmd, args, opts) {
  const shown = args.map((a) => (a.length > 120 ? `${a.slice(0, 40).trim().split('\n')[0]}...` : a));
  log(`$ ${cmd} ${shown.join(' ')}  (cwd ${opts.cwd || process.cwd()})`);
  let fd = 'ignore';
  try {
    if (logFile) fd = fs.openSync(logFile, 'a');
  } catch (_) {
    fd = 'ignore';
  }
  try {
    const r = cp.spawnSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env || env,
      stdio: ['ignore', fd, fd],
      timeout: opts.timeout,
      killSignal: 'SIGKILL',
    });
    const ok = !r.error && r.status === 0;
    log(
      `  -> ${ok ? 'ok' : `failed (status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''})`}`,
    );
    return ok;
  } finally {
    if (typeof fd === 'number') fs.closeSync(fd);
  }
}

/* ------------------------------------------------------------------ cache */

function pickCacheDir() {
  const candidates = [];
  if (env.MATRYOSHKA_TFJS_NODE_CACHE) candidates.push(path.resolve(env.MATRYOSHKA_TFJS_NODE_CACHE));
  const home = os.homedir();
  const xdg = env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : null);
  if (xdg) candidates.push(path.join(xdg, 'matryoshka', 'tfjs-node'));
  candidates.push(path.join(ROOT, 'node_modules', '.cache', 'matryoshka', 'tfjs-node'));
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch (_) {
      /* try next */
    }
  }
  return null;
}

function freeBytes(dir) {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch (_) {
    return Infinity;
  }
}

function cmpVersion(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}

/** Newest complete extracted TensorFlow C library in the cache, if any. */
function cachedTensorFlow(cacheDir) {
  let best = null;
  for (const name of fs.readdirSync(cacheDir)) {
    const m = /^tf-(\d+\.\d+\.\d+)$/.exec(name);
    if (!m) continue;
    const dir = path.join(cacheDir, name);
    if (!exists(path.join(dir, '.complete'))) continue;
    if (!best || cmpVersion(m[1], best.version) > 0) best = { version: m[1], dir };
  }
  return best;
}

/* ----------------------------------------------------------- tfjs-node pkg */

function resolveTfjsNode() {
  try {
    return path.dirname(require.resolve(`${PKG}/package.json`, { paths: [ROOT] }));
  } catch (_) {
    return null;
  }
}

function optionalOmitted() {
  const omit = `${env.npm_config_omit || ''}`.split(/[\s,]+/);
  return omit.includes('optional') || env.npm_config_optional === 'false';
}

/**
 * npm without per-package script denial (or without the `allowScripts` entry)
 * runs tfjs-node's failing installer and then deletes the package together
 * with its dependencies. Re-add them from the lockfile, this time without
 * install scripts, so that the addon can be built from source.
 */
function restoreTfjsNode() {
  const lock = path.join(ROOT, 'package-lock.json');
  try {
    if (!JSON.parse(fs.readFileSync(lock, 'utf8')).packages[`node_modules/${PKG}`]) return false;
  } catch (_) {
    return false; // no lockfile, or not in it
  }
  say(`${PKG} was removed by npm after its install script failed; restoring it without scripts...`);
  const childEnv = Object.assign({}, env);
  for (const k of Object.keys(childEnv)) {
    if (/^npm_(lifecycle_|package_|command$)/.test(k)) delete childEnv[k];
  }
  const args = ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  const npmCli = env.npm_execpath && /\.js$/.test(env.npm_execpath) ? env.npm_execpath : null;
  const [cmd, cmdArgs] = npmCli
    ? [process.execPath, [npmCli, ...args]]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
  return run(cmd, cmdArgs, { cwd: ROOT, env: childEnv, timeout: INSTALL_TIMEOUT });
}

/** N-API version node-pre-gyp will pick for this Node (module_path lib/napi-v<N>). */
function napiBuildVersion(pkgJson) {
  const wanted = ((pkgJson.binary || {}).napi_versions || []).map(Number);
  const have = Number(process.versions.napi || 0);
  const ok = wanted.filter((v) => v <= have);
  return ok.length ? Math.max(...ok) : null;
}

function addonPath(tfjsDir, pkgJson) {
  const binary = pkgJson.binary || {};
  const modulePath = (binary.module_path || './lib/napi-v{napi_build_version}').replace(
    '{napi_build_version}',
    String(napiBuildVersion(pkgJson)),
  );
  return path.join(tfjsDir, modulePath, `${binary.module_name || 'tfjs_binding'}.node`);
}

/**
 * Loads tfjs-node in a child process and checks backend + numerics.
 * Returns the TensorFlow C library version string on success, else null.
 */
function probe() {
  const code = `
    const tf = require(require.resolve(${JSON.stringify(PKG)}, { paths: [${JSON.stringify(ROOT)}] }));
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const m = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).arraySync();
    if (JSON.stringify(m) !== '[[19,22],[43,50]]') throw new Error('matMul gave ' + JSON.stringify(m));
    const g = tf.grad((x) => x.square().sum())(tf.tensor1d([1, 2, 3])).arraySync();
    if (JSON.stringify(g) !== '[2,4,6]') throw new Error('grad gave ' + JSON.stringify(g));
    process.stdout.write('TFVERSION=' + (tf.backend().binding.TF_Version || '?'));
  `;
  const r = cp.spawnSync(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: Object.assign({}, env, { TF_CPP_MIN_LOG_LEVEL: '3' }),
    encoding: 'utf8',
    timeout: 2 * MIN,
  });
  const m = /TFVERSION=(\S+)/.exec(r.stdout || '');
  if (r.status === 0 && m) {
    log(`probe ok: TensorFlow ${m[1]}`);
    return m[1];
  }
  const lines = String(r.stderr || r.error || '')
    .trim()
    .split('\n');
  log(`probe failed: ${lines.slice(0, 6).join(' | ')}`);
  return null;
}

function writeMarker(tfjsDir, data) {
  try {
    fs.writeFileSync(path.join(tfjsDir, MARKER), `${JSON.stringify(data, null, 2)}\n`);
  } catch (_) {
    /* informational only */
  }
}

/** Removes addon/deps left behind by tfjs-node's installer or an earlier build. */
function cleanTfjsNode(tfjsDir) {
  for (const d of ['deps', 'lib', 'build', MARKER]) rm(path.join(tfjsDir, d));
  for (const name of fs.readdirSync(tfjsDir)) {
    if (/^build-tmp-/.test(name)) rm(path.join(tfjsDir, name));
  }
}

/* -------------------------------------------------- TensorFlow from wheel */

function findPython() {
  const list = [env.MATRYOSHKA_PYTHON, 'python3', 'python'].filter(Boolean);
  for (const py of list) {
    const r = cp.spawnSync(py, ['-c', 'import sys, zipfile; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3') return py;
  }
  return null;
}

// Extracts the two shared libraries and the transitive closure of the C API
// headers that the addon sources include. argv: wheel, outDir, seed headers...
const EXTRACT_PY = `
import os, re, shutil, sys, zipfile
whl, out, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(whl)
names = set(z.namelist())
def copy(member, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with z.open(member) as src, open(dst, 'wb') as f:
        shutil.copyfileobj(src, f, 1 << 20)
for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    member = 'tensorflow/' + lib
    if member not in names:
        sys.exit('missing ' + member)
    copy(member, os.path.join(out, 'lib', lib))
prefix = 'tensorflow/include/'
inc = re.compile(rb'^[ \\t]*#[ \\t]*include[ \\t]*"([^"]+)"', re.M)
todo, seen = list(seeds), set()
while todo:
    h = todo.pop()
    if h in seen or prefix + h not in names:
        seen.add(h)
        continue
    seen.add(h)
    data = z.read(prefix + h)
    dst = os.path.join(out, 'include', h)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, 'wb') as f:
        f.write(data)
    todo.extend(m.decode() for m in inc.findall(data))
if not os.path.exists(os.path.join(out, 'include', 'tensorflow', 'c', 'c_api.h')):
    sys.exit('missing tensorflow/c/c_api.h')
`;

function headerSeeds(tfjsDir) {
  const seeds = new Set(['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h']);
  const dir = path.join(tfjsDir, 'binding');
  for (const f of fs.readdirSync(dir)) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of src.matchAll(/^\s*#\s*include\s*"([^"]+)"/gm)) {
      if (m[1].includes('/')) seeds.add(m[1]);
    }
  }
  return [...seeds];
}

function pipDownload(py, dir) {
  const base = [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--no-cache-dir',
    '--disable-pip-version-check',
    '--progress-bar',
    'off',
    '--retries',
    '2',
    '-q',
    '-d',
    dir,
  ];
  // First for the local interpreter; then pinned to a cp311 manylinux wheel,
  // since only the (interpreter independent) C libraries are used.
  const cp311 = ['--python-version', '3.11', '--implementation', 'cp', '--abi', 'cp311'];
  const manylinux = ['--platform', 'manylinux_2_27_x86_64', '--platform', 'manylinux2014_x86_64'];
  const attempts = [
    [...base, PIP_SPEC],
    [...base, ...cp311, ...manylinux, PIP_SPEC],
  ];
  for (const args of attempts) {
    if (run(py, args, { timeout: PIP_TIMEOUT })) {
      const whl = fs.readdirSync(dir).find((f) => /^tensorflow_cpu-.*\.whl$/.test(f));
      if (whl) return path.join(dir, whl);
    }
  }
  return null;
}

function obtainTensorFlow(cacheDir, tfjsDir) {
  const cached = cachedTensorFlow(cacheDir);
  if (cached) return cached;

  const py = findPython();
  if (!py) fallback('python3 not found, cannot fetch the tensorflow-cpu wheel');
  if (freeBytes(cacheDir) < NEED_FREE_BYTES) fallback(`less than 1.4 GB free in ${cacheDir}`);

  const tmp = fs.mkdtempSync(path.join(cacheDir, 'tmp-'));
  try {
    let whl = env.MATRYOSHKA_TF_WHEEL ? path.resolve(env.MATRYOSHKA_TF_WHEEL) : null;
    if (whl && !exists(whl)) fallback(`MATRYOSHKA_TF_WHEEL=${whl} does not exist`);
    if (!whl) {
      log(`pip download ${PIP_SPEC}`);
      whl = pipDownload(py, tmp);
      if (!whl) fallback('pip could not fetch the tensorflow-cpu wheel');
    }
    const m = /^tensorflow_cpu-(\d+\.\d+\.\d+)/.exec(path.basename(whl));
    if (!m) fallback(`unexpected wheel name ${path.basename(whl)}`);
    const version = m[1];
    const out = path.join(tmp, 'extract');
    if (!run(py, ['-c', EXTRACT_PY, whl, out, ...headerSeeds(tfjsDir)], { timeout: PIP_TIMEOUT })) {
      fallback('could not extract the TensorFlow C library from the wheel');
    }
    fs.writeFileSync(
      path.join(out, 'manifest.json'),
      `${JSON.stringify({ tensorflow: version, wheel: path.basename(whl), created: new Date().toISOString() }, null, 2)}\n`,
    );
    fs.writeFileSync(path.join(out, '.complete'), '');
    const dest = path.join(cacheDir, `tf-${version}`);
    rm(dest);
    fs.renameSync(out, dest);
    return { version, dir: dest };
  } finally {
    rm(tmp);
  }
}

/** Lays out deps/include and deps/lib the way tfjs-node's binding.gyp expects. */
function stageDeps(tfjsDir, tf) {
  const deps = path.join(tfjsDir, 'deps');
  const libDir = path.join(deps, 'lib');
  rm(deps);
  fs.mkdirSync(libDir, { recursive: true });
  fs.cpSync(path.join(tf.dir, 'include'), path.join(deps, 'include'), { recursive: true });
  let mode = 'hardlink';
  for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const src = path.join(tf.dir, 'lib', lib);
    const dst = path.join(libDir, lib);
    try {
      fs.linkSync(src, dst); // survives deletion of the cache, costs no space
    } catch (_) {
      fs.symlinkSync(src, dst);
      mode = 'symlink';
    }
  }
  // Link-time names used by binding.gyp (-ltensorflow -ltensorflow_framework);
  // the addon records the sonames (libtensorflow_cc.so.2, ...) and finds them
  // at runtime through its rpath $ORIGIN/../../deps/lib.
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(libDir, 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(libDir, 'libtensorflow.so.2'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(libDir, 'libtensorflow_framework.so'));
  return mode;
}

function nodeGypEnv() {
  const e = Object.assign({}, env, { JOBS: 'max', npm_config_jobs: 'max' });
  // Use the Node headers installed next to the node binary, so that node-gyp
  // does not try to download them.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!e.npm_config_nodedir && exists(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    e.npm_config_nodedir = prefix;
  }
  if (!e.npm_config_node_gyp || !exists(e.npm_config_node_gyp)) {
    const candidates = [
      env.npm_execpath &&
        path.join(path.dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    ].filter(Boolean);
    const found = candidates.find(exists);
    if (found) e.npm_config_node_gyp = found;
  }
  return e;
}

function buildFromSource(tfjsDir, pkgJson, cacheDir) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fallback(
      `building from the tensorflow-cpu wheel is only set up for linux-x64 (this is ${process.platform}-${process.arch})`,
    );
  }
  const napi = napiBuildVersion(pkgJson);
  if (!napi) fallback(`Node ${process.version} lacks a suitable N-API version`);

  const tf = obtainTensorFlow(cacheDir, tfjsDir);
  const key = `tfjs-node-${pkgJson.version}_tf-${tf.version}_napi-v${napi}_${process.platform}-${process.arch}`;
  const cachedAddon = path.join(cacheDir, 'addons', key, 'tfjs_binding.node');
  const target = addonPath(tfjsDir, pkgJson);

  cleanTfjsNode(tfjsDir);
  const linkMode = stageDeps(tfjsDir, tf);
  log(`staged deps from ${tf.dir} (${linkMode})`);

  if (exists(cachedAddon)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(cachedAddon, target);
    const v = probe();
    if (v) return { how: 'cached build', version: v };
    log('cached addon did not load; rebuilding');
    rm(target);
  }

  say(`building the tfjs-node addon from source against TensorFlow ${tf.version} (one-time, ~1 min)...`);
  let preGyp;
  try {
    preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [tfjsDir] });
  } catch (_) {
    fallback('@mapbox/node-pre-gyp (a tfjs-node dependency) is missing');
  }
  const ok = run(process.execPath, [preGyp, 'install', '--build-from-source', '--loglevel=warn'], {
    cwd: tfjsDir,
    env: nodeGypEnv(),
    timeout: BUILD_TIMEOUT,
  });
  for (const name of fs.readdirSync(tfjsDir)) {
    if (name === 'build' || /^build-tmp-/.test(name)) rm(path.join(tfjsDir, name));
  }
  if (!ok || !exists(target)) fallback('compiling the native addon failed');
  const v = probe();
  if (!v) fallback('the addon built from source does not load');
  try {
    fs.mkdirSync(path.dirname(cachedAddon), { recursive: true });
    fs.copyFileSync(target, `${cachedAddon}.tmp`);
    fs.renameSync(`${cachedAddon}.tmp`, cachedAddon);
  } catch (e) {
    log(`could not cache the addon: ${e.message}`);
  }
  return { how: 'built from source', version: v };
}

/* ------------------------------------------------------------------- main */

function skip(tfjsDir) {
  // Make sure tfjs-node does not load: drop any addon we (or its installer) left.
  if (tfjsDir) {
    try {
      cleanTfjsNode(tfjsDir);
    } catch (_) {
      /* ignore */
    }
  }
  say('MATRYOSHKA_SKIP_TFJS_NODE=1: not setting up tfjs-node; the WebAssembly/CPU backend will be used.');
}

function main() {
  let tfjsDir = resolveTfjsNode();
  if (/^(1|true|yes)$/i.test(env.MATRYOSHKA_SKIP_TFJS_NODE || '')) return skip(tfjsDir);

  const cacheDir = pickCacheDir();
  if (cacheDir) {
    fs.mkdirSync(path.join(cacheDir, 'logs'), { recursive: true });
    logFile = path.join(cacheDir, 'logs', 'setup.log');
    try {
      if (fs.statSync(logFile).size > 5e6) rm(logFile);
    } catch (_) {
      /* no log yet */
    }
    log(`---- setup-tfjs-node (root ${ROOT}, node ${process.version}) ----`);
  }

  if (!tfjsDir) {
    if (optionalOmitted()) fallback(`${PKG} is not installed (optional dependencies omitted)`);
    if (!restoreTfjsNode() || !(tfjsDir = resolveTfjsNode())) fallback(`${PKG} is not installed`);
  }
  const pkgJson = JSON.parse(fs.readFileSync(path.join(tfjsDir, 'package.json'), 'utf8'));
  const target = addonPath(tfjsDir, pkgJson);

  // 1. Already usable (e.g. npm ran its installer successfully).
  if (exists(target)) {
    const v = probe();
    if (v) {
      say(`tfjs-node ${pkgJson.version} ready (native TensorFlow ${v}).`);
      return tfjsDir;
    }
  }

  // 2. tfjs-node's own installer (downloads libtensorflow + a prebuilt addon).
  //    Skipped when a from-source build is already cached: that avoids hanging
  //    on an unreachable download host on every install.
  const cachedBuild = cacheDir && cachedTensorFlow(cacheDir);
  if (!cachedBuild) {
    log('trying tfjs-node scripts/install.js');
    if (run(process.execPath, [path.join('scripts', 'install.js')], { cwd: tfjsDir, timeout: INSTALL_TIMEOUT })) {
      const v = probe();
      if (v) {
        writeMarker(tfjsDir, { how: 'tfjs-node installer', tensorflow: v });
        say(`tfjs-node ${pkgJson.version} ready (prebuilt, native TensorFlow ${v}).`);
        return tfjsDir;
      }
    }
    log('tfjs-node installer did not produce a working addon; trying a source build');
  }

  // 3. Build against the TensorFlow C library from the tensorflow-cpu wheel.
  if (!cacheDir) fallback('no writable cache directory');
  const res = buildFromSource(tfjsDir, pkgJson, cacheDir);
  writeMarker(tfjsDir, { how: res.how, tensorflow: res.version, cache: cacheDir });
  const seconds = Math.round((Date.now() - started) / 1000);
  say(
    `tfjs-node ${pkgJson.version} ready (native TensorFlow ${res.version}, ${res.how}, ${seconds}s; cache ${cacheDir}).`,
  );
  return tfjsDir;
}

/**
 * Build quiet-stderr.c (see there) into `<tfjs-node>/matryoshka-quiet-stderr.node`, where the
 * engine looks for it. Optional: without it TensorFlow's load-time log lines are printed.
 */
function buildQuietStderr(tfjsDir) {
  const out = path.join(tfjsDir, QUIET_STDERR);
  const include = path.join(path.resolve(path.dirname(process.execPath), '..'), 'include', 'node');
  const source = path.join(__dirname, 'quiet-stderr.c');
  if (exists(out) && fs.statSync(out).mtimeMs >= fs.statSync(source).mtimeMs) return;
  if (!exists(path.join(include, 'node_api.h'))) return log(`quiet-stderr: no Node headers in ${include}`);
  const tmp = `${out}.${process.pid}.tmp`;
  if (run('cc', ['-shared', '-fPIC', '-O2', `-I${include}`, '-o', tmp, source], { timeout: 60 * 1000 })) {
    fs.renameSync(tmp, out);
  } else {
    rm(tmp);
    log('quiet-stderr: compiling failed; TensorFlow will print its load-time log lines');
  }
}

module.exports = { addonPath };

if (require.main === module) {
  try {
    const tfjsDir = main();
    if (tfjsDir) buildQuietStderr(tfjsDir);
  } catch (e) {
    const reason = e instanceof Fallback ? e.message : `unexpected error: ${e && e.message}`;
    log(`fallback: ${reason}`);
    if (!(e instanceof Fallback)) log(String(e && e.stack));
    say(
      `tfjs-node unavailable (${reason}); the WebAssembly/CPU backend will be used.${logFile ? ` Log: ${logFile}` : ''}`,
    );
  }
  process.exit(0);
}
