import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors, writeSafetensors } from '@matryoshka/matryoshka-layers';
import { MatryoshkaGPT } from './model';
import { resolveConfig } from './config';
import { exportWeights, importWeights } from './weights-codec';
import { loadSafetensors, saveSafetensors } from './weights-file';

const CONFIG = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 9 };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
type Header = Record<string, HeaderEntry> & { __metadata__: Record<string, string> };

/** The header as any safetensors reader sees it: u64 LE length, then JSON. */
function parseHeader(file: string): { header: Header; dataStart: number; bytes: Buffer } {
  const bytes = fs.readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')), dataStart: 8 + length, bytes };
}

describe('MatryoshkaGPT safetensors files', () => {
  let dir: string;
  let model: MatryoshkaGPT;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nested-transformer-'));
    model = new MatryoshkaGPT(CONFIG);
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a model bit for bit and leaves no temporary file', () => {
    const file = path.join(dir, 'model.safetensors');
    saveSafetensors(file, model, { vocabulary: 'abc' });
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    const { model: loaded, metadata } = loadSafetensors(file);
    expect(metadata.vocabulary).toBe('abc');
    expect(loaded.config).toEqual(model.config);
    const a = model.namedVariables();
    const b = loaded.namedVariables();
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const name of Object.keys(a)) expect(Array.from(b[name].dataSync())).toEqual(Array.from(a[name].dataSync()));
    loaded.dispose();
  });

  it('has a plain header: per-head names, F32, contiguous little-endian data, config in __metadata__', () => {
    const file = path.join(dir, 'plain.safetensors');
    saveSafetensors(file, model);
    const { header, dataStart, bytes } = parseHeader(file);
    expect((dataStart - 8) % 8).toBe(0);
    expect(JSON.parse(header.__metadata__.config)).toMatchObject({ width: 16, heads: 4, vocabSize: 11 });
    expect(header['blocks.0.attn.wq.2']).toMatchObject({ dtype: 'F32', shape: [16, 4] });
    expect(header['blocks.1.attn.wv.3'].shape).toEqual([16, 4]);
    expect(header['blocks.0.attn.wo.weight'].shape).toEqual([16, 16]);
    expect(header['blocks.0.attn.wo.bias'].shape).toEqual([16]);
    expect(header['blocks.0.ffn.w1.weight'].shape).toEqual([16, 64]);
    expect(header['blocks.0.ffn.w2.bias'].shape).toEqual([16]);
    expect(header.token_embedding.shape).toEqual([11, 16]);
    expect(header.position_embedding.shape).toEqual([8, 16]);
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, HeaderEntry][];
    expect(entries).toHaveLength(2 + 2 * (3 * 4 + 6));
    const spans = entries.map(([, e]) => e.data_offsets).sort((x, y) => x[0] - y[0]);
    spans.forEach(([begin], i) => expect(begin).toBe(i === 0 ? 0 : spans[i - 1][1]));
    expect(dataStart + spans[spans.length - 1][1]).toBe(bytes.length);
    // Head 2's Wk, read as little-endian floats, is wqkv[:, 1, 2, :] of the model.
    const [begin] = header['blocks.0.attn.wk.2'].data_offsets;
    const wqkv = Array.from(model.namedVariables()['blocks.0.attn.wqkv'].dataSync()); // [16, 3, 4, 4]
    for (let r = 0; r < 16; r++) {
      for (let c = 0; c < 4; c++) {
        expect(bytes.readFloatLE(dataStart + begin + 4 * (r * 4 + c))).toBe(wqkv[((r * 3 + 1) * 4 + 2) * 4 + c]);
      }
    }
  });

  it('refuses shape and vocabulary mismatches, naming the tensor and both shapes', () => {
    const file = path.join(dir, 'mismatch.safetensors');
    saveSafetensors(file, model);
    expect(() => loadSafetensors(file, { vocabSize: 12 })).toThrow(
      /vocabulary mismatch: the file's model has 11 tokens but 12 were expected/,
    );
    // A file with one tensor reshaped:
    const { tensors, metadata } = readSafetensors(file);
    tensors['blocks.1.attn.wq.0'] = { shape: [4, 16], values: tensors['blocks.1.attn.wq.0'].values };
    writeSafetensors(file, tensors, metadata);
    expect(() => loadSafetensors(file)).toThrow(
      /tensor blocks.1.attn.wq.0 has shape \[4,16\] in the file but the model expects \[16,4\]/,
    );
  });

  it('importWeights refuses the weights of another model, naming the vocabulary or the tensor and both shapes', () => {
    const tensors = exportWeights(model);
    expect(() => importWeights(resolveConfig({ ...CONFIG, vocabSize: 12 }), tensors, 'w')).toThrow(
      /^w: vocabulary mismatch: the file has 11 tokens .* the model expects 12$/,
    );
    expect(() => importWeights(resolveConfig({ ...CONFIG, width: 32 }), tensors, 'w')).toThrow(
      /tensor token_embedding has shape \[11,16\] in the file but the model expects \[11,32\]/,
    );
  });

  it('names the file when it is truncated or not a model file', () => {
    const file = path.join(dir, 'truncated.safetensors');
    saveSafetensors(file, model);
    fs.truncateSync(file, fs.statSync(file).size - 4);
    expect(() => loadSafetensors(file)).toThrow(
      `${file} is corrupted or truncated: tensor "blocks.1.ffn.w2.bias" needs bytes`,
    );
    const other = path.join(dir, 'other.safetensors');
    writeSafetensors(other, { x: { shape: [1], values: new Float32Array(1) } });
    expect(() => loadSafetensors(other)).toThrow(`${other}: no model config in __metadata__`);
    // A model file of another format version is refused in one line.
    const { tensors, metadata } = readSafetensors(path.join(dir, 'model.safetensors'));
    const future = path.join(dir, 'future.safetensors');
    writeSafetensors(future, tensors, { ...metadata, format: 'matryoshka-gpt/2' });
    expect(() => loadSafetensors(future)).toThrow(
      `${future}: format "matryoshka-gpt/2"; this code reads matryoshka-gpt/1 only`,
    );
  });
});
