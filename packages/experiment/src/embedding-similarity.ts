// Cosine similarity of token embeddings at each prefix width (docs/EXPERIMENTS.md,
// "Analysis": layer-norm each prefix first, by default).
import { cosineDistanceMatrix } from '@matryoshka/hierarchy-emergent';
import { LAYER_NORM_EPSILON } from '@matryoshka/matryoshka-layers';

/** 'layer-norm': LN_m(E[:, :m]) (default); 'raw': E[:, :m] as the original compared them. */
export type PrefixMode = 'layer-norm' | 'raw';

/** LN over a plain vector (no affine, biased variance), the same formula as the model's. */
export function layerNormVector(v: readonly number[]): number[] {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
  const scale = 1 / Math.sqrt(variance + LAYER_NORM_EPSILON);
  return v.map((x) => (x - mean) * scale);
}

/** Each token's first m coordinates, layer-normed or raw. */
export function prefixVectors(embedding: readonly (readonly number[])[], m: number, mode: PrefixMode): number[][] {
  if (embedding.length === 0) throw new Error('prefixVectors: the embedding matrix is empty');
  const d = embedding[0].length;
  if (!Number.isInteger(m) || m < 1 || m > d) throw new Error(`prefixVectors: width ${m} is not in 1..${d}`);
  return embedding.map((row) => (mode === 'raw' ? row.slice(0, m) : layerNormVector(row.slice(0, m))));
}

/** similarity[i][j] = cos(E_i[:m], E_j[:m]) (after the chosen prefix normalisation). */
export function similarityAtWidth(
  embedding: readonly (readonly number[])[],
  m: number,
  mode: PrefixMode = 'layer-norm',
): number[][] {
  return cosineDistanceMatrix(prefixVectors(embedding, m, mode)).map((row) => row.map((dist) => 1 - dist));
}
