import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

/**
 * Vega-Lite spec -> SVG string, rendered by vega in a worker thread.
 *
 * Why a worker: vega 6 and vega-lite 6 are ESM-only, and vega-canvas (pulled in by vega)
 * uses top-level await, so neither `require()` (Node's require(esm) refuses graphs with
 * top-level await) nor jest's CommonJS transform can load them. A real `import()` works in
 * plain Node, but under jest it needs --experimental-vm-modules. A worker thread is a plain
 * Node context in every setting (CLI, apps, jest), so the import happens there.
 */

/** A Vega-Lite top-level spec, as plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** What every figure's spec starts from: the Vega-Lite version it is written for, on white. */
export const SPEC_BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white' } as const;

interface RenderReply {
  id: number;
  svg?: string;
  error?: string;
}

// Runs inside the worker as a CommonJS script; the module URLs come from the main thread so
// resolution does not depend on the worker's working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const modules = Promise.all([import(workerData.vegaUrl), import(workerData.vegaLiteUrl)]);
modules.catch(() => undefined);
parentPort.on('message', async ({ id, spec }) => {
  try {
    const [vega, vegaLite] = await modules;
    const compiled = vegaLite.compile(spec).spec; // vega-lite warnings go to stderr
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    const svg = await view.toSVG();
    view.finalize();
    parentPort.postMessage({ id, svg });
  } catch (e) {
    parentPort.postMessage({ id, error: (e && e.message) || String(e) });
  }
});
`;

interface Pending {
  resolve: (svg: string) => void;
  reject: (error: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const p of pending.values()) p.reject(error);
  pending.clear();
  worker = undefined;
}

function startWorker(): Worker {
  const w = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      vegaUrl: pathToFileURL(require.resolve('vega')).href,
      vegaLiteUrl: pathToFileURL(require.resolve('vega-lite')).href,
    },
  });
  w.on('message', (reply: RenderReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref(); // idle: do not keep the process alive
    if (reply.error !== undefined) p.reject(new Error(`vega rendering failed: ${reply.error}`));
    else p.resolve(reply.svg ?? '');
  });
  w.on('error', (e) => failAll(new Error(`vega render worker crashed: ${e.message}`)));
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`vega render worker exited with code ${code}`));
  });
  return w;
}

/** Compile a Vega-Lite spec and render it to an SVG string (no files written). */
export function renderVegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // a render is in flight: keep the process alive until it answers
    w.postMessage({ id, spec });
  });
}

/** Stop the render worker (it restarts on the next render). Call when done, e.g. in afterAll. */
export async function closeRenderer(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) {
    failAll(new Error('vega render worker was closed'));
    await w.terminate();
  }
}
