import { SeededRandom, SeededRandomState } from './random';

export interface BatchSamplerOptions {
  batchSize: number;
  contextLength: number;
  seed: number;
}

/** One batch of next-token training pairs, row-major [batchSize, contextLength]. */
export interface Batch {
  x: Int32Array;
  /** y[i*t + j] is the token after x[i*t + j]. */
  y: Int32Array;
  /** Start index in the data of each row (handy for debugging and for tests). */
  offsets: Int32Array;
  batchSize: number;
  contextLength: number;
}

/** JSON-serialisable position of a sampler, for checkpoint and resume. */
export interface BatchSamplerState {
  kind: 'batch-sampler';
  batchSize: number;
  contextLength: number;
  dataLength: number;
  batchesDrawn: number;
  rng: SeededRandomState;
}

/** Draws random windows of `data`: each row starts at a uniform offset in [0, data.length - t - 1]. */
export class BatchSampler {
  readonly batchSize: number;
  readonly contextLength: number;
  private readonly data: Int32Array;
  private readonly rng: SeededRandom;
  private batchesDrawn = 0;

  constructor(data: Int32Array, options: BatchSamplerOptions) {
    const { batchSize, contextLength, seed } = options;
    requirePositiveInteger('batchSize', batchSize);
    requirePositiveInteger('contextLength', contextLength);
    // A window needs t inputs plus one more token for the last target.
    if (data.length < contextLength + 1) {
      throw new Error(
        `BatchSampler: data has ${data.length} tokens but contextLength ${contextLength} needs ` +
          `at least ${contextLength + 1} (a window plus its next token)`,
      );
    }
    this.data = data;
    this.batchSize = batchSize;
    this.contextLength = contextLength;
    this.rng = new SeededRandom(seed);
  }

  next(): Batch {
    const b = this.batchSize;
    const t = this.contextLength;
    const startCount = this.data.length - t; // number of valid starts: 0 .. length - t - 1
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    const offsets = new Int32Array(b);
    for (let row = 0; row < b; row++) {
      const start = this.rng.nextInt(startCount);
      offsets[row] = start;
      x.set(this.data.subarray(start, start + t), row * t);
      y.set(this.data.subarray(start + 1, start + t + 1), row * t);
    }
    this.batchesDrawn++;
    return { x, y, offsets, batchSize: b, contextLength: t };
  }

  getState(): BatchSamplerState {
    return {
      kind: 'batch-sampler',
      batchSize: this.batchSize,
      contextLength: this.contextLength,
      dataLength: this.data.length,
      batchesDrawn: this.batchesDrawn,
      rng: this.rng.getState(),
    };
  }

  /** Resume from `getState()`; the state must come from a sampler of the same shape and data length. */
  setState(state: BatchSamplerState): void {
    if (state === null || typeof state !== 'object' || state.kind !== 'batch-sampler') {
      throw new Error('BatchSampler.setState: not a batch sampler state (field "kind" must be "batch-sampler")');
    }
    const expected: Record<string, number> = {
      batchSize: this.batchSize,
      contextLength: this.contextLength,
      dataLength: this.data.length,
    };
    for (const [field, value] of Object.entries(expected)) {
      const got = (state as unknown as Record<string, unknown>)[field];
      if (got !== value) {
        throw new Error(`BatchSampler.setState: field "${field}" is ${String(got)} but this sampler has ${value}`);
      }
    }
    if (!Number.isInteger(state.batchesDrawn) || state.batchesDrawn < 0) {
      throw new Error(
        `BatchSampler.setState: field "batchesDrawn" must be a non-negative integer, got ${String(state.batchesDrawn)}`,
      );
    }
    this.rng.setState(state.rng);
    this.batchesDrawn = state.batchesDrawn;
  }
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`BatchSampler: ${name} must be a positive integer, got ${String(value)}`);
  }
}
