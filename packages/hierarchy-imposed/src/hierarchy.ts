/**
 * The Hierarchy: per nested width, named groups of tokens (docs/EXPERIMENTS.md, "Hierarchy files and validation").
 *
 * File format (JSON), one level per nested width below the full one:
 *   {"name": "...", "levels": [{"width": 2, "groups": {"symbols": ["\n", " ", "!"], "letters": ["A", "a"]}}, ...]}
 * Tokens are written as the strings of the vocabulary (for a character tokenizer: single characters).
 * A token in no group of a level keeps a one-hot target at that level.
 */

/** A token as written in a hierarchy file: one entry of the vocabulary. */
export type TokenString = string;

/** Index of a token in the vocabulary. */
export type TokenId = number;

export interface HierarchyLevel {
  /** The nested width (prefix size) whose head is trained on these groups. */
  width: number;
  /** Group name -> its member tokens. */
  groups: Record<string, TokenString[]>;
}

export interface Hierarchy {
  name: string;
  /** Ordered by strictly increasing width; never includes the full width (always the identity). */
  levels: HierarchyLevel[];
}
