import { SeededRandom } from './random';

// An independent statement of mulberry32 in BigInt arithmetic, straight from its definition:
//   state += 0x6D2B79F5;  z = state
//   z = (z ^ z>>15) * (z | 1)            (mod 2^32)
//   z = z ^ (z + (z ^ z>>7) * (z | 61))  (mod 2^32)
//   output = z ^ z>>14
const MASK = (1n << 32n) - 1n;
function referenceMulberry32(seed: number, count: number): number[] {
  let state = BigInt(seed) & MASK;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5n) & MASK;
    let z = state;
    z = ((z ^ (z >> 15n)) * (z | 1n)) & MASK;
    z = (z ^ (z + (z ^ (z >> 7n)) * (z | 61n))) & MASK;
    out.push(Number(z ^ (z >> 14n)));
  }
  return out;
}

describe('SeededRandom (mulberry32)', () => {
  it.each([0, 1, 42, 123456789, 4294967295])('matches a BigInt reimplementation for seed %d', (seed) => {
    const expected = referenceMulberry32(seed, 8);
    const rng = new SeededRandom(seed);
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual(expected);
    const floats = new SeededRandom(seed);
    expect(Array.from({ length: 8 }, () => floats.next())).toEqual(expected.map((u) => u / 2 ** 32));
  });

  it('reduces seeds to 32 bits, so -1 and 2^32 - 1 are the same stream', () => {
    expect(new SeededRandom(-1).nextUint32()).toBe(referenceMulberry32(2 ** 32 - 1, 1)[0]);
  });

  it('has mean within 0.01 of 0.5 over 1e5 draws, all in [0, 1)', () => {
    const rng = new SeededRandom(7);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 1e5; i++) {
      const v = rng.next();
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(Math.abs(sum / 1e5 - 0.5)).toBeLessThan(0.01);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it('nextInt rejects raw draws from the incomplete top bucket (checked against the reference)', () => {
    // For n = 2^31 + 1 the accepted raw values are [0, 2^31 + 1); roughly half are rejected.
    const n = 2 ** 31 + 1;
    const raw = referenceMulberry32(3, 200);
    const expected: number[] = [];
    let i = 0;
    while (expected.length < 20) {
      const u = raw[i++];
      if (u < n) expected.push(u % n);
    }
    const rng = new SeededRandom(3);
    expect(Array.from({ length: 20 }, () => rng.nextInt(n))).toEqual(expected);
    // and the rejection path really was taken in this sample
    expect(i).toBeGreaterThan(20);
  });

  it('nextInt(3) hits each value about a third of the time', () => {
    const rng = new SeededRandom(11);
    const counts = [0, 0, 0];
    const draws = 30000;
    for (let k = 0; k < draws; k++) counts[rng.nextInt(3)]++;
    // Binomial sd = sqrt(30000 * 1/3 * 2/3) ≈ 82; allow 5 sd.
    for (const c of counts) expect(Math.abs(c - draws / 3)).toBeLessThan(410);
  });

  it('nextInt validates n', () => {
    const rng = new SeededRandom(1);
    expect(() => rng.nextInt(0)).toThrow(/n must be an integer in \[1, 2\^32\], got 0/);
    expect(() => rng.nextInt(2.5)).toThrow(/got 2.5/);
    expect(rng.nextInt(1)).toBe(0);
  });

  it('normal() is the Box-Muller transform of two uniforms, cos branch then sin branch', () => {
    const [a, b] = referenceMulberry32(5, 2).map((u) => u / 2 ** 32);
    const radius = Math.sqrt(-2 * Math.log(1 - a));
    const rng = new SeededRandom(5);
    expect(rng.normal()).toBeCloseTo(radius * Math.cos(2 * Math.PI * b), 12);
    expect(rng.normal()).toBeCloseTo(radius * Math.sin(2 * Math.PI * b), 12);
    // mean/std scaling of the next pair
    const [c, d] = referenceMulberry32(5, 4)
      .slice(2)
      .map((u) => u / 2 ** 32);
    expect(rng.normal(10, 2)).toBeCloseTo(10 + 2 * Math.sqrt(-2 * Math.log(1 - c)) * Math.cos(2 * Math.PI * d), 12);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const rng = new SeededRandom(2024);
    const n = 1e5;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
  });

  it('getState/setState resumes exactly, including a pending Box-Muller spare', () => {
    const rng = new SeededRandom(99);
    rng.next();
    rng.normal(); // leaves a spare normal pending
    const state = JSON.parse(JSON.stringify(rng.getState()));
    expect(state.spareNormal).not.toBeNull();
    const continuation = [rng.normal(), rng.next(), rng.nextInt(1000), rng.normal()];
    const resumed = new SeededRandom(0);
    resumed.setState(state);
    expect([resumed.normal(), resumed.next(), resumed.nextInt(1000), resumed.normal()]).toEqual(continuation);
  });

  it('rejects bad seeds and bad states with messages naming the field', () => {
    expect(() => new SeededRandom(1.5)).toThrow(/seed must be a safe integer, got 1.5/);
    expect(() => new SeededRandom(Number.NaN)).toThrow(/got NaN/);
    const rng = new SeededRandom(1);
    expect(() => rng.setState({ algorithm: 'mulberry32', state: -1, spareNormal: null })).toThrow(/field "state"/);
    expect(() => rng.setState({ algorithm: 'xorshift' as 'mulberry32', state: 1, spareNormal: null })).toThrow(
      /field "algorithm"/,
    );
    expect(() => rng.setState({ algorithm: 'mulberry32', state: 1, spareNormal: Number.NaN })).toThrow(
      /field "spareNormal"/,
    );
  });
});
