import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  AddonLoadError,
  FormatError,
  GgtalkerError,
  NativeError,
  ValidationError,
} from '../lib/errors.js';
import {
  type Dims,
  requireFinite,
  requireFiniteNumber,
  requireMatrix4,
  requireNonNegativeInt,
  requireOneOf,
  requirePositiveInt,
  requirePositiveNumber,
  requireShape,
  toFloat32Tensor,
  toInt32Tensor,
  requireFloat32Number,
  requirePositiveFloat32,
  requireOutputElements,
  ownMemory,
  MAX_BROADCAST_ELEMENTS,
  DEFAULT_MAX_OUTPUT_ELEMENTS,
  requireAbortSignal,
  requireIndexList,
  requireTypedArray,
} from '../lib/validate.js';

/** Runs `fn`, expects a ValidationError, and returns its message. */
function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('ERR_GGT_INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

describe('toFloat32Tensor: shapes', () => {
  it('reports a shape mismatch in the user\'s terms', () => {
    const message = validationMessage(() =>
      toFloat32Tensor('means', { data: new Float32Array(40), shape: [10, 4] }, ['N', 3]),
    );
    expect(message).toBe('expected means to be a float32 array of shape [N, 3], received shape [10, 4]');
  });

  it('reports a rank mismatch', () => {
    const message = validationMessage(() => toFloat32Tensor('sh', ndarray(new Float32Array(30), [10, 3]), ['N', 'K', 3]));
    expect(message).toBe('expected sh to be a float32 array of shape [N, K, 3], received shape [10, 3]');
  });

  it('accepts a matching { data, shape } and returns its shape', () => {
    const result = toFloat32Tensor('means', { data: iota(30), shape: [10, 3] }, ['N', 3]);
    expect(result.shape).toEqual([10, 3]);
    expect(Array.from(result.data)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('rejects { data, shape } whose data length does not match the shape', () => {
    const message = validationMessage(() => toFloat32Tensor('means', { data: new Float32Array(29), shape: [10, 3] }, ['N', 3]));
    expect(message).toBe('expected means to hold 30 values for shape [10, 3], received 29');
  });

  it('rejects a bare typed array, naming what is missing', () => {
    const message = validationMessage(() => toFloat32Tensor('means', new Float32Array(30), ['N', 3]));
    expect(message).toBe(
      'expected means to be a float32 array of shape [N, 3], received a Float32Array of length 30 without a shape; pass { data, shape } or an ndarray',
    );
  });

  it('rejects missing input and invalid shapes', () => {
    expect(validationMessage(() => toFloat32Tensor('means', undefined, ['N', 3]))).toBe(
      'expected means to be a float32 array of shape [N, 3], received undefined',
    );
    expect(validationMessage(() => toFloat32Tensor('means', { data: new Float32Array(3), shape: [-1, 3] }, ['N', 3]))).toBe(
      'expected means.shape to be an array of non-negative integers, received [-1, 3]',
    );
  });
});

describe('toFloat32Tensor: symbolic dimensions', () => {
  it('binds N on first use and checks it across arguments, naming both', () => {
    const dims: Dims = {};
    toFloat32Tensor('means', { data: new Float32Array(30), shape: [10, 3] }, ['N', 3], dims);
    expect(dims).toEqual({ N: 10 });
    const message = validationMessage(() =>
      toFloat32Tensor('opacities', { data: new Float32Array(12), shape: [12] }, ['N'], dims),
    );
    expect(message).toBe('expected opacities to be a float32 array of shape [N] (N = 10 from means), received shape [12]');
    expect(toFloat32Tensor('opacities', { data: new Float32Array(10), shape: [10] }, ['N'], dims).shape).toEqual([10]);
  });

  it('binds several symbols and keeps earlier ones', () => {
    const dims: Dims = {};
    toFloat32Tensor('means', { data: new Float32Array(6), shape: [2, 3] }, ['N', 3], dims);
    toFloat32Tensor('sh', { data: new Float32Array(2 * 16 * 3), shape: [2, 16, 3] }, ['N', 'K', 3], dims);
    expect(dims).toEqual({ N: 2, K: 16 });
    const message = validationMessage(() =>
      toFloat32Tensor('colors', { data: new Float32Array(2 * 9 * 3), shape: [2, 9, 3] }, ['N', 'K', 3], dims),
    );
    expect(message).toBe('expected colors to be a float32 array of shape [N, K, 3] (K = 16 from sh), received shape [2, 9, 3]');
  });

  it('requires a symbol repeated within one shape to agree', () => {
    const message = validationMessage(() => toFloat32Tensor('gram', { data: new Float32Array(12), shape: [3, 4] }, ['D', 'D']));
    expect(message).toBe('expected gram to be a float32 array of shape [D, D], received shape [3, 4]');
  });

  it('does not bind symbols from an argument that fails', () => {
    const dims: Dims = {};
    const nan = new Float32Array(6).fill(Number.NaN);
    validationMessage(() => toFloat32Tensor('means', { data: nan, shape: [2, 3] }, ['N', 3], dims));
    expect(dims).toEqual({});
  });

  it('honours pre-filled sizes', () => {
    const dims: Dims = { T: 4 };
    const message = validationMessage(() => toFloat32Tensor('expr', { data: new Float32Array(500), shape: [5, 100] }, ['T', 100], dims));
    expect(message).toBe('expected expr to be a float32 array of shape [T, 100] (T = 4), received shape [5, 100]');
  });
});

describe('requireShape', () => {
  it('checks a bare shape with the caller\'s wording and shares dims with toFloat32Tensor', () => {
    const dims: Dims = {};
    toFloat32Tensor('means', { data: new Float32Array(30), shape: [10, 3] }, ['N', 3], dims);
    expect(validationMessage(() => requireShape('quats', [9, 4], ['N', 4], dims, 'a float32 Tensor'))).toBe(
      'expected quats to be a float32 Tensor of shape [N, 4] (N = 10 from means), received shape [9, 4]',
    );
    requireShape('sh', [10, 16, 3], ['N', 'K', 3], dims, 'a float32 Tensor');
    expect(dims).toEqual({ N: 10, K: 16 });
    expect(validationMessage(() => requireShape('x', [2, 3], [2, 4]))).toBe('expected x to be a float32 array of shape [2, 4], received shape [2, 3]');
  });
});

describe('toFloat32Tensor: strides, offsets and copies', () => {
  // base is the 5x6 matrix base[r][c] = 6r + c
  const base = (): ndarray.NdArray<Float32Array> => ndarray(iota(30), [5, 6]);

  it('is zero-copy for a contiguous float32 ndarray', () => {
    const input = base();
    const result = toFloat32Tensor('x', input, [5, 6]);
    expect(result.data.buffer).toBe(input.data.buffer);
    expect(result.data.byteOffset).toBe(0);
    expect(result.data.length).toBe(30);
  });

  it('is zero-copy (a subarray) for a contiguous view with an offset', () => {
    const input = base().lo(2, 0); // rows 2..4, offset 12
    const result = toFloat32Tensor('x', input, ['R', 6]);
    expect(result.data.buffer).toBe(input.data.buffer);
    expect(result.data.byteOffset).toBe(12 * 4);
    expect(Array.from(result.data)).toEqual(Array.from({ length: 18 }, (_, i) => 12 + i));
  });

  it('compacts a sliced, stepped view', () => {
    const view = base().hi(4, 6).lo(1, 2).step(1, 2); // rows 1..3, columns 2 and 4
    const result = toFloat32Tensor('x', view, [3, 2]);
    expect(result.shape).toEqual([3, 2]);
    expect(Array.from(result.data)).toEqual([8, 10, 14, 16, 20, 22]);
    expect(result.data.buffer).not.toBe(view.data.buffer);
  });

  it('compacts a transposed view', () => {
    const result = toFloat32Tensor('x', base().transpose(1, 0), [6, 5]);
    const expected: number[] = [];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) expected.push(6 * j + i);
    expect(Array.from(result.data)).toEqual(expected);
  });

  it('compacts a reversed view (negative stride)', () => {
    const result = toFloat32Tensor('x', base().step(-1, 1), [5, 6]);
    const expected = [4, 3, 2, 1, 0].flatMap((r) => [0, 1, 2, 3, 4, 5].map((c) => 6 * r + c));
    expect(Array.from(result.data)).toEqual(expected);
  });

  it('compacts a hand-written strided object with an offset', () => {
    // a 2x3 column-major matrix starting at element 5: x[r][c] = data[5 + r + 2c]
    const data = iota(12);
    const result = toFloat32Tensor('x', { data, shape: [2, 3], stride: [1, 2], offset: 5 }, [2, 3]);
    expect(Array.from(result.data)).toEqual([5, 7, 9, 6, 8, 10]);
  });

  it('compacts a 3-D view with a middle-axis step', () => {
    // y[a][b][c] = data[a*12 + b*4 + c]; pick b in {0, 2}
    const view = ndarray(iota(24), [2, 3, 4]).step(1, 2, 1);
    const result = toFloat32Tensor('x', view, [2, 2, 4]);
    const expected: number[] = [];
    for (const a of [0, 1]) for (const b of [0, 2]) for (let c = 0; c < 4; c++) expected.push(a * 12 + b * 4 + c);
    expect(Array.from(result.data)).toEqual(expected);
  });

  it('rejects a layout that reaches outside its data', () => {
    const message = validationMessage(() =>
      toFloat32Tensor('x', { data: new Float32Array(10), shape: [2, 3], stride: [3, 1], offset: 5 }, [2, 3]),
    );
    expect(message).toBe(
      'expected x (shape [2, 3], stride [3, 1], offset 5) to stay within its 10 elements, received a layout reaching element 10',
    );
  });
});

describe('toFloat32Tensor: dtype and finiteness', () => {
  it('rejects float64 data, suggesting Float32Array.from', () => {
    const message = validationMessage(() => toFloat32Tensor('means', ndarray(new Float64Array(30), [10, 3]), ['N', 3]));
    expect(message).toBe(
      'expected means to be a float32 array of shape [N, 3], received float64 data; convert it with Float32Array.from(data)',
    );
  });

  it('names other dtypes', () => {
    expect(validationMessage(() => toFloat32Tensor('ids', { data: new Int32Array(4), shape: [4] }, ['N']))).toMatch(
      /received int32 data; convert it with Float32Array\.from\(data\)$/,
    );
    expect(validationMessage(() => toFloat32Tensor('ids', { data: [1, 2, 3, 4], shape: [4] }, ['N']))).toMatch(
      /received plain Array data;/,
    );
  });

  it('reports the first NaN by flat index for 1-D data', () => {
    const data = new Float32Array(10).fill(0.5);
    data[7] = Number.NaN;
    data[9] = Number.NaN;
    const message = validationMessage(() => toFloat32Tensor('opacities', { data, shape: [10] }, ['N']));
    expect(message).toBe('expected opacities to be finite, received NaN at index 7');
  });

  it('reports ±Infinity by [row, column] for 2-D data', () => {
    const data = new Float32Array(30);
    data[5] = Number.POSITIVE_INFINITY;
    expect(validationMessage(() => toFloat32Tensor('means', { data, shape: [10, 3] }, ['N', 3]))).toBe(
      'expected means to be finite, received Infinity at index [1, 2]',
    );
    data[5] = 0;
    data[28] = Number.NEGATIVE_INFINITY;
    expect(validationMessage(() => toFloat32Tensor('means', { data, shape: [10, 3] }, ['N', 3]))).toBe(
      'expected means to be finite, received -Infinity at index [9, 1]',
    );
  });

  it('reports the logical index of a non-finite value in a strided view', () => {
    const data = iota(30);
    data[6 * 3 + 4] = Number.NaN; // base[3][4] is view[2][1] of rows 1..3, columns 2 and 4
    const view = ndarray(data, [5, 6]).hi(4, 6).lo(1, 2).step(1, 2);
    expect(validationMessage(() => toFloat32Tensor('x', view, [3, 2]))).toBe('expected x to be finite, received NaN at index [2, 1]');
  });

  it('skips the finiteness check only when asked', () => {
    const data = Float32Array.of(1, Number.NaN);
    const result = toFloat32Tensor('x', { data, shape: [2] }, ['N'], {}, { finite: false });
    expect(Number.isNaN(result.data[1])).toBe(true);
    expect(validationMessage(() => toFloat32Tensor('x', { data, shape: [2] }, ['N'], {}, { finite: true }))).toBe(
      'expected x to be finite, received NaN at index 1',
    );
  });

  it('requireFinite checks Float64Array too', () => {
    expect(validationMessage(() => requireFinite('w', Float64Array.of(1, 2, Number.NaN)))).toBe(
      'expected w to be finite, received NaN at index 2',
    );
  });
});

describe('scalar helpers', () => {
  it('requirePositiveInt', () => {
    expect(validationMessage(() => requirePositiveInt('width', 0))).toBe('expected width to be a positive integer, received 0');
    expect(validationMessage(() => requirePositiveInt('width', 1.5))).toBe('expected width to be a positive integer, received 1.5');
    expect(validationMessage(() => requirePositiveInt('width', '512'))).toBe('expected width to be a positive integer, received "512"');
    expect(validationMessage(() => requirePositiveInt('width', undefined))).toBe(
      'expected width to be a positive integer, received undefined',
    );
    expect(requirePositiveInt('width', 512)).toBe(512);
  });

  it('requirePositiveNumber', () => {
    expect(requirePositiveNumber('camera.fx', 1100)).toBe(1100);
    expect(validationMessage(() => requirePositiveNumber('camera.fx', 0))).toBe('expected camera.fx to be a positive finite number, received 0');
    expect(validationMessage(() => requirePositiveNumber('camera.fx', Number.POSITIVE_INFINITY))).toBe(
      'expected camera.fx to be a positive finite number, received Infinity',
    );
  });

  it('requireNonNegativeInt', () => {
    expect(requireNonNegativeInt('count', 0)).toBe(0);
    expect(validationMessage(() => requireNonNegativeInt('count', -1))).toBe(
      'expected count to be a non-negative integer, received -1',
    );
  });

  it('requireFiniteNumber, with and without a range', () => {
    expect(validationMessage(() => requireFiniteNumber('lr', Number.NaN))).toBe('expected lr to be a finite number, received NaN');
    expect(validationMessage(() => requireFiniteNumber('guidance', 12, { min: 1, max: 10 }))).toBe(
      'expected guidance to be a finite number in [1, 10], received 12',
    );
    expect(validationMessage(() => requireFiniteNumber('fps', -1, { min: 0 }))).toBe(
      'expected fps to be a finite number >= 0, received -1',
    );
    expect(requireFiniteNumber('fps', 25, { min: 0 })).toBe(25);
  });

  it('requireOneOf', () => {
    expect(validationMessage(() => requireOneOf('mode', 'fast', ['classic', 'antialiased']))).toBe(
      'expected mode to be one of "classic", "antialiased", received "fast"',
    );
    const mode: 'classic' | 'antialiased' = requireOneOf('mode', 'classic', ['classic', 'antialiased']);
    expect(mode).toBe('classic');
    expect(requireOneOf('degree', 3, [0, 1, 2, 3])).toBe(3);
  });
});

describe('requireMatrix4', () => {
  const rowMajor = Array.from({ length: 16 }, (_, i) => i + 0.5);
  const nested = [0, 1, 2, 3].map((r) => rowMajor.slice(4 * r, 4 * r + 4));

  it('accepts flat arrays, typed arrays and nested rows, returning row-major float32', () => {
    for (const input of [rowMajor, Float32Array.from(rowMajor), Float64Array.from(rowMajor), nested]) {
      const result = requireMatrix4('viewMatrix', input);
      expect(result).toBeInstanceOf(Float32Array);
      expect(Array.from(result)).toEqual(rowMajor);
    }
  });

  it('returns a copy', () => {
    const input = Float32Array.from(rowMajor);
    expect(requireMatrix4('viewMatrix', input)).not.toBe(input);
  });

  it('rejects wrong sizes and non-numbers', () => {
    const prefix = 'expected viewMatrix to be a 4x4 matrix (16 numbers in row-major order, or 4 rows of 4 numbers), received ';
    expect(validationMessage(() => requireMatrix4('viewMatrix', rowMajor.slice(0, 12)))).toBe(`${prefix}an array of length 12`);
    expect(validationMessage(() => requireMatrix4('viewMatrix', nested.slice(0, 3)))).toBe(`${prefix}an array of length 3`);
    expect(validationMessage(() => requireMatrix4('viewMatrix', new Int32Array(16)))).toBe(`${prefix}an Int32Array of length 16`);
    expect(validationMessage(() => requireMatrix4('viewMatrix', null))).toBe(`${prefix}null`);
  });

  it('reports a non-finite entry by [row, column]', () => {
    const bad = nested.map((row) => [...row]);
    bad[1]![2] = Number.NaN;
    expect(validationMessage(() => requireMatrix4('viewMatrix', bad))).toBe('expected viewMatrix to be finite, received NaN at index [1, 2]');
  });
});

describe('error classes', () => {
  it('carry names, codes and extras', () => {
    const cause = new Error('dlopen failed');
    const cases: [GgtalkerError, string, string][] = [
      [new ValidationError('v'), 'ValidationError', 'ERR_GGT_INVALID_ARGUMENT'],
      [new NativeError('n'), 'NativeError', 'ERR_GGT_NATIVE'],
      [new AddonLoadError('a', { cause, fixes: ['run npm rebuild'] }), 'AddonLoadError', 'ERR_GGT_ADDON_LOAD'],
      [new AbortError(), 'AbortError', 'ABORT_ERR'],
      [new FormatError('f', { path: 'x.ply' }), 'FormatError', 'ERR_GGT_FORMAT'],
    ];
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(GgtalkerError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(String(error.stack)).toContain(name);
    }
  });

  it('AddonLoadError lists its fixes and keeps the cause', () => {
    const cause = new Error('dlopen failed');
    const error = new AddonLoadError('could not load the ggtalker addon', { cause, fixes: ['run npm rebuild', 'install LibTorch'] });
    expect(error.cause).toBe(cause);
    expect(error.fixes).toEqual(['run npm rebuild', 'install LibTorch']);
    expect(error.message).toBe('could not load the ggtalker addon\nPossible fixes:\n  - run npm rebuild\n  - install LibTorch');
  });

  it('FormatError prefixes the path', () => {
    const error = new FormatError('missing vertex properties rot_3', { path: 'a.ply' });
    expect(error.path).toBe('a.ply');
    expect(error.message).toBe('a.ply: missing vertex properties rot_3');
    expect(new FormatError('bad').path).toBeUndefined();
  });

  it('AbortError keeps the signal reason as cause', () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const error = new AbortError(undefined, { cause: controller.signal.reason });
    expect(error.message).toBe('The operation was aborted');
    expect((error.cause as Error).message).toBe('user cancelled');
  });
});

describe('float32 precision (what the native code reads)', () => {
  it('requireFloat32Number: finite doubles beyond float32 are refused, naming the field', () => {
    // Oracle: float32's largest finite value is (2 - 2^-23) * 2^127, independent of Math.fround.
    const F32_MAX = (2 - 2 ** -23) * 2 ** 127;
    expect(requireFloat32Number('camera.cx', F32_MAX)).toBe(F32_MAX);
    expect(requireFloat32Number('camera.cx', -F32_MAX)).toBe(-F32_MAX);
    expect(requireFloat32Number('camera.cx', 1e-300)).toBe(1e-300); // 0 in float32: fine where 0 is fine
    expect(validationMessage(() => requireFloat32Number('camera.cx', 1e300))).toBe('expected camera.cx to be a finite float32 number (|x| <= 3.4e38), received 1e+300');
    expect(validationMessage(() => requireFloat32Number('camera.cx', -4e38))).toMatch(/camera\.cx .*received -4e\+38/);
    expect(validationMessage(() => requireFloat32Number('x', Number.NaN))).toMatch(/received NaN/);
    expect(validationMessage(() => requireFloat32Number('x', '1'))).toMatch(/received "1"/);
    expect(validationMessage(() => requireFloat32Number('x', 5, { min: 0, max: 1 }))).toMatch(/in \[0, 1\], received 5/);
  });

  it('requirePositiveFloat32: values that round to 0 or Infinity in float32 are refused', () => {
    const smallestSubnormal = 2 ** -149;
    expect(requirePositiveFloat32('camera.near', smallestSubnormal)).toBe(smallestSubnormal);
    expect(requirePositiveFloat32('camera.near', 0.01)).toBe(0.01);
    for (const bad of [1e-300, 2 ** -151, 0, -0, -1, 1e300, 4e38, Infinity, Number.NaN, '0.1', null]) {
      expect(validationMessage(() => requirePositiveFloat32('camera.near', bad))).toMatch(/^expected camera\.near to be a positive float32 number \(1\.4e-45 to 3\.4e38\), received /);
    }
  });

  it('requireMatrix4 refuses entries that overflow float32', () => {
    const m = [1, 0, 0, 1e300, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(validationMessage(() => requireMatrix4('camera.view', m))).toBe('expected camera.view to be finite in float32 (|x| <= 3.4e38), received 1e+300 at index [0, 3]');
  });
});

describe('memory that cannot cross the native boundary as is', () => {
  it('SharedArrayBuffer-backed data is copied into private memory (same values)', () => {
    const shared = new Float32Array(new SharedArrayBuffer(24));
    shared.set([1, 2, 3, 4, 5, 6]);
    const t = toFloat32Tensor('means', { data: shared, shape: [2, 3] }, ['N', 3]);
    expect(Object.prototype.toString.call(t.data.buffer)).toBe('[object ArrayBuffer]');
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const ints = new Int32Array(new SharedArrayBuffer(12));
    ints.set([0, 1, 2]);
    expect(Object.prototype.toString.call(toInt32Tensor('faces', { data: ints, shape: [1, 3] }, ['F', 3]).data.buffer)).toBe('[object ArrayBuffer]');
    const plain = new Float32Array(3);
    expect(ownMemory('x', plain)).toBe(plain);
  });

  it('a detached buffer is refused by name (its elements are gone)', () => {
    const data = new Float32Array(6);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(validationMessage(() => toFloat32Tensor('means', { data, shape: [2, 3] }, ['N', 3]))).toBe(
      'expected means to be readable array data, received a Float32Array whose ArrayBuffer was detached (transferred or freed)',
    );
    // A legitimately empty array is not mistaken for a detached one.
    expect(toFloat32Tensor('means', { data: new Float32Array(0), shape: [0, 3] }, ['N', 3]).shape).toEqual([0, 3]);
  });

  it('a stride-0 broadcast may not expand beyond MAX_BROADCAST_ELEMENTS (the copy is real memory)', () => {
    const data = Float32Array.of(1, 2, 3);
    const small = toFloat32Tensor('x', { data, shape: [4, 3], stride: [0, 1] }, ['N', 3]);
    expect(Array.from(small.data)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const rows = Math.floor(MAX_BROADCAST_ELEMENTS / 3) + 1;
    expect(validationMessage(() => toFloat32Tensor('x', { data, shape: [rows, 3], stride: [0, 1] }, ['N', 3]))).toMatch(
      new RegExp(`expected x to be at most ${MAX_BROADCAST_ELEMENTS} elements after compacting.*received shape \\[${rows}, 3\\]`),
    );
  });
});

describe('requireOutputElements', () => {
  it('passes outputs up to the limit and refuses larger ones, saying how many frames fit', () => {
    requireOutputElements('out [T, N, 4]', [10, 5, 4], 200);
    expect(validationMessage(() => requireOutputElements('out [T, N, 4]', [11, 5, 4], 200))).toBe(
      'expected out [T, N, 4] to hold at most maxOutputElements = 200 values, received [11, 5, 4] = 220; split the call into at most 10 frames each, or raise maxOutputElements if the machine has the memory (4 bytes per value)',
    );
    expect(DEFAULT_MAX_OUTPUT_ELEMENTS).toBe(2 ** 28);
    expect(() => requireOutputElements('out', [10_000, 5023, 3], undefined)).not.toThrow(); // 10k FLAME frames fit
    expect(validationMessage(() => requireOutputElements('out', [100_000, 5023, 3], undefined))).toMatch(/at most 17813 frames each/);
    expect(validationMessage(() => requireOutputElements('out', [1], 0))).toMatch(/maxOutputElements to be a positive integer/);
  });
});

describe('door checks of public arguments', () => {
  it('requireTypedArray names the function, the argument and the class', () => {
    const f = new Float32Array(2);
    expect(requireTypedArray('fn', f, 'x', Float32Array)).toBe(f);
    expect(() => requireTypedArray('fn', new Float64Array(2), 'x', Float32Array)).toThrow(/^fn: expected x to be a Float32Array, received a Float64Array of length 2$/);
    expect(() => requireTypedArray('fn', [1, 2], 'x', Int32Array)).toThrow(/^fn: expected x to be an Int32Array, received an array of length 2$/);
  });

  it('requireIndexList wants an array of non-negative safe integers and names the first bad one', () => {
    expect(requireIndexList('fn', [0, 3], 'idx')).toEqual([0, 3]);
    expect(() => requireIndexList('fn', Int32Array.of(1), 'idx')).toThrow(/^fn: expected idx to be an array of non-negative integers, received an Int32Array of length 1$/);
    expect(() => requireIndexList('fn', [0, -1, 2], 'idx')).toThrow(/received an array of length 3 holding -1$/);
    expect(() => requireIndexList('fn', [2 ** 53], 'idx')).toThrow(ValidationError);
  });

  it('requireAbortSignal takes undefined or an AbortSignal', () => {
    const signal = new AbortController().signal;
    expect(requireAbortSignal('options.signal', undefined)).toBeUndefined();
    expect(requireAbortSignal('options.signal', signal)).toBe(signal);
    expect(requireAbortSignal('options.signal', AbortSignal.abort())).toBeInstanceOf(AbortSignal);
    for (const bad of [null, 42, 'stop', {}, { aborted: true }]) {
      expect(() => requireAbortSignal('options.signal', bad)).toThrow(/^expected options\.signal to be an AbortSignal \(AbortController's \.signal\), received /);
    }
  });
});
