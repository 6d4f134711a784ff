// The width-m slice of every parameter (docs/EXPERIMENTS.md, "Slices of every parameter"), in the full model's own
// layout: slicing a width-d model to width m gives exactly the variables of a width-m model.
import * as tf from '@tensorflow/tfjs-core';

/** Which parameter a tensor is, read from its name's last part (`blocks.3.attn.wqkv` -> 'wqkv'). */
export type ParameterKind = 'token_embedding' | 'position_embedding' | 'wqkv' | 'wo' | 'bo' | 'w1' | 'b1' | 'w2' | 'b2';

export function parameterKind(name: string): ParameterKind {
  const last = name.split('.').pop() as string;
  const kinds: ParameterKind[] = ['token_embedding', 'position_embedding', 'wqkv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2'];
  if (!(kinds as string[]).includes(last)) throw new Error(`unknown parameter ${name}`);
  return last as ParameterKind;
}

/**
 * Begin (all zero) and size of the width-m slice of a parameter of the given full shape:
 *   E [v, :m], P [t, :m], wqkv [:m, 3, h, :m/h], wo [h, :m/h, :m], bo/b2 [:m],
 *   w1 [:m, :4m], b1 [:4m], w2 [:4m, :m]   (bo is sliced like the output: the FIX).
 */
export function sliceSizeAtWidth(kind: ParameterKind, fullShape: readonly number[], m: number, heads: number): number[] {
  switch (kind) {
    case 'token_embedding':
    case 'position_embedding':
      return [fullShape[0], m];
    case 'wqkv':
      return [m, 3, heads, m / heads];
    case 'wo':
      return [heads, m / heads, m];
    case 'bo':
    case 'b2':
      return [m];
    case 'w1':
      return [m, 4 * m];
    case 'b1':
      return [4 * m];
    case 'w2':
      return [4 * m, m];
  }
}

/** The width-m slice of a parameter (one tf.slice; the tensor itself when nothing is cut). */
export function sliceToWidth(kind: ParameterKind, x: tf.Tensor, m: number, heads: number): tf.Tensor {
  const size = sliceSizeAtWidth(kind, x.shape, m, heads);
  if (size.every((s, i) => s === x.shape[i])) return x;
  return tf.slice(x, size.map(() => 0), size);
}

/** One block's weights at width m, shaped for plain 2-D matmuls. */
export interface BlockAtWidth {
  /** [m, 3m]: columns are (q|k|v, head, coordinate within the head). */
  wqkv: tf.Tensor2D;
  /** [m, m]: rows are (head, coordinate within the head). */
  wo: tf.Tensor2D;
  bo: tf.Tensor1D;
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
}

export interface BlockVariables {
  wqkv: tf.Tensor;
  wo: tf.Tensor;
  bo: tf.Tensor;
  w1: tf.Tensor;
  b1: tf.Tensor;
  w2: tf.Tensor;
  b2: tf.Tensor;
}

export function blockAtWidth(block: BlockVariables, m: number, heads: number): BlockAtWidth {
  const at = (kind: ParameterKind, x: tf.Tensor) => sliceToWidth(kind, x, m, heads);
  return {
    wqkv: tf.reshape(at('wqkv', block.wqkv), [m, 3 * m]),
    wo: tf.reshape(at('wo', block.wo), [m, m]),
    bo: at('bo', block.bo) as tf.Tensor1D,
    w1: at('w1', block.w1) as tf.Tensor2D,
    b1: at('b1', block.b1) as tf.Tensor1D,
    w2: at('w2', block.w2) as tf.Tensor2D,
    b2: at('b2', block.b2) as tf.Tensor1D,
  };
}
