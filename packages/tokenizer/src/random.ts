/**
 * Seeded pseudo-random numbers: mulberry32 (Tommy Ettinger's 32-bit generator).
 *
 * Chosen because it is tiny, well known and pure 32-bit integer math (Math.imul and
 * unsigned shifts), so the same seed yields the same sequence on every machine and
 * JavaScript engine. Its whole state is one 32-bit word, which makes checkpointing trivial.
 * Period 2^32: plenty for picking batch offsets and initial weights, not for cryptography.
 */

const TWO_POW_32 = 4294967296;
/** The Weyl-sequence increment of mulberry32. */
const GOLDEN_GAMMA = 0x6d2b79f5;

/**
 * The seed of everything seeded when nothing else is asked for: weights, batches, dropout,
 * evaluation batches and sampling (the original notebooks' torch.manual_seed(1337)). Its one home.
 */
export const DEFAULT_SEED = 1337;

/** Everything needed to continue a SeededRandom exactly where it stopped (JSON-serialisable). */
export interface SeededRandomState {
  algorithm: 'mulberry32';
  /** The 32-bit counter, as an unsigned integer. */
  state: number;
  /** Box-Muller makes normals in pairs; the unused second one waits here. */
  spareNormal: number | null;
}

export class SeededRandom {
  private counter: number;
  private spareNormal: number | null = null;

  /** @param seed any safe integer; it is reduced to 32 bits (seed mod 2^32). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new Error(`SeededRandom: seed must be a safe integer, got ${String(seed)}`);
    }
    this.counter = seed >>> 0;
  }

  /** Next raw output: an unsigned 32-bit integer, uniform in [0, 2^32). */
  nextUint32(): number {
    this.counter = (this.counter + GOLDEN_GAMMA) >>> 0;
    let t = this.counter;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /**
   * Uniform integer in [0, n). Exactly unbiased: raw draws from the incomplete top
   * bucket of 2^32 are rejected (at most half of the draws in the worst case, usually none).
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new Error(`SeededRandom.nextInt: n must be an integer in [1, 2^32], got ${String(n)}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** Normally distributed float (Box-Muller transform). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.next();
    const u2 = this.next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  getState(): SeededRandomState {
    return { algorithm: 'mulberry32', state: this.counter, spareNormal: this.spareNormal };
  }

  setState(state: SeededRandomState): void {
    const where = 'SeededRandom.setState';
    if (state === null || typeof state !== 'object') {
      throw new Error(`${where}: state must be an object, got ${describe(state)}`);
    }
    if (state.algorithm !== 'mulberry32') {
      throw new Error(`${where}: field "algorithm" must be "mulberry32", got ${describe(state.algorithm)}`);
    }
    if (!Number.isInteger(state.state) || state.state < 0 || state.state >= TWO_POW_32) {
      throw new Error(`${where}: field "state" must be an integer in [0, 2^32), got ${describe(state.state)}`);
    }
    if (state.spareNormal !== null && !Number.isFinite(state.spareNormal)) {
      throw new Error(
        `${where}: field "spareNormal" must be null or a finite number, got ${describe(state.spareNormal)}`,
      );
    }
    this.counter = state.state;
    this.spareNormal = state.spareNormal;
  }
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
}
