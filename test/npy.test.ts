import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { encodeNpy, encodeNpz, parseNpy, parseNpz, parseObjectNpy, readNpz, writeNpz } from '../lib/io/npy.js';
import { expected, expectValues, fixture, hasNumpy, runPython } from './helpers/array-fixtures.js';
import { formatMessage } from './helpers/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggtalker-npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One small array of every dtype, with awkward values (extremes, negatives, NaN-free). */
function sampleArrays(): Record<string, NdArrayData> {
  return {
    f64: { dtype: 'float64', shape: [2, 3], data: Float64Array.from([0.1, -2.5, 1e300, -0, 5e-324, 3]) },
    f32: { dtype: 'float32', shape: [3], data: Float32Array.from([1.5, -3.25, 65504]) },
    i64: { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 2n ** 53n + 1n]) },
    i32: { dtype: 'int32', shape: [2, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 7]) },
    i16: { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) },
    i8: { dtype: 'int8', shape: [2], data: Int8Array.from([-128, 127]) },
    u64: { dtype: 'uint64', shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
    u32: { dtype: 'uint32', shape: [2], data: Uint32Array.from([0, 2 ** 32 - 1]) },
    u16: { dtype: 'uint16', shape: [1], data: Uint16Array.from([65535]) },
    u8: { dtype: 'uint8', shape: [1, 1, 3], data: Uint8Array.from([0, 128, 255]) },
    flags: { dtype: 'bool', shape: [4], data: Uint8Array.from([1, 0, 0, 1]) },
    scalar: { dtype: 'float32', shape: [], data: Float32Array.from([-0.5]) },
    empty: { dtype: 'float64', shape: [0, 4], data: new Float64Array(0) },
  };
}


/** A .npy file built by hand: magic, version, header length, header, data. */
function handNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const text = Buffer.from(header, 'latin1');
  const lengthSize = version === 1 ? 2 : 4;
  const out = Buffer.alloc(8 + lengthSize + text.length + data.length);
  Buffer.from('\x93NUMPY', 'latin1').copy(out);
  out[6] = version;
  if (version === 1) out.writeUInt16LE(text.length, 8);
  else out.writeUInt32LE(text.length, 8);
  text.copy(out, 8 + lengthSize);
  out.set(data, 8 + lengthSize + text.length);
  return out;
}

describe('parseNpy: files numpy wrote', () => {
  for (const [name, want] of Object.entries(expected.npy)) {
    it(`reads ${name} (${want.descr}${want.fortran ? ', Fortran order' : ''})`, () => {
      const array = parseNpy(readFileSync(fixture(name)), name);
      expect(array.shape).toEqual(want.shape);
      const dtypes: Record<string, string> = {
        f4: 'float32', f8: 'float64', i4: 'int32', i8: 'int64', u4: 'uint32', u1: 'uint8', b1: 'bool',
      };
      expect(array.dtype).toBe(dtypes[want.descr.slice(1)]);
      expectValues(array.data, want.data, name);
    });
  }
});

