import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hierarchy } from './hierarchy';
import { jsonErrorOffset } from './json-error-offset';
import { formatHierarchy } from './format-hierarchy';
import { parseHierarchy } from './parse-hierarchy';

/** "line L, column C" of a character offset, for pointing at a JSON syntax error. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

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
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = jsonErrorOffset(text);
    const where = offset >= 0 ? ` at position ${offset} (${lineAndColumn(text, offset)})` : '';
    throw new Error(`hierarchy file ${file} is not valid JSON${where}: ${message}`, { cause: error });
  }
  return parseHierarchy(json, file);
}

let tempCounter = 0;

/**
 * Write a hierarchy as pretty JSON, atomically: a temporary file in the same directory (same
 * filesystem), then a rename, so a reader never sees half a file.
 */
export function saveHierarchy(file: string, hierarchy: Hierarchy): void {
  const checked = parseHierarchy(hierarchy, file);
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`);
  try {
    fs.writeFileSync(temp, formatHierarchy(checked), 'utf8');
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new Error(`could not write hierarchy file ${file}: ${(error as Error).message}`, { cause: error });
  }
}
