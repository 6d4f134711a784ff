import { decodeSafetensors, encodeSafetensors } from './checkpoint-format';

describe('safetensors format', () => {
  const tensors = {
    a: { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    'm/b': { shape: [1], values: Float32Array.from([0.1]) },
  };

  it('writes the standard layout: u64 header length, JSON header, aligned little-endian data', () => {
    const bytes = encodeSafetensors(tensors, { step: '7' });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header.__metadata__).toEqual({ step: '7' });
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['m/b']).toEqual({ dtype: 'F32', shape: [1], data_offsets: [24, 28] });
    expect(bytes.length).toBe(8 + headerLength + 28);
    expect(bytes.readFloatLE(8 + headerLength + 20)).toBe(-6.5);
  });

  it('round-trips tensors and metadata exactly', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { step: '7' }), 'x.safetensors');
    expect(decoded.metadata).toEqual({ step: '7' });
    expect(decoded.tensors.a.shape).toEqual([2, 3]);
    expect(Array.from(decoded.tensors.a.values)).toEqual(Array.from(tensors.a.values));
    expect(Array.from(decoded.tensors['m/b'].values)).toEqual(Array.from(tensors['m/b'].values));
  });

  it('refuses truncated or corrupted bytes, naming the file', () => {
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), '/run/model.safetensors')).toThrow(
      /checkpoint file \/run\/model.safetensors is corrupted or truncated: tensor "m\/b" needs bytes 24..28/,
    );
    expect(() => decodeSafetensors(bytes.subarray(0, 20), 'f.safetensors')).toThrow(/f.safetensors is corrupted or truncated: the header claims/);
    expect(() => decodeSafetensors(bytes.subarray(0, 3), 'f.safetensors')).toThrow(/fewer than the 8-byte header length/);
    const garbled = Buffer.from(bytes);
    garbled[9] = 0x7b; // '{' inside the JSON
    expect(() => decodeSafetensors(garbled, 'g.safetensors')).toThrow(/g.safetensors is corrupted or truncated: its header is not valid JSON/);
  });

  it('rejects a shape that does not match the values', () => {
    expect(() => encodeSafetensors({ a: { shape: [2], values: new Float32Array(3) } })).toThrow(/shape \[2\] but 3 values/);
  });
});
