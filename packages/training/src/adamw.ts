import * as tf from '@tensorflow/tfjs-core';
import type { FlatTrainingState, NamedTensorData } from '@matryoshka/matryoshka-layers';

/** docs/EXPERIMENTS.md, "Data (all experiments)": AdamW lr 3e-4, weight decay 0.01, betas 0.9/0.999, eps 1e-8. */
export const ADAMW_DEFAULTS = { lr: 3e-4, weightDecay: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8 };

export interface AdamWOptions {
  /**
   * The weight decay of each replica (default one replica decaying by 0.01). Every parameter
   * leads with an axis of that many replicas, R (a single model's is 1); each replica may take its
   * own learning rate and weight decay, in the same few element-wise ops.
   */
  weightDecays?: readonly number[];
  betas?: readonly [number, number];
  eps?: number;
  /**
   * Names for which weight decay is skipped (e.g. biases, embeddings). Default: none, so decay
   * applies to every parameter, as PyTorch's AdamW does.
   */
  excludeFromWeightDecay?: (name: string) => boolean;
}

/** One moment tensor as plain data, for checkpoints. */
export type MomentData = NamedTensorData;

/** Everything AdamW carries between steps (JSON-free; the checkpoint writer stores the arrays). */
export interface AdamWState {
  /** Updates taken so far (the t of the bias corrections). */
  step: number;
  m: Record<string, MomentData>;
  v: Record<string, MomentData>;
}

/**
 * AdamW (Loshchilov & Hutter), decoupled weight decay as in PyTorch:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  mhat = m/(1-b1^t);  vhat = v/(1-b2^t)
 *   p = p - lr * (mhat / (sqrt(vhat) + eps) + wd * p)
 * computed in the equivalent form (Kingma & Ba, section 2) with c1 = 1-b1^t, c2 = 1-b2^t:
 *   p = p (1 - lr wd) - lr (sqrt(c2)/c1) m / (sqrt(v) + eps sqrt(c2)).
 * The moments of all parameters live in one flat vector each, so a step is ~a dozen element-wise
 * ops on that vector plus three small ops per parameter, not ~16 ops per parameter: at
 * experiment 1's size (30 small tensors) per-op overhead, not arithmetic, is what costs. With
 * replicas that differ in learning rate the step size is a vector too: each element's replica's.
 */
export class AdamW {
  /** The weight decay of each replica. */
  readonly weightDecays: readonly number[];
  readonly betas: readonly [number, number];
  readonly eps: number;
  private readonly variables: Record<string, tf.Variable>;
  private readonly names: string[];
  /** R, the replicas: every parameter's leading axis. */
  private readonly rows: number;
  /** Element count of each parameter, in `names` order: its segment of the flat moments. */
  private readonly sizes: number[];
  /** Replicas: the replica of each element of the flat moments (built when learning rates first differ). */
  private replicaOfElement?: tf.Tensor1D;
  private readonly decays: Record<string, boolean> = {};
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private stepCount = 0;

