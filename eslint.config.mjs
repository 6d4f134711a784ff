import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries (docs/ARCHITECTURE.md, "Dependency direction"): each project's tags (its
// project.json) place it in a layer, and a layer imports only the layers below it.
//   type:app      apps/*                                     any package
//   layer:runner  experiment                                 every other package
//   layer:model   nested-transformer, training               core, data, base
//   layer:core    matryoshka-layers, hierarchy-emergent, viz data, base
//   layer:data    hierarchy-imposed                          base
//   layer:base    tokenizer                                  nothing of ours
//   tensor:none   tokenizer, hierarchy-*, viz                only tensor:none packages, no @tensorflow/*
//   type:tool     tools/*                                    packages below the runner
// Nothing may import an app or a tool (no constraint allows their tags).
const LAYERS = ['layer:base', 'layer:data', 'layer:core', 'layer:model'];
const below = (layer) => LAYERS.slice(0, LAYERS.indexOf(layer));
const depConstraints = [
  ...LAYERS.map((layer) => ({ sourceTag: layer, onlyDependOnLibsWithTags: below(layer) })),
  { sourceTag: 'layer:runner', onlyDependOnLibsWithTags: ['type:package'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:package'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:package'], notDependOnLibsWithTags: ['layer:runner'] },
  { sourceTag: 'type:package', notDependOnLibsWithTags: ['type:app', 'type:tool'] },
  { sourceTag: 'tensor:none', onlyDependOnLibsWithTags: ['tensor:none'], bannedExternalImports: ['@tensorflow/*'] },
];
// nested-transformer's bench and tests may also use training (a sideways edge within layer:model,
// a development dependency), and the bench imports the package by its name, as a user would.
const NESTED_TRANSFORMER_DEV = [
  'packages/nested-transformer/bench/**/*.ts',
  'packages/nested-transformer/src/**/*.spec.ts',
  'packages/nested-transformer/src/**/*.test-helper.ts',
  'packages/nested-transformer/src/test-setup.ts',
];
const withModelSideways = depConstraints.map((c) =>
  c.sourceTag === 'layer:model' ? { ...c, onlyDependOnLibsWithTags: [...below('layer:model'), 'layer:model'] } : c,
);
const boundaries = (constraints, options = {}) => [
  'error',
  {
    depConstraints: constraints,
    // Every package is built and published with its @matryoshka dependencies as npm
    // dependencies, so none may import from a project that is never built.
    enforceBuildableLibDependency: true,
    allowCircularSelfDependency: false,
    ...options,
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'runs/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'off',
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    files: NESTED_TRANSFORMER_DEV,
    rules: { '@nx/enforce-module-boundaries': boundaries(withModelSideways, { allowCircularSelfDependency: true }) },
  },
);
