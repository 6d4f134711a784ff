// How the apps check their --help texts: every target's usage, rendered in-process exactly as
// `<target> --help` prints it, and the lines of it that state a default badly.
import { HelpRequested } from '@matryoshka/training';
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
