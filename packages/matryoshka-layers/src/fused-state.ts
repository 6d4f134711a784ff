// What the training loop and a fused training step (nested-transformer's native step) share: the
// state the step updates in place and the update it is asked for. Types only; their one home is
// here, below both (training never imports a model package).

/** Every variable of a model, flat in its variables' order (each (R, ...) as stored), and AdamW's moments. */
export interface FlatTrainingState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** AdamW updates taken so far. */
  t: number;
}

/** The loop's AdamW settings and this step's learning rates, for a fused update. */
export interface FusedUpdate {
  /** Each replica's learning rate and weight decay. */
  lrs: readonly number[];
  weightDecays: readonly number[];
  betas: readonly [number, number];
  eps: number;
  clipNorm?: number;
  /** Per variable, in the variables' order: weight decay applies. */
  decays: readonly boolean[];
}
