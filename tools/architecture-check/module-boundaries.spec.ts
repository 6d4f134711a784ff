// The dependency direction of docs/ARCHITECTURE.md ("Dependency direction"), as ESLint enforces
// it: snippets that import across the layers, linted with the workspace's own config as if they
// were files of the named project (lint-text.js, ESLint's Node API in a process of its own).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

jest.setTimeout(120_000);

const RULE = '@nx/enforce-module-boundaries';

interface Message {
  ruleId: string | null;
  message: string;
}

const importing = (specifier: string) => `import * as imported from '${specifier}';\nexport const used = imported;\n`;

// [file the snippet pretends to be, what it imports, allowed?]
const cases: Array<[string, string, boolean]> = [
  ['packages/viz/src/boundary-probe.ts', '@matryoshka/experiment', false],
  ['packages/viz/src/boundary-probe.ts', '@matryoshka/tokenizer', true],
  ['packages/viz/src/boundary-probe.ts', '@matryoshka/matryoshka-layers', false],
  ['packages/viz/src/boundary-probe.ts', '@tensorflow/tfjs-core', false],
  ['packages/hierarchy-emergent/src/boundary-probe.ts', '@matryoshka/hierarchy-imposed', true],
  ['packages/hierarchy-emergent/src/boundary-probe.ts', '@matryoshka/training', false],
  ['packages/tokenizer/src/boundary-probe.ts', '@matryoshka/hierarchy-imposed', false],
  ['packages/hierarchy-imposed/src/boundary-probe.ts', '@matryoshka/tokenizer', true],
  ['packages/hierarchy-imposed/src/boundary-probe.ts', '@matryoshka/viz', false],
  ['packages/matryoshka-layers/src/boundary-probe.ts', '@matryoshka/viz', false],
  ['packages/training/src/boundary-probe.ts', '@matryoshka/matryoshka-layers', true],
  ['packages/training/src/boundary-probe.ts', '@matryoshka/nested-transformer', false],
  ['packages/nested-transformer/src/boundary-probe.ts', '@matryoshka/matryoshka-layers', true],
  ['packages/nested-transformer/src/boundary-probe.ts', '@matryoshka/training', false],
  ['packages/nested-transformer/src/boundary-probe.ts', '@matryoshka/experiment', false],
  ['packages/nested-transformer/bench/boundary-probe.ts', '@matryoshka/training', true],
  ['packages/nested-transformer/src/boundary-probe.spec.ts', '@matryoshka/training', true],
  ['packages/experiment/src/boundary-probe.ts', '@matryoshka/nested-transformer', true],
  ['packages/experiment/src/boundary-probe.ts', '../../../apps/imposed/src/app', false],
  ['apps/emergent/src/boundary-probe.ts', '@matryoshka/experiment', true],
  ['apps/emergent/src/boundary-probe.ts', '@matryoshka/hierarchy-emergent', true],
  ['apps/emergent/src/boundary-probe.ts', '../../imposed/src/app', false],
  ['tools/package-check/boundary-probe.spec.ts', '@matryoshka/experiment', false],
];

let results: Message[][] = [];

beforeAll(() => {
  const input = JSON.stringify(cases.map(([filePath, specifier]) => ({ filePath, code: importing(specifier) })));
  const out = execFileSync(process.execPath, [join(__dirname, 'lint-text.js')], {
    input,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  results = JSON.parse(out) as Message[][];
});

describe('@nx/enforce-module-boundaries keeps the dependency direction', () => {
  it('refuses @matryoshka/experiment in viz and accepts @matryoshka/tokenizer there', () => {
    const [experiment, tokenizer] = results;
    expect(experiment.map((m) => m.ruleId)).toContain(RULE);
    expect(tokenizer).toEqual([]);
  });

  it.each(cases.map((c, k) => [...c, k] as const))('%s importing %s: allowed %s', (_file, _specifier, allowed, k) => {
    const boundaryErrors = results[k].filter((m) => m.ruleId === RULE);
    if (allowed) expect(results[k]).toEqual([]);
    else expect(boundaryErrors).not.toEqual([]);
  });

  it('names the layers in its message', () => {
    const layersToViz =
      results[
        cases.findIndex(
          ([file, specifier]) => file.startsWith('packages/matryoshka-layers/') && specifier === '@matryoshka/viz',
        )
      ];
    expect(layersToViz.map((m) => m.message)).toContain(
      'A project tagged with "layer:core" can only depend on libs tagged with "layer:base", "layer:data"',
    );
    const vizToTensors =
      results[
        cases.findIndex(
          ([file, specifier]) => file.startsWith('packages/viz/') && specifier === '@tensorflow/tfjs-core',
        )
      ];
    expect(vizToTensors.map((m) => m.message)).toContain(
      'A project tagged with "tensor:none" is not allowed to import "@tensorflow/tfjs-core"',
    );
  });
});
