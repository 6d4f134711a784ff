import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors, type NamedTensorData } from '@matryoshka/matryoshka-layers';
import { writeFileAtomic, type BatchSamplerState } from '@matryoshka/tokenizer';
import { AdamWState, MomentData, sameShape } from './adamw';

/** One replica's own settings (TrainOptions.replicas; recorded in a checkpoint's state.json). */
export interface ReplicaTraining {
  seed: number;
  lr: number;
  weightDecay: number;
}

/** Layout of a run's checkpoint (docs/ARCHITECTURE.md, "Runs are files"). */
export const CHECKPOINT_DIR = 'checkpoint';
/** Where the last complete checkpoint waits while a new one is renamed into place. */
export const PREVIOUS_CHECKPOINT_DIR = 'checkpoint.previous';
export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** Written last: a checkpoint directory without it is incomplete. */
export const STATE_FILE = 'state.json';
export const CHECKPOINT_FORMAT = 'matryoshka-checkpoint';
/** 2: every tensor leads with the replica axis R, a single model's too (R = 1). */
export const CHECKPOINT_FORMAT_VERSION = 2;
const TEMP_PREFIX = '.checkpoint.tmp-';

/** state.json: everything but the tensors needed to continue a run exactly. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Optimiser updates completed. */
  step: number;
  seed: number;
  batchSize: number;
  contextLength: number;
  widths: number[];
  /** Training sampler position, one per replica (evaluation samplers are re-seeded per evaluation, so need none). */
  samplers: { train: BatchSamplerState[] };
  /** Each replica's seed, learning rate and weight decay (a single model: one). */
  replicas: ReplicaTraining[];
  optimizer: { name: 'AdamW'; step: number; weightDecays: number[]; betas: [number, number]; eps: number };
  /** Wall-clock seconds of the run so far, and of those the seconds spent in training steps. */
  elapsedSeconds: number;
  trainingSeconds: number;
  tokensSeen: number;
  /** App state (e.g. the current hierarchy), from TrainOptions.extraState.save(). */
  extraState?: unknown;
  /** Summary: each parameter's shape, and their total element count. */
  parameters: Record<string, number[]>;
  parameterCount: number;
  /** Byte size of each tensor file, so truncation is caught before parsing. */
  files: Record<string, number>;
  savedAt: string;
}

export interface Checkpoint {
  /** The directory it was read from. */
  dir: string;
  state: CheckpointState;
  weights: Record<string, NamedTensorData>;
  optimizer: AdamWState;
}

let tempCounter = 0;

/** Copy every variable's values to host arrays (one read-back per variable). */
export function snapshotVariables(variables: Record<string, tf.Variable>): Record<string, NamedTensorData> {
  const out: Record<string, NamedTensorData> = {};
  for (const [name, variable] of Object.entries(variables)) {
    out[name] = { shape: [...variable.shape], values: Float32Array.from(variable.dataSync()) };
  }
  return out;
}

/**
 * Write `runDir/checkpoint/` atomically: everything goes into a temporary directory first
 * (state.json last, each file fsynced); the previous checkpoint is moved aside, the new one
 * renamed into place, and only then the previous one deleted. A crash at any point leaves
 * either the old or the new checkpoint complete (readCheckpoint falls back to the moved-aside one).
 */
export function writeCheckpoint(
  runDir: string,
  contents: {
    weights: Record<string, NamedTensorData>;
    optimizer: AdamWState;
    state: Omit<CheckpointState, 'files' | 'savedAt' | 'format' | 'version'>;
  },
): string {
  fs.mkdirSync(runDir, { recursive: true });
  removeStaleTemporaries(runDir);
  const temp = path.join(runDir, `${TEMP_PREFIX}${process.pid}-${tempCounter++}`);
  const final = path.join(runDir, CHECKPOINT_DIR);
  const previous = path.join(runDir, PREVIOUS_CHECKPOINT_DIR);
  try {
    fs.mkdirSync(temp);
    const durable = { fsync: true };
    const weightBytes = writeSafetensors(
      path.join(temp, WEIGHTS_FILE),
      contents.weights,
      { format: CHECKPOINT_FORMAT, step: String(contents.state.step) },
      durable,
    );
    const optimizerTensors: Record<string, NamedTensorData> = {};
    for (const [name, moment] of Object.entries(contents.optimizer.m)) optimizerTensors[`m/${name}`] = moment;
    for (const [name, moment] of Object.entries(contents.optimizer.v)) optimizerTensors[`v/${name}`] = moment;
    const optimizerBytes = writeSafetensors(
      path.join(temp, OPTIMIZER_FILE),
      optimizerTensors,
      { format: CHECKPOINT_FORMAT, optimizer: 'AdamW', step: String(contents.optimizer.step) },
      durable,
    );
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_FORMAT_VERSION,
      ...contents.state,
      files: { [WEIGHTS_FILE]: weightBytes, [OPTIMIZER_FILE]: optimizerBytes },
      savedAt: new Date().toISOString(),
    };
    writeFileAtomic(path.join(temp, STATE_FILE), JSON.stringify(state, null, 2) + '\n', durable);
    if (fs.existsSync(final)) {
      fs.rmSync(previous, { recursive: true, force: true });
      fs.renameSync(final, previous);
    }
    fs.renameSync(temp, final);
    fs.rmSync(previous, { recursive: true, force: true });
    return final;
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw new Error(`could not write checkpoint in ${runDir}: ${(error as Error).message}`, { cause: error });
  }
}

/** The directory holding the newest complete checkpoint of a run, or undefined when there is none. */
export function findCheckpointDir(runDir: string): string | undefined {
  for (const name of [CHECKPOINT_DIR, PREVIOUS_CHECKPOINT_DIR]) {
    const dir = path.join(runDir, name);
    if (fs.existsSync(path.join(dir, STATE_FILE))) return dir;
  }
  return undefined;
}

