import * as tf from '@tensorflow/tfjs-core';

/** EXPERIMENTS.md, Data: AdamW lr 3e-4, weight decay 0.01, betas 0.9/0.999, eps 1e-8. */
export const ADAMW_DEFAULTS = { lr: 3e-4, weightDecay: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8 };

export interface AdamWOptions {
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
  /**
   * Names for which weight decay is skipped (e.g. biases, embeddings). Default: none, so decay
   * applies to every parameter, as PyTorch's AdamW does.
   */
  excludeFromWeightDecay?: (name: string) => boolean;
}

/** One moment tensor as plain data, for checkpoints. */
export interface MomentData {
  shape: number[];
  values: Float32Array;
}

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
 */
export class AdamW {
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  private readonly variables: Record<string, tf.Variable>;
  private readonly decays: Record<string, boolean> = {};
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  private stepCount = 0;

  constructor(variables: Record<string, tf.Variable>, options: AdamWOptions = {}) {
    this.weightDecay = options.weightDecay ?? ADAMW_DEFAULTS.weightDecay;
    this.betas = options.betas ?? ADAMW_DEFAULTS.betas;
    this.eps = options.eps ?? ADAMW_DEFAULTS.eps;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must be in [0, 1), got ${b1}, ${b2}`);
    if (!(this.eps > 0)) throw new Error(`AdamW: eps must be > 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${this.weightDecay}`);
    this.variables = variables;
    const exclude = options.excludeFromWeightDecay ?? (() => false);
    for (const [name, variable] of Object.entries(variables)) {
      this.decays[name] = !exclude(name);
      // Moments are unnamed variables: tfjs variable names are global and must stay unique.
      // (tidy frees the zeros that tf.variable copied; it never disposes variables.)
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
    }
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
   * and its moments untouched, as PyTorch does for params without grad).
   */
  applyGradients(grads: Record<string, tf.Tensor>, lr: number): void {
    for (const name of Object.keys(grads)) {
      if (!(name in this.variables)) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
    }
    this.stepCount++;
    const [b1, b2] = this.betas;
    const t = this.stepCount;
    tf.tidy(() => {
      // Bias corrections in float64 on the host, then one float32 scalar each.
      const correction1 = tf.scalar(1 - Math.pow(b1, t));
      const correction2 = tf.scalar(1 - Math.pow(b2, t));
      const beta1 = tf.scalar(b1);
      const oneMinusBeta1 = tf.scalar(1 - b1);
      const beta2 = tf.scalar(b2);
      const oneMinusBeta2 = tf.scalar(1 - b2);
      const eps = tf.scalar(this.eps);
      const learningRate = tf.scalar(lr);
      const decay = tf.scalar(this.weightDecay);
      for (const [name, g] of Object.entries(grads)) {
        const p = this.variables[name];
        const m = tf.add(tf.mul(this.m[name], beta1), tf.mul(g, oneMinusBeta1));
        const v = tf.add(tf.mul(this.v[name], beta2), tf.mul(tf.square(g), oneMinusBeta2));
        const mHat = tf.div(m, correction1);
        const vHat = tf.div(v, correction2);
        let update = tf.div(mHat, tf.add(tf.sqrt(vHat), eps));
        if (this.decays[name] && this.weightDecay !== 0) update = tf.add(update, tf.mul(p, decay));
        p.assign(tf.sub(p, tf.mul(update, learningRate)));
        this.m[name].assign(m);
        this.v[name].assign(v);
      }
    });
  }

  /** A copy of the optimiser state as plain arrays (reads the moments back from the backend). */
  exportState(): AdamWState {
    const m: Record<string, MomentData> = {};
    const v: Record<string, MomentData> = {};
    for (const name of Object.keys(this.variables)) {
      m[name] = { shape: [...this.m[name].shape], values: Float32Array.from(this.m[name].dataSync()) };
      v[name] = { shape: [...this.v[name].shape], values: Float32Array.from(this.v[name].dataSync()) };
    }
    return { step: this.stepCount, m, v };
  }

  /** Restore `exportState()` output; the parameter names and shapes must match exactly. */
  importState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`AdamW.importState: step must be an integer >= 0, got ${state.step}`);
    }
    for (const [which, moments] of [['m', state.m], ['v', state.v]] as const) {
      for (const name of Object.keys(this.variables)) {
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
        if (!(name in this.variables)) throw new Error(`AdamW.importState: ${which} moment for unknown parameter "${name}"`);
      }
    }
    for (const name of Object.keys(this.variables)) {
      tf.tidy(() => {
        this.m[name].assign(tf.tensor(state.m[name].values, state.m[name].shape, 'float32'));
        this.v[name].assign(tf.tensor(state.v[name].values, state.v[name].shape, 'float32'));
      });
    }
    this.stepCount = state.step;
  }

  /** Free the moment tensors. */
  dispose(): void {
    for (const name of Object.keys(this.m)) {
      this.m[name].dispose();
      this.v[name].dispose();
    }
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
