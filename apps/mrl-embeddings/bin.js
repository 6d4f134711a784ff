#!/usr/bin/env node
// `npx mrl-embeddings <target> [flags]`: this app without Nx around it (no task summary after an error,
// Ctrl-C reaches training directly). The sources run through tsx, as under `nx run`.
process.env.TSX_TSCONFIG_PATH ??= require('node:path').join(__dirname, '../../tsconfig.base.json');
require('tsx/cjs');
require('./src/main.ts');
