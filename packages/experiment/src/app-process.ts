// Run an app entry point as a real process (exit status, stdout, stderr): how the apps test
// themselves the way a user runs them.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '../../..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The app's own command (`apps/<app>/bin.js`, what `npx <app>` runs), from the workspace root. */
export function runAppCli(app: string, args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, [resolve(WORKSPACE_ROOT, 'apps', app, 'bin.js'), ...args], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
