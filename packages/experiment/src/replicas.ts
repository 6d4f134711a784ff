// A run of replicas (--replicas R, --sweep name=v1,v2,..): which copies of the model one run
// trains at once, each with its own seeds and, for a sweep, its own value. The one place that
// turns a run config into its replicas: train, analyze, sample and export all ask here.
import type { ResolvedGPTConfig } from '@matryoshka/nested-transformer';
import { type ReplicaTraining } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { type TrainingSettings } from './settings';

/** Replicas one run trains at most (R x sweep values), as --replicas allows. */
export const MAX_REPLICAS = 64;

/** What --sweep may vary: scalar settings, each a field of the training loop or of the model. */
export const SWEEPABLE = {
  lr: 'training.lr',
  'weight-decay': 'training.weightDecay',
  dropout: 'model.dropout',
} as const;
export type SweepName = keyof typeof SWEEPABLE;

export interface Sweep {
  name: SweepName;
  values: number[];
}

/** One replica of a run: its index, its own settings and a label for figures and tables. */
export interface Replica {
  index: number;
  /** k: the replica's seeds are the run's + k (training seed and the model's init seed). */
  seedOffset: number;
  /** The sweep value it trains with, if the run sweeps. */
  sweep?: { name: SweepName; value: number };
  /** `seed+k`, or `lr=0.001 seed+k` in a sweep. */
  label: string;
  model: ResolvedGPTConfig;
  training: ReplicaTraining;
}

/** Parse `--sweep name=v1,v2,...`; errors name the flag and what is wrong. */
export function parseSweep(text: string): Sweep {
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  if (!match)
    throw new UserError(
      `--sweep "${text}": expected NAME=V1,V2,... with NAME one of ${Object.keys(SWEEPABLE).join(', ')}`,
    );
  const name = match[1];
  if (!(name in SWEEPABLE))
    throw new UserError(`--sweep: cannot sweep "${name}"; choose one of ${Object.keys(SWEEPABLE).join(', ')}`);
  const values = match[2].split(',').map((part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value) || value < 0)
      throw new UserError(`--sweep ${name}: "${part}" is not a non-negative number`);
    if (name === 'dropout' && value >= 1) throw new UserError(`--sweep dropout: ${value} must be below 1`);
    return value;
  });
  if (new Set(values).size !== values.length)
    throw new UserError(`--sweep ${name}: a value is repeated (${values.join(', ')})`);
  return { name: name as SweepName, values };
}

/**
 * The replicas of a run config (a run of one model: one replica, seed+0).
 * Replica i = (sweep value i div R, seed offset k = i mod R): every sweep value gets the same R
 * seeds, so values are compared on the same initialisations and batches.
 */
export function replicaPlan(config: { model: ResolvedGPTConfig; training: TrainingSettings }): Replica[] {
  const { model, training } = config;
  const count = training.replicas ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new UserError(`--replicas must be a positive integer (got ${count})`);
  const sweep = training.sweep ? parseSweep(training.sweep) : null;
  const total = count * (sweep?.values.length ?? 1);
  if (total > MAX_REPLICAS)
    throw new UserError(
      `--replicas ${count} x ${sweep?.values.length} sweep values = ${total} replicas; at most ${MAX_REPLICAS} train in one run`,
    );
  const values: (number | undefined)[] = sweep ? sweep.values : [undefined];
  return values.flatMap((value, v) =>
    Array.from({ length: count }, (_, k): Replica => {
      const swept = (name: SweepName, base: number) => (sweep?.name === name ? (value as number) : base);
      // A swept dropout moves `dropout` only: the attention dropout stays the run's (resolved) one.
      return {
        index: v * count + k,
        seedOffset: k,
        sweep: sweep ? { name: sweep.name, value: value as number } : undefined,
        label: `${sweep ? `${sweep.name}=${value} ` : ''}seed+${k}`,
        model: { ...model, seed: model.seed + k, dropout: swept('dropout', model.dropout) },
        training: {
          seed: training.seed + k,
          lr: swept('lr', training.lr),
          weightDecay: swept('weight-decay', training.weightDecay),
        },
      };
    }),
  );
}

/** The config of one replica as a run of its own (what `export --replica` writes and `sample` reads). */
export function replicaRunConfig<C extends { model: ResolvedGPTConfig; training: TrainingSettings }>(
  config: C,
  replica: Replica,
): C & { replicaOf: { index: number; label: string } } {
  return {
    ...config,
    model: replica.model,
    training: { ...config.training, ...replica.training, replicas: 1, sweep: null },
    replicaOf: { index: replica.index, label: replica.label },
  };
}

/** The replicas grouped by sweep value (one group of all when the run does not sweep), in plan order. */
export function replicaGroups(plan: readonly Replica[]): { name: string; members: number[] }[] {
  const groups = new Map<string, number[]>();
  for (const r of plan) {
    const name = r.sweep ? `${r.sweep.name}=${r.sweep.value}` : 'all replicas';
    groups.set(name, [...(groups.get(name) ?? []), r.index]);
  }
  return [...groups].map(([name, members]) => ({ name, members }));
}
