import * as path from 'node:path';
import defaultJson from './default-shakespeare.hierarchy.json';
import type { Hierarchy } from './hierarchy';
import { parseHierarchy } from './parse-hierarchy';

/** The default hierarchy of docs/EXPERIMENTS.md, "The default hierarchy" (widths 2, 4, 8, 16 of 2..32), as a file. */
export const DEFAULT_HIERARCHY_PATH: string = path.join(__dirname, 'default-shakespeare.hierarchy.json');

/** The same default hierarchy, parsed. Treat as read-only (shared by every importer). */
export const DEFAULT_SHAKESPEARE_HIERARCHY: Hierarchy = parseHierarchy(defaultJson, DEFAULT_HIERARCHY_PATH);
