/** Share of the corpus used for training by default (the rest is validation), as in nanoGPT. */
export const TRAIN_FRACTION_DEFAULT = 0.9;

export interface TrainValSplit {
  train: Int32Array;
  val: Int32Array;
}

/**
 * First floor(n * trainFraction) ids are train, the rest val. A contiguous split (not a shuffle)
 * keeps validation text unseen as a whole passage. Both parts are views sharing `ids`' buffer.
 */
export function splitTrainVal(ids: Int32Array, trainFraction = TRAIN_FRACTION_DEFAULT): TrainValSplit {
  if (!Number.isFinite(trainFraction) || trainFraction <= 0 || trainFraction >= 1) {
    throw new Error(`splitTrainVal: trainFraction must be strictly between 0 and 1, got ${String(trainFraction)}`);
  }
  const trainLength = Math.floor(ids.length * trainFraction);
  const valLength = ids.length - trainLength;
  if (trainLength === 0 || valLength === 0) {
    throw new Error(
      `splitTrainVal: ${ids.length} ids with trainFraction ${trainFraction} gives ` +
        `${trainLength} train and ${valLength} val ids; both parts must be non-empty`,
    );
  }
  return { train: ids.subarray(0, trainLength), val: ids.subarray(trainLength) };
}

/**
 * The fewest tokens a corpus needs for training with `contextLength`: both parts of
 * splitTrainVal must hold one window of t tokens and the token after it (BatchSampler's need).
 */
export function minimumCorpusLength(contextLength: number, trainFraction = TRAIN_FRACTION_DEFAULT): number {
  if (!Number.isInteger(contextLength) || contextLength < 1)
    throw new Error(`minimumCorpusLength: contextLength must be a positive integer, got ${String(contextLength)}`);
  const need = contextLength + 1;
  // Both parts grow with n (by 0 or 1 token per token added), so the first n that fits is the answer.
  for (let n = 2 * need; ; n++) {
    const train = Math.floor(n * trainFraction);
    if (train >= need && n - train >= need) return n;
  }
}
