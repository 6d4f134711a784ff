import * as fs from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

/**
 * Write a file so that readers see either the old content or the new, never half of it:
 * write a temporary file in the same directory (same filesystem, so rename is atomic), then rename.
 */
export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`);
  try {
    fs.writeFileSync(temp, content, 'utf8');
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new Error(`could not write ${file}: ${(error as Error).message}`, { cause: error });
  }
}
