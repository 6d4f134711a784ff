import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharTokenizer } from './char-tokenizer';

describe('CharTokenizer JSON format and files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-file-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writeJson = (name: string, value: unknown): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('toJSON has the versioned shape', () => {
    expect(CharTokenizer.fromCorpus('ba\n').toJSON()).toEqual({
      format: 'matryoshka-char-tokenizer',
      version: 1,
      vocabulary: ['\n', 'a', 'b'],
    });
  });

  it('save/load round-trips a non-ASCII vocabulary and leaves no temp files', () => {
    const original = CharTokenizer.fromCorpus('Grüße, 世界! 🙂👍🏽\n\t"\\');
    const file = path.join(dir, 'tok.json');
    original.save(file);
    const loaded = CharTokenizer.load(file);
    expect(loaded.vocabulary).toEqual(original.vocabulary);
    expect(Array.from(loaded.encode('世界 🙂'))).toEqual(Array.from(original.encode('世界 🙂')));
    expect(fs.readdirSync(dir)).toEqual(['tok.json']);
    // overwrite in place works too
    CharTokenizer.fromCorpus('xy').save(file);
    expect(CharTokenizer.load(file).vocabulary).toEqual(['x', 'y']);
  });

  it('fromJSON keeps the saved order (ids are positions)', () => {
    const t = CharTokenizer.fromJSON({ format: 'matryoshka-char-tokenizer', version: 1, vocabulary: ['z', 'a'] });
    expect(Array.from(t.encode('az'))).toEqual([1, 0]);
  });

  it('names the file for a missing file and for invalid JSON', () => {
    const missing = path.join(dir, 'missing.json');
    expect(() => CharTokenizer.load(missing)).toThrow(`could not read tokenizer file ${missing}`);
    const broken = writeJson('broken.json', '{"format": ');
    expect(() => CharTokenizer.load(broken)).toThrow(`tokenizer file ${broken} is not valid JSON`);
  });

  const good = { format: 'matryoshka-char-tokenizer', version: 1, vocabulary: ['a', 'b'] };
  it.each([
    ['a top-level array', ['a'], /expected a JSON object/],
    [
      'the wrong format',
      { ...good, format: 'gpt2-bpe' },
      /field "format" must be "matryoshka-char-tokenizer", got "gpt2-bpe"/,
    ],
    ['a missing format', { version: 1, vocabulary: ['a'] }, /field "format" .* got nothing \(field missing\)/],
    ['a newer version', { ...good, version: 2 }, /field "version" is 2; this build reads version 1 only/],
    [
      'a vocabulary that is not an array',
      { ...good, vocabulary: 'ab' },
      /field "vocabulary" must be an array .* got string "ab"/,
    ],
    ['an empty vocabulary', { ...good, vocabulary: [] }, /field "vocabulary" is empty/],
    ['a non-string entry', { ...good, vocabulary: ['a', 7] }, /field "vocabulary\[1\]" must be a string, got number 7/],
    [
      'a multi-code-point entry',
      { ...good, vocabulary: ['a', '👍🏽'] },
      /field "vocabulary\[1\]" = "👍🏽" must be exactly one code point, it has 2/,
    ],
    [
      'an empty-string entry',
      { ...good, vocabulary: [''] },
      /field "vocabulary\[0\]" = "" must be exactly one code point, it has 0/,
    ],
    [
      'duplicate characters',
      { ...good, vocabulary: ['a', '\n', 'a'] },
      /duplicate character "a" \(U\+0061\) at indices 0 and 2/,
    ],
  ])('rejects %s, naming the file and field', (_label, content, pattern) => {
    const file = writeJson('bad.json', content);
    let message = '';
    try {
      CharTokenizer.load(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`tokenizer file ${file}`);
    expect(message).toMatch(pattern);
  });

  it('the constructor applies the same checks', () => {
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(
      /CharTokenizer: field "vocabulary" has duplicate character "a"/,
    );
  });
});
