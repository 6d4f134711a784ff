// The character tokenizer without file access (browser-safe); char-tokenizer.ts adds load/save.
import { formatCodePoint, isSingleCodePoint } from './code-points';
import {
  CharTokenizerJSON,
  parseTokenizerJSON,
  TOKENIZER_FORMAT,
  TOKENIZER_FORMAT_VERSION,
  validateVocabulary,
} from './tokenizer-format';

/** What `encode` does with a character that is not in the vocabulary. */
export interface EncodeOptions {
  /** 'error' (default) throws; 'replace' encodes `replacement` instead. */
  unknown?: 'error' | 'replace';
  /** The stand-in character for 'replace' mode; must itself be in the vocabulary. */
  replacement?: string;
}

/**
 * One token per Unicode code point. Ids are indices into `vocabulary`; a tokenizer built
 * from a corpus sorts its characters by code point, so the ids do not depend on the corpus order.
 */
export class CharTokenizer {
  readonly vocabulary: readonly string[];
  private readonly idByCodePoint: Map<number, number>;

  constructor(vocabulary: readonly string[]) {
    const checked = validateVocabulary(vocabulary, 'CharTokenizer');
    this.vocabulary = Object.freeze([...checked]);
    this.idByCodePoint = new Map(checked.map((char, id) => [char.codePointAt(0) as number, id]));
  }

  /** Vocabulary = the distinct code points of `text`, in ascending numeric code-point order. */
  static fromCorpus<T extends CharTokenizer>(this: new (vocabulary: readonly string[]) => T, text: string): T {
    if (typeof text !== 'string' || text.length === 0) {
      throw new Error('CharTokenizer.fromCorpus: the corpus is empty; cannot build a vocabulary from it');
    }
    const codePoints = new Set<number>();
    for (const char of text) codePoints.add(char.codePointAt(0) as number);
    const sorted = [...codePoints].sort((a, b) => a - b);
    return new this(sorted.map((cp) => String.fromCodePoint(cp)));
  }

  /** Build from the saved form; `source` names the origin in error messages. */
  static fromJSON<T extends CharTokenizer>(
    this: new (vocabulary: readonly string[]) => T,
    value: unknown,
    source = 'CharTokenizer.fromJSON',
  ): T {
    return new this(parseTokenizerJSON(value, source));
  }

  get vocabSize(): number {
    return this.vocabulary.length;
  }

  has(char: string): boolean {
    return isSingleCodePoint(char) && this.idByCodePoint.has(char.codePointAt(0) as number);
  }

  /** The id of one character; throws if it is not a single code point or not in the vocabulary. */
  idOf(char: string): number {
    if (!isSingleCodePoint(char)) {
      throw new Error(`CharTokenizer.idOf: expected exactly one character (code point), got ${JSON.stringify(char)}`);
    }
    const codePoint = char.codePointAt(0) as number;
    const id = this.idByCodePoint.get(codePoint);
    if (id === undefined) {
      throw new Error(
        `CharTokenizer.idOf: character ${JSON.stringify(char)} (${formatCodePoint(codePoint)}) is not in the vocabulary`,
      );
    }
    return id;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    if (typeof text !== 'string') {
      throw new Error(`CharTokenizer.encode: expected a string, got ${typeof text}`);
    }
    const replacementId = this.resolveReplacement(options);
    // A string has at least as many UTF-16 units as code points, so this buffer is big enough.
    const ids = new Int32Array(text.length);
    let count = 0;
    for (let unit = 0; unit < text.length;) {
      const codePoint = text.codePointAt(unit) as number;
      const id = this.idByCodePoint.get(codePoint);
      if (id !== undefined) {
        ids[count] = id;
      } else if (replacementId !== undefined) {
        ids[count] = replacementId;
      } else {
        const char = String.fromCodePoint(codePoint);
        throw new Error(
          `CharTokenizer.encode: unknown character ${JSON.stringify(char)} (${formatCodePoint(codePoint)}) ` +
            `at position ${count} (code-point index); it is not among the ${this.vocabSize} characters ` +
            `of the vocabulary. Pass { unknown: 'replace', replacement: <char> } to substitute it.`,
        );
      }
      count++;
      unit += codePoint > 0xffff ? 2 : 1;
    }
    return count === ids.length ? ids : ids.slice(0, count);
  }

  decode(ids: ArrayLike<number>): string {
    const chars = new Array<string>(ids.length);
    for (let position = 0; position < ids.length; position++) {
      const id = ids[position];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(
          `CharTokenizer.decode: id ${String(id)} at position ${position} is out of range; ` +
            `valid ids are integers 0..${this.vocabSize - 1}`,
        );
      }
      chars[position] = this.vocabulary[id];
    }
    return chars.join('');
  }

  toJSON(): CharTokenizerJSON {
    return { format: TOKENIZER_FORMAT, version: TOKENIZER_FORMAT_VERSION, vocabulary: [...this.vocabulary] };
  }

  private resolveReplacement(options: EncodeOptions): number | undefined {
    const mode = options.unknown ?? 'error';
    if (mode === 'error') return undefined;
    if (mode !== 'replace') {
      throw new Error(
        `CharTokenizer.encode: option "unknown" must be 'error' or 'replace', got ${JSON.stringify(mode)}`,
      );
    }
    const replacement = options.replacement;
    if (replacement === undefined) {
      throw new Error(`CharTokenizer.encode: option "replacement" is required when unknown is 'replace'`);
    }
    if (!this.has(replacement)) {
      throw new Error(
        `CharTokenizer.encode: replacement ${JSON.stringify(replacement)} must be a single character ` +
          `that is in the vocabulary`,
      );
    }
    return this.idOf(replacement);
  }
}
