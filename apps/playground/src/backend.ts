// The tensor backend of the page: WebGPU (where the browser has it), WebGL and WebAssembly are
// each tried on a short piece of real work (a few greedy tokens of the model) and the fastest wins
// (matryoshka-layers' selectBrowserBackend). `?backend=wasm|webgl|webgpu|cpu` in the address forces one.
// The .wasm files are part of the build (Vite copies them and gives their URLs): never a CDN.
import {
  selectBrowserBackend,
  type BrowserBackendCandidate,
  type BrowserBackendChoice,
} from '@matryoshka/matryoshka-layers/browser';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';

function candidates(): BrowserBackendCandidate[] {
  const list: BrowserBackendCandidate[] = [];
  if ('gpu' in navigator) list.push({ name: 'webgpu', load: () => import('@tensorflow/tfjs-backend-webgpu') });
  list.push({ name: 'webgl', load: () => import('@tensorflow/tfjs-backend-webgl') });
  list.push({
    name: 'wasm',
    load: async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Single-threaded, as in the CLI: token-by-token generation is many tiny operations that
      // threads do not speed up, and threads would need a cross-origin-isolated page.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      // (The map must name all three binaries; the threaded one is never loaded with threads off.)
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl,
      });
    },
  });
  list.push({ name: 'cpu' });
  return list;
}

/** Choose the backend: `trial` is timed on each (cpu only if nothing else works). */
export async function chooseBackend(trial: () => unknown): Promise<BrowserBackendChoice> {
  const forced = new URLSearchParams(location.search).get('backend') ?? undefined;
  const all = candidates();
  if (forced) return selectBrowserBackend(all, { prefer: forced });
  try {
    return await selectBrowserBackend(
      all.filter((c) => c.name !== 'cpu'),
      { trial, runs: 3 },
    );
  } catch (error) {
    const choice = await selectBrowserBackend(all, { prefer: 'cpu' });
    return { ...choice, trials: [{ name: 'others', error: (error as Error).message }, ...choice.trials] };
  }
}

/** For the page: the backend and what each candidate measured. */
export function describeChoice(choice: BrowserBackendChoice): string {
  const name = choice.backend === 'wasm' ? 'wasm (WebAssembly)' : choice.backend;
  const trials = choice.trials
    .filter((t) => t.ms !== undefined || t.error)
    .map((t) => (t.ms !== undefined ? `${t.name} ${t.ms.toFixed(0)} ms` : `${t.name}: unavailable`))
    .join(', ');
  return `backend: ${name}${trials ? ` (trial: ${trials})` : ''}`;
}