  constructor(variables: Record<string, tf.Variable>, options: AdamWOptions = {}) {
    this.weightDecays = [...(options.weightDecays ?? [ADAMW_DEFAULTS.weightDecay])];
    this.rows = this.weightDecays.length;
    this.betas = options.betas ?? ADAMW_DEFAULTS.betas;
    this.eps = options.eps ?? ADAMW_DEFAULTS.eps;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must be in [0, 1), got ${b1}, ${b2}`);
    if (!(this.eps > 0)) throw new Error(`AdamW: eps must be > 0, got ${this.eps}`);
    if (this.rows === 0) throw new Error('AdamW: weightDecays must give one value per replica, got none');
    for (const wd of this.weightDecays) if (!(wd >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${wd}`);
    this.variables = variables;
    this.names = Object.keys(variables);
    for (const name of this.names) {
      if (variables[name].shape[0] !== this.rows) {
        throw new Error(
          `AdamW: parameter "${name}" has shape [${variables[name].shape}], not a leading axis of ${this.rows} replicas`,
        );
      }
    }
    this.sizes = this.names.map((name) => variables[name].size);
    const exclude = options.excludeFromWeightDecay ?? (() => false);
    for (const name of this.names) this.decays[name] = !exclude(name);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // Moments are unnamed variables: tfjs variable names are global and must stay unique.
    // (tidy frees the zeros that tf.variable copied; it never disposes variables.)
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
  }

  /** Updates taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /** Whether weight decay applies to the named parameter. */
  appliesWeightDecay(name: string): boolean {
    return this.decays[name] ?? false;
  }

  /**
   * One update with gradients by parameter name (a missing gradient leaves that parameter
   * and its moments untouched, as PyTorch does for params without grad). `lrs`: one per replica.
   */
  applyGradients(grads: Record<string, tf.Tensor>, lrs: readonly number[]): void {
    if (lrs.length !== this.rows) throw new Error(`AdamW: ${lrs.length} learning rates for ${this.rows} replicas`);
    for (const name of Object.keys(grads)) {
      if (!(name in this.variables)) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      if (!sameShape(grads[name].shape, this.variables[name].shape)) {
        throw new Error(
          `AdamW: gradient of "${name}" has shape [${grads[name].shape}] but the parameter has [${this.variables[name].shape}]`,
        );
      }
    }
    const present = this.names.map((name) => name in grads);
    if (!present.some(Boolean)) return;
    this.stepCount++;
    const [b1, b2] = this.betas;
    const t = this.stepCount;
    // Bias corrections in float64 on the host, folded into one step size and one epsilon.
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    const epsHat = this.eps * Math.sqrt(c2);
    const R = this.rows;
    const same = (values: readonly number[]) => values.every((x) => x === values[0]);
    const stepSizes = lrs.map((l) => (l * Math.sqrt(c2)) / c1);
    const keeps = lrs.map((l, r) => 1 - l * this.weightDecays[r]);
    tf.tidy(() => {
      const g = tf.concat(
        this.names.map((name, i) => (present[i] ? tf.reshape(grads[name], [-1]) : tf.zeros([this.sizes[i]]))),
      );
      let m = tf.add(tf.mul(this.m, b1), tf.mul(g, 1 - b1));
      let v = tf.add(tf.mul(this.v, b2), tf.mul(tf.square(g), 1 - b2));
      if (!present.every(Boolean)) {
        // Parameters without a gradient keep their moments.
        const mask = tf.concat(this.names.map((_, i) => tf.fill([this.sizes[i]], present[i] ? 1 : 0, 'bool')));
        m = tf.where(mask, m, this.m);
        v = tf.where(mask, v, this.v);
      }
      // One step size for all (one replica, or replicas sharing lr), else each element its replica's.
      const stepSize = same(stepSizes) ? stepSizes[0] : tf.gather(tf.tensor1d(stepSizes), this.elementReplicas());
      const update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize);
      // Cutting the flat update into parameters: tf.slice where it is cheap; on wasm both
      // SplitV and Slice of a long vector cost tens of ms (experiment 4: 2.4M values), while
      // reading the vector from wasm memory and wrapping its pieces costs ~1 ms.
      const host = tf.getBackend() === 'wasm' ? update.dataSync() : null;
      const decaying = this.weightDecays.some((wd) => wd !== 0);
      // The decay factor 1 - lr wd: a scalar, or replicas' (R, 1, ..., 1), one tensor per parameter rank.
      const factors = new Map<number, tf.Tensor>();
      const factorOfRank = (rank: number) => {
        if (!factors.has(rank)) factors.set(rank, tf.tensor(keeps, [R, ...Array.from({ length: rank - 1 }, () => 1)]));
        return factors.get(rank) as tf.Tensor;
      };
      let offset = 0;
      this.names.forEach((name, i) => {
        const begin = offset;
        offset += this.sizes[i];
        if (!present[i]) return;
        const p = this.variables[name];
        const piece = host
          ? tf.tensor(host.subarray(begin, offset), p.shape)
          : tf.reshape(tf.slice(update, [begin], [this.sizes[i]]), p.shape);
        const decayed = this.decays[name] && decaying ? tf.mul(p, same(keeps) ? keeps[0] : factorOfRank(p.rank)) : p;
        p.assign(tf.sub(decayed, piece));
      });
      this.m.assign(m);
      this.v.assign(v);
    });
  }

  /** A copy of the optimiser state as plain arrays (reads the moments back from the backend). */
  exportState(): AdamWState {
    const mAll = this.m.dataSync();
    const vAll = this.v.dataSync();
    const m: Record<string, MomentData> = {};
    const v: Record<string, MomentData> = {};
    let offset = 0;
    this.names.forEach((name, i) => {
      const shape = [...this.variables[name].shape];
      m[name] = { shape, values: Float32Array.from(mAll.subarray(offset, offset + this.sizes[i])) };
      v[name] = { shape: [...shape], values: Float32Array.from(vAll.subarray(offset, offset + this.sizes[i])) };
      offset += this.sizes[i];
    });
    return { step: this.stepCount, m, v };
  }

  /**
   * The weights and moments as flat vectors, parameters in order, each whole: the layout the
   * moments are kept in, and a fused step's working copy (exportState gives them by name).
   */
  flatState(): FlatTrainingState {
    const params = new Float32Array(this.m.size);
    let offset = 0;
    this.names.forEach((name, i) => {
      params.set(this.variables[name].dataSync(), offset);
      offset += this.sizes[i];
    });
    return {
      params,
      m: Float32Array.from(this.m.dataSync()),
      v: Float32Array.from(this.v.dataSync()),
      t: this.stepCount,
    };
  }

  /** Write a flatState() back into the variables and the moments (copies: the caller keeps its arrays). */
  setFlatState({ params, m, v, t }: FlatTrainingState): void {
    // Every length first: a refused state changes nothing.
    if (params.length !== this.m.size || m.length !== this.m.size || v.length !== this.v.size)
      throw new Error(
        `AdamW.setFlatState: ${params.length} weights and ${m.length}, ${v.length} moments for ${this.m.size} each`,
      );
    let offset = 0;
    tf.tidy(() =>
      this.names.forEach((name, i) => {
        const variable = this.variables[name];
        variable.assign(tf.tensor(params.slice(offset, offset + this.sizes[i]), variable.shape));
        offset += this.sizes[i];
      }),
    );
    this.setMoments(t, m.slice(), v.slice());
  }

  /** Both callers have checked the lengths (setFlatState) or made them (importState). */
  private setMoments(step: number, m: Float32Array, v: Float32Array): void {
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(m));
      this.v.assign(tf.tensor1d(v));
    });
    this.stepCount = step;
  }

  /** The replica of each element of the flat moments: parameter by parameter, R equal blocks each. */
  private elementReplicas(): tf.Tensor1D {
    if (!this.replicaOfElement) {
      const index = new Int32Array(this.m.size);
      let offset = 0;
      for (const size of this.sizes) {
        const block = size / this.rows;
        for (let r = 0; r < this.rows; r++) index.fill(r, offset + r * block, offset + (r + 1) * block);
        offset += size;
      }
      // Kept: it is first asked for inside applyGradients' tidy, and lives as long as the optimiser.
      this.replicaOfElement = tf.keep(tf.tensor1d(index, 'int32'));
    }
    return this.replicaOfElement;
  }

  /** Restore `exportState()` output; the parameter names and shapes must match exactly. */
  importState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`AdamW.importState: step must be an integer >= 0, got ${state.step}`);
    }
    for (const [which, moments] of [
      ['m', state.m],
      ['v', state.v],
    ] as const) {
      for (const name of this.names) {
        const data = moments[name];
        const expected = this.variables[name].shape;
        if (!data) throw new Error(`AdamW.importState: no ${which} moment for parameter "${name}"`);
        if (!sameShape(data.shape, expected)) {
          throw new Error(
            `AdamW.importState: ${which} moment of "${name}" has shape [${data.shape}] but the parameter has [${expected}]`,
          );
        }
      }
      for (const name of Object.keys(moments)) {
        if (!(name in this.variables))
          throw new Error(`AdamW.importState: ${which} moment for unknown parameter "${name}"`);
      }
    }
    const flat = (moments: Record<string, MomentData>) => {
      const out = new Float32Array(this.m.size);
      let offset = 0;
      this.names.forEach((name, i) => {
        out.set(moments[name].values, offset);
        offset += this.sizes[i];
      });
      return out;
    };
    this.setMoments(state.step, flat(state.m), flat(state.v));
  }

  /** Free the moment tensors. */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
    this.replicaOfElement?.dispose();
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
