import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import {
  embeddingLookup,
  layerNormNoAffine,
  matryoshkaHeadLogits,
  matryoshkaLoss,
} from '@matryoshka/matryoshka-layers';
import { SeededRandom } from '@matryoshka/tokenizer';
import type { TaskLoss, TaskLossOptions, TrainingTask } from './task';

export interface ToyTaskOptions {
  vocabSize: number;
  /** Full width d (default 16). */
  width?: number;
  /** Nested widths (default [d/4, d/2, d]). */
  widths?: readonly number[];
  /** Weight initialisation seed (default 0). */
  seed?: number;
  /** Dropout on the hidden state while training (default 0.1). */
  dropout?: number;
}

/**
 * A tiny matryoshka bigram model for tests and smoke runs of the loop (not an experiment), as
 * one replica (R = 1, the loop's single model): h = LN_d(E[x] + E[x] W), logits per width from
 * the tied head LN_d(E), summed cross-entropy. It learns next-character statistics within a few
 * hundred steps.
 */
export function createToyTask(options: ToyTaskOptions): TrainingTask & { dispose(): void } {
  const d = options.width ?? 16;
  const widths = options.widths ?? [d / 4, d / 2, d];
  const v = options.vocabSize;
  const dropout = options.dropout ?? 0.1;
  const random = new SeededRandom(options.seed ?? 0);
  const normal = (n: number) => Float32Array.from({ length: n }, () => random.normal(0, 0.02));
  const variables: Record<string, tf.Variable> = {
    embedding: tf.tidy(() => tf.variable(tf.tensor3d(normal(v * d), [1, v, d]))),
    mix: tf.tidy(() => tf.variable(tf.tensor3d(normal(d * d), [1, d, d]))),
  };
  return {
    widths,
    variables,
    replicas: 1,
    loss(x: tf.Tensor, y: tf.Tensor, { training, dropoutSeeds, widthIndices }: TaskLossOptions): TaskLoss {
      const asked = widthIndices ? widthIndices.map((i) => widths[i]) : widths;
      return tf.tidy(() => {
        const embedding = variables.embedding as tf.Tensor3D;
        const e = tf.reshape(embeddingLookup(embedding, x), [1, -1, d]) as tf.Tensor3D;
        let h = layerNormNoAffine(tf.add(e, tf.matMul(e, variables.mix as tf.Tensor3D)));
        if (training && dropout > 0) h = tf.dropout(h, dropout, undefined, dropoutSeeds[0]);
        const { total, perWidth } = matryoshkaLoss(matryoshkaHeadLogits(h, embedding, asked), y);
        return { total, perWidth } as unknown as tf.TensorContainerObject;
      }) as unknown as TaskLoss;
    },
    dispose(): void {
      for (const variable of Object.values(variables)) variable.dispose();
    },
  };
}
