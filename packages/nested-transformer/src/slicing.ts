// The nesting itself (docs/EXPERIMENTS.md, "Slices of every parameter"): the part of each
// full-size parameter that a submodel (submodels.ts) reads, in the full model's own layout, so
// that slicing a width-d model to width m gives exactly the variables of a width-m model, and
// the submodel's weights shaped for the forward pass (model.ts).
import * as tf from '@tensorflow/tfjs-core';
import { blockParameterName, type BlockParameterKind } from './parameters';
import type { LayerShape, Submodel } from './submodels';

/** Which parameter a tensor is, read from its name's last part (`blocks.3.attn.wqkv` -> 'wqkv'). */
export type ParameterKind = 'token_embedding' | 'position_embedding' | BlockParameterKind;

/** The tensors of a BlockWeights (for copying or disposing them). */
export const BLOCK_TENSORS: readonly BlockParameterKind[] = ['wqkv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2'];

const KINDS: readonly ParameterKind[] = ['token_embedding', 'position_embedding', ...BLOCK_TENSORS];

export function parameterKind(name: string): ParameterKind {
  const last = name.split('.').pop() as string;
  if (!(KINDS as readonly string[]).includes(last)) throw new Error(`unknown parameter ${name}`);
  return last as ParameterKind;
}

/**
 * Begin (all zero) and size of a parameter's slice for a submodel whose stream has width M and
 * whose layer runs at `layer` (width a, hidden units f; submodels.ts):
 *   E [v, :M], P [t, :M], wqkv [:a, 3, h, :a/h], wo [h, :a/h, :a], bo/b2 [:a],
 *   w1 [:a, :f], b1 [:f], w2 [:f, :a]   (bo is sliced like the output: the FIX).
 * For width m of the width nestings M = a = m, f = 4m; for 'ffn' M = a = d, f = 4m.
 */
export function sliceSize(
  kind: ParameterKind,
  fullShape: readonly number[],
  streamWidth: number,
  layer: LayerShape,
  heads: number,
): number[] {
  const { width: a, hidden: f } = layer;
  switch (kind) {
    case 'token_embedding':
    case 'position_embedding':
      return [fullShape[0], streamWidth];
    case 'wqkv':
      return [a, 3, heads, a / heads];
    case 'wo':
      return [heads, a / heads, a];
    case 'bo':
    case 'b2':
      return [a];
    case 'w1':
      return [a, f];
    case 'b1':
      return [f];
    case 'w2':
      return [f, a];
  }
}

/** The rank of each parameter kind without the replica axis (a model's variables lead with more axes: replicatedShape). */
const RANK: Readonly<Record<ParameterKind, number>> = {
  token_embedding: 2,
  position_embedding: 2,
  wqkv: 4,
  wo: 3,
  bo: 1,
  w1: 2,
  b1: 1,
  w2: 2,
  b2: 1,
};

/** The axes before a parameter's own: (R) or (R, 1) for a model's variables (parameters.ts, replicatedShape); none for bare weights. */
export function leadingAxes(kind: ParameterKind, x: tf.Tensor): number[] {
  return x.shape.slice(0, x.rank - RANK[kind]);
}

/** A parameter's slice (one tf.slice; the tensor itself when nothing is cut). Leading replica axes are kept whole. */
export function sliceParameter(
  kind: ParameterKind,
  x: tf.Tensor,
  streamWidth: number,
  layer: LayerShape,
  heads: number,
): tf.Tensor {
  const lead = leadingAxes(kind, x);
  const size = [...lead, ...sliceSize(kind, x.shape.slice(lead.length), streamWidth, layer, heads)];
  if (size.every((s, i) => s === x.shape[i])) return x;
  return tf.slice(x, 0, size);
}

/**
 * One block's weights as it runs, shaped for plain matmuls: the block type the forward pass
 * reads. Replicas put their axis R first: matrices (R, rows, columns), biases (R, 1, n), so that
 * batched matmuls and broadcast additions serve every replica at once.
 */
export interface BlockWeights {
  /** The block's index in the model (it names the variables and seeds dropout). */
  layer: number;
  /** [a, 3a]: columns are (q|k|v, head, coordinate within the head). */
  wqkv: tf.Tensor;
  /** [a, a]: rows are (head, coordinate within the head). */
  wo: tf.Tensor;
  bo: tf.Tensor;
  /** [a, f] and [f]. */
  w1: tf.Tensor;
  b1: tf.Tensor;
  /** [f, a] and [a]. */
  w2: tf.Tensor;
  b2: tf.Tensor;
}

/** Every weight one forward pass (a Submodel) reads. */
export interface SubmodelWeights {
  /** M, the residual stream's width. */
  width: number;
  heads: number;
  /** E[:, :M] (v, M), replicas (R, v, M). */
  tokenEmbedding: tf.Tensor;
  /** P[:, :M] (t, M), replicas (R, t, M). */
  positionEmbedding: tf.Tensor;
  /** The blocks that run, in order (skipped layers are absent). */
  blocks: BlockWeights[];
}

/**
 * The weights of a submodel, sliced from the variables (keyed as `namedVariables()`; a
 * replicated model's lead with R, see replicatedShape). Where nothing is cut the tensors are the
 * variables themselves: call inside tf.tidy, never dispose the result.
 */
export function weightsOf(variables: ReadonlyMap<string, tf.Tensor>, heads: number, sub: Submodel): SubmodelWeights {
  const M = sub.width;
  const matrix = (x: tf.Tensor, kind: ParameterKind, rows: number, columns: number) =>
    tf.reshape(x, [...leadingAxes(kind, x), rows, columns]);
  const at = (name: string, layer: LayerShape) => {
    const variable = variables.get(name);
    if (!variable) throw new Error(`missing parameter ${name}`);
    return sliceParameter(parameterKind(name), variable, M, layer, heads);
  };
  const blocks: BlockWeights[] = [];
  sub.layers.forEach((shape, layer) => {
    if (!shape) return;
    const of = (kind: BlockParameterKind) => at(blockParameterName(layer, kind), shape);
    const a = shape.width;
    blocks.push({
      layer,
      wqkv: matrix(of('wqkv'), 'wqkv', a, 3 * a),
      wo: matrix(of('wo'), 'wo', a, a),
      bo: of('bo'),
      w1: of('w1'),
      b1: of('b1'),
      w2: of('w2'),
      b2: of('b2'),
    });
  });
  const embeddingShape: LayerShape = { width: M, hidden: 0 };
  return {
    width: M,
    heads,
    tokenEmbedding: at('token_embedding', embeddingShape),
    positionEmbedding: at('position_embedding', embeddingShape),
    blocks,
  };
}