describe('encodeNpy / parseNpy', () => {
  it('round-trips every dtype, 0-d and empty arrays', () => {
    for (const [name, array] of Object.entries(sampleArrays())) {
      expect(parseNpy(encodeNpy(array)), name).toEqual(array);
    }
  });

  it('writes the header numpy writes: version 1.0, dict literal, data aligned to 64 bytes', () => {
    const bytes = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('\x93NUMPY\x01\x00');
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.length).toBe(10 + headerLength + 24);
    const oneD = Buffer.from(encodeNpy({ dtype: 'bool', shape: [3], data: new Uint8Array(3) })).toString('latin1');
    expect(oneD).toContain("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }");
  });

  it('reads a version 2.0 header and Python 2 long dimensions', () => {
    const data = Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0]);
    const array = parseNpy(handNpy("{'descr': '<u4', 'fortran_order': False, 'shape': (2L,), }\n", data, 2));
    expect(array).toEqual({ dtype: 'uint32', shape: [2], data: Uint32Array.from([1, 2]) });
  });

  it('refuses bad magic, versions, headers, dtypes and data lengths', () => {
    expect(formatMessage(() => parseNpy(Buffer.from('PK\x03\x04 not npy'), 'a.npy'))).toBe('a.npy: not a .npy file: expected the magic "\\x93NUMPY"');
    expect(formatMessage(() => parseNpy(handNpy('{}', undefined, 4)))).toMatch(/unsupported \.npy format version 4\.0/);
    expect(formatMessage(() => parseNpy(handNpy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }")))).toMatch(
      /unsupported \.npy dtype '\|O' \(object arrays hold pickles, which are not loaded\)/,
    );
    expect(formatMessage(() => parseNpy(handNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")))).toMatch(
      /structured arrays are not supported/,
    );
    expect(formatMessage(() => parseNpy(handNpy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }")))).toMatch(/unsupported \.npy dtype '<U3'/);
    expect(formatMessage(() => parseNpy(handNpy("{'descr': '<f4', 'shape': (1,), }")))).toMatch(/expected the header keys 'descr', 'fortran_order' and 'shape'/);
    expect(formatMessage(() => parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ")))).toMatch(/expected a Python dict literal/);
    expect(formatMessage(() => parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(5))))).toBe(
      "expected 8 bytes of '<f4' data for shape (2), received 5",
    );
    const header = handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }");
    expect(formatMessage(() => parseNpy(header.subarray(0, 20)))).toMatch(/truncated \.npy file: the header needs \d+ bytes/);
  });

  it('refuses inconsistent arrays with a ValidationError', () => {
    const bad = { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } as NdArrayData;
    expect(() => encodeNpy(bad)).toThrow(ValidationError);
    expect(() => encodeNpy(bad)).toThrow('expected array to be an NdArrayData ({ dtype, shape, data }), received data of length 3 for shape [2, 2]');
    const mismatched = { dtype: 'float64', shape: [1], data: new Float32Array(1) } as unknown as NdArrayData;
    expect(() => encodeNpy(mismatched)).toThrow(/Float32Array of length 1 as data for dtype float64 \(expected a Float64Array\)/);
  });
});

describe('.npz', () => {
  const modelKeys = ['v_template', 'f', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'vt', 'ft', 'lmk_faces_idx', 'lmk_b_coords'];

  for (const name of ['model.npz', 'model_compressed.npz']) {
    it(`reads ${name} as np.savez${name.includes('compressed') ? '_compressed' : ''} wrote it`, async () => {
      const arrays = await readNpz(fixture(name));
      expect([...arrays.keys()]).toEqual(modelKeys);
      for (const key of modelKeys.filter((k) => k !== 'kintree_table')) expectValues(arrays.get(key)!.data, expected.model[key]!, key);
      const root = name === 'model.npz' ? 4294967295n : -1n;
      expect(arrays.get('kintree_table')!.data).toEqual(BigInt64Array.from([root, 0n, 1n, 1n, 1n, 0n, 1n, 2n, 3n, 4n]));
    });
  }

  it('round-trips through writeNpz / readNpz, keeping names and order', async () => {
    const arrays = sampleArrays();
    const path = join(dir, 'sample.npz');
    await writeNpz(path, arrays);
    const back = await readNpz(path);
    expect([...back.keys()]).toEqual(Object.keys(arrays));
    expect(Object.fromEntries(back)).toEqual(arrays);
    // A Map (what readNpz returns) can be written back as it is.
    expect(encodeNpz(back)).toEqual(encodeNpz(arrays));
  });

  it('writes stored entries whose local headers, CRCs and central directory agree', () => {
    const bytes = Buffer.from(encodeNpz({ a: { dtype: 'uint8', shape: [3], data: Uint8Array.from([1, 2, 3]) } }));
    expect(bytes.readUInt32LE(0)).toBe(0x04034b50);
    expect(bytes.readUInt16LE(8)).toBe(0); // method: stored
    expect(bytes.subarray(30, 35).toString()).toBe('a.npy');
    const eocd = bytes.length - 22;
    expect(bytes.readUInt32LE(eocd)).toBe(0x06054b50);
    expect(bytes.readUInt16LE(eocd + 10)).toBe(1);
    expect(bytes.readUInt32LE(bytes.readUInt32LE(eocd + 16))).toBe(0x02014b50);
  });

  it('refuses a corrupt CRC, a saturated end record without zip64 records, non-.npy entries and non-ZIP files', () => {
    const good = Buffer.from(encodeNpz({ a: { dtype: 'uint8', shape: [3], data: Uint8Array.from([1, 2, 3]) } }));
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 22 - 51 - 1] ^= 0xff; // the last data byte, before the central directory
    expect(formatMessage(() => parseNpz(corrupt, 'c.npz'))).toBe('c.npz: corrupt ZIP archive: the CRC-32 of a.npy does not match its data');
    const zip64 = Buffer.from(good);
    zip64.writeUInt16LE(0xffff, zip64.length - 22 + 10);
    expect(formatMessage(() => parseNpz(zip64))).toMatch(/^malformed ZIP archive: its end record has a saturated field .* but no zip64 end-of-central-directory locator precedes it/);
    expect(formatMessage(() => parseNpz(Buffer.from('not a zip at all, just text')))).toMatch(/not a ZIP archive/);
    const text = Buffer.from(encodeNpz({ a: { dtype: 'uint8', shape: [1], data: new Uint8Array(1) } }));
    const renamed = Buffer.from(text.toString('latin1').replaceAll('a.npy', 'a.txt'), 'latin1');
    expect(formatMessage(() => parseNpz(renamed))).toBe('expected every entry of the .npz archive to be a .npy array, received "a.txt"');
  });

  it('names the entry of a malformed array inside an archive', () => {
    const bytes = Buffer.from(encodeNpz({ w: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }));
    const broken = Buffer.from(bytes.toString('latin1').replace("'<f4'", "'<c8'"), 'latin1');
    // The CRC no longer matches: fix it up so that the .npy parser is what reports.
    const dataStart = 30 + 5;
    const size = broken.readUInt32LE(22);
    const crc = bitwiseCrc32(broken.subarray(dataStart, dataStart + size));
    broken.writeUInt32LE(crc, 14);
    broken.writeUInt32LE(crc, broken.readUInt32LE(broken.length - 22 + 16) + 16);
    expect(formatMessage(() => parseNpz(broken, 'm.npz'))).toMatch(/^m\.npz\/w\.npy: unsupported \.npy dtype '<c8'/);
  });
});

/** CRC-32, bitwise (independent of the library's table-driven one). */
function bitwiseCrc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('.npz written by np.savez_compressed: each member header first, then its body', () => {
  const reason = hasNumpy ? '' : ' (skipped: /usr/bin/python3 cannot import numpy)';
  it.skipIf(!hasNumpy)(`reads highly compressible members (the header's inflate bisects), small ones and odd shapes${reason}`, async () => {
    // 8 MB of zeros deflates ~1000:1, so inflating the first 4 KB of the stream overshoots the
    // header's cap and the prefix is bisected; the ramp and the empty array take the plain path.
    const path = join(dir, 'compressed-members.npz');
    const code = [
      'import sys, numpy as np',
      'z = np.zeros((1000, 1000), "<f8"); z[999, 999] = 2.5',
      'np.savez_compressed(sys.argv[1], zeros=z, ramp=np.arange(7, dtype="<i4") - 3, empty=np.zeros((0, 5), ">f4"))',
      'print("[]")',
    ].join('\n');
    runPython(code, path);
    const arrays = parseNpz(await readFile(path), path);
    const zeros = arrays.get('zeros')!;
    expect(zeros.shape).toEqual([1000, 1000]);
    expect(zeros.data.length).toBe(1e6);
    expect((zeros.data as Float64Array).reduce((a, b) => a + b, 0)).toBe(2.5);
    expect(zeros.data[999_999]).toBe(2.5);
    expect(arrays.get('ramp')).toEqual({ dtype: 'int32', shape: [7], data: Int32Array.from([-3, -2, -1, 0, 1, 2, 3]) });
    expect(arrays.get('empty')).toMatchObject({ dtype: 'float32', shape: [0, 5] });
  });
});

describe('numpy reads what ggtalker writes', () => {
  const reason = hasNumpy ? '' : ' (skipped: /usr/bin/python3 cannot import numpy)';
  const summarise = String.raw`
import json, sys, numpy as np
out = {}
with np.load(sys.argv[1]) as archive:
    for key in archive.files:
        a = archive[key]
        out[key] = [a.dtype.str, list(a.shape), a.ravel().tolist() if a.dtype != np.bool_ else a.ravel().astype(int).tolist()]
print(json.dumps(out))
`;

  it.skipIf(!hasNumpy)(`np.load reads our .npz with the same dtypes, shapes and values${reason}`, async () => {
    const arrays = sampleArrays();
    delete arrays.i64; // beyond 2^53: compared separately below
    delete arrays.u64;
    const path = join(dir, 'for-numpy.npz');
    await writeNpz(path, arrays);
    const seen = runPython(summarise, path) as Record<string, [string, number[], number[]]>;
    expect(Object.keys(seen)).toEqual(Object.keys(arrays));
    const descr: Record<string, string> = {
      float64: '<f8', float32: '<f4', int32: '<i4', int16: '<i2', int8: '|i1', uint32: '<u4', uint16: '<u2', uint8: '|u1', bool: '|b1',
    };
    for (const [key, array] of Object.entries(arrays)) {
      const [dtype, shape, values] = seen[key]!;
      expect(dtype, key).toBe(descr[array.dtype]);
      expect(shape, key).toEqual(array.shape);
      expect(values, key).toEqual(Array.from(array.data as ArrayLike<number>));
    }
  });

  it.skipIf(!hasNumpy)(`np.load reads our 64-bit integers and a .npy file exactly${reason}`, async () => {
    const path = join(dir, 'big.npy');
    await writeFile(path, encodeNpy({ dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 2n ** 53n + 1n]) }));
    const code = 'import json, sys, numpy as np; a = np.load(sys.argv[1]); print(json.dumps([a.dtype.str, [str(v) for v in a]]))';
    expect(runPython(code, path)).toEqual(['<i8', [String(-(2n ** 62n)), String(2n ** 53n + 1n)]]);
    // And our reader agrees with what numpy wrote for the fixture.
    expect(parseNpy(await readFile(fixture('npy_i8.npy'))).data).toEqual(BigInt64Array.from([2n ** 53n, -1n, 0n]));
  });
});

