import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from '../lib/io/safetensors.js';
import { expected, expectValues, fixture, hasNumpy, runPython } from './helpers/array-fixtures.js';
import { formatMessage } from './helpers/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggtalker-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A safetensors file built by hand from a header object and raw data. */
function handFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return out;
}


const tensors: Record<string, NdArrayData> = {
  weight: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) },
  bias: { dtype: 'float64', shape: [3], data: Float64Array.from([0.1, 0.2, 0.3]) },
  steps: { dtype: 'int64', shape: [], data: BigInt64Array.from([2n ** 60n]) },
  ids: { dtype: 'int32', shape: [2], data: Int32Array.from([-1, 7]) },
  bytes: { dtype: 'uint8', shape: [3], data: Uint8Array.from([0, 1, 255]) },
  mask: { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) },
  small: { dtype: 'int16', shape: [1], data: Int16Array.from([-300]) },
  none: { dtype: 'float32', shape: [0, 2], data: new Float32Array(0) },
};

describe('parseSafetensors: files written by hand in Python', () => {
  it('reads every dtype, widening F16 and BF16 to float32 exactly, and the metadata', async () => {
    const file = await readSafetensors(fixture('dtypes.safetensors'));
    expect(file.metadata).toEqual({ source: 'make_fixtures.py' });
    const dtypes: Record<string, string> = { f64: 'float64', i64: 'int64', u8: 'uint8', flags: 'bool', f16: 'float32', bf16: 'float32' };
    expect([...file.tensors.keys()].sort()).toEqual(Object.keys(dtypes).sort());
    for (const [key, dtype] of Object.entries(dtypes)) {
      const tensor = file.tensors.get(key)!;
      expect(tensor.dtype, key).toBe(dtype);
      expect(tensor.shape, key).toEqual(expected.safetensors[key]!.shape);
      expectValues(tensor.data, expected.safetensors[key]!.data, key);
    }
  });

  it('reads the FLAME fixture', async () => {
    const file = await readSafetensors(fixture('model.safetensors'));
    expect(file.metadata).toEqual({ format: 'flame', note: 'test fixture' });
    expect(file.tensors.get('v_template')!.dtype).toBe('float32');
    expectValues(file.tensors.get('shapedirs')!.data, expected.model.shapedirs!, 'shapedirs');
    expect(file.tensors.get('kintree_table')!.data).toEqual(BigInt64Array.from([-1n, 0n, 1n, 1n, 1n, 0n, 1n, 2n, 3n, 4n]));
  });
});

describe('encodeSafetensors', () => {
  it('round-trips every dtype and the metadata, in memory and through files', async () => {
    const bytes = encodeSafetensors(tensors, { epoch: '3' });
    const parsed = parseSafetensors(bytes);
    expect(Object.fromEntries(parsed.tensors)).toEqual(tensors);
    expect(parsed.metadata).toEqual({ epoch: '3' });
    const path = join(dir, 'weights.safetensors');
    await writeSafetensors(path, parsed.tensors, parsed.metadata);
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
  });

  it('pads the header to 8 bytes and lays tensors out largest element first, so each is aligned', () => {
    const bytes = Buffer.from(encodeSafetensors(tensors));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header.__metadata__).toBeUndefined();
    const order = Object.entries(header).sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]).map(([name]) => name);
    expect(order).toEqual(['bias', 'steps', 'ids', 'none', 'weight', 'small', 'bytes', 'mask']);
    const sizes: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, I16: 2, U8: 1, BOOL: 1 };
    for (const { dtype, data_offsets: [begin] } of Object.values(header)) expect(begin % sizes[dtype]!).toBe(0);
  });

  it('refuses inconsistent tensors, the reserved name and non-string metadata', () => {
    const bad = { dtype: 'float32', shape: [3], data: new Float32Array(2) } as NdArrayData;
    expect(() => encodeSafetensors({ w: bad })).toThrow(ValidationError);
    expect(() => encodeSafetensors({ w: bad })).toThrow('expected tensors.w to be an NdArrayData ({ dtype, shape, data }), received data of length 2 for shape [3]');
    expect(() => encodeSafetensors({ __metadata__: tensors.ids! })).toThrow(/"__metadata__" \(the name is reserved\)/);
    expect(() => encodeSafetensors(tensors, { epoch: 3 } as unknown as Record<string, string>)).toThrow('expected metadata.epoch to be a string, received 3');
  });
});

