import * as tf from '@tensorflow/tfjs-core';

/**
 * tf.tidy for a result of any shape (objects and arrays of tensors, nested): tidy keeps every
 * tensor it finds in the result, but its type only admits index-signature containers.
 */
export function tidyKeep<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
