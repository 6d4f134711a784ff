// The app rows of the bench: experiments 1-3 trained as a user trains them, each app's `train`
// with its defaults in a process of its own (`node apps/<app>/bin.js train`: process start-up,
// tsx, the backend, data, training, evaluation and checkpoints included; Nx's start-up, about
// 2.4 s, not). Each app picks its own backend and engine, as `train` does (`--engine` passes on).
// Our side of the README's side-by-side with the original notebooks, which are timed outside the
// project.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { METRICS_FILE, readMetrics } from '@matryoshka/training';

const ROOT = resolve(__dirname, '../../..');

/** Each app's default run, and a short one for --quick (emergent trains whole epochs). */
const APPS = [
  { app: 'mrl-embeddings', work: '5000 steps', quick: ['--steps', '300'] },
  { app: 'imposed', work: '1000 steps, widths 2..32', quick: ['--steps', '200'] },
  { app: 'emergent', work: '40 x 250 steps, re-clustering', quick: ['--epochs', '2', '--steps-per-epoch', '50'] },
] as const;

export function printAppRows(engines: readonly ('fused' | 'tfjs')[], quick: boolean): void {
  console.log(`\n== apps: each app's train${quick ? ' (quick: short runs)' : ', its defaults'}, a whole process each`);
  console.log('| app | work | engine | seconds (whole process) | final val loss per width |');
  console.log('| --- | --- | --- | ---: | --- |');
  const scratch = mkdtempSync(join(tmpdir(), 'bench-apps-'));
  try {
    for (const { app, work, quick: short } of APPS) {
      for (const engine of engines) {
        const out = join(scratch, `${app}-${engine}`);
        const bin = join(ROOT, 'apps', app, 'bin.js');
        const args = [bin, 'train', '--out', out, '--engine', engine, ...(quick ? short : [])];
        const started = performance.now();
        const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
        const seconds = (performance.now() - started) / 1000;
        const log = `${child.stdout}\n${child.stderr}`;
        if (child.status !== 0) {
          console.log(
            `| ${app} | ${work} | ${engine} | failed (exit ${child.status}) | ${log.trim().split('\n').pop()} |`,
          );
          continue;
        }
        // The run's last evaluation, from its metrics.jsonl (read, not parsed out of the log).
        const metrics = readMetrics(join(out, METRICS_FILE));
        const { val } = metrics[metrics.length - 1];
        const losses = Object.entries(val)
          .map(([width, loss]) => `${width}: ${loss.toFixed(3)}`)
          .join(', ');
        console.log(`| ${app} | ${quick ? short.join(' ') : work} | ${engine} | ${seconds.toFixed(1)} | ${losses} |`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
