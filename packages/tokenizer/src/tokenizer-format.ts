import { formatCodePoint, isSingleCodePoint } from './code-points';

/** The saved form of a CharTokenizer. Ids are positions in `vocabulary`. */
export interface CharTokenizerJSON {
  format: typeof TOKENIZER_FORMAT;
  version: typeof TOKENIZER_FORMAT_VERSION;
  vocabulary: string[];
}

export const TOKENIZER_FORMAT = 'matryoshka-char-tokenizer';
export const TOKENIZER_FORMAT_VERSION = 1;

/**
 * Check a vocabulary: a non-empty list of distinct single code points.
 * `source` names where it came from (a file, "JSON", a caller) for the error messages.
 */
export function validateVocabulary(vocabulary: unknown, source: string): string[] {
  if (!Array.isArray(vocabulary)) {
    throw new Error(`${source}: field "vocabulary" must be an array of single characters, got ${typeName(vocabulary)}`);
  }
  if (vocabulary.length === 0) {
    throw new Error(`${source}: field "vocabulary" is empty; a tokenizer needs at least one character`);
  }
  const seenAt = new Map<string, number>();
  vocabulary.forEach((entry: unknown, index) => {
    if (typeof entry !== 'string') {
      throw new Error(`${source}: field "vocabulary[${index}]" must be a string, got ${typeName(entry)}`);
    }
    if (!isSingleCodePoint(entry)) {
      const count = Array.from(entry).length;
      throw new Error(
        `${source}: field "vocabulary[${index}]" = ${JSON.stringify(entry)} must be exactly one code point, it has ${count}`,
      );
    }
    const previous = seenAt.get(entry);
    if (previous !== undefined) {
      throw new Error(
        `${source}: field "vocabulary" has duplicate character ${JSON.stringify(entry)} ` +
          `(${formatCodePoint(entry.codePointAt(0) as number)}) at indices ${previous} and ${index}`,
      );
    }
    seenAt.set(entry, index);
  });
  return vocabulary as string[];
}

/** Validate a parsed saved tokenizer and return its vocabulary. */
export function parseTokenizerJSON(value: unknown, source: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(
      `${source}: expected a JSON object with fields "format", "version", "vocabulary", got ${typeName(value)}`,
    );
  }
  const obj = value as Record<string, unknown>;
  if (obj.format !== TOKENIZER_FORMAT) {
    throw new Error(`${source}: field "format" must be ${JSON.stringify(TOKENIZER_FORMAT)}, got ${show(obj.format)}`);
  }
  if (obj.version !== TOKENIZER_FORMAT_VERSION) {
    throw new Error(
      `${source}: field "version" is ${show(obj.version)}; this build reads version ${TOKENIZER_FORMAT_VERSION} only`,
    );
  }
  return validateVocabulary(obj.vocabulary, source);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${show(value)}`;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing (field missing)' : (JSON.stringify(value) ?? String(value));
}
