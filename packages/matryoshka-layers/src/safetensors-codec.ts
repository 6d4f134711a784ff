// The safetensors file format (https://huggingface.co/docs/safetensors), float32 only, in plain
// TypeScript (no tensor engine, no Node: Uint8Array, DataView and TextEncoder only, so it runs in
// a browser too; safetensors.ts adds the files). The one codec of the workspace: model weights
// (nested-transformer) and training checkpoints (training) both use it.
//   8 bytes  header length N (unsigned 64-bit little-endian)
//   N bytes  UTF-8 JSON: { "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//                          ..., "__metadata__": { "<key>": "<string value>" } }
//            (padded with spaces to a multiple of 8 bytes, so the data is aligned)
//   the data: every tensor's little-endian bytes, in header order, at data_offsets counted from the
//            end of the header, covering the data exactly.
/** One named float32 tensor as plain data (row-major). */
export interface NamedTensorData {
  shape: number[];
  values: Float32Array;
}

export interface SafetensorsContents {
  tensors: Record<string, NamedTensorData>;
  /** String-to-string metadata (`__metadata__`). */
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const isShape = (shape: unknown): shape is number[] =>
  Array.isArray(shape) && shape.every((n) => Number.isInteger(n) && n >= 0);

/** Serialise tensors (in the given key order) and string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, NamedTensorData>,
  metadata: Record<string, string> = {},
): Uint8Array {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string')
      throw new Error(`safetensors: metadata "${key}" must be a string, got ${typeof value}`);
  }
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" cannot be a tensor name`);
    if (!isShape(shape)) throw new Error(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (elementCount(shape) !== values.length) {
      throw new Error(`safetensors: tensor "${name}" has shape [${shape}] but ${values.length} values`);
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (json.length % 8)) % 8;
  const headerLength = json.length + padding;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { values } of Object.values(tensors)) {
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
      at += values.byteLength;
    } else {
      for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i], true);
    }
  }
  return out;
}

/**
 * Parse safetensors bytes. `source` (usually the file path) names the data in every error, so a
 * truncated or corrupted file is reported as such rather than as a JSON or range error.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsContents {
  const fail = (why: string): never => {
    throw new Error(`${source} is corrupted or truncated: ${why}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    fail(`the header claims ${headerLength} bytes but only ${bytes.length - 8} follow`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    return fail(`its header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, NamedTensorData> = {};
  let metadata: Record<string, string> = {};
  let dataEnd = 0;
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      const valid =
        raw !== null &&
        typeof raw === 'object' &&
        !Array.isArray(raw) &&
        Object.values(raw).every((v) => typeof v === 'string');
      if (!valid) fail(`its ${METADATA_KEY} is not a map of strings`);
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    const entry = raw as Partial<HeaderEntry> | null;
    if (!entry || entry.dtype !== 'F32')
      fail(`tensor "${name}" has dtype ${JSON.stringify(entry?.dtype)}; only F32 is supported`);
    const shape = entry!.shape;
    if (!isShape(shape)) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    const count = elementCount(shape!);
    const [begin, end] = Array.isArray(entry!.data_offsets) ? entry!.data_offsets : [NaN, NaN];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end - begin !== 4 * count) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(entry!.data_offsets)} that do not fit shape [${shape}]`);
    }
    if (end > dataLength) {
      fail(`tensor "${name}" needs bytes ${begin}..${end} of the data but the file holds only ${dataLength}`);
    }
    dataEnd = Math.max(dataEnd, end);
    // Always a copy (never a view): the data may be unaligned, and the caller may keep it.
    const values = new Float32Array(count);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(values.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    } else {
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    }
    tensors[name] = { shape: [...shape!], values };
  }
  if (dataEnd !== dataLength) fail(`the tensors cover ${dataEnd} bytes of data but the file holds ${dataLength}`);
  return { tensors, metadata };
}
