// The safetensors file format (https://huggingface.co/docs/safetensors), float32 only:
//   8 bytes  little-endian u64 N, the header's length
//   N bytes  UTF-8 JSON: { "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//                          ..., "__metadata__": { "<key>": "<string value>" } }
//            (padded with spaces to a multiple of 8 bytes)
//   the data: every tensor's little-endian bytes; offsets count from the end of the header.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A float32 tensor as plain data (row-major). */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContent {
  tensors: Record<string, NamedArray>;
  /** String-to-string metadata (`__metadata__`). */
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = os.endianness() === 'LE';

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function encodeSafetensors(tensors: Record<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" cannot name a tensor`);
    if (elementCount(shape) !== data.length) {
      throw new Error(`safetensors: tensor ${name} has ${data.length} values but shape [${shape}]`);
    }
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * data.length] };
    offset += 4 * data.length;
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new Error(`safetensors: metadata ${key} must be a string`);
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const { data } of Object.values(tensors)) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    }
    at += data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContent {
  if (bytes.length < 8) throw new Error(`${source}: file too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error(`${source}: header length ${headerLength} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
  } catch (err) {
    throw new Error(`${source}: header is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = (header[METADATA_KEY] ?? {}) as Record<string, string>;
  const tensors: Record<string, NamedArray> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new Error(`${source}: tensor ${name} has dtype ${dtype}; only F32 is supported`);
    const [begin, end] = offsets;
    if (!(begin >= 0 && end <= dataLength && end - begin === 4 * elementCount(shape))) {
      throw new Error(`${source}: tensor ${name} has data_offsets [${begin}, ${end}] inconsistent with shape [${shape}]`);
    }
    const data = new Float32Array(elementCount(shape));
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    } else {
      for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    }
    tensors[name] = { shape: [...shape], data };
  }
  return { tensors, metadata };
}

let tempCounter = 0;

/** Write a safetensors file atomically: a temporary file in the same directory, then rename. */
export function writeSafetensors(file: string, tensors: Record<string, NamedArray>, metadata: Record<string, string> = {}): void {
  const bytes = encodeSafetensors(tensors, metadata);
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${tempCounter++}.tmp`);
  try {
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new Error(`could not write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function readSafetensors(file: string): SafetensorsContent {
  return decodeSafetensors(fs.readFileSync(file), file);
}
