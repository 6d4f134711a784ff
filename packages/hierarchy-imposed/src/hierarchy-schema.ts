import * as path from 'node:path';
import schemaJson from './hierarchy.schema.json';

/** Where the JSON Schema (draft 2020-12) of the hierarchy file format lives on disk. */
export const HIERARCHY_SCHEMA_PATH: string = path.join(__dirname, 'hierarchy.schema.json');

/** The JSON Schema (draft 2020-12) of the hierarchy file format, as an object. */
export const HIERARCHY_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;
