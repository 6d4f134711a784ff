import type { Hierarchy } from './hierarchy';

/**
 * Pretty JSON for a hierarchy, with each group's token list on one line so that a file with
 * dozens of groups stays readable and diffable. JSON.parse(formatHierarchy(h)) deep-equals h.
 */
export function formatHierarchy(hierarchy: Hierarchy): string {
  const levels = hierarchy.levels.map((level) => {
    const groups = Object.entries(level.groups).map(
      ([name, tokens]) => `        ${JSON.stringify(name)}: [${tokens.map((t) => JSON.stringify(t)).join(', ')}]`,
    );
    const groupsText = groups.length === 0 ? '{}' : `{\n${groups.join(',\n')}\n      }`;
    return `    {\n      "width": ${JSON.stringify(level.width)},\n      "groups": ${groupsText}\n    }`;
  });
  const levelsText = levels.length === 0 ? '[]' : `[\n${levels.join(',\n')}\n  ]`;
  return `{\n  "name": ${JSON.stringify(hierarchy.name)},\n  "levels": ${levelsText}\n}\n`;
}
