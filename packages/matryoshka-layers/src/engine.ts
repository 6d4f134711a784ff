// Tensor-engine selection: the one place that decides which TensorFlow.js backend runs.
//
// Order of preference for training and batch evaluation: native TensorFlow through
// @tensorflow/tfjs-node (an optional dependency; tools/setup-tfjs-node builds it offline), then
// the WebAssembly backend, then the pure-JS CPU backend. Token-by-token generation and the
// training of small models (WASM_MAX_ACTIVATION) put wasm first: their steps are many tiny ops,
// and wasm's per-op overhead is a fraction of tfjs-node's (see nested-transformer's bench).
// `prefer` (or MATRYOSHKA_BACKEND) forces one; a forced backend that cannot load is an error,
// never a silent fallback.
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import './register-tf';

export type BackendChoice = 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['node', 'wasm', 'cpu'];

/** The tfjs backend name each choice registers under. */
export const BACKEND_NAMES: Record<BackendChoice, string> = {
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** What the process will mostly do; it orders the backends when none is forced. */
export type Workload = 'training' | 'generation';

/**
 * Training with activations up to this size (elements in one batch x context x width tensor)
 * prefers wasm: such steps are ~1,000 tiny ops and wasm's per-op cost is the lower one.
 * Measured (median of 300 steps after 20 warm-up, AdamW included): experiment 1 (2,048)
 * 11.3 ms/step on wasm vs 16.0 on tfjs-node; at 6,144 (experiment 3) 21.6 vs 19.8; at 16,384
 * 50.7 vs 37.9. Experiment 1 as 2 replicas (4,096; the same ops on twice the data, as a batch
 * of 8 would be): 39.6 ms on wasm vs 34.5 on tfjs-node, so the bound sits below that.
 */
export const WASM_MAX_ACTIVATION = 3_072;

/** Elements in one activation tensor (batch x context x width): the model size the backend choice reads. */
export function activationSize(batch: number, context: number, width: number): number {
  return batch * context * width;
}

/** Backends in order of preference for a workload (and, for training, a model size), best first. */
export function backendOrder(workload: Workload = 'training', activationSize?: number): BackendChoice[] {
  const small = activationSize !== undefined && activationSize <= WASM_MAX_ACTIVATION;
  return workload === 'generation' || small ? ['wasm', 'node', 'cpu'] : ['node', 'wasm', 'cpu'];
}

/**
 * Activations at least this large (elements in one (batch x context x width) tensor) run
 * tfjs-node with TensorFlow's oneDNN kernels; smaller ones without. Measured with the bench,
 * median step time, 3 runs each: experiment 4 (16 x 64 x 128 = 131,072) 520 -> 400 ms with
 * oneDNN; experiment 1 (4 x 16 x 32 = 2,048) 17-25 -> 34-39 ms (oneDNN's per-op cost dominates).
 */
export const ONEDNN_MIN_ACTIVATION = 32_768;

/** Whether tfjs-node should load with oneDNN for activations of this size. */
export function wantsOneDnn(activationSize = 0): boolean {
  return activationSize >= ONEDNN_MIN_ACTIVATION;
}

export interface SelectBackendOptions {
  /** Default 'training'. */
  workload?: Workload;
  /**
   * Elements in one activation tensor of the model (batch x context x width): small ones train on
   * wasm first (<= WASM_MAX_ACTIVATION); large ones load tfjs-node with oneDNN
   * (>= ONEDNN_MIN_ACTIVATION; fixed once tfjs-node has loaded in the process;
   * TF_ENABLE_ONEDNN_OPTS in the environment overrides it).
   */
  activationSize?: number;
  /** Force one backend; default: MATRYOSHKA_BACKEND, else the best that loads. */
  prefer?: BackendChoice;
}

export function parseBackendChoice(value: string, source = '--backend'): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: unknown backend "${value}"; expected one of ${BACKEND_CHOICES.join(', ')}`);
}

/** Why a backend module failed to load (kept for the error of a forced backend). */
const loadErrors: Partial<Record<BackendChoice, Error>> = {};

/** Require the module that registers a backend with the shared tfjs-core (once). */
function tryRegister(choice: 'node' | 'wasm', moduleName: string): boolean {
  const name = BACKEND_NAMES[choice];
  if (tf.findBackendFactory(name)) return true;
  if (loadErrors[choice]) return false;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(moduleName);
    return tf.findBackendFactory(name) !== null;
  } catch (err) {
    loadErrors[choice] = err as Error;
    return false;
  }
}

/**
 * mute()/unmute() of file descriptor 2, where the workspace's tools/setup-tfjs-node built it:
 * TensorFlow prints its load-time log lines straight to fd 2 while its libraries load, before it
 * reads TF_CPP_MIN_LOG_LEVEL. Elsewhere (a project with its own tfjs-node) those lines show.
 */
function quietStderr(): { mute(): void; unmute(): void } | null {
  try {
    const dir = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(dir, 'matryoshka-quiet-stderr.node'));
  } catch {
    return null;
  }
}

function tryRegisterNode(activationSize = 0): boolean {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  if (tf.findBackendFactory(BACKEND_NAMES.node)) return true;
  if (loadErrors.node) return false;
  process.env.TF_ENABLE_ONEDNN_OPTS ??= wantsOneDnn(activationSize) ? '1' : '0';
  const quiet = quietStderr();
  quiet?.mute();
  try {
    return tryRegister('node', '@tensorflow/tfjs-node');
  } finally {
    quiet?.unmute();
  }
}

function tryRegisterWasm(): boolean {
  return tryRegister('wasm', '@tensorflow/tfjs-backend-wasm');
}

async function activate(choice: BackendChoice, activationSize?: number): Promise<boolean> {
  const ok = choice === 'node' ? tryRegisterNode(activationSize) : choice === 'wasm' ? tryRegisterWasm() : true;
  if (!ok) return false;
  try {
    return await tf.setBackend(BACKEND_NAMES[choice]);
  } catch {
    return false;
  }
}

/** Backends that load on this machine, best first. */
export async function availableBackends(): Promise<BackendChoice[]> {
  const out: BackendChoice[] = [];
  if (tryRegisterNode()) out.push('node');
  if (tryRegisterWasm()) out.push('wasm');
  out.push('cpu');
  return out;
}

/**
 * Choose and activate the tensor backend; returns its tfjs name ('tensorflow' | 'wasm' | 'cpu').
 * Prints nothing (the apps print `backend: ${describeBackend()}`), and turns on tfjs's production
 * mode, whose only effect is to silence tfjs's own console warnings (for instance the cpu
 * backend's advice to install tfjs-node, which this selection has already tried).
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<string> {
  const envChoice = process.env.MATRYOSHKA_BACKEND;
  const forced = options.prefer ?? (envChoice ? parseBackendChoice(envChoice, 'MATRYOSHKA_BACKEND') : undefined);
  if (forced) {
    if (!(await activate(forced, options.activationSize))) {
      const why = loadErrors[forced]?.message ?? '';
      throw new Error(
        `backend "${forced}" was requested but could not be loaded${why ? `: ${why.split('\n')[0]}` : ''}` +
          (forced === 'node' ? ' (run `npm ci` so tools/setup-tfjs-node can build it)' : ''),
      );
    }
  } else {
    for (const choice of backendOrder(options.workload, options.activationSize)) {
      if (await activate(choice, options.activationSize)) break;
    }
  }
  await tf.ready();
  tf.enableProdMode();
  return tf.getBackend();
}

/** The active backend for people: its tfjs name and what matters about it, e.g. `wasm (single-threaded)`. */
export function describeBackend(): string {
  const name = tf.getBackend();
  if (name === 'wasm') return 'wasm (single-threaded)';
  if (name === 'tensorflow' && process.env.TF_ENABLE_ONEDNN_OPTS === '1') return 'tensorflow (oneDNN)';
  return name;
}
