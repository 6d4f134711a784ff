// An app's command line: `<target> [flags]` -> the shared commands or the app's own.
import { UserError } from './cli/errors';
import { StoppedEarly, runMain } from './run-main';
import type { AppDefinition } from './app-definition';
import { analyzeCommand } from './analyze-command';
import { compareCommand } from './compare-command';
import { sampleCommand } from './sample-command';
import { trainCommand } from './train-command';

const SHARED: Record<string, { help: string; run(app: AppDefinition, argv: readonly string[]): Promise<unknown> }> = {
  train: {
    help: 'train a model into a new run directory (or --resume one)',
    async run(app, argv) {
      const { summary } = await trainCommand(app, argv);
      if (summary.stopped) throw new StoppedEarly(); // Ctrl-C: checkpointed and said so; exit 130
    },
  },
  sample: { help: 'generate text at one width or at every width', run: sampleCommand },
  analyze: { help: 'pictures, similarity.json and report.html for a run', run: analyzeCommand },
  compare: {
    help: 'runs of any app side by side: val loss per width with spreads and paired differences, compare.html',
    run: compareCommand,
  },
};

/** The targets of an app: the shared ones, then its own. */
export function targetNames(app: AppDefinition): string[] {
  return [...Object.keys(SHARED), ...Object.keys(app.commands ?? {})];
}

export function usage(app: AppDefinition): string {
  const rows = [
    ...Object.entries(SHARED).map(([name, c]) => [name, c.help]),
    ...Object.entries(app.commands ?? {}).map(([name, c]) => [name, c.help]),
  ];
  return [
    `${app.name}: ${app.description}`,
    '',
    `usage: npx nx run ${app.name}:<target> -- [flags]      (or: tsx apps/${app.name}/src/main.ts <target> [flags])`,
    '',
    ...rows.map(([name, help]) => `  ${name.padEnd(10)} ${help}`),
    '',
    'Each target lists its flags with --help.',
  ].join('\n');
}

/** Run one target of an app; throws UserError for an unknown one. */
export async function runTarget(app: AppDefinition, argv: readonly string[]): Promise<void> {
  const [target, ...rest] = argv;
  if (!target || target === '--help' || target === '-h') {
    process.stdout.write(usage(app) + '\n');
    return;
  }
  const own = app.commands?.[target];
  if (own) {
    await own.run(rest);
    return;
  }
  const shared = SHARED[target];
  if (!shared) {
    throw new UserError(`unknown target "${target}"; expected one of ${targetNames(app).join(', ')}`);
  }
  await shared.run(app, rest);
}

/** The app's process entry point: one clear line on stderr and exit 1 for bad input. */
export function runApp(app: AppDefinition, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runMain(() => runTarget(app, argv));
}
