import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import { formatHierarchy } from './format-hierarchy';
import type { Hierarchy } from './hierarchy';
import { saveHierarchy } from './hierarchy-file';

// The workspace has one atomic writer (tokenizer's writeFileAtomic); saveHierarchy goes through it.
jest.mock('@matryoshka/tokenizer', () => {
  const actual = jest.requireActual('@matryoshka/tokenizer');
  return { ...actual, writeFileAtomic: jest.fn(actual.writeFileAtomic) };
});

const hierarchy: Hierarchy = {
  name: 'demo',
  levels: [{ width: 2, groups: { symbols: [' ', '!'], letters: ['a', 'b'] } }],
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'save-hierarchy-'));
  jest.mocked(writeFileAtomic).mockClear();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('saveHierarchy', () => {
  it("writes with the workspace's atomic writer", () => {
    const file = path.join(dir, 'h.json');
    saveHierarchy(file, hierarchy);
    expect(writeFileAtomic).toHaveBeenCalledTimes(1);
    expect(writeFileAtomic).toHaveBeenCalledWith(file, formatHierarchy(hierarchy));
    expect(fs.readFileSync(file, 'utf8')).toBe(formatHierarchy(hierarchy));
  });

  it('names the hierarchy file and the reason when it cannot write, leaving nothing behind', () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const file = path.join(blocker, 'h.json');
    expect(() => saveHierarchy(file, hierarchy)).toThrow(
      new RegExp(`^could not write hierarchy file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (EEXIST|ENOTDIR)`),
    );
    expect(fs.readdirSync(dir)).toEqual(['not-a-dir']);
  });
});
