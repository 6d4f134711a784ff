// A run of replicas (--replicas R, --sweep name=v1,v2,..): which copies of the model one run
// trains at once, each with its own seeds and, for a sweep, its own value. The one place that
// turns a run config into its replicas: train, analyze, sample and export all ask here.
import type { ResolvedGPTConfig } from '@matryoshka/nested-transformer';
import { UserError, type ReplicaTraining, type TrainingSettings } from '@matryoshka/training';

/** What --sweep may vary: scalar settings, each a field of the training loop or of the model. */
export const SWEEPABLE = { lr: 'training.lr', 'weight-decay': 'training.weightDecay', dropout: 'model.dropout' } as const;
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
  sweepValue?: number;
  /** `seed+k`, or `lr=0.001 seed+k` in a sweep. */
  label: string;
  model: ResolvedGPTConfig;
  training: ReplicaTraining;
}

/** Parse `--sweep name=v1,v2,...`; errors name the flag and what is wrong. */
export function parseSweep(text: string): Sweep {
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  if (!match) throw new UserError(`--sweep "${text}": expected NAME=V1,V2,... with NAME one of ${Object.keys(SWEEPABLE).join(', ')}`);
  const name = match[1];
  if (!(name in SWEEPABLE)) throw new UserError(`--sweep: cannot sweep "${name}"; choose one of ${Object.keys(SWEEPABLE).join(', ')}`);
  const values = match[2].split(',').map((part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value) || value < 0) throw new UserError(`--sweep ${name}: "${part}" is not a non-negative number`);
    if (name === 'dropout' && value >= 1) throw new UserError(`--sweep dropout: ${value} must be below 1`);
    return value;
  });
  if (new Set(values).size !== values.length) throw new UserError(`--sweep ${name}: a value is repeated (${values.join(', ')})`);
  return { name: name as SweepName, values };
}

/**
 * The replicas of a run config, or null for a run of one model (--replicas 1 and no sweep).
 * Replica i = (sweep value i div R, seed offset k = i mod R): every sweep value gets the same R
 * seeds, so values are compared on the same initialisations and batches.
 */
export function replicaPlan(config: { model: ResolvedGPTConfig; training: TrainingSettings }): Replica[] | null {
  const { model, training } = config;
  const count = training.replicas ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new UserError(`--replicas must be a positive integer (got ${count})`);
  const sweep = training.sweep ? parseSweep(training.sweep) : null;
  if (count === 1 && !sweep) return null;
  const values: (number | undefined)[] = sweep ? sweep.values : [undefined];
  return values.flatMap((value, v) =>
    Array.from({ length: count }, (_, k): Replica => {
      const swept = (name: SweepName, base: number) => (sweep?.name === name ? (value as number) : base);
      const dropout = swept('dropout', model.dropout);
      // A model whose attention dropout follows its dropout follows the swept one too.
      const attentionDropout = sweep?.name === 'dropout' && model.attentionDropout === model.dropout ? dropout : model.attentionDropout;
      return {
        index: v * count + k,
        seedOffset: k,
        sweepValue: value,
        label: `${sweep ? `${sweep.name}=${value} ` : ''}seed+${k}`,
        model: { ...model, seed: model.seed + k, dropout, attentionDropout },
        training: { seed: training.seed + k, lr: swept('lr', training.lr), weightDecay: swept('weight-decay', training.weightDecay) },
      };
    }),
  );
}

/** The config of one replica as a run of its own (what `export --replica` writes and `sample` reads). */
export function replicaRunConfig<C extends { model: ResolvedGPTConfig; training: TrainingSettings }>(config: C, replica: Replica): C & { replicaOf: { index: number; label: string } } {
  return {
    ...config,
    model: replica.model,
    training: { ...config.training, ...replica.training, replicas: 1, sweep: null },
    replicaOf: { index: replica.index, label: replica.label },
  };
}
