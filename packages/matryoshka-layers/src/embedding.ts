import * as tf from '@tensorflow/tfjs-core';
import { needsOneHotEmbedding } from './engine-core';
import { matMul } from './matmul';

/**
 * Rows of `table` (v x n) for integer ids of any shape -> ids.shape + [n].
 * The WebAssembly backend has no UnsortedSegmentSum kernel (the gradient of gather), so there
 * the lookup is a one-hot matmul; elsewhere it is a gather.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [v, n] = table.shape;
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const rows =
      needsOneHotEmbedding()
        ? matMul(tf.cast(tf.oneHot(tf.cast(flat, 'int32'), v), 'float32') as tf.Tensor2D, table)
        : tf.gather(table, tf.cast(flat, 'int32'));
    return tf.reshape(rows, [...ids.shape, n]);
  });
}