describe('careless calls: ValidationErrors naming the function, not TypeErrors', () => {
  it('refuses bytes, paths and options of the wrong kind', async () => {
    const npy = encodeNpy({ dtype: 'float32', shape: [2], data: new Float32Array(2) });
    expect(() => parseNpy(undefined as never)).toThrow(ValidationError);
    expect(() => parseNpy(null as never)).toThrow(/^parseNpy: expected bytes to be a Uint8Array or Buffer, received null/);
    expect(() => parseNpy(npy, {} as never)).toThrow(/^parseNpy: expected path/);
    expect(() => parseNpz('a.npz' as never)).toThrow(/^parseNpz: expected bytes .*use readNpz\(path\)/);
    expect(() => parseObjectNpy([1, 2, 3] as never)).toThrow(/^parseObjectNpy: expected bytes/);
    expect(() => parseObjectNpy(npy, undefined, null as never)).toThrow(/^parseObjectNpy: expected options to be an object/);
    await expect(readNpz(42 as never)).rejects.toThrow(/^readNpz: expected path/);
    await expect(writeNpz({} as never, {})).rejects.toThrow(/^writeNpz: expected path/);
    await expect(writeNpz(join(dir, 'missing', 'x.npz'), {})).rejects.toMatchObject({ name: 'FileSystemError', systemCode: 'ENOENT' });
  });
});
