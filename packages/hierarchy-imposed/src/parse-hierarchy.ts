import { fieldPath } from '@matryoshka/tokenizer';
import type { Hierarchy, HierarchyLevel } from './hierarchy';

const TOP_LEVEL_KEYS = new Set(['$schema', 'name', 'levels']);
const LEVEL_KEYS = new Set(['width', 'groups']);

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Check that `json` has the shape of a Hierarchy (see hierarchy.schema.json) and return it typed.
 * Only structure is checked here; membership in a vocabulary is `validateHierarchy`'s job.
 * Unknown fields are rejected so that a typo (`"group"`) is not silently ignored.
 * @param source names the file (or other origin) in error messages.
 */
export function parseHierarchy(json: unknown, source: string): Hierarchy {
  const fail = (path: (string | number)[], problem: string): never => {
    throw new Error(`${source}: ${fieldPath(path)} ${problem}`);
  };
  if (!isPlainObject(json)) fail([], `must be an object with "name" and "levels", got ${describe(json)}`);
  const root = json as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail([key], `is not a known field (expected "name" and "levels")`);
  }
  if (typeof root.name !== 'string') fail(['name'], `must be a string, got ${describe(root.name)}`);
  if (!Array.isArray(root.levels)) fail(['levels'], `must be an array of levels, got ${describe(root.levels)}`);

  const levels: HierarchyLevel[] = (root.levels as unknown[]).map((level, l) => {
    const at = ['levels', l];
    if (!isPlainObject(level)) return fail(at, `must be an object with "width" and "groups", got ${describe(level)}`);
    for (const key of Object.keys(level)) {
      if (!LEVEL_KEYS.has(key)) fail([...at, key], `is not a known field (expected "width" and "groups")`);
    }
    const width = level.width;
    if (typeof width !== 'number' || !Number.isInteger(width) || width < 1) {
      fail([...at, 'width'], `must be a positive integer, got ${describe(width)}`);
    }
    if (!isPlainObject(level.groups)) {
      fail([...at, 'groups'], `must be an object mapping group names to token lists, got ${describe(level.groups)}`);
    }
    const groups: Record<string, string[]> = {};
    for (const [name, members] of Object.entries(level.groups as Record<string, unknown>)) {
      if (!Array.isArray(members))
        fail([...at, 'groups', name], `must be an array of tokens, got ${describe(members)}`);
      (members as unknown[]).forEach((token, i) => {
        if (typeof token !== 'string')
          fail([...at, 'groups', name, i], `must be a token string, got ${describe(token)}`);
      });
      groups[name] = [...(members as string[])];
    }
    return { width: width as number, groups };
  });
  return { name: root.name as string, levels };
}
