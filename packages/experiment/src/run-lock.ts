// One trainer per run directory: `train.lock` holds the pid of the process training it. A second
// train or resume of the run is refused while that process lives; a lock whose process is gone
// (kill -9, a crash, a reboot) is stale and taken over, so killing a run and resuming it still works.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from './cli/errors';

export const RUN_LOCK_FILE = 'train.lock';

/** What train.lock records about its holder. */
export interface RunLockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/**
 * Take the run directory's lock, or throw a UserError naming the process that holds it. Returns
 * the release function (idempotent; also called when the process exits normally or by
 * process.exit, so a lock outlives only a process that was killed).
 */
export function lockRunDir(runDir: string): () => void {
  const file = path.join(runDir, RUN_LOCK_FILE);
  const holder: RunLockHolder = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(holder) + '\n', { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const other = readHolder(file);
    if (other && isAlive(other)) {
      throw new UserError(
        `${runDir} is being trained by process ${other.pid} (${other.command || 'train'}, since ${other.startedAt}); wait for it or stop it (kill ${other.pid}) first`,
      );
    }
    // Stale (its process is gone) or unreadable (a holder killed while writing it): take it over
    // once; a second failure means another process took it over first.
    if (attempt > 0) throw new UserError(`${runDir}: could not take ${file}; is another trainer starting on it?`);
    fs.rmSync(file, { force: true });
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Remove only our own lock (a stale-lock takeover by another process replaces the file).
    if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

/** The holder of a run's lock while its process lives (undefined: nobody trains the run). */
export function runLockHolder(runDir: string): RunLockHolder | undefined {
  const holder = readHolder(path.join(runDir, RUN_LOCK_FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

function readHolder(file: string): RunLockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLockHolder;
    return Number.isInteger(parsed.pid) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A holder on this host lives while its pid does; one on another host is taken to live (we cannot ask). */
function isAlive(holder: RunLockHolder): boolean {
  return holder.host !== os.hostname() || processAlive(holder.pid);
}

/** Whether a process of this host with this pid exists (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
