import type { Hierarchy } from '@matryoshka/hierarchy-imposed';
import { type ClusterOptions, resolveClusterOptions } from './cluster-options';
import { clusterTokens } from './cluster-tokens';
import type { DendrogramNode } from './dendrogram';
import { nestWithin } from './nesting';

export interface DiscoverOptions extends Partial<ClusterOptions> {
  /** Nest each level's groups inside the groups of the next narrower level (see nestWithin). Default false. */
  nested?: boolean;
  /** The hierarchy's name. Default "emergent". */
  name?: string;
}

export interface DiscoverInput {
  /** Full token embeddings, v x d (d = the last width). */
  embeddings: readonly (readonly number[])[];
  vocabulary: readonly string[];
  /** The nesting list, strictly increasing, ending at d. */
  widths: readonly number[];
  options?: DiscoverOptions;
}

export interface DiscoveredLevel {
  width: number;
  /** Token-id groups of this level (after nesting, if asked). */
  groups: number[][];
  /** The merge tree of this width's prefixes (before nesting). */
  tree: DendrogramNode;
}

function checkInput({ embeddings, vocabulary, widths }: DiscoverInput): void {
  if (embeddings.length !== vocabulary.length) {
    throw new Error(
      `discoverHierarchy: ${embeddings.length} embedding rows but a vocabulary of ${vocabulary.length} tokens`,
    );
  }
  if (widths.length === 0) throw new Error('discoverHierarchy: the nesting list (widths) is empty');
  widths.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1 || (i > 0 && w <= widths[i - 1])) {
      throw new Error(
        `discoverHierarchy: widths must be strictly increasing positive integers, got ${JSON.stringify(widths)}`,
      );
    }
  });
  const d = widths[widths.length - 1];
  embeddings.forEach((row, i) => {
    if (row.length !== d)
      throw new Error(`discoverHierarchy: embedding row ${i} has ${row.length} values, expected the full width ${d}`);
  });
}

/**
 * Re-clustering (docs/EXPERIMENTS.md, "Clustering and cut rules"), with its levels and trees: for each width m below the full
 * one, cluster the prefixes E[:, :m]; optionally nest level by level, from narrow to wide.
 */
export function discoverLevels(input: DiscoverInput): { hierarchy: Hierarchy; levels: DiscoveredLevel[] } {
  checkInput(input);
  const { embeddings, vocabulary, widths, options = {} } = input;
  const { nested = false, name = 'emergent', ...clusterOptions } = options;
  const resolved = resolveClusterOptions(clusterOptions);
  const levels: DiscoveredLevel[] = [];
  for (const width of widths.slice(0, -1)) {
    const prefixes = embeddings.map((row) => row.slice(0, width));
    const { groups, tree } = clusterTokens(prefixes, resolved);
    const narrower = levels[levels.length - 1];
    const nestedGroups = nested && narrower ? nestWithin(groups, narrower.groups, resolved.minGroupSize) : groups;
    levels.push({ width, groups: nestedGroups, tree });
  }
  const hierarchy: Hierarchy = {
    name,
    levels: levels.map(({ width, groups }) => ({
      width,
      groups: Object.fromEntries(groups.map((group, g) => [`w${width}-g${g}`, group.map((id) => vocabulary[id])])),
    })),
  };
  return { hierarchy, levels };
}

/** The discovered groups as a Hierarchy (the format of hierarchy-imposed): group names `w<width>-g<i>`. */
export function discoverHierarchy(input: DiscoverInput): Hierarchy {
  return discoverLevels(input).hierarchy;
}
