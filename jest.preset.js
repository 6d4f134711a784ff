// Shared jest settings for every project: TypeScript through ts-jest (transpile only; the
// `typecheck` target does the type checking), workspace packages resolved to their sources,
// and the ESM-only ml-* packages transformed to CommonJS.
const path = require('node:path');

const root = __dirname;
const esmOnly = ['ml-hclust', 'ml-distance-euclidean', 'ml-matrix', 'is-any-array', 'ml-array-[a-z-]+'];

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      'ts-jest',
      {
        tsconfig: { isolatedModules: true, allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true },
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@matryoshka/([a-z-]+)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@matryoshka/([a-z-]+)/browser$': path.join(root, 'packages/$1/src/browser.ts'),
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
