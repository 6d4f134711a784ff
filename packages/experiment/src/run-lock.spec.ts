import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockRunDir, runLockHolder, RUN_LOCK_FILE } from './run-lock';

describe('lockRunDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const holder = (pid: number) =>
    JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'train --resume r' });

  it('records this process while held and removes the lock on release', () => {
    const release = lockRunDir(dir);
    expect(JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    expect(runLockHolder(dir)?.pid).toBe(process.pid);
    release();
    release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    expect(runLockHolder(dir)).toBeUndefined();
  });

  it('refuses a lock held by a live process, naming it, and leaves its lock file alone', () => {
    writeFileSync(join(dir, RUN_LOCK_FILE), holder(process.ppid));
    expect(() => lockRunDir(dir)).toThrow(
      `${dir} is being trained by process ${process.ppid} (train --resume r, since 2026-01-01T00:00:00.000Z)`,
    );
    expect(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')).toBe(holder(process.ppid));
  });

  it('takes over a stale lock (its process is gone) and an unreadable one', () => {
    // A pid that was alive and is not any more: a child that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, RUN_LOCK_FILE), holder(Number(gone.stdout)));
    lockRunDir(dir)();
    writeFileSync(join(dir, RUN_LOCK_FILE), '{"pid": 12');
    const release = lockRunDir(dir);
    expect(runLockHolder(dir)?.pid).toBe(process.pid);
    release();
  });
});
