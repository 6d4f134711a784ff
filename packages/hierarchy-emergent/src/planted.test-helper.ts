import { SeededRandom } from '@matryoshka/tokenizer';

export interface PlantedData {
  vectors: number[][];
  /** labels[i] = index of the cluster vector i was drawn around. */
  labels: number[];
  /** Member ids of each planted cluster, ascending. */
  clusters: number[][];
}

/**
 * Synthetic embeddings with known clusters: cluster c lies around the basis direction e_c
 * (so clusters are orthogonal, cosine distance about 1 apart), each coordinate jittered by
 * N(0, noise^2). Ids are shuffled so clusters are not contiguous ranges. Seeded.
 */
export function plantedVectors(sizes: readonly number[], dim: number, noise: number, seed: number): PlantedData {
  if (sizes.length > dim)
    throw new Error(`plantedVectors: ${sizes.length} clusters need dim >= ${sizes.length}, got ${dim}`);
  const random = new SeededRandom(seed);
  const order = sizes.flatMap((size, c) => Array.from({ length: size }, () => c));
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const vectors = order.map((c) => Array.from({ length: dim }, (_, k) => (k === c ? 1 : 0) + random.normal(0, noise)));
  const clusters = sizes.map((_, c) => order.flatMap((label, id) => (label === c ? [id] : [])));
  return { vectors, labels: order, clusters };
}
