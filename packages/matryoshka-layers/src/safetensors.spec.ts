import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeSafetensors } from './safetensors-codec';
import { encodeSafetensors, readSafetensors, writeSafetensors } from './safetensors';

describe('safetensors codec', () => {
  const tensors = {
    a: { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    'm/b': { shape: [1], values: Float32Array.from([0.1]) },
  };

  it('writes the standard layout: u64 header length, JSON header padded to 8, aligned little-endian data', () => {
    const bytes = encodeSafetensors(tensors, { step: '7' });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header.__metadata__).toEqual({ step: '7' });
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['m/b']).toEqual({ dtype: 'F32', shape: [1], data_offsets: [24, 28] });
    expect(bytes.length).toBe(8 + headerLength + 28);
    expect(bytes.readFloatLE(8 + headerLength + 20)).toBe(-6.5);
    // No metadata, no __metadata__ entry.
    const plain = encodeSafetensors(tensors);
    expect(JSON.parse(plain.subarray(8, 8 + Number(plain.readBigUInt64LE(0))).toString('utf8'))).not.toHaveProperty(
      '__metadata__',
    );
  });

  it('round-trips tensors and metadata bit for bit (negative zero, extremes, scalars, NaN payloads)', () => {
    const bits = Uint32Array.from([0x7fc00001, 0x80000000, 0x00000001, 0x7f7fffff, 0x3fc00000, 0xc0000000]);
    const weird = new Float32Array(bits.buffer);
    const all = {
      ...tensors,
      weird: { shape: [2, 3], values: weird },
      scalar: { shape: [], values: Float32Array.from([42]) },
    };
    const decoded = decodeSafetensors(encodeSafetensors(all, { step: '7', note: 'Café 🙂' }), 'x.safetensors');
    expect(decoded.metadata).toEqual({ step: '7', note: 'Café 🙂' });
    expect(Object.keys(decoded.tensors)).toEqual(['a', 'm/b', 'weird', 'scalar']);
    expect(decoded.tensors.a.shape).toEqual([2, 3]);
    expect(Array.from(decoded.tensors.a.values)).toEqual(Array.from(tensors.a.values));
    expect(Array.from(decoded.tensors['m/b'].values)).toEqual(Array.from(tensors['m/b'].values));
    expect(Array.from(new Uint32Array(decoded.tensors.weird.values.buffer))).toEqual(Array.from(bits));
    expect(decoded.tensors.scalar).toEqual({ shape: [], values: Float32Array.from([42]) });
  });

  it('reads from an unaligned view and returns copies', () => {
    const bytes = encodeSafetensors(tensors);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const decoded = decodeSafetensors(shifted.subarray(1), 'shifted');
    expect(Array.from(decoded.tensors.a.values)).toEqual(Array.from(tensors.a.values));
    shifted.fill(0);
    expect(decoded.tensors.a.values[5]).toBe(-6.5);
  });

  it('refuses truncated or corrupted bytes, naming the source', () => {
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), '/run/model.safetensors')).toThrow(
      /\/run\/model.safetensors is corrupted or truncated: tensor "m\/b" needs bytes 24..28/,
    );
    expect(() => decodeSafetensors(bytes.subarray(0, 20), 'f.safetensors')).toThrow(
      /f.safetensors is corrupted or truncated: the header claims/,
    );
    expect(() => decodeSafetensors(bytes.subarray(0, 3), 'f.safetensors')).toThrow(
      /fewer than the 8-byte header length/,
    );
    expect(() => decodeSafetensors(Buffer.concat([bytes, Buffer.alloc(4)]), 'long')).toThrow(
      'long is corrupted or truncated: the tensors cover 28 bytes of data but the file holds 32',
    );
    const garbled = Buffer.from(bytes);
    garbled[9] = 0x7b; // '{' inside the JSON
    expect(() => decodeSafetensors(garbled, 'g.safetensors')).toThrow(
      /g.safetensors is corrupted or truncated: its header is not valid JSON/,
    );
    expect(() => decodeSafetensors(bytes.subarray(0, 3))).toThrow(/^safetensors data is corrupted or truncated/);
  });

  it('refuses headers it cannot trust: other dtypes, bad shapes or offsets, non-string metadata', () => {
    const withHeader = (header: unknown, dataBytes = 0): Buffer => {
      const json = Buffer.from(JSON.stringify(header), 'utf8');
      const out = Buffer.alloc(8 + json.length + dataBytes);
      out.writeBigUInt64LE(BigInt(json.length), 0);
      json.copy(out, 8);
      return out;
    };
    expect(() =>
      decodeSafetensors(withHeader({ x: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, 2), 'h'),
    ).toThrow('tensor "x" has dtype "F16"; only F32 is supported');
    expect(() =>
      decodeSafetensors(withHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), 'h'),
    ).toThrow('tensor "x" has an invalid shape [-1]');
    expect(() =>
      decodeSafetensors(withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8), 'h'),
    ).toThrow('tensor "x" has data_offsets [0,4] that do not fit shape [2]');
    expect(() => decodeSafetensors(withHeader({ __metadata__: { step: 7 } }), 'h')).toThrow(
      'its __metadata__ is not a map of strings',
    );
    expect(() => decodeSafetensors(withHeader([1, 2]), 'h')).toThrow('its header is not a JSON object');
  });

  it('refuses to encode what it could not read back', () => {
    expect(() => encodeSafetensors({ a: { shape: [2], values: new Float32Array(3) } })).toThrow(
      /tensor "a" has shape \[2\] but 3 values/,
    );
    expect(() => encodeSafetensors({ __metadata__: { shape: [1], values: new Float32Array(1) } })).toThrow(
      /cannot be a tensor name/,
    );
    expect(() => encodeSafetensors({ a: { shape: [1.5], values: new Float32Array(1) } })).toThrow(
      /invalid shape \[1.5\]/,
    );
    expect(() => encodeSafetensors({}, { step: 7 as unknown as string })).toThrow(/metadata "step" must be a string/);
  });
});

