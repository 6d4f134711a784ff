// Safetensors files: the codec of safetensors-codec.ts (browser-safe) plus atomic writes and
// checked reads, which need Node's file system.
import * as fs from 'node:fs';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import {
  decodeSafetensors,
  encodeSafetensors as encodeBytes,
  type NamedTensorData,
  type SafetensorsContents,
} from './safetensors-codec';

/** Serialise tensors (in the given key order) and string metadata to safetensors bytes (a Buffer view of them). */
export function encodeSafetensors(
  tensors: Record<string, NamedTensorData>,
  metadata: Record<string, string> = {},
): Buffer {
  const bytes = encodeBytes(tensors, metadata);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface WriteSafetensorsOptions {
  /** fsync the file (and its directory) so it survives a power cut; see writeFileAtomic. */
  fsync?: boolean;
}

/**
 * Write a safetensors file atomically (a temporary file in the same directory, then rename).
 * Returns the number of bytes written.
 */
export function writeSafetensors(
  file: string,
  tensors: Record<string, NamedTensorData>,
  metadata: Record<string, string> = {},
  options: WriteSafetensorsOptions = {},
): number {
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileAtomic(file, bytes, { fsync: options.fsync });
  return bytes.length;
}

export interface ReadSafetensorsOptions {
  /** The file's size as recorded when it was written: a different size is reported before parsing. */
  expectedBytes?: number;
  /** Who recorded `expectedBytes`, for the message (default "its writer"). */
  recordedBy?: string;
  /** Names the file in errors (default: its path). */
  source?: string;
}

/** Read and check a safetensors file. */
export function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): SafetensorsContents {
  const source = options.source ?? file;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${source} could not be read: ${(error as Error).message}`, { cause: error });
  }
  const { expectedBytes, recordedBy = 'its writer' } = options;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw new Error(
      `${source} is corrupted or truncated: it has ${bytes.length} bytes but ${recordedBy} recorded ${expectedBytes}`,
    );
  }
  return decodeSafetensors(bytes, source);
}
