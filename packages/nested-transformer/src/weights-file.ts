// A MatryoshkaGPT as a safetensors file: the bytes of weights-codec.ts (browser-safe), read and
// written with Node's file system (atomic writes, errors naming the file).
import * as fs from 'node:fs';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import type { MatryoshkaGPT } from './model';
import { decodeModel, encodeModel, type LoadOptions } from './weights-codec';

function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${file} could not be read: ${(error as Error).message}`, { cause: error });
  }
}

/** Save the model's weights and config atomically. `metadata` adds string entries (e.g. the vocabulary). */
export function saveSafetensors(file: string, model: MatryoshkaGPT, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeModel(model, metadata));
}

/** A new model built from the file's config and weights. */
export function loadSafetensors(
  file: string,
  options: LoadOptions = {},
): { model: MatryoshkaGPT; metadata: Record<string, string> } {
  return decodeModel(readBytes(file), file, options);
}
