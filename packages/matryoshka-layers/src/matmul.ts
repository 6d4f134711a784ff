// Matrix products whose backward pass suits the backend.
// tfjs' own BatchMatMul gradient uses matMul's transpose flags (dA = dY B^T, dB = A^T dY).
// Those are native on tensorflow, but on wasm a flagged matMul is ~11x slower than an explicit
// transpose followed by a plain one, so there the gradient is written with explicit transposes,
// and the replicas' products are taken one by one (see product).
import * as tf from '@tensorflow/tfjs-core';

/** Swap the last two axes. */
function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/**
 * a @ b. A product of several matrices of rank 3 (the replicas': (R, n, k) @ (R, k, m)) is taken
 * one matrix at a time: wasm's BatchMatMul kernel is fast for one matrix only, and 3-10x slower
 * per matrix beyond (measured at R = 4 and 8, widths 8 to 512). One matrix goes straight through.
 */
function product(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const count = a.shape[0];
  if (a.rank !== 3 || count === 1) return tf.matMul(a, b);
  // The slices and their products are freed at once. In the backward pass nothing else frees them
  // before the whole gradient is done (experiment 4 with 4 replicas then ran out of wasm memory).
  return tf.tidy(() => {
    const bs = tf.split(b, count);
    return tf.concat(
      tf.split(a, count).map((one, r) => tf.matMul(one, bs[r])),
      0,
    );
  });
}

/** a @ b with the gradient dA = dY @ b^T, dB = a^T @ dY built from explicit transposes. */
export const matMulExplicitTransposeGradient = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  if (a.rank !== b.rank || a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join()) {
    throw new Error(`matMul: batch shapes differ ([${a.shape}] @ [${b.shape}]); broadcasting is not supported here`);
  }
  save([a, b]);
  return {
    value: product(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [product(dy, transposeLast(sb)), product(transposeLast(sa), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(a: T, b: T) => T;

/** Whether matMul's transpose flags are slow on the active backend (measured: wasm). */
export function slowTransposeFlags(): boolean {
  return tf.getBackend() === 'wasm';
}

/** a @ b (same batch shape), with the backward pass that is fastest on the active backend. */
export function matMul<T extends tf.Tensor>(a: T, b: T): T {
  return slowTransposeFlags() ? matMulExplicitTransposeGradient(a, b) : (tf.matMul(a, b) as T);
}

/** a @ b^T over the last two axes: the transpose flag where it is native, else explicit. */
export function matMulTransposeB<T extends tf.Tensor>(a: T, b: T): T {
  return slowTransposeFlags()
    ? matMulExplicitTransposeGradient(a, transposeLast(b) as T)
    : (tf.matMul(a, b, false, true) as T);
}