/**
 * Read a run's checkpoint (`runDir` or the checkpoint directory itself), checking every file.
 * A run still training may replace its checkpoint while it is read (writeCheckpoint's renames):
 * then the read starts again, so a reader always gets one complete checkpoint.
 */
export function readCheckpoint(runOrCheckpointDir: string): Checkpoint {
  for (let attempt = 1; ; attempt++) {
    const before = checkpointIdentity(runOrCheckpointDir);
    try {
      return readCheckpointOnce(runOrCheckpointDir);
    } catch (error) {
      if (attempt >= 5 || checkpointIdentity(runOrCheckpointDir) === before) throw error;
    }
  }
}

/** Which checkpoint is in place (the state file's inode and time): changes when a new one is renamed in. */
function checkpointIdentity(runOrCheckpointDir: string): string {
  const stats = [
    path.join(runOrCheckpointDir, CHECKPOINT_DIR, STATE_FILE),
    path.join(runOrCheckpointDir, STATE_FILE),
  ].map((file) => {
    try {
      const stat = fs.statSync(file);
      return `${stat.ino}:${stat.mtimeMs}`;
    } catch {
      return '-';
    }
  });
  return stats.join('|');
}

function readCheckpointOnce(runOrCheckpointDir: string): Checkpoint {
  const dir = fs.existsSync(path.join(runOrCheckpointDir, STATE_FILE))
    ? runOrCheckpointDir
    : findCheckpointDir(runOrCheckpointDir);
  if (!dir)
    throw new Error(
      `no checkpoint found in ${runOrCheckpointDir} (expected ${path.join(runOrCheckpointDir, CHECKPOINT_DIR, STATE_FILE)})`,
    );
  const stateFile = path.join(dir, STATE_FILE);
  let state: CheckpointState;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as CheckpointState;
  } catch (error) {
    throw new Error(`checkpoint file ${stateFile} is corrupted: ${(error as Error).message}`, { cause: error });
  }
  if (state?.format !== CHECKPOINT_FORMAT || typeof state.step !== 'number') {
    throw new Error(
      `checkpoint file ${stateFile} is not a ${CHECKPOINT_FORMAT} state (format ${JSON.stringify(state?.format)})`,
    );
  }
  if (state.version !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(
      `checkpoint file ${stateFile} has format version ${JSON.stringify(state.version)}; this code reads version ${CHECKPOINT_FORMAT_VERSION} only`,
    );
  }
  const weights = readTensorFile(path.join(dir, WEIGHTS_FILE), state.files?.[WEIGHTS_FILE]).tensors;
  const optimizerFile = path.join(dir, OPTIMIZER_FILE);
  const optimizerContents = readTensorFile(optimizerFile, state.files?.[OPTIMIZER_FILE]);
  const m: Record<string, MomentData> = {};
  const v: Record<string, MomentData> = {};
  for (const [key, tensor] of Object.entries(optimizerContents.tensors)) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'm') m[name] = tensor;
    else if (kind === 'v') v[name] = tensor;
    else throw new Error(`checkpoint file ${optimizerFile} has an unexpected tensor "${key}"`);
  }
  return { dir, state, weights, optimizer: { step: state.optimizer.step, m, v } };
}

function readTensorFile(file: string, expectedBytes: number | undefined) {
  return readSafetensors(file, { expectedBytes, recordedBy: STATE_FILE, source: `checkpoint file ${file}` });
}

/**
 * Refuse weights that do not fit `variables` (a missing, extra or differently shaped tensor),
 * naming the tensor and both shapes. `source` names where the weights came from.
 */
export function checkWeightsMatch(
  variables: Record<string, tf.Variable>,
  weights: Record<string, NamedTensorData>,
  source: string,
): void {
  for (const [name, variable] of Object.entries(variables)) {
    const saved = weights[name];
    if (!saved) {
      throw new Error(
        `checkpoint ${source} has no tensor "${name}" (the model's "${name}" has shape [${variable.shape}])`,
      );
    }
    if (!sameShape(saved.shape, variable.shape)) {
      throw new Error(
        `checkpoint ${source} does not match the model: tensor "${name}" has shape [${saved.shape}] in the checkpoint but [${variable.shape}] in the model`,
      );
    }
  }
  for (const [name, saved] of Object.entries(weights)) {
    if (!(name in variables)) {
      throw new Error(
        `checkpoint ${source} has tensor "${name}" (shape [${saved.shape}]) that the model does not have`,
      );
    }
  }
}

/** Load checked weights into the variables. */
export function assignWeights(
  variables: Record<string, tf.Variable>,
  weights: Record<string, NamedTensorData>,
  source = 'weights',
): void {
  checkWeightsMatch(variables, weights, source);
  for (const [name, variable] of Object.entries(variables)) {
    tf.tidy(() => variable.assign(tf.tensor(weights[name].values, weights[name].shape, 'float32')));
  }
}

/** Temporary directories left by a crashed writer (any process) are garbage. */
function removeStaleTemporaries(runDir: string): void {
  for (const entry of fs.readdirSync(runDir)) {
    if (entry.startsWith(TEMP_PREFIX)) fs.rmSync(path.join(runDir, entry), { recursive: true, force: true });
  }
  // A moved-aside checkpoint is stale once a complete current one exists.
  if (fs.existsSync(path.join(runDir, CHECKPOINT_DIR, STATE_FILE))) {
    fs.rmSync(path.join(runDir, PREVIOUS_CHECKPOINT_DIR), { recursive: true, force: true });
  }
}
