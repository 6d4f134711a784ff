import * as fs from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

export interface WriteFileAtomicOptions {
  /**
   * Flush the data to disk (fsync) before the rename, and the directory entry after it, so the
   * file survives a power cut, not only a crash of this process. Slower; checkpoints use it.
   */
  fsync?: boolean;
}

/**
 * Write a file so that readers see either the old content or the new, never half of it:
 * write a temporary file in the same directory (same filesystem, so rename is atomic), then rename.
 * Strings are written as UTF-8, bytes as they are. Creates the parent directory if needed.
 * The one atomic writer of the workspace (tokenizer files, configs, metrics, checkpoints,
 * safetensors weights, figures and reports).
 */
export function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): void {
  if (!file) throw new Error('writeFileAtomic: empty file path');
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (options.fsync) writeAndSync(temp, bytes);
    else fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, file);
    if (options.fsync) syncDirectory(dir);
  } catch (error) {
    removeQuietly(temp);
    throw new Error(`could not write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Cleanup must not hide the error being reported (rmSync throws e.g. ENOTDIR even with force). */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // nothing was left to remove, or it cannot be reached
  }
}

function writeAndSync(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Make a rename durable. Best effort: some platforms (Windows) cannot open a directory for fsync. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // the rename itself has happened; only its durability is not guaranteed here
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
