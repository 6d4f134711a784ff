import { CharTokenizer } from './char-tokenizer';
import { findDefaultCorpusPath, readCorpus } from './corpus';
import { splitTrainVal } from './split';

describe('CharTokenizer on Tiny Shakespeare', () => {
  // Reading and encoding 1.1 MB takes a fraction of a second; share it across the checks.
  const text = readCorpus(findDefaultCorpusPath());
  const tokenizer = CharTokenizer.fromCorpus(text);

  it('has the known corpus length and 65-character vocabulary', () => {
    expect(text.length).toBe(1_115_394);
    expect(tokenizer.vocabSize).toBe(65);
    expect(tokenizer.idOf('\n')).toBe(0);
    expect(tokenizer.idOf(' ')).toBe(1);
    expect(tokenizer.idOf('a')).toBe(39);
    // '\n', ' ', 11 punctuation marks and '3' come first, then A-Z (13..38), then a-z (39..64).
    expect(tokenizer.vocabulary.join('')).toBe("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  });

  it('round-trips the whole corpus', () => {
    const ids = tokenizer.encode(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(1_115_394);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('splits 90/10 into 1,003,854 train and 111,540 val tokens', () => {
    const { train, val } = splitTrainVal(tokenizer.encode(text), 0.9);
    expect(train.length).toBe(1_003_854); // floor(1,115,394 * 0.9)
    expect(val.length).toBe(111_540);
  });
});

describe('CharTokenizer basics', () => {
  const tokenizer = CharTokenizer.fromCorpus('hello world\n');

  it('sorts the vocabulary by code point and numbers characters by position', () => {
    expect(tokenizer.vocabulary).toEqual(['\n', ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(Array.from(tokenizer.encode('hold'))).toEqual([4, 6, 5, 2]);
    expect(tokenizer.decode([8, 6, 7, 5, 2])).toBe('world');
    expect(tokenizer.decode(new Int32Array(0))).toBe('');
  });

  it('exposes a frozen vocabulary', () => {
    expect(Object.isFrozen(tokenizer.vocabulary)).toBe(true);
  });

  it('idOf rejects unknown characters and multi-character strings', () => {
    expect(() => tokenizer.idOf('z')).toThrow(/character "z" \(U\+007A\) is not in the vocabulary/);
    expect(() => tokenizer.idOf('he')).toThrow(/expected exactly one character \(code point\), got "he"/);
    expect(tokenizer.has('h')).toBe(true);
    expect(tokenizer.has('z')).toBe(false);
  });

  it('refuses an empty corpus', () => {
    expect(() => CharTokenizer.fromCorpus('')).toThrow(/corpus is empty/);
  });
});

describe('unknown characters and bad ids', () => {
  const tokenizer = CharTokenizer.fromCorpus('ab c?\n');

  it('names the unknown character (JSON-escaped), its code point and code-point position', () => {
    expect(() => tokenizer.encode('ab\tc')).toThrow(/unknown character "\\t" \(U\+0009\) at position 2 /);
    expect(() => tokenizer.encode('a🙂 x')).toThrow(/unknown character "🙂" \(U\+1F642\) at position 1 /);
    // The emoji takes two UTF-16 units but is one code point, so "x" is at code-point index 3, not 4.
    const withEmoji = CharTokenizer.fromCorpus('a 🙂');
    expect(() => withEmoji.encode('a🙂 x')).toThrow(/unknown character "x" \(U\+0078\) at position 3 /);
    expect(() => tokenizer.encode('a\n🙂')).toThrow(/position 2 /);
    expect(() => tokenizer.encode('ab x')).toThrow(/unknown character "x" \(U\+0078\) at position 3 /);
  });

  it('replaces unknown characters when asked, one replacement per code point', () => {
    const ids = tokenizer.encode('a🙂\tb', { unknown: 'replace', replacement: '?' });
    const q = tokenizer.idOf('?');
    expect(Array.from(ids)).toEqual([tokenizer.idOf('a'), q, q, tokenizer.idOf('b')]);
    expect(tokenizer.decode(ids)).toBe('a??b');
  });

  it('requires a replacement that is in the vocabulary', () => {
    expect(() => tokenizer.encode('a', { unknown: 'replace', replacement: '#' })).toThrow(
      /replacement "#" must be a single character that is in the vocabulary/,
    );
    expect(() => tokenizer.encode('a', { unknown: 'replace' })).toThrow(/option "replacement" is required/);
    expect(() => tokenizer.encode('a', { unknown: 'replace', replacement: '??' })).toThrow(/replacement "\?\?"/);
  });

  it('decode names an out-of-range id and its position', () => {
    expect(() => tokenizer.decode([0, 1, 6])).toThrow(
      /id 6 at position 2 is out of range; valid ids are integers 0\.\.5/,
    );
    expect(() => tokenizer.decode([-1])).toThrow(/id -1 at position 0/);
    expect(() => tokenizer.decode([0, 1.5])).toThrow(/id 1.5 at position 1/);
  });
});

describe('non-ASCII corpora', () => {
  // Accents, CJK, a fullwidth BMP letter above the surrogate range (U+FF71), and emoji:
  // "👍🏽" is two code points (thumbs up U+1F44D + skin tone modifier U+1F3FD).
  const corpus = 'Café naïve — 日本語 ｱ 🙂👍🏽\n';
  const tokenizer = CharTokenizer.fromCorpus(corpus);

  it('round-trips', () => {
    expect(tokenizer.decode(tokenizer.encode(corpus))).toBe(corpus);
  });

  it('counts one token per code point', () => {
    expect(tokenizer.encode('🙂').length).toBe(1);
    expect(Array.from(tokenizer.encode('👍🏽'))).toEqual([tokenizer.idOf('👍'), tokenizer.idOf('🏽')]);
    expect(tokenizer.encode(corpus).length).toBe(Array.from(corpus).length);
    expect(tokenizer.vocabulary.every((c) => Array.from(c).length === 1)).toBe(true);
  });

  it('orders by code point, not by UTF-16 unit (U+FF71 before the astral emoji)', () => {
    const codePoints = tokenizer.vocabulary.map((c) => c.codePointAt(0) as number);
    for (let i = 1; i < codePoints.length; i++) expect(codePoints[i]).toBeGreaterThan(codePoints[i - 1]);
    const tail = tokenizer.vocabulary.slice(-4);
    expect(tail).toEqual(['ｱ', '🏽', '👍', '🙂']);
  });
});
