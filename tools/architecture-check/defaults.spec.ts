// Each default lives in one place: the value is written once, in its home, and everything else
// refers to that constant. A default written again (`seed: 1337` in a command, `lr: 3e-4` in a
// bench) is found here by its key and value in every tracked TypeScript file but the tests.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../..');
const ADAMW = 'packages/training/src/adamw.ts';
const LOOP = 'packages/training/src/train-options.ts';

/** Each default: how it is written as code (a key and its value), and the one file that may. */
const DEFAULTS: readonly { what: string; written: RegExp; home: string }[] = [
  { what: 'the seed (1337)', written: /[:=(]\s*1337\b/, home: 'packages/tokenizer/src/random.ts' },
  { what: 'the learning rate (3e-4)', written: /\blr\s*[:=]\s*(3e-4|0\.0003)\b/, home: ADAMW },
  { what: 'the weight decay (0.01)', written: /\bweightDecay\s*[:=]\s*0\.01\b/, home: ADAMW },
  { what: "AdamW's betas (0.9, 0.999)", written: /\b0\.9\s*,\s*0\.999\b/, home: ADAMW },
  { what: "AdamW's eps (1e-8)", written: /\beps\s*[:=]\s*1e-8\b/, home: ADAMW },
  { what: 'batches per evaluation (20)', written: /\bevalIters\s*[:=]\s*20\b/, home: LOOP },
  { what: 'the checkpoint interval (500)', written: /\bcheckpointEvery\s*[:=]\s*500\b/, home: LOOP },
];

/** Tracked TypeScript sources, tests and their helpers left out (a test states the values it checks). */
function sources(): string[] {
  const listed = execFileSync('git', ['ls-files', '*.ts', '*.mts'], { cwd: WORKSPACE, encoding: 'utf8' }).split('\n');
  return listed.filter((file) => file && !/\.spec\.ts$|\.test-helper\.ts$|\.d\.ts$/.test(file));
}

/** Lines of `text` that write the default (comments left out: they may name the value). */
function writtenAt(text: string, written: RegExp): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    const code = line
      .replace(/\/\/.*$/, '')
      .replace(/^\s*\*.*$/, '')
      .replace(/\/\*.*?\*\//g, '');
    if (written.test(code)) lines.push(i + 1);
  });
  return lines;
}

describe('every default of the loop, the optimiser and the seeds', () => {
  const files = sources();
  const texts = new Map(files.map((file) => [file, readFileSync(join(WORKSPACE, file), 'utf8')]));

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('packages/experiment/src/settings.ts');
  });

  it.each(DEFAULTS)('writes $what once, in its home', ({ written, home }) => {
    const places = files.flatMap((file) =>
      writtenAt(texts.get(file) as string, written).map((line) => `${file}:${line}`),
    );
    expect(places.filter((place) => !place.startsWith(`${home}:`))).toEqual([]);
    expect(places.filter((place) => place.startsWith(`${home}:`))).toHaveLength(1);
  });

  it('would catch a default written again', () => {
    const copy = 'export const SAMPLE = { tokens: 300, seed: 1337 };\n// seed: 1337 in a comment is fine\n';
    expect(writtenAt(copy, DEFAULTS[0].written)).toEqual([1]);
    expect(writtenAt('const options = { lr: 3e-4 };', DEFAULTS[1].written)).toEqual([1]);
  });
});