describe('safetensors files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes atomically (no temporary file left, with or without fsync) and reads back', () => {
    const data = new Float32Array([1.5, -2, 3e-8, 3.4e38, -0, 7]);
    for (const fsync of [false, true]) {
      const file = path.join(dir, 'state.safetensors');
      const size = writeSafetensors(file, { 'adam.m.x': { shape: [2, 3], values: data } }, { step: '17' }, { fsync });
      expect(fs.readdirSync(dir)).toEqual(['state.safetensors']);
      expect(fs.statSync(file).size).toBe(size);
      const back = readSafetensors(file, { expectedBytes: size });
      expect(back.metadata).toEqual({ step: '17' });
      expect(back.tensors['adam.m.x'].shape).toEqual([2, 3]);
      expect(Array.from(back.tensors['adam.m.x'].values)).toEqual(Array.from(data));
      expect(Object.is(back.tensors['adam.m.x'].values[4], -0)).toBe(true);
    }
  });

  it('names the file when it is missing, truncated or of an unexpected size', () => {
    const file = path.join(dir, 'model.safetensors');
    expect(() => readSafetensors(file)).toThrow(`${file} could not be read`);
    const size = writeSafetensors(file, { w: { shape: [4], values: new Float32Array(4) } });
    expect(() =>
      readSafetensors(file, { expectedBytes: size + 1, recordedBy: 'state.json', source: `checkpoint file ${file}` }),
    ).toThrow(
      `checkpoint file ${file} is corrupted or truncated: it has ${size} bytes but state.json recorded ${size + 1}`,
    );
    fs.truncateSync(file, size - 2);
    expect(() => readSafetensors(file)).toThrow(`${file} is corrupted or truncated: tensor "w" needs bytes 0..16`);
  });
});
