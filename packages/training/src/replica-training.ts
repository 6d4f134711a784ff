// One replica's own settings, shared by the loop's options and the checkpoint that records them.
/** One replica's own settings (TrainOptions.replicas; recorded in a checkpoint's state.json). */
export interface ReplicaTraining {
  seed: number;
  lr: number;
  weightDecay: number;
}
