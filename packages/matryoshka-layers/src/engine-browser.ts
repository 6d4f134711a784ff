// Backend choice in a browser (the browser counterpart of engine.ts, without Node): the page
// offers backends that engine.ts does not know (WebGPU, WebGL), and which is fastest depends on
// the machine (a software-rendered WebGL can be slower than WebAssembly), so each candidate that
// loads and activates runs the caller's trial and the fastest wins. The caller passes the loaders
// (dynamic imports of the backend modules and, for wasm, where its .wasm files are served), so
// this module imports no backend itself and the bundler splits each into its own chunk.
import * as tf from '@tensorflow/tfjs-core';
import './register-tf';

export interface BrowserBackendCandidate {
  /** The tfjs backend name the loader registers ('webgpu', 'webgl', 'wasm', 'cpu'). */
  name: string;
  /** Registers the backend (e.g. `() => import('@tensorflow/tfjs-backend-webgl')`); may throw. */
  load?: () => Promise<unknown>;
}

export interface BrowserBackendTrial {
  name: string;
  /** Milliseconds the trial took on this backend (median of the runs), or why it could not run. */
  ms?: number;
  error?: string;
}

export interface SelectBrowserBackendOptions {
  /** Take this backend without trials (it must load; otherwise an error names why). */
  prefer?: string;
  /** Work timed on each candidate (run once to warm up, then `runs` times); default: none, the first that activates wins. */
  trial?: () => unknown;
  /** Timed runs per candidate (default 3; the median counts). */
  runs?: number;
}

export interface BrowserBackendChoice {
  /** The active backend's tfjs name. */
  backend: string;
  /** Every candidate tried, in the order given. */
  trials: BrowserBackendTrial[];
}

async function activateCandidate(candidate: BrowserBackendCandidate): Promise<void> {
  if (!tf.findBackendFactory(candidate.name)) await candidate.load?.();
  if (!tf.findBackendFactory(candidate.name)) throw new Error(`no backend "${candidate.name}" registered`);
  if (!(await tf.setBackend(candidate.name))) throw new Error(`backend "${candidate.name}" did not initialise`);
  await tf.ready();
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Activate the fastest candidate that works (by the trial), or `prefer`. Prints nothing; turns on
 * tfjs's production mode as selectBackend does.
 */
export async function selectBrowserBackend(
  candidates: readonly BrowserBackendCandidate[],
  options: SelectBrowserBackendOptions = {},
): Promise<BrowserBackendChoice> {
  tf.enableProdMode();
  const trials: BrowserBackendTrial[] = [];
  if (options.prefer) {
    const candidate = candidates.find((c) => c.name === options.prefer);
    if (!candidate)
      throw new Error(`backend "${options.prefer}" is not one of ${candidates.map((c) => c.name).join(', ')}`);
    try {
      await activateCandidate(candidate);
    } catch (error) {
      throw new Error(
        `backend "${options.prefer}" was requested but could not be loaded: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { backend: tf.getBackend(), trials: [{ name: candidate.name }] };
  }
  for (const candidate of candidates) {
    try {
      await activateCandidate(candidate);
      if (!options.trial) return { backend: tf.getBackend(), trials: [...trials, { name: candidate.name }] };
      await options.trial();
      const times: number[] = [];
      for (let r = 0; r < (options.runs ?? 3); r++) {
        const start = performance.now();
        await options.trial();
        times.push(performance.now() - start);
      }
      trials.push({ name: candidate.name, ms: median(times) });
    } catch (error) {
      trials.push({ name: candidate.name, error: (error as Error).message });
    }
  }
  const timed = trials.filter((t): t is BrowserBackendTrial & { ms: number } => t.ms !== undefined);
  if (timed.length === 0)
    throw new Error(`no backend works here: ${trials.map((t) => `${t.name}: ${t.error}`).join('; ')}`);
  const best = timed.reduce((a, b) => (b.ms < a.ms ? b : a));
  await tf.setBackend(best.name);
  await tf.ready();
  return { backend: tf.getBackend(), trials };
}
