// The nesting itself (docs/EXPERIMENTS.md, "Slices of every parameter"): the part of each
// full-size parameter that width m reads, in the full model's own layout, so that slicing a
// width-d model to width m gives exactly the variables of a width-m model, and the weights of
// width m shaped for the forward pass (model.ts).
import * as tf from '@tensorflow/tfjs-core';
import { blockParameterName, type BlockParameterKind } from './parameters';

/** Which parameter a tensor is, read from its name's last part (`blocks.3.attn.wqkv` -> 'wqkv'). */
export type ParameterKind = 'token_embedding' | 'position_embedding' | BlockParameterKind;

const KINDS: readonly ParameterKind[] = ['token_embedding', 'position_embedding', 'wqkv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2'];

export function parameterKind(name: string): ParameterKind {
  const last = name.split('.').pop() as string;
  if (!(KINDS as readonly string[]).includes(last)) throw new Error(`unknown parameter ${name}`);
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

/** One block's weights at width m, shaped for plain 2-D matmuls: the block type the forward pass reads. */
export interface BlockWeights {
  /** [m, 3m]: columns are (q|k|v, head, coordinate within the head). */
  wqkv: tf.Tensor2D;
  /** [m, m]: rows are (head, coordinate within the head). */
  wo: tf.Tensor2D;
  bo: tf.Tensor1D;
  /** [m, 4m] and [4m]. */
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  /** [4m, m] and [m]. */
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
}

/** Every weight the width-m forward pass reads. */
export interface WidthWeights {
  width: number;
  heads: number;
  /** E[:, :m] (v, m). */
  tokenEmbedding: tf.Tensor2D;
  /** P[:, :m] (t, m). */
  positionEmbedding: tf.Tensor2D;
  blocks: BlockWeights[];
}

/**
 * The width-m weights of the full-size variables (keyed as `namedVariables()`). Where nothing is
 * cut the tensors are the variables themselves: call inside tf.tidy, never dispose the result.
 */
export function weightsAtWidth(variables: ReadonlyMap<string, tf.Tensor>, layers: number, heads: number, m: number): WidthWeights {
  const at = (name: string) => {
    const variable = variables.get(name);
    if (!variable) throw new Error(`missing parameter ${name}`);
    return sliceToWidth(parameterKind(name), variable, m, heads);
  };
  const block = (layer: number): BlockWeights => {
    const of = (kind: BlockParameterKind) => at(blockParameterName(layer, kind));
    return {
      wqkv: tf.reshape(of('wqkv'), [m, 3 * m]),
      wo: tf.reshape(of('wo'), [m, m]),
      bo: of('bo') as tf.Tensor1D,
      w1: of('w1') as tf.Tensor2D,
      b1: of('b1') as tf.Tensor1D,
      w2: of('w2') as tf.Tensor2D,
      b2: of('b2') as tf.Tensor1D,
    };
  };
  return {
    width: m,
    heads,
    tokenEmbedding: at('token_embedding') as tf.Tensor2D,
    positionEmbedding: at('position_embedding') as tf.Tensor2D,
    blocks: Array.from({ length: layers }, (_, layer) => block(layer)),
  };
}
