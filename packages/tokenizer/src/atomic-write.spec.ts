import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-write-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes strings as UTF-8 and replaces an existing file, leaving no temporary file', () => {
    const file = path.join(dir, 'a.txt');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'Café 🙂\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('Café 🙂\n');
    expect(fs.readdirSync(dir)).toEqual(['a.txt']);
  });

  it('writes bytes exactly, with or without fsync, creating the parent directory', () => {
    const bytes = Uint8Array.from([0, 255, 1, 128, 10]);
    for (const fsync of [false, true]) {
      const file = path.join(dir, `sub-${fsync}`, 'deeper', 'b.bin');
      writeFileAtomic(file, bytes, { fsync });
      expect(Array.from(fs.readFileSync(file))).toEqual(Array.from(bytes));
      expect(fs.readdirSync(path.dirname(file))).toEqual(['b.bin']);
    }
  });

  it('names the file when it cannot write, and cleans up', () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    expect(() => writeFileAtomic(path.join(blocker, 'c.txt'), 'y')).toThrow(/could not write .*not-a-dir\/c\.txt/);
    const target = path.join(dir, 'is-a-dir');
    fs.mkdirSync(target);
    expect(() => writeFileAtomic(target, 'z', { fsync: true })).toThrow(/could not write .*is-a-dir/);
    expect(fs.readdirSync(dir).sort()).toEqual(['is-a-dir', 'not-a-dir']);
    expect(() => writeFileAtomic('', 'z')).toThrow('writeFileAtomic: empty file path');
  });
});
