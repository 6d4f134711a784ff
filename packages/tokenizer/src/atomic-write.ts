import * as fs from 'node:fs';
import * as path from 'node:path';
import { sync as writeFileAtomicSync } from 'write-file-atomic';

export interface WriteFileAtomicOptions {
  /**
   * Flush the data to disk (fsync) before the rename, and the directory entry after it, so the
   * file survives a power cut, not only a crash of this process. Slower; checkpoints use it.
   */
  fsync?: boolean;
}

/**
 * Write a file so that readers see either the old content or the new, never half of it: npm's
 * write-file-atomic (a temporary file in the same directory, then a rename; the temporary file
 * removed on failure or exit). Here also: the parent directory is created if needed, `fsync`
 * makes the rename durable too, and an error names the file. Strings are written as UTF-8,
 * bytes as they are. The one atomic writer of the workspace (tokenizer files, configs,
 * metrics, checkpoints, safetensors weights, figures and reports).
 */
export function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): void {
  if (!file) throw new Error('writeFileAtomic: empty file path');
  const dir = path.dirname(path.resolve(file));
  try {
    fs.mkdirSync(dir, { recursive: true });
    const data =
      typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    writeFileAtomicSync(file, data, { fsync: options.fsync ?? false });
    if (options.fsync) syncDirectory(dir);
  } catch (error) {
    throw new Error(`could not write ${file}: ${(error as Error).message}`, { cause: error });
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
