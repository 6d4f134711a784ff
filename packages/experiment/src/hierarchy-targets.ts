// Hierarchies in a run (experiments 2 and 3): target tensors per width, and how well the
// prefix embeddings separate each level's groups.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from './cli/errors';
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
export function hierarchyTargetTensors(
  hierarchy: Hierarchy,
  vocabulary: readonly string[],
  widths: readonly number[],
): (tf.Tensor2D | null)[] {
  validateHierarchy(hierarchy, vocabulary, widths);
  const v = vocabulary.length;
  return widths.map((width) => {
    const level = hierarchy.levels.find((l) => l.width === width);
    if (!level || Object.keys(level.groups).length === 0) return null;
    return tf.tensor2d(targetMatrix(level, vocabulary), [v, v]);
  });
}

/**
 * Target matrices for a model of replicas, each replica its own hierarchy: per width, the
 * replicas' matrices stacked (R, v, v) (a replica without that level: the identity, hard
 * targets), or null where no replica has the level. One hierarchy: hierarchyTargetTensors.
 */
export function replicaTargetTensors(
  hierarchies: readonly Hierarchy[],
  vocabulary: readonly string[],
  widths: readonly number[],
): (tf.Tensor | null)[] {
  const each = hierarchies.map((h) => hierarchyTargetTensors(h, vocabulary, widths));
  try {
    return widths.map((_, k) => {
      if (each.every((targets) => targets[k] === null)) return null;
      return tf.tidy(() => tf.stack(each.map((targets) => targets[k] ?? tf.eye(vocabulary.length))));
    });
  } finally {
    each.forEach((targets) => disposeTargets(targets));
  }
}

/**
 * separationByLevel for each replica's embedding rows (a run of one model: one): width -> each
 * replica's score, silhouette and mean cosines, in replica order, and why those that are NaN are
 * undefined (SeparationScore.undefinedBecause: the groups, the same for every replica, say it).
 */
export function separationAcrossReplicas(
  embeddings: readonly (readonly (readonly number[])[])[],
  hierarchy: Hierarchy,
  vocabulary: readonly string[],
  mode: PrefixMode = 'layer-norm',
): Record<
  string,
  { score: number[]; silhouette: number[]; withinMean: number[]; betweenMean: number[]; undefinedBecause?: string }
> {
  const each = embeddings.map((rows) => separationByLevel(rows, hierarchy, vocabulary, mode));
  return Object.fromEntries(
    Object.keys(each[0]).map((w) => [
      w,
      {
        score: each.map((s) => s[w].score),
        silhouette: each.map((s) => s[w].silhouette),
        withinMean: each.map((s) => s[w].withinMean),
        betweenMean: each.map((s) => s[w].betweenMean),
        ...(each[0][w].undefinedBecause === undefined ? {} : { undefinedBecause: each[0][w].undefinedBecause }),
      },
    ]),
  );
}

/** The token embedding rows of each replica of a model (a single model: one), each v x d. */
export function replicaEmbeddingRows(variables: Record<string, tf.Variable>): number[][][] {
  return variables['token_embedding'].arraySync() as number[][][];
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

/** The token embedding matrix of a model of one replica (replica 0's) as plain rows. */
export function embeddingRows(variables: Record<string, tf.Variable>): number[][] {
  return replicaEmbeddingRows(variables)[0];
}

/** Load a hierarchy file and check it against a vocabulary and widths; errors name the file. */
export function loadCheckedHierarchy(
  file: string,
  vocabulary: readonly string[],
  widths: readonly number[],
): Hierarchy {
  try {
    const hierarchy = loadHierarchy(file);
    validateHierarchy(hierarchy, vocabulary, widths);
    return hierarchy;
  } catch (error) {
    const message = (error as Error).message;
    throw new UserError(`--hierarchy${message.includes(file) ? '' : ` ${file}`}: ${message}`);
  }
}
