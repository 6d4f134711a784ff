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
 * Offset of the first JSON syntax error in `text`, or -1 when it is valid JSON.
 *
 * Why not read it from JSON.parse's message: V8 reports "at position N" for some errors but not
 * others ("Unexpected token ',', ... is not valid JSON"), so we find the spot ourselves with a
 * small recursive-descent scan of the JSON grammar (RFC 8259).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  class Stop extends Error {}
  const stop = (): never => {
    throw new Stop();
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (char: string): void => {
    if (text[i] !== char) stop();
    i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else stop();
  };
  const string = (): void => {
    expect('"');
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) stop();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop();
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) i++;
        else stop();
      } else i++;
    }
    i++;
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) stop();
    else i += match[0].length;
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      skipSpace();
      if (text[i] === '}') return void i++;
      for (;;) {
        skipSpace();
        string();
        skipSpace();
        expect(':');
        value();
        skipSpace();
        if (text[i] === '}') return void i++;
        expect(',');
      }
    } else if (c === '[') {
      i++;
      skipSpace();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        skipSpace();
        if (text[i] === ']') return void i++;
        expect(',');
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    skipSpace();
    return i < text.length ? i : -1;
  } catch (error) {
    if (error instanceof Stop) return Math.min(i, text.length);
    throw error;
  }
}
