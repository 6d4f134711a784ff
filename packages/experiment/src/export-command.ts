// `export`: the width-m submodel, or a Mix'n'Match mix, as a standalone .safetensors file that
// `sample --run` loads.
import { dirname } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { useBackend } from './backend';
import { formatMix, nestsSubmodels, saveSafetensors } from '@matryoshka/nested-transformer';
import { UserError } from './cli/errors';
import { parseFlags, type FlagSpec } from './cli/flags';
import { backendFlag, replicaFlag } from './settings';
import type { AppDefinition } from './app-definition';
import { EXPORT_RUN_METADATA_KEY, loadRun } from './load-run';

const exportFlags = [
  { name: 'run', type: 'string', metavar: 'DIR', required: true, help: 'run directory written by train' },
  { name: 'width', type: 'int', min: 1, help: 'nested width to export' },
  {
    name: 'layer-widths',
    type: 'int',
    list: true,
    min: 0,
    help: "export a Mix'n'Match mix instead: one nested width per layer (0 skips a layer: width+depth only)",
  },
  { name: 'out', type: 'string', metavar: 'FILE', required: true, help: 'the .safetensors file to write' },
  replicaFlag,
  backendFlag,
] as const satisfies readonly FlagSpec[];

export async function exportCommand(app: AppDefinition, argv: readonly string[]): Promise<string> {
  const flags = parseFlags(argv, exportFlags, {
    command: `npx nx run ${app.name}:export --`,
    description: "Write one width (a smaller GPT) or one Mix'n'Match mix of a nested run as a standalone model.",
  });
  if ((flags.width === undefined) === (flags.layerWidths === undefined))
    throw new UserError('export: give --width or --layer-widths (one of them)');
  if (!flags.out.endsWith('.safetensors'))
    throw new UserError(`--out ${flags.out}: the file name must end in .safetensors`);
  if (existsSync(flags.out)) throw new UserError(`--out ${flags.out} already exists; choose another file`);
  await useBackend({ prefer: flags.backend });
  const run = loadRun(flags.run, flags.replica, { app, target: 'export' });
  try {
    if (!nestsSubmodels(run.model.config.nesting)) {
      throw new UserError(
        `--run ${flags.run}: only nested runs (the nested app) hold standalone submodels; this run nests its embedding only`,
      );
    }
    let sub;
    let what: string;
    if (flags.layerWidths) {
      try {
        sub = run.model.extractMix(flags.layerWidths);
      } catch (error) {
        throw new UserError(`--layer-widths: ${(error as Error).message.replace(/^layer widths/, 'layer width')}`);
      }
      what = `mix ${formatMix(flags.layerWidths)}`;
    } else {
      const width = flags.width as number;
      if (!run.model.widths.includes(width))
        throw new UserError(`--width ${width} is not a width of this model (${run.model.widths.join(', ')})`);
      sub = run.model.extractSubmodel(width);
      what = `width ${width}`;
    }
    // The run's config with the standalone model's shape: what `sample` and `load-run` read back.
    const config = { ...run.config, model: sub.config, exportedFrom: run.source, step: run.step };
    mkdirSync(dirname(flags.out) || '.', { recursive: true });
    saveSafetensors(flags.out, sub, { [EXPORT_RUN_METADATA_KEY]: JSON.stringify(config) });
    process.stderr.write(
      `export: ${what}${run.replicas ? ` of replica ${run.replicas.index} (${run.replicas.plan[run.replicas.index].label})` : ''} (${sub.parameterCount().toLocaleString('en')} parameters, ${sub.flopsPerToken().toLocaleString('en')} FLOPs/token) -> ${flags.out}\n`,
    );
    sub.dispose();
    return flags.out;
  } finally {
    run.model.dispose();
  }
}
