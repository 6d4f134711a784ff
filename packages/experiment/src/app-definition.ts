// What an app adds to the shared runner: its name, its own flags and settings, and the few
// lines that are truly its own (targets per width, a re-clustering hook, report sections).
import type * as tf from '@tensorflow/tfjs-core';
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer';
import type { CharTokenizer } from '@matryoshka/tokenizer';
import type { ExtraState, TrainHooks } from '@matryoshka/training';
import { type FlagSpec } from './cli/flags';
import type { ReportSection } from '@matryoshka/viz';
import type { CorpusData } from './corpus-data';
import type { LoadedRun } from './load-run';
import type { AppResults } from './results';
import type { RunConfig, RunSettings } from './run-config';

export interface TrainContext<S extends object = object> {
  runDir: string;
  config: RunConfig<S>;
  model: MatryoshkaGPT;
  data: CorpusData;
  resumed: boolean;
  /** Print a line to the user (stderr, so it never mixes with generated text). */
  log(line: string): void;
}

export interface AppTrainPlan {
  /** Per-width target matrices (null = the next token). Read at every step, so hooks may swap them. */
  targets?(): readonly (tf.Tensor | null)[] | undefined;
  hooks?: TrainHooks;
  extraState?: ExtraState;
  /** Train in epochs (onEpochEnd fires after each): steps = epochs x stepsPerEpoch. */
  stepsPerEpoch?: number;
  /** Free what the plan holds (e.g. target tensors). */
  dispose?(): void;
}

export interface AnalyzeContext<S extends object = object> {
  runDir: string;
  /** Where the app writes its figures (analyze's staging folder, published into the run at the end). */
  figuresDir: string;
  config: RunConfig<S>;
  model: MatryoshkaGPT;
  tokenizer: CharTokenizer;
  /** Token embedding matrix E (v x d) as plain rows. */
  embedding: number[][];
  raw: boolean;
  /** A run of replicas: which one `model` and `embedding` are, and every replica's embedding rows. */
  replicas?: LoadedRun['replicas'];
  log(line: string): void;
}

export interface AppAnalysis {
  /** Extra report sections (placed after the shared ones). */
  sections: ReportSection[];
  /**
   * The token groups the heat map at width m shows as blocks, with lines between them (the
   * imposed or found groups of that level); none: the categories of docs/EXPERIMENTS.md, "Analysis".
   */
  groupsAtWidth?(m: number): string[][] | undefined;
  /** What the groups are, for the heat maps' titles ("the imposed groups of ..."). */
  groupingName?: string;
  /** The app's own part of results.json (docs/RESULTS.md), under its own key. */
  results?: AppResults;
}

/** How a run config reaches `AppDefinition.finalize`: new, or resumed with changed `training.steps` etc. */
export type ConfigStage = 'new' | 'resume';

/**
 * An app: its name, its complete defaults (one place), its own flags (each with a `path` under
 * `settings.`), and the few hooks that are truly its own. `S` is its settings' type.
 */
export interface AppDefinition<S extends object = object> {
  name: string;
  description: string;
  /** Every default of a run of this app: the model, the training loop and the app's settings. */
  defaults: RunSettings<S>;
  /** Flags of `train` beyond the shared ones. */
  trainFlags?: readonly FlagSpec[];
  /**
   * Derive or check the app's part of a run config (throw UserError naming the flag): for a new
   * run (the vocabulary known, before anything is written) and for a resumed one whose
   * resumable settings (`--steps`, ...) changed.
   */
  finalize?(config: RunConfig<S>, stage: ConfigStage): RunConfig<S>;
  prepareTraining?(ctx: TrainContext<S>): AppTrainPlan | Promise<AppTrainPlan>;
  analyze?(ctx: AnalyzeContext<S>): AppAnalysis | Promise<AppAnalysis>;
  /** Targets beyond train/sample/analyze (e.g. nested's export and baselines). */
  commands?: Record<string, { help: string; run(argv: readonly string[]): Promise<unknown> }>;
}
