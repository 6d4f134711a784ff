import * as fs from 'node:fs';
import { JsonParseError, parseJson, writeFileAtomic } from '@matryoshka/tokenizer';
import type { Hierarchy } from './hierarchy';
import { formatHierarchy } from './format-hierarchy';
import { parseHierarchy } from './parse-hierarchy';

/** Read, parse and structurally check a hierarchy file (vocabulary checks: validateHierarchy). */
export function loadHierarchy(file: string): Hierarchy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read hierarchy file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = parseJson(text, `hierarchy file ${file}`);
  } catch (error) {
    if (!(error instanceof JsonParseError)) throw error;
    // This message has always given the character offset as well as the line and column.
    const where = error.position
      ? ` at position ${error.position.offset} (line ${error.position.line}, column ${error.position.column})`
      : '';
    throw new Error(`hierarchy file ${file} is not valid JSON${where}: ${error.detail}`, { cause: error });
  }
  return parseHierarchy(json, file);
}

/**
 * Write a hierarchy as pretty JSON, atomically (writeFileAtomic: a temporary file in the same
 * directory, then a rename), so a reader never sees half a file.
 */
export function saveHierarchy(file: string, hierarchy: Hierarchy): void {
  const checked = parseHierarchy(hierarchy, file);
  try {
    writeFileAtomic(file, formatHierarchy(checked));
  } catch (error) {
    const reason = ((error as Error).cause as Error | undefined) ?? (error as Error);
    throw new Error(`could not write hierarchy file ${file}: ${reason.message}`, { cause: error });
  }
}
