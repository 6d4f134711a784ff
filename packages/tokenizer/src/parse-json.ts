import { parseTree, type ParseError } from 'jsonc-parser';

/** Where a JSON syntax error is: character offset, and 1-based line and column. */
export interface JsonErrorPosition {
  offset: number;
  line: number;
  column: number;
}

/**
 * Malformed JSON, with the spot: `<source> is not valid JSON: line L, column C: <parser message>`
 * (without the line and column in the rare case the scan below finds no error).
 */
export class JsonParseError extends Error {
  constructor(
    /** What was parsed, as it should appear in the message: `config file runs/x.json`. */
    readonly source: string,
    /** The JSON parser's own message. */
    readonly detail: string,
    readonly position: JsonErrorPosition | undefined,
    options?: ErrorOptions,
  ) {
    const where = position ? `line ${position.line}, column ${position.column}: ` : '';
    super(`${source} is not valid JSON: ${where}${detail}`, options);
    this.name = 'JsonParseError';
  }
}

/**
 * JSON.parse, with errors that say where: a JsonParseError naming `source` and the line and
 * column of the first syntax error. The one JSON reader of user files in the workspace (config
 * files, hierarchy files).
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonParseError(source, (error as Error).message, jsonErrorPosition(text), { cause: error });
  }
}

/** The position of the first JSON syntax error in `text`, or undefined when it is valid JSON. */
export function jsonErrorPosition(text: string): JsonErrorPosition | undefined {
  let offset: number;
  try {
    offset = jsonErrorOffset(text);
  } catch {
    return undefined; // e.g. nesting too deep for the scan's recursion: no position, still the parser's message
  }
  if (offset < 0) return undefined;
  const before = text.slice(0, offset);
  return { offset, line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/**
 * Offset of the first JSON syntax error in `text`, or -1 when it is valid JSON: the start of the
 * token where jsonc-parser's scan (strict: no comments, no trailing commas) first fails. JSON.parse's
 * own message says "at position N" for some errors but not others, so it cannot be read from there.
 */
export function jsonErrorOffset(text: string): number {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  return errors.length ? Math.min(...errors.map((error) => error.offset)) : -1;
}

/** A path into a JSON document the way a reader would type it: `levels[1].groups.vowels[3]`, `(root)` for none. */
export function fieldPath(parts: readonly (string | number)[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}
