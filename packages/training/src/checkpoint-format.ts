// A small reader and writer for the safetensors layout (https://github.com/huggingface/safetensors):
//   8 bytes: header length N (unsigned 64-bit little-endian)
//   N bytes: JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}
//            (padded with spaces to a multiple of 8 so the data is aligned)
//   the data: each tensor's bytes, little-endian, at data_offsets relative to the data start.
// Only float32 ('F32') is written; that is all the training loop stores.

/** One named float32 tensor. */
export interface NamedTensorData {
  shape: number[];
  values: Float32Array;
}

export interface SafetensorsContents {
  tensors: Record<string, NamedTensorData>;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serialise tensors (in the given key order) and string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, NamedTensorData>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" cannot be a tensor name`);
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.values.length) {
      throw new Error(`safetensors: tensor "${name}" has shape [${tensor.shape}] but ${tensor.values.length} values`);
    }
    header[name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const tensor of Object.values(tensors)) {
    if (LITTLE_ENDIAN_HOST) {
      const bytes = new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength);
      out.set(bytes, at);
      at += bytes.length;
    } else {
      for (let i = 0; i < tensor.values.length; i++, at += 4) out.writeFloatLE(tensor.values[i], at);
    }
  }
  return out;
}

/**
 * Parse safetensors bytes. `source` (usually the file path) names the file in every error,
 * so a truncated or corrupted checkpoint is reported as such rather than as a JSON or range error.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  const fail = (why: string): never => {
    throw new Error(`checkpoint file ${source} is corrupted or truncated: ${why}`);
  };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 8) fail(`it has ${buffer.length} bytes, fewer than the 8-byte header length`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) {
    fail(`the header claims ${headerLength} bytes but only ${buffer.length - 8} follow`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    return fail(`its header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = buffer.length - dataStart;
  const tensors: Record<string, NamedTensorData> = {};
  let metadata: Record<string, string> = {};
  let dataEnd = 0;
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as HeaderEntry;
    if (!entry || entry.dtype !== 'F32') fail(`tensor "${name}" has dtype ${JSON.stringify(entry?.dtype)}; only F32 is supported`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const [begin, end] = Array.isArray(entry.data_offsets) ? entry.data_offsets : [NaN, NaN];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || end - begin !== 4 * count || begin < 0) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(entry.data_offsets)} that do not fit shape [${shape}]`);
    }
    if (end > dataLength) {
      fail(`tensor "${name}" needs bytes ${begin}..${end} of the data but the file holds only ${dataLength}`);
    }
    dataEnd = Math.max(dataEnd, end);
    let values: Float32Array;
    if (LITTLE_ENDIAN_HOST) {
      // Copy (not view): the data may be unaligned and the caller may keep it.
      const copy = new Uint8Array(4 * count);
      copy.set(buffer.subarray(dataStart + begin, dataStart + end));
      values = new Float32Array(copy.buffer);
    } else {
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = buffer.readFloatLE(dataStart + begin + 4 * i);
    }
    tensors[name] = { shape: [...shape], values };
  }
  if (dataEnd !== dataLength) fail(`the tensors cover ${dataEnd} bytes of data but the file holds ${dataLength}`);
  return { tensors, metadata };
}
