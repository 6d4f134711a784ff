/** Shape of the learning-rate curve; the default (all omitted) is a constant rate. */
export interface ScheduleShape {
  /** Linear warm-up over this many steps, from lr/warmupSteps up to lr (default 0: none). */
  warmupSteps?: number;
  /**
   * Cosine decay from lr (at the end of warm-up) to minLr at this step, minLr after it
   * (default: no decay). Usually the run's total step count.
   */
  decaySteps?: number;
  /** Floor of the cosine decay (default 0). */
  minLr?: number;
}

export interface LearningRateSchedule extends ScheduleShape {
  /** The peak (and, without a schedule, the constant) learning rate. */
  lr: number;
}

/** Throws unless the schedule is usable; names the bad field. */
export function validateSchedule(schedule: LearningRateSchedule): void {
  const { lr, warmupSteps = 0, decaySteps, minLr = 0 } = schedule;
  if (!Number.isFinite(lr) || lr < 0) throw new Error(`schedule: lr must be a finite number >= 0, got ${lr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`schedule: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  if (!Number.isFinite(minLr) || minLr < 0 || minLr > lr) {
    throw new Error(`schedule: minLr must be in [0, lr=${lr}], got ${minLr}`);
  }
  if (decaySteps !== undefined && (!Number.isInteger(decaySteps) || decaySteps < warmupSteps)) {
    throw new Error(`schedule: decaySteps must be an integer >= warmupSteps (${warmupSteps}), got ${decaySteps}`);
  }
}

/**
 * Learning rate of the update taken at 0-based `step` (nanoGPT's get_lr, warm-up reaching the
 * full rate on its last step): linear warm-up, then cosine decay to minLr, then minLr.
 */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  const { lr, warmupSteps = 0, decaySteps, minLr = 0 } = schedule;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (decaySteps === undefined) return lr;
  if (step >= decaySteps) return minLr;
  const span = decaySteps - warmupSteps;
  const ratio = (step - warmupSteps) / span;
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
}
