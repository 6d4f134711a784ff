// How the apps check their --help texts: every target's usage, rendered in-process exactly as
// `<target> --help` prints it, and the lines of it that state a default badly.
import { HelpRequested } from './cli/errors';
import type { AppDefinition } from './app-definition';
import { runTarget, targetNames } from './run-app';

/** Target name -> the text `npx nx run <app>:<target> -- --help` prints. */
export async function helpTexts(app: AppDefinition): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const target of targetNames(app)) {
    try {
      await runTarget(app, [target, '--help']);
    } catch (error) {
      if (!(error instanceof HelpRequested)) throw error;
      texts[target] = error.usage;
      continue;
    }
    throw new Error(`${app.name} ${target} --help printed no usage`);
  }
  return texts;
}

/**
 * The lines of a help text that show `null` or `undefined`, state a default twice, hold a raw
 * control character, or leave a parenthesis open (a default with a raw line break in it).
 */
export function helpProblems(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const count = (pattern: RegExp) => (line.match(pattern) ?? []).length;
    const problems = [
      /\b(null|undefined)\b/.test(line) && 'null or undefined',
      count(/\(default/g) > 1 && 'two defaults',
      /[\p{Cc}\u2028\u2029]/u.test(line) && 'a raw control character',
      count(/\(/g) !== count(/\)/g) && 'unbalanced parentheses',
    ];
    return problems.filter((p): p is string => !!p).map((p) => `${p}: ${JSON.stringify(line)}`);
  });
}

/** Nx targets every project has, which are not an app's own (project.json's other targets are). */
const WORKSPACE_TARGETS = ['test', 'lint', 'typecheck'];

/**
 * Everything wrong with an app's targets as a user meets them: a target of `nxTargets` (its
 * project.json) that the app lacks or the reverse, and the problem lines of each target's --help.
 * Empty when all is well.
 */
export async function appTargetProblems(app: AppDefinition, nxTargets: readonly string[]): Promise<string[]> {
  const own = targetNames(app);
  const offered = nxTargets.filter((t) => !WORKSPACE_TARGETS.includes(t));
  const problems = [
    ...offered.filter((t) => !own.includes(t)).map((t) => `Nx offers ${t}, which ${app.name} does not have`),
    ...own.filter((t) => !offered.includes(t)).map((t) => `${app.name} has ${t}, which Nx does not offer`),
  ];
  for (const [target, text] of Object.entries(await helpTexts(app))) {
    problems.push(...helpProblems(text).map((line) => `${target} --help: ${line}`));
  }
  return problems;
}