describe('parseSafetensors: malformed files', () => {
  const f32 = (begin: number, end: number, shape = [1]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('refuses overlapping, gapped, out-of-bounds and mis-sized tensors', () => {
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 4), b: f32(2, 6) }, new Uint8Array(6)), 'x.safetensors'))).toBe(
      'x.safetensors: malformed safetensors header: tensor "b" starts at data offset 2, expected 4 (tensors must be contiguous and must not overlap)',
    );
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12))))).toMatch(
      /tensor "b" starts at data offset 8, expected 4/,
    );
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 4), b: f32(4, 8) }, new Uint8Array(6))))).toBe(
      'truncated safetensors file: the header describes 8 bytes of data, the file holds 6',
    );
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 8) }, new Uint8Array(8))))).toMatch(
      /tensor "a" \(F32, shape \[1\]\) needs 4 bytes, its data_offsets \[0, 8\] span 8/,
    );
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 4) }, new Uint8Array(6))))).toMatch(/2 bytes of data follow the last tensor/);
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(4, 0) }, new Uint8Array(4))))).toMatch(/expected the data_offsets of tensor "a" to be \[begin, end\]/);
  });

  it('refuses unknown dtypes, bad shapes, bad metadata, bad JSON and impossible header lengths', () => {
    expect(formatMessage(() => parseSafetensors(handFile({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))))).toMatch(
      /unsupported dtype "C64" for tensor "a" \(expected one of F64, F32, F16, BF16/,
    );
    expect(formatMessage(() => parseSafetensors(handFile({ a: f32(0, 4, [-1]) }, new Uint8Array(4))))).toMatch(/shape of tensor "a" to be a list of non-negative integers/);
    expect(formatMessage(() => parseSafetensors(handFile({ __metadata__: { n: 1 } })))).toMatch(/expected "__metadata__" to map names to strings/);
    expect(formatMessage(() => parseSafetensors(handFile([1, 2])))).toMatch(/expected a JSON object/);
    const notJson = Buffer.from(handFile({}));
    notJson[8] = 0x78;
    expect(formatMessage(() => parseSafetensors(notJson))).toMatch(/the safetensors header is not valid JSON/);
    const huge = Buffer.from(handFile({}));
    huge.writeBigUInt64LE(2n ** 63n, 0);
    expect(formatMessage(() => parseSafetensors(huge))).toMatch(/its header length field \(bytes 0 to 7\) points beyond the 2 bytes that follow/);
    // The field's value (the file's first 8 bytes) is not echoed: it may be someone else's file.
    expect(formatMessage(() => parseSafetensors(huge))).not.toMatch(/9223372036854775808/);
    expect(formatMessage(() => parseSafetensors(new Uint8Array(3)))).toMatch(/truncated safetensors file: expected an 8-byte header length/);
  });
});

describe('an independent reader (Python, by hand) agrees with what ggtalker writes', () => {
  const reason = hasNumpy ? '' : ' (skipped: /usr/bin/python3 cannot import numpy)';
  const reader = String.raw`
import json, struct, sys, numpy as np
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
names = {'F64': '<f8', 'F32': '<f4', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'U8': '|u1', 'BOOL': '|b1'}
out = {}
for key, info in header.items():
    if key == '__metadata__':
        out[key] = info
        continue
    begin, end = info['data_offsets']
    a = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=names[info['dtype']]).reshape(info['shape'])
    out[key] = [str(v) for v in a.astype(object).ravel()]
print(json.dumps(out))
`;

  it.skipIf(!hasNumpy)(`every tensor and the metadata${reason}`, async () => {
    const path = join(dir, 'for-python.safetensors');
    await writeSafetensors(path, tensors, { by: 'ggtalker' });
    const seen = runPython(reader, path) as Record<string, unknown>;
    expect(seen.__metadata__).toEqual({ by: 'ggtalker' });
    for (const [key, tensor] of Object.entries(tensors)) {
      const text = Array.from(tensor.data as ArrayLike<number | bigint>, (v) => (tensor.dtype === 'bool' ? String(v === 1 ? 'True' : 'False') : String(v)));
      const numeric = tensor.dtype.startsWith('float') ? (seen[key] as string[]).map(Number) : seen[key];
      expect(numeric, key).toEqual(tensor.dtype.startsWith('float') ? Array.from(tensor.data as ArrayLike<number>) : text);
    }
  });
});

describe('careless calls: ValidationErrors naming the function, not TypeErrors', () => {
  it('refuses bytes, paths and options of the wrong kind; a missing file is a FileSystemError', async () => {
    expect(() => parseSafetensors(undefined as never)).toThrow(ValidationError);
    expect(() => parseSafetensors('m.safetensors' as never)).toThrow(/^parseSafetensors: expected bytes .*use readSafetensors\(path\)/);
    expect(() => parseSafetensors(encodeSafetensors({}), undefined, null as never)).toThrow(/^parseSafetensors: expected options to be an object, received null/);
    expect(() => parseSafetensors(encodeSafetensors({}), undefined, { names: 'w' as never })).toThrow(/^parseSafetensors: expected options.names/);
    await expect(readSafetensors(42 as never)).rejects.toThrow(/^readSafetensors: expected path/);
    await expect(readSafetensors(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ name: 'FileSystemError', systemCode: 'ENOENT' });
    await expect(writeSafetensors({} as never, {})).rejects.toThrow(/^writeSafetensors: expected path/);
    await expect(writeSafetensors(join(dir, 'missing', 'x.safetensors'), {})).rejects.toMatchObject({ name: 'FileSystemError', systemCode: 'ENOENT' });
  });
});
