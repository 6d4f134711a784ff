// `export`: the width-m submodel as a standalone .safetensors file that `sample --run` loads.
import { dirname } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { useBackend } from './backend';
import { saveSafetensors } from '@matryoshka/nested-transformer';
import { UserError, backendFlag, parseFlags, type FlagSpec } from '@matryoshka/training';
import type { AppDefinition } from './app-definition';
import { EXPORT_RUN_METADATA_KEY, loadRun } from './load-run';

const exportFlags: FlagSpec[] = [
  { name: 'run', key: 'run', type: 'string', metavar: 'DIR', required: true, help: 'run directory written by train' },
  { name: 'width', key: 'width', type: 'int', min: 1, required: true, help: 'nested width to export' },
  { name: 'out', key: 'out', type: 'string', metavar: 'FILE', required: true, help: 'the .safetensors file to write' },
  backendFlag,
];

export async function exportCommand(app: AppDefinition, argv: readonly string[]): Promise<string> {
  const flags = parseFlags<{ run: string; width: number; out: string; backend?: 'node' | 'wasm' | 'cpu' }>(argv, exportFlags, {
    command: `npx nx run ${app.name}:export --`,
    description: 'Write one width of a nested run as a standalone model (a d = width GPT).',
  });
  if (!flags.out.endsWith('.safetensors')) throw new UserError(`--out ${flags.out}: the file name must end in .safetensors`);
  if (existsSync(flags.out)) throw new UserError(`--out ${flags.out} already exists; choose another file`);
  await useBackend({ prefer: flags.backend });
  const run = loadRun(flags.run);
  try {
    if (run.model.config.nesting !== 'width') {
      throw new UserError(`--run ${flags.run}: only width-nested runs (the nested app) hold standalone submodels; this run nests its embedding only`);
    }
    if (!run.model.widths.includes(flags.width)) {
      throw new UserError(`--width ${flags.width} is not a width of this model (${run.model.widths.join(', ')})`);
    }
    const sub = run.model.extractSubmodel(flags.width);
    const minPower = Math.log2(sub.widths[0]);
    const config = { ...run.config, width: flags.width, minPower, exportedFrom: run.source, step: run.step };
    mkdirSync(dirname(flags.out) || '.', { recursive: true });
    saveSafetensors(flags.out, sub, { [EXPORT_RUN_METADATA_KEY]: JSON.stringify(config) });
    sub.dispose();
    process.stderr.write(`export: width ${flags.width} (${sub.parameterCount().toLocaleString('en')} parameters) -> ${flags.out}\n`);
    return flags.out;
  } finally {
    run.model.dispose();
  }
}
