import * as tf from '@tensorflow/tfjs-core';
import { needsOneHotEmbedding } from './engine-core';
import { matMul } from './matmul';

/**
 * Rows of `table` (v x n) for integer ids of any shape -> ids.shape + [n]; or, for replicas,
 * rows of each replica's own table (R, v, n) for its own ids (R, ...) -> (R, ..., n).
 * The WebAssembly backend has no UnsortedSegmentSum kernel (the gradient of gather), so there
 * the lookup is a one-hot matmul; elsewhere it is a gather.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (table.rank === 3) return replicaEmbeddingLookup(table as tf.Tensor3D, ids);
  return tf.tidy(() => {
    const [v, n] = table.shape as [number, number];
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const rows = needsOneHotEmbedding()
      ? matMul(tf.cast(tf.oneHot(tf.cast(flat, 'int32'), v), 'float32') as tf.Tensor2D, table)
      : tf.gather(table, tf.cast(flat, 'int32'));
    return tf.reshape(rows, [...ids.shape, n]);
  });
}

/**
 * Replica r's rows of table[r] (R, v, n) for ids[r]: one gather from the tables stacked as
 * (R v, n) at ids + r v (the offsets are data, not kernels), or one batched one-hot matmul
 * (R, N, v) @ (R, v, n) on wasm. Either way replica r gets exactly the rows a lone lookup in
 * table[r] would.
 */
function replicaEmbeddingLookup(table: tf.Tensor3D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [R, v, n] = table.shape;
    if (ids.shape[0] !== R)
      throw new Error(
        `embeddingLookup: ${R} replica tables but ids of shape [${ids.shape}] (the first axis must be the replica)`,
      );
    let rows: tf.Tensor;
    if (needsOneHotEmbedding()) {
      const perReplica = tf.cast(tf.reshape(ids, [R, -1]), 'int32') as tf.Tensor2D;
      rows = matMul(tf.cast(tf.oneHot(perReplica, v), 'float32') as tf.Tensor3D, table);
    } else {
      const offsets = tf.tensor(
        Int32Array.from({ length: R }, (_, r) => r * v),
        [R, ...ids.shape.slice(1).map(() => 1)],
        'int32',
      );
      rows = tf.gather(tf.reshape(table, [R * v, n]), tf.reshape(tf.add(tf.cast(ids, 'int32'), offsets), [-1]));
    }
    return tf.reshape(rows, [...ids.shape, n]);
  });
}
