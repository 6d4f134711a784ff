// The main-job rows of the bench: experiment 1 as `nx run mrl-embeddings:train` trains it (the
// bundled corpus, 5000 steps, evaluation of 20 batches per split every 50 steps) through
// train(), by the fused step and by tfjs, timed whole (evaluation included, process start-up
// not). The original notebook's side is measured outside the project (see the README).
import { selectBackend } from '@matryoshka/matryoshka-layers';
import { CharTokenizer, readCorpus, splitTrainVal } from '@matryoshka/tokenizer';
import { TRAIN_DEFAULTS, train } from '@matryoshka/training';
import { EXP1_DEFAULTS, MatryoshkaGPT } from '@matryoshka/nested-transformer';
import { trainingTask } from './replica-rows';

async function mainJob(engine: 'fused' | 'tfjs', steps: number): Promise<{ seconds: number; val: number[] }> {
  const text = readCorpus();
  const { train: trainData, val: valData } = splitTrainVal(CharTokenizer.fromCorpus(text).encode(text));
  const { batchSize, ...config } = EXP1_DEFAULTS;
  const model = new MatryoshkaGPT([{ ...config, vocabSize: 65 }]);
  const started = performance.now();
  const summary = await train(trainingTask(model, engine), {
    trainData,
    valData,
    steps,
    batchSize,
    contextLength: config.contextLength,
    evalInterval: 50,
    evalIters: TRAIN_DEFAULTS.evalIters,
    handleSignals: false,
  });
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  return { seconds, val: Object.values(summary.finalEval?.val ?? {}) };
}

/** Both engines, tfjs on the backend the app picks for this size, back to back. */
export async function printMainJobRows(engines: readonly ('fused' | 'tfjs')[], quick: boolean): Promise<void> {
  const steps = quick ? 500 : 5000;
  const backend = await selectBackend({ workload: 'training', activationSize: 4 * 16 * 32 });
  console.log(
    `\n== main job: experiment 1 trained as mrl-embeddings:train does, ${steps} steps, evaluation every 50 (20 batches a split)`,
  );
  console.log('| engine | seconds (train(), evaluation included) | ms per step, all in | final val loss 8/16/32 |');
  console.log('| --- | ---: | ---: | --- |');
  const seconds: Record<string, number> = {};
  for (const engine of engines) {
    const row = await mainJob(engine, steps);
    seconds[engine] = row.seconds;
    const label = engine === 'fused' ? 'fused' : `tfjs (${backend})`;
    console.log(
      `| ${label} | ${row.seconds.toFixed(1)} | ${((1000 * row.seconds) / steps).toFixed(2)} | ${row.val.map((v) => v.toFixed(3)).join(' / ')} |`,
    );
  }
  if (seconds.fused && seconds.tfjs)
    console.log(`fused vs tfjs: ${(seconds.tfjs / seconds.fused).toFixed(2)}x as fast, in the same process`);
}
