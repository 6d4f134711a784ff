import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

let tempCounter = 0;

/**
 * Write a file atomically: the data goes to a temporary name in the same directory and is then
 * renamed over the target, so readers never see a half-written figure or report. Creates the
 * parent directory if needed.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  if (!file) throw new Error('writeFileAtomic: empty file path');
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${tempCounter++}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`could not write ${file}: ${(error as Error).message}`, { cause: error });
  }
}
