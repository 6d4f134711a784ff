import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Hierarchy } from './hierarchy';
import { loadHierarchy, saveHierarchy } from './hierarchy-file';
import { parseHierarchy } from './parse-hierarchy';
import { validateHierarchy } from './validate-hierarchy';

const VOCABULARY = ['\n', ' ', '!', '.', '?', 'A', 'E', 'a', 'b', 'e'];
const WIDTHS = [2, 4, 8, 16];

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hierarchy-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
const writeJson = (name: string, value: unknown): string => writeFile(name, JSON.stringify(value));
const loadAndValidate = (file: string): Hierarchy => {
  const h = loadHierarchy(file);
  validateHierarchy(h, VOCABULARY, WIDTHS);
  return h;
};

const good: Hierarchy = {
  name: 'small',
  levels: [
    { width: 2, groups: { symbols: ['\n', ' ', '!', '.', '?'], letters: ['A', 'E', 'a', 'b', 'e'] } },
    { width: 8, groups: { vowels: ['A', 'E', 'a', 'e'] } },
  ],
};

describe('saveHierarchy / loadHierarchy', () => {
  it('round-trips a hierarchy through pretty JSON, leaving no temporary file behind', () => {
    const file = path.join(dir, 'nested', 'h.json');
    saveHierarchy(file, good);
    expect(loadAndValidate(file)).toEqual(good);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['h.json']);
    expect(fs.readFileSync(file, 'utf8')).toContain('\n        "vowels": ["A", "E", "a", "e"]');
  });

  it('replaces an existing file', () => {
    const file = writeFile('h.json', 'old');
    saveHierarchy(file, good);
    expect(loadHierarchy(file)).toEqual(good);
  });

  it('refuses to save something that is not a hierarchy', () => {
    const file = path.join(dir, 'bad.json');
    expect(() => saveHierarchy(file, { name: 'x', levels: [{ width: 2, groups: { g: [7] } }] } as never)).toThrow(
      `${file}: levels[0].groups.g[0] must be a token string, got number 7`,
    );
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('bad hierarchy files give clear errors', () => {
  it('malformed JSON: names the file, the line/column and the parse error position', () => {
    const file = writeFile('broken.json', '{\n  "name": "x",\n  "levels": [,]\n}');
    // "{\n" is 2 chars, '  "name": "x",\n' 15, then '  "levels": [' puts the comma at offset 30.
    expect(() => loadHierarchy(file)).toThrow(
      `hierarchy file ${file} is not valid JSON at position 30 (line 3, column 14): `,
    );
  });

  it('missing file: names it', () => {
    expect(() => loadHierarchy(path.join(dir, 'nope.json'))).toThrow(/cannot read hierarchy file .*nope\.json/);
  });

  it('wrong field type: names the file and the JSON path', () => {
    const levels = [good.levels[0], { width: 8, groups: { vowels: ['A', 'E', 'a', 5] } }];
    const file = writeJson('types.json', { name: 'x', levels });
    expect(() => loadHierarchy(file)).toThrow(
      `${file}: levels[1].groups.vowels[3] must be a token string, got number 5`,
    );
  });

  it.each([
    [{ levels: [] }, 'name must be a string, got nothing (field missing)'],
    [{ name: 'x', levels: {} }, 'levels must be an array of levels, got an object'],
    [{ name: 'x', levels: [{ width: 2.5, groups: {} }] }, 'levels[0].width must be a positive integer, got number 2.5'],
    [
      { name: 'x', levels: [{ width: 2, groups: [] }] },
      'levels[0].groups must be an object mapping group names to token lists, got an array',
    ],
    [
      { name: 'x', levels: [{ width: 2, groups: { 'end of sentence': '!.?' } }] },
      'levels[0].groups["end of sentence"] must be an array of tokens, got string "!.?"',
    ],
    [
      { name: 'x', levels: [{ width: 2, group: {} }] },
      'levels[0].group is not a known field (expected "width" and "groups")',
    ],
    [[1, 2], '(root) must be an object with "name" and "levels", got an array'],
  ])('structure %j -> %s', (json, message) => {
    expect(() => parseHierarchy(json, 'f.json')).toThrow(new Error(`f.json: ${message}`));
  });

  it('unknown token: names the token, its group and its level', () => {
    const file = writeJson('unknown.json', { name: 'x', levels: [{ width: 4, groups: { vowels: ['a', 'e', 'o'] } }] });
    expect(() => loadAndValidate(file)).toThrow(
      'unknown token "o" in group "vowels" of levels[0] (width 4): not in the vocabulary',
    );
  });

  it('multi-character token: says it is not a vocabulary entry', () => {
    const file = writeJson('multi.json', { name: 'x', levels: [{ width: 4, groups: { vowels: ['ae'] } }] });
    expect(() => loadAndValidate(file)).toThrow(
      /multi-character token "ae" in group "vowels" of levels\[0\] \(width 4\) is not in the vocabulary/,
    );
  });

  it('empty group: names it', () => {
    const file = writeJson('empty.json', {
      name: 'x',
      levels: [{ width: 2, groups: { symbols: ['!'], nothing: [] } }],
    });
    expect(() => loadAndValidate(file)).toThrow('empty group "nothing" in levels[0] (width 2)');
  });

  it('overlap (the original silently let the last group win): names the token and both groups', () => {
    const groups = { vowels: ['A', 'a', 'E', 'e'], consonants: ['b', 'E'] };
    const file = writeJson('overlap.json', { name: 'x', levels: [{ width: 8, groups }] });
    expect(() => loadAndValidate(file)).toThrow(
      'token "E" appears in both groups "vowels" and "consonants" of levels[0] (width 8)',
    );
  });

  it('a token twice in one group is rejected too', () => {
    const file = writeJson('twice.json', { name: 'x', levels: [{ width: 8, groups: { v: ['a', 'a'] } }] });
    expect(() => loadAndValidate(file)).toThrow('token "a" appears twice in group "v" of levels[0] (width 8)');
  });

  it('too many levels: names both counts', () => {
    const level = (width: number) => ({ width, groups: { g: ['a'] } });
    const file = writeJson('many.json', { name: 'x', levels: [2, 4, 8, 16].map(level) });
    expect(() => loadAndValidate(file)).toThrow(
      'hierarchy "x" has 4 group levels but the nesting list [2,4,8,16] has 4 widths, so at most 3 levels',
    );
  });

  it.each([
    [[{ width: 16, groups: {} }], 'levels[0] is at the full width 16'],
    [[{ width: 6, groups: {} }], 'levels[0] has width 6, which is not in the nesting list [2,4,8,16]'],
    [
      [
        { width: 4, groups: {} },
        { width: 2, groups: {} },
      ],
      'levels[1] has width 2 after 4',
    ],
    [
      [
        { width: 4, groups: {} },
        { width: 4, groups: {} },
      ],
      'levels[1] has width 4 after 4',
    ],
  ])('level widths %j -> %s', (levels, message) => {
    expect(() => validateHierarchy({ name: 'x', levels }, VOCABULARY, WIDTHS)).toThrow(message);
  });

  it('non-string token (built in code, bypassing the parser)', () => {
    const h = { name: 'x', levels: [{ width: 2, groups: { g: ['a', 3 as unknown as string] } }] };
    expect(() => validateHierarchy(h, VOCABULARY, WIDTHS)).toThrow(
      'group "g" in levels[0] (width 2): token #1 is 3, not a string',
    );
  });

  it('a bad nesting list', () => {
    expect(() => validateHierarchy(good, VOCABULARY, [2, 8, 4])).toThrow(
      'widths must be strictly increasing, got [2,8,4]',
    );
  });
});
