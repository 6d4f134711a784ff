import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CORPUS_PATH, findDefaultCorpusPath, readCorpus } from './corpus';

describe('corpus helpers', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-corpus-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('DEFAULT_CORPUS_PATH is <repo>/data/tinyshakespeare.txt', () => {
    const repoRoot = path.resolve(__dirname, '..', '..', '..');
    expect(DEFAULT_CORPUS_PATH).toBe(path.join(repoRoot, 'data', 'tinyshakespeare.txt'));
  });

  it('findDefaultCorpusPath finds data/ in an ancestor and lists where it looked when it cannot', () => {
    const nested = path.join(dir, 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    let message = '';
    try {
      findDefaultCorpusPath(nested);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/default corpus data.tinyshakespeare\.txt not found/);
    expect(message).toContain(path.join(nested, 'data', 'tinyshakespeare.txt'));
    expect(message).toContain(path.join(dir, 'data', 'tinyshakespeare.txt'));

    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'tinyshakespeare.txt'), 'x');
    expect(findDefaultCorpusPath(nested)).toBe(path.join(dir, 'data', 'tinyshakespeare.txt'));
  });

  it('readCorpus reads UTF-8 and drops a BOM', () => {
    const file = path.join(dir, 'c.txt');
    fs.writeFileSync(file, '\uFEFFCafé 🙂\n', 'utf8');
    expect(readCorpus(file)).toBe('Café 🙂\n');
  });

  it('readCorpus names the file when it is missing, empty or not UTF-8', () => {
    const missing = path.join(dir, 'nope.txt');
    expect(() => readCorpus(missing)).toThrow(`corpus file not found: ${missing}`);
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    expect(() => readCorpus(empty)).toThrow(`corpus file is empty: ${empty}`);
    const latin1 = path.join(dir, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.from([0x43, 0x61, 0x66, 0xe9])); // "Café" in Latin-1
    expect(() => readCorpus(latin1)).toThrow(`corpus file ${latin1} is not valid UTF-8`);
  });
});
