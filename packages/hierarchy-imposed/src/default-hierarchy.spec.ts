import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_HIERARCHY_PATH, DEFAULT_SHAKESPEARE_HIERARCHY } from './default-hierarchy';
import { loadHierarchy } from './hierarchy-file';
import { HIERARCHY_SCHEMA, HIERARCHY_SCHEMA_PATH } from './hierarchy-schema';
import { groupsOfLevel, validateHierarchy } from './validate-hierarchy';

// The Tiny Shakespeare vocabulary, computed independently: sorted distinct characters of the corpus.
const corpus = fs.readFileSync(path.join(__dirname, '../../../data/tinyshakespeare.txt'), 'utf8');
const VOCABULARY = [...new Set(corpus)].sort();
const WIDTHS = [2, 4, 8, 16, 32];

const sortedGroups = (width: number) => {
  const level = DEFAULT_SHAKESPEARE_HIERARCHY.levels.find((l) => l.width === width);
  if (!level) throw new Error(`no level ${width}`);
  return Object.fromEntries(Object.entries(level.groups).map(([name, tokens]) => [name, [...tokens].sort().join('')]));
};
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = UPPER.toLowerCase();

describe('DEFAULT_SHAKESPEARE_HIERARCHY', () => {
  it('is valid for the 65-character Tiny Shakespeare vocabulary with widths 2..32', () => {
    expect(VOCABULARY).toHaveLength(65);
    expect(() => validateHierarchy(DEFAULT_SHAKESPEARE_HIERARCHY, VOCABULARY, WIDTHS)).not.toThrow();
  });

  it('is the file at DEFAULT_HIERARCHY_PATH', () => {
    expect(loadHierarchy(DEFAULT_HIERARCHY_PATH)).toEqual(DEFAULT_SHAKESPEARE_HIERARCHY);
  });

  it('has levels at 2, 4, 8, 16 and none at 32', () => {
    expect(DEFAULT_SHAKESPEARE_HIERARCHY.levels.map((l) => l.width)).toEqual([2, 4, 8, 16]);
  });

  it('width 2: symbols vs letters, covering the whole vocabulary', () => {
    expect(sortedGroups(2)).toEqual({ symbols: "\n !$&',-.3:;?", letters: UPPER + LOWER });
  });

  it('width 4: end and mid of sentence, upper, lower; \\n 3 : ungrouped', () => {
    expect(sortedGroups(4)).toEqual({
      'end-of-sentence': '!.?',
      'mid-sentence': " $&',-;",
      uppercase: UPPER,
      lowercase: LOWER,
    });
    const grouped = new Set(groupsOfLevel(DEFAULT_SHAKESPEARE_HIERARCHY.levels[1], VOCABULARY).flat());
    expect(VOCABULARY.filter((_, id) => !grouped.has(id))).toEqual(['\n', '3', ':']);
  });

  it('width 8: spaces, vowels (with Y), consonants = the other letters', () => {
    const consonants = [...(UPPER + LOWER)]
      .filter((c) => !'AEIOUYaeiouy'.includes(c))
      .sort()
      .join('');
    expect(sortedGroups(8)).toEqual({ spaces: '\n ', vowels: 'AEIOUYaeiouy', consonants });
  });

  it('width 16: the 26 case pairs', () => {
    const groups = sortedGroups(16);
    expect(Object.values(groups).sort()).toEqual([...UPPER].map((c) => c + c.toLowerCase()));
  });
});

describe('HIERARCHY_SCHEMA', () => {
  it('is a draft 2020-12 schema, the same as the shipped file, requiring name and levels', () => {
    expect(HIERARCHY_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(JSON.parse(fs.readFileSync(HIERARCHY_SCHEMA_PATH, 'utf8'))).toEqual(HIERARCHY_SCHEMA);
    expect(HIERARCHY_SCHEMA.required).toEqual(['name', 'levels']);
  });
});
