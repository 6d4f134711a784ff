// A refused command changes nothing: a battery of commands that must be refused runs against a
// finished run and against corrupted copies of it, through the app's own dispatcher (what
// `npx mrl-embeddings <target>` runs), and every file of the run is compared byte for byte
// before and after. Then one trainer at a time: a second trainer on a run is refused while the
// first trains on, and a run whose trainer was killed (kill -9) resumes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RUN_LOCK_FILE, runTarget, WORKSPACE_ROOT } from '@matryoshka/experiment';
import { readMetrics } from '@matryoshka/training';
import { mrlEmbeddingsApp } from './app';

jest.setTimeout(300_000);

const CORPUS = join(WORKSPACE_ROOT, 'data/tinyshakespeare.txt');
/** A tiny model: d=16, 1 layer, widths 4/8/16, b=2, t=8, evaluated every 3 steps on 2 batches. */
const TINY = [
  '--data',
  CORPUS,
  '--eval-interval',
  '3',
  '--eval-iters',
  '2',
  '--width',
  '16',
  '--layers',
  '1',
  '--heads',
  '2',
  '--min-power',
  '2',
  '--batch',
  '2',
  '--context',
  '8',
];

const root = mkdtempSync(join(tmpdir(), 'refused-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir` (hidden ones too) -> sha256 of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const file = join(at, name);
      if (statSync(file).isDirectory()) walk(file);
      else out[relative(dir, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Run a target of the app as its command line does; resolves to the error message, or undefined on success. */
async function attempt(argv: string[]): Promise<string | undefined> {
  try {
    await runTarget(mrlEmbeddingsApp, argv);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('a refused command changes nothing', () => {
  const run = join(root, 'finished');
  const badHierarchy = join(root, 'bad.hierarchy.json');

  beforeAll(async () => {
    expect(await attempt(['train', '--out', run, '--steps', '6', ...TINY])).toBeUndefined();
    expect(await attempt(['analyze', '--run', run])).toBeUndefined();
    writeFileSync(
      badHierarchy,
      JSON.stringify({ name: 'bad', levels: [{ width: 4, groups: { letters: ['a', '€'] } }] }),
    );
  });

  const refusals: [string, string[], RegExp][] = [
    [
      '--steps below the checkpoint',
      ['train', '--resume', '<run>', '--steps', '3'],
      /checkpoint .* is at step 6, beyond --steps 3/,
    ],
    [
      'a fixed setting changed',
      ['train', '--resume', '<run>', '--eval-iters', '5'],
      /--eval-iters \(2 in config.json\) cannot change on resume/,
    ],
    [
      'a model setting changed',
      ['train', '--resume', '<run>', '--width', '32'],
      /--width \(16 in config.json\) cannot change on resume/,
    ],
    ['a bad flag value', ['train', '--resume', '<run>', '--steps', 'many'], /--steps must be an integer/],
    ['--out onto an existing run', ['train', '--out', '<run>', '--steps', '6', ...TINY], /already exists/],
    [
      'analyze with a bad hierarchy file',
      ['analyze', '--run', '<run>', '--hierarchy', '<bad>'],
      /--hierarchy .*bad\.hierarchy\.json/,
    ],
    ['analyze of a replica of a single model', ['analyze', '--run', '<run>', '--replica', '1'], /a run of one model/],
    [
      'sample with a character outside the vocabulary',
      ['sample', '--run', '<run>', '--prompt', 'naïve'],
      /not in this run's vocabulary/,
    ],
  ];

  it.each(refusals)('refuses %s and leaves every file as it was', async (_, argv, message) => {
    const before = snapshot(run);
    const error = await attempt(argv.map((a) => (a === '<run>' ? run : a === '<bad>' ? badHierarchy : a)));
    expect(error).toMatch(message);
    expect(snapshot(run)).toEqual(before);
  });

  it('says a run at its last step has nothing to do, also when a fixed setting is given its own value', async () => {
    const before = snapshot(run);
    expect(await attempt(['train', '--resume', run])).toBeUndefined();
    expect(
      await attempt(['train', '--resume', run, '--steps', '6', '--eval-iters', '2', '--width', '16']),
    ).toBeUndefined();
    expect(snapshot(run)).toEqual(before);
  });

  it('analyze publishes everything it writes and removes what a killed analyze left', async () => {
    const copy = mkdtempSync(join(root, 'reanalysed-'));
    cpSync(run, copy, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    mkdirSync(join(copy, `.analyze-${gone}-abcdef/figures`), { recursive: true });
    const before = snapshot(copy);
    expect(await attempt(['analyze', '--run', copy])).toBeUndefined();
    const after = snapshot(copy);
    expect(readdirSync(copy).filter((name) => name.startsWith('.analyze-'))).toEqual([]);
    // The same files as the first analyze wrote (their contents may differ: speeds are measured).
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  const corruptions: [string, (dir: string) => void, RegExp][] = [
    [
      'a truncated model.safetensors',
      (d) => truncateSync(join(d, 'checkpoint/model.safetensors'), 100),
      /model\.safetensors/,
    ],
    ['a zeroed model.safetensors', (d) => zero(join(d, 'checkpoint/model.safetensors')), /model\.safetensors/],
    ['a missing model.safetensors', (d) => rmSync(join(d, 'checkpoint/model.safetensors')), /model\.safetensors/],
    [
      'a broken state.json',
      (d) => writeFileSync(join(d, 'checkpoint/state.json'), '{"format": "matryoshka-checkpoint", "step":'),
      /state\.json/,
    ],
    [
      'a truncated optimizer.safetensors',
      (d) => truncateSync(join(d, 'checkpoint/optimizer.safetensors'), 64),
      /optimizer\.safetensors/,
    ],
  ];

  it.each(corruptions)(
    'refuses to resume a run with %s, naming the file, and leaves the run as it was',
    async (_, corrupt, file) => {
      const copy = mkdtempSync(join(root, 'corrupt-'));
      cpSync(run, copy, { recursive: true });
      corrupt(copy);
      const before = snapshot(copy);
      expect(await attempt(['train', '--resume', copy, '--steps', '12'])).toMatch(file);
      expect(await attempt(['analyze', '--run', copy])).toMatch(file);
      expect(snapshot(copy)).toEqual(before);
    },
  );
});

describe('one trainer per run', () => {
  let trainer: ChildProcess | undefined;
  afterEach(() => trainer?.kill('SIGKILL'));

  it('refuses a second trainer while the first trains on, reads the last complete checkpoint meanwhile, and takes over a killed one', async () => {
    const run = join(root, 'shared');
    expect(await attempt(['train', '--out', run, '--steps', '3', ...TINY])).toBeUndefined();
    // The first trainer: a real process resuming the run for many steps, checkpointing every step.
    trainer = spawn(
      process.execPath,
      [
        join(WORKSPACE_ROOT, 'apps/mrl-embeddings/bin.js'),
        'train',
        '--resume',
        run,
        '--steps',
        '100000',
        '--checkpoint-every',
        '1',
      ],
      {
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    let stderr = '';
    trainer.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const pid = trainer.pid as number;
    await waitFor(() => /step (1[0-9]|[2-9]\d)\b/.test(stderr) || trainer?.exitCode !== null, 120_000);
    expect(trainer.exitCode).toBeNull();

    // A second trainer is refused, naming the process that holds the run.
    const lock = readFileSync(join(run, RUN_LOCK_FILE), 'utf8');
    expect(await attempt(['train', '--resume', run, '--steps', '100000'])).toMatch(
      new RegExp(`being trained by process ${pid}`),
    );
    expect(readFileSync(join(run, RUN_LOCK_FILE), 'utf8')).toBe(lock);
    // Readers get a complete checkpoint while checkpoints are being replaced under them.
    for (let i = 0; i < 5; i++) expect(await attempt(['sample', '--run', run, '--tokens', '5'])).toBeUndefined();

    // kill -9 leaves the lock behind; it is stale, and the run resumes (to a few steps further).
    trainer.kill('SIGKILL');
    await new Promise((done) => trainer?.once('close', done));
    expect(existsSync(join(run, RUN_LOCK_FILE))).toBe(true);
    const state = JSON.parse(readFileSync(join(run, 'checkpoint/state.json'), 'utf8')) as { step: number };
    expect(await attempt(['train', '--resume', run, '--steps', String(state.step + 4)])).toBeUndefined();
    expect(existsSync(join(run, RUN_LOCK_FILE))).toBe(false);
    const steps = readMetrics(join(run, 'metrics.jsonl')).map((r) => r.step);
    expect(steps.every((s, i) => i === 0 || s > steps[i - 1])).toBe(true);
    expect(steps.at(-1)).toBe(state.step + 4);
  });
});

function zero(file: string): void {
  writeFileSync(file, Buffer.alloc(statSync(file).size));
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
