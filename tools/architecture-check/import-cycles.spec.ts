import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { findCycles, formatCycle, importGraph, importsOf } from './import-cycles';

const WORKSPACE = resolve(__dirname, '../..');

/** A scratch workspace holding `files` (path -> text); removed after the test. */
let scratch: string;
function workspaceOf(files: Record<string, string>): string {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    writeFileSync(join(scratch, file), text);
  }
  return scratch;
}
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'import-cycles-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function cyclesIn(files: Record<string, string>): string[] {
  const graph = importGraph(workspaceOf(files));
  return findCycles(graph).map((cycle) => formatCycle(graph, cycle));
}

describe('the source files of this workspace', () => {
  it('import one another without a cycle', () => {
    const graph = importGraph(WORKSPACE);
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.has('packages/tokenizer/src/index.ts')).toBe(true);
    expect([...graph.keys()].filter((file) => file.endsWith('.spec.ts'))).toEqual([]);
    // On failure the list shows each cycle, file by file (-(type)-> marks a type-only import).
    expect(findCycles(graph).map((cycle) => formatCycle(graph, cycle))).toEqual([]);
  });
});

describe('findCycles', () => {
  it('reports the cycle nested-transformer had (model -> generate -> decoder, back by import type)', () => {
    const src = 'packages/nested-transformer/src';
    expect(
      cyclesIn({
        [`${src}/model.ts`]:
          "import { tidyKeep } from './tidy';\nimport { generate, type GenerateOptions } from './generate';\n",
        [`${src}/generate.ts`]:
          "import { IncrementalDecoder } from './decoder';\nimport type { MatryoshkaGPT, Trunk } from './model';\n",
        [`${src}/decoder.ts`]:
          "import type { MatryoshkaGPT, Trunk } from './model';\nimport { tidyKeep } from './tidy';\n",
        [`${src}/tidy.ts`]: "import * as tf from '@tensorflow/tfjs-core';\n",
      }),
    ).toEqual([`${src}/decoder.ts -(type)-> ${src}/model.ts -> ${src}/generate.ts -> ${src}/decoder.ts`]);
  });

  it('follows @matryoshka/<pkg> imports to packages/<pkg>/src/index.ts, and apps too', () => {
    expect(
      cyclesIn({
        'packages/a/src/index.ts': "export { b } from './b';\n",
        'packages/a/src/b.ts': "import { c } from '@matryoshka/c';\nexport const b = c;\n",
        'packages/c/src/index.ts': "export * from './c';\n",
        'packages/c/src/c.ts': "const a = require('@matryoshka/a');\nexport const c = a;\n",
        'apps/x/src/main.ts': "import('./main');\n",
      }),
    ).toEqual([
      'apps/x/src/main.ts -> apps/x/src/main.ts',
      'packages/a/src/b.ts -> packages/c/src/index.ts -> packages/c/src/c.ts -> packages/a/src/index.ts -> packages/a/src/b.ts',
    ]);
  });

  it('finds nothing in a graph without cycles, and ignores specs, npm packages and other folders', () => {
    expect(
      cyclesIn({
        'packages/a/src/index.ts': "import { x } from './x';\nimport * as fs from 'node:fs';\nexport { x, fs };\n",
        'packages/a/src/x.ts': "import { helper } from './index.spec';\nexport const x = helper;\n",
        'packages/a/src/index.spec.ts': "import { x } from './x';\nexport const helper = x;\n",
        'packages/a/bench/bench.ts': "import { a } from './bench';\n",
        'packages/a/src/dir/index.ts': "import { x } from '../x';\nexport const y = x;\n",
        'packages/a/src/y.ts': "import { y } from './dir';\nexport const z = y;\n",
      }),
    ).toEqual([]);
  });
});

describe('importsOf', () => {
  it('marks type-only imports and exports; one value import of a file makes its edge a value edge', () => {
    const text = [
      "import type { A } from './a';",
      "import { type B, type C } from './b';",
      "import { type D, e } from './d';",
      "import './side-effect';",
      "export type { F } from './f';",
      "export { type G } from './g';",
      "export * from './h';",
      "import type { I } from './i';",
      "import { i } from './i';",
      "import j = require('./j');",
      "const k: typeof import('./k') = null!;",
      'async function l() { return import("./l"); }',
    ].join('\n');
    expect(Object.fromEntries(importsOf('x.ts', text))).toEqual({
      './a': true,
      './b': true,
      './d': false,
      './side-effect': false,
      './f': true,
      './g': true,
      './h': false,
      './i': false,
      './j': false,
      './l': false,
    });
  });
});
