import * as fs from 'node:fs';
import * as path from 'node:path';

const CORPUS_RELATIVE_PATH = path.join('data', 'tinyshakespeare.txt');

/**
 * Find <repo>/data/tinyshakespeare.txt by walking up from `startDir` (by default this file's
 * directory, which is packages/tokenizer/src under ts-jest/tsx and packages/tokenizer/dist when
 * built). Throws, listing every place looked at, when there is none (e.g. installed elsewhere).
 */
export function findDefaultCorpusPath(startDir: string = __dirname): string {
  const searched: string[] = [];
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, CORPUS_RELATIVE_PATH);
    searched.push(candidate);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`default corpus ${CORPUS_RELATIVE_PATH} not found; looked at:\n  ${searched.join('\n  ')}`);
}

function tryFindDefaultCorpusPath(): string | undefined {
  try {
    return findDefaultCorpusPath();
  } catch {
    return undefined;
  }
}

/**
 * <repo>/data/tinyshakespeare.txt, or undefined when this package is used outside the repo.
 * Use `findDefaultCorpusPath()` to get an error that says where it looked.
 */
export const DEFAULT_CORPUS_PATH: string | undefined = tryFindDefaultCorpusPath();

/**
 * Read a UTF-8 text corpus. Invalid UTF-8 is an error rather than silently becoming U+FFFD,
 * since replacement characters would quietly enter the vocabulary. A leading BOM is dropped.
 * Without `file`, reads the default corpus.
 */
export function readCorpus(file: string = findDefaultCorpusPath()): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`corpus file not found: ${file}`, { cause: error });
    throw new Error(`could not read corpus file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`corpus file ${file} is not valid UTF-8`);
  }
  if (text.length === 0) throw new Error(`corpus file is empty: ${file}`);
  return text;
}
