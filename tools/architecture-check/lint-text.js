#!/usr/bin/env node
// Lints snippets of TypeScript as if they were files of the workspace, with the workspace's own
// eslint.config.mjs (so @nx/enforce-module-boundaries and its tags apply): stdin is a JSON array
// of { filePath, code } (filePath relative to the workspace; the file need not exist), stdout a
// JSON array with the messages of each snippet. A process of its own because ESLint loads its
// config with a dynamic import(), which Jest's module system refuses.
'use strict';

const path = require('node:path');
const { ESLint } = require('eslint');
const { createProjectGraphAsync } = require('nx/src/devkit-exports');

const workspace = path.resolve(__dirname, '..', '..');

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  /** @type {{ filePath: string, code: string }[]} */
  const snippets = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  // The rule reads Nx's cached project graph and skips itself when there is none (a fresh
  // clone where Nx has not run yet): compute it first, as `nx` would.
  process.chdir(workspace);
  await createProjectGraphAsync({ exitOnError: false });
  const eslint = new ESLint({ cwd: workspace });
  const results = [];
  for (const { filePath, code } of snippets) {
    const [result] = await eslint.lintText(code, { filePath: path.join(workspace, filePath) });
    results.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
