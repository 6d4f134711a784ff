// What an app adds to the shared runner: its name, its own flags and settings, and the few
// lines that are truly its own (targets per width, a re-clustering hook, report sections).
import type * as tf from '@tensorflow/tfjs-core';
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer';
import type { CharTokenizer } from '@matryoshka/tokenizer';
import type { ExtraState, FlagSpec, TrainHooks } from '@matryoshka/training';
import type { ReportSection } from '@matryoshka/viz';
import type { CorpusData } from './corpus-data';
import type { AppName } from './defaults';
import type { RunConfig, RunSettings } from './run-config';

export interface TrainContext {
  runDir: string;
  config: RunConfig;
  model: MatryoshkaGPT;
  data: CorpusData;
  resumed: boolean;
  /** Print a line to the user (stderr, so it never mixes with generated text). */
  log(line: string): void;
}

export interface AppTrainPlan {
  /** Per-width target matrices (null = the next token). Read at every step, so hooks may swap them. */
  targets?(): readonly (tf.Tensor2D | null)[] | undefined;
  hooks?: TrainHooks;
  extraState?: ExtraState;
  /** Train in epochs (onEpochEnd fires after each): steps = epochs x stepsPerEpoch. */
  stepsPerEpoch?: number;
  /** Free what the plan holds (e.g. target tensors). */
  dispose?(): void;
}

export interface AnalyzeContext {
  runDir: string;
  config: RunConfig;
  model: MatryoshkaGPT;
  tokenizer: CharTokenizer;
  /** Token embedding matrix E (v x d) as plain rows. */
  embedding: number[][];
  raw: boolean;
  log(line: string): void;
}

export interface AppAnalysis {
  /** Extra report sections (placed after the shared ones). */
  sections: ReportSection[];
  /** Token order per width for the heat maps (default: the categories of docs/EXPERIMENTS.md, "Analysis"). */
  orderAtWidth?(m: number): number[] | undefined;
  /** Title suffix per width for the heat maps. */
  groupingName?: string;
}

export interface AppDefinition {
  name: AppName;
  description: string;
  /** Flags of `train` beyond the shared ones. */
  trainFlags?: readonly FlagSpec[];
  /** Defaults of those flags' settings. */
  defaults?: Partial<RunSettings>;
  /** Derive or check settings after parsing (throw UserError naming the flag). */
  resolveSettings?(settings: RunSettings): RunSettings;
  /** Check a new run's full config (vocabulary known) before anything is written; throw UserError. */
  checkConfig?(config: RunConfig): void;
  prepareTraining?(ctx: TrainContext): AppTrainPlan | Promise<AppTrainPlan>;
  analyze?(ctx: AnalyzeContext): AppAnalysis | Promise<AppAnalysis>;
  /** Commands beyond train/sample/analyze/export (e.g. nested's baselines). */
  commands?: Record<string, { help: string; run(argv: readonly string[]): Promise<void> }>;
}
