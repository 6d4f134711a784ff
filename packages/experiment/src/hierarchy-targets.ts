// Hierarchies in a run (experiments 2 and 3): target tensors per width, and how well the
// prefix embeddings separate each level's groups.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@matryoshka/training';
import {
  groupsOfLevel,
  loadHierarchy,
  separationScore,
  targetMatrix,
  validateHierarchy,
  type Hierarchy,
  type SeparationScore,
} from '@matryoshka/hierarchy-imposed';
import { prefixVectors, type PrefixMode } from './embedding-similarity';

/**
 * One v x v target matrix per width: the level's (docs/EXPERIMENTS.md, "Target matrices") where the hierarchy has
 * a level at that width, else null (the next token itself: identity targets, computed as plain CE).
 */
export function hierarchyTargetTensors(hierarchy: Hierarchy, vocabulary: readonly string[], widths: readonly number[]): (tf.Tensor2D | null)[] {
  validateHierarchy(hierarchy, vocabulary, widths);
  const v = vocabulary.length;
  return widths.map((width) => {
    const level = hierarchy.levels.find((l) => l.width === width);
    if (!level || Object.keys(level.groups).length === 0) return null;
    return tf.tensor2d(targetMatrix(level, vocabulary), [v, v]);
  });
}

export function disposeTargets(targets: readonly (tf.Tensor | null)[] | undefined): void {
  for (const t of targets ?? []) t?.dispose();
}

/** Separation score of each level's groups by the width-m prefixes: width -> score. */
export function separationByLevel(
  embedding: readonly (readonly number[])[],
  hierarchy: Hierarchy,
  vocabulary: readonly string[],
  mode: PrefixMode = 'layer-norm',
): Record<string, SeparationScore> {
  const out: Record<string, SeparationScore> = {};
  for (const level of hierarchy.levels) {
    const groups = groupsOfLevel(level, vocabulary);
    if (groups.length === 0) continue;
    out[String(level.width)] = separationScore(prefixVectors(embedding, level.width, mode), groups);
  }
  return out;
}

/** The model's token embedding matrix as plain rows. */
export function embeddingRows(variables: Record<string, tf.Variable>): number[][] {
  return variables['token_embedding'].arraySync() as number[][];
}

/** Load a hierarchy file and check it against a vocabulary and widths; errors name the file. */
export function loadCheckedHierarchy(file: string, vocabulary: readonly string[], widths: readonly number[], flag = '--hierarchy'): Hierarchy {
  let hierarchy: Hierarchy | undefined;
  try {
    hierarchy = loadHierarchy(file);
    validateHierarchy(hierarchy, vocabulary, widths);
    return hierarchy;
  } catch (error) {
    const message = (error as Error).message;
    throw new UserError(`${flag}${message.includes(file) ? '' : ` ${file}`}: ${message}`);
  }
}
