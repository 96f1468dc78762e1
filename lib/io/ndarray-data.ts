/**
 * Plain n-dimensional array data: what the `.npy`/`.npz`, safetensors and pickle readers return
 * and what their writers take. Elements are flat, row-major (C order), in a typed array of
 * the host's byte order; the readers convert whatever order and endianness the file had.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, formatShape, type TypedArray } from '../validate.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './half-float.js';

/** Element types of {@link NdArrayData}. `bool` is stored one byte per element, 0 or 1. */
export type NdDtype =
  | 'float64'
  | 'float32'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool';

/** The typed array holding each {@link NdDtype}. */
export interface NdTypedArrays {
  /** For `'float64'`. */
  float64: Float64Array;
  /** For `'float32'`. */
  float32: Float32Array;
  /** For `'int64'`. */
  int64: BigInt64Array;
  /** For `'int32'`. */
  int32: Int32Array;
  /** For `'int16'`. */
  int16: Int16Array;
  /** For `'int8'`. */
  int8: Int8Array;
  /** For `'uint64'`. */
  uint64: BigUint64Array;
  /** For `'uint32'`. */
  uint32: Uint32Array;
  /** For `'uint16'`. */
  uint16: Uint16Array;
  /** For `'uint8'`. */
  uint8: Uint8Array;
  /** For `'bool'` (0 or 1 per element). */
  bool: Uint8Array;
}

/**
 * An n-dimensional array: its element type, its shape (outermost first; `[]` for a 0-d
 * scalar) and its elements, row-major. A union over dtypes, so checking `dtype` narrows
 * `data` (e.g. `dtype === 'int64'` gives a `BigInt64Array`).
 *
 * @example
 * ```ts
 * const a: NdArrayData = { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) };
 * ```
 */
export type NdArrayData = {
  [D in NdDtype]: {
    /** The element type. */
    dtype: D;
    /** Size of each dimension, outermost first (`[]` for a scalar). */
    shape: number[];
    /** The elements, row-major. */
    data: NdTypedArrays[D];
  };
}[NdDtype];

/**
 * Element types a file may store: every {@link NdDtype}, plus the 16-bit floats, which the
 * readers widen to `float32` (JavaScript has no 16-bit float array in Node 20).
 */
export type StoredDtype = NdDtype | 'float16' | 'bfloat16';

/** How an array's elements are laid out in a file. */
export interface StoredLayout {
  /** The stored element type. */
  dtype: StoredDtype;
  /** The logical shape. */
  shape: readonly number[];
  /** Whether multi-byte elements are little-endian. */
  littleEndian: boolean;
  /** Whether the elements are in Fortran (column-major) order rather than C (row-major) order. */
  fortranOrder: boolean;
}

type AnyTypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray;
};

/** The typed array class of each dtype (bool as bytes). */
export const ARRAY_TYPES: { readonly [D in NdDtype]: AnyTypedArrayConstructor } = {
  float64: Float64Array,
  float32: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint64: BigUint64Array,
  uint32: Uint32Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

const ITEM_SIZES: { [D in StoredDtype]: number } = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
};

/** Every {@link NdDtype}, for messages. */
const ND_DTYPES = Object.keys(ARRAY_TYPES) as NdDtype[];

/** Whether the host stores numbers little-endian (every platform Node supports in practice). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The number of elements of a shape (1 for the 0-d shape `[]`).
 *
 * @param shape - Sizes of each dimension.
 * @returns Their product.
 */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The number of bytes a stored array occupies: elements × item size.
 *
 * @param layout - The stored dtype and shape.
 * @returns The byte length the file must hold for it.
 */
export function storedByteLength(layout: Pick<StoredLayout, 'dtype' | 'shape'>): number {
  return elementCount(layout.shape) * ITEM_SIZES[layout.dtype];
}

/**
 * Decodes a stored array into an {@link NdArrayData}: copies the bytes into fresh aligned
 * memory, swaps them to the host's byte order, reorders Fortran-order data to C order, and
 * widens float16/bfloat16 to float32.
 *
 * @param bytes - Exactly {@link storedByteLength}(layout) bytes (the caller checks, so that
 *   its message can name the file and the array).
 * @param layout - How the bytes are laid out.
 * @returns A new array that shares no memory with `bytes`.
 */
export function decodeNdArray(bytes: Uint8Array, layout: StoredLayout): NdArrayData {
  const size = ITEM_SIZES[layout.dtype];
  // A copy in a new buffer at offset 0, aligned for any view. (Not bytes.slice(): on a Node
  // Buffer that returns a view of the same memory; and set() is a memcpy.)
  let own = new Uint8Array(bytes.length);
  own.set(bytes);
  if (size > 1 && layout.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(own, size);
  if (layout.fortranOrder && layout.shape.length > 1) own = fortranToC(own, size, layout.shape);
  const shape = [...layout.shape];
  const count = own.length / size;
  if (layout.dtype === 'float16' || layout.dtype === 'bfloat16') {
    const bits = new Uint16Array(own.buffer, 0, count);
    const data = layout.dtype === 'float16' ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
    return { dtype: 'float32', shape, data };
  }
  const data = new ARRAY_TYPES[layout.dtype](own.buffer, 0, count);
  return { dtype: layout.dtype, shape, data } as NdArrayData;
}

/**
 * The elements of an array as little-endian bytes in C order, as `.npy` and safetensors
 * store them. On little-endian hosts this is a view of `array.data` (no copy).
 *
 * @param array - A valid array (see {@link requireNdArrayData}).
 * @returns Its bytes.
 */
export function encodeNdArray(array: NdArrayData): Uint8Array {
  const { data } = array;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = bytes.slice();
  swapBytes(swapped, data.BYTES_PER_ELEMENT);
  return swapped;
}

/**
 * Whether a value has the form of an {@link NdArrayData}: a known dtype, a shape of
 * non-negative integers, and data of the matching typed array and length.
 *
 * @param value - Any value.
 * @returns `true` when it is a consistent NdArrayData.
 */
export function isNdArrayData(value: unknown): value is NdArrayData {
  return ndArrayProblem(value) === undefined;
}

/**
 * Requires a consistent {@link NdArrayData} (for writers, whose input comes from the caller).
 *
 * @param name - The argument's name, e.g. `'arrays.v_template'`.
 * @param value - The received value.
 * @returns `value`, typed.
 * @throws {@link ValidationError} such as `expected arrays.f to be an NdArrayData ({ dtype,
 *   shape, data }), received data of length 5 for shape [2, 3]`.
 */
export function requireNdArrayData(name: string, value: unknown): NdArrayData {
  const problem = ndArrayProblem(value);
  if (problem !== undefined) {
    throw new ValidationError(`expected ${name} to be an NdArrayData ({ dtype, shape, data }), received ${problem}`);
  }
  return value as NdArrayData;
}

/**
 * Reads a collection of named arrays given as a plain object or a `Map` (so that what a reader
 * returns can be written back directly), checking each one.
 *
 * @param name - The argument's name, for messages.
 * @param arrays - `Record<string, NdArrayData>` or `ReadonlyMap<string, NdArrayData>`.
 * @returns The `[name, array]` pairs, in the collection's order.
 * @throws {@link ValidationError} naming the first array that is not a consistent NdArrayData.
 */
export function namedArrays(
  name: string,
  arrays: Readonly<Record<string, NdArrayData>> | ReadonlyMap<string, NdArrayData>,
): [string, NdArrayData][] {
  if (typeof arrays !== 'object' || arrays === null) {
    throw new ValidationError(`expected ${name} to be an object or Map of named arrays, received ${describeValue(arrays)}`);
  }
  const entries: [string, unknown][] = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  return entries.map(([key, value]) => {
    if (typeof key !== 'string' || key === '') {
      throw new ValidationError(`expected the names in ${name} to be non-empty strings, received ${describeValue(key)}`);
    }
    return [key, requireNdArrayData(`${name}.${key}`, value)];
  });
}

// ---------------------------------------------------------------------------------------------
// Internals

/** What is wrong with a would-be NdArrayData, or `undefined` when nothing is. */
function ndArrayProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return describeValue(value);
  const { dtype, shape, data } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(ARRAY_TYPES, dtype)) {
    return `dtype ${describeValue(dtype)} (expected one of ${ND_DTYPES.join(', ')})`;
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `shape ${Array.isArray(shape) ? formatShape(shape) : describeValue(shape)}`;
  }
  const expected = ARRAY_TYPES[dtype as NdDtype];
  if (!(data instanceof expected)) {
    return `${describeValue(data)} as data for dtype ${dtype} (expected a ${expected.name})`;
  }
  if (data.length !== elementCount(shape)) {
    return `data of length ${data.length} for shape ${formatShape(shape)}`;
  }
  return undefined;
}

/** Reverses the bytes of each `size`-byte element in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Reorders Fortran-order elements to C order. Elements are moved as unsigned integers of
 * their size, so every bit pattern (NaN payloads included) is kept exactly.
 */
function fortranToC(bytes: Uint8Array<ArrayBuffer>, size: number, shape: readonly number[]): Uint8Array<ArrayBuffer> {
  const View = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array, 8: BigUint64Array }[size as 1 | 2 | 4 | 8];
  const count = bytes.length / size;
  // Indexed as plain slots: each view holds only numbers or only bigints, never a mix.
  const src = new View(bytes.buffer, 0, count) as unknown as { readonly [i: number]: unknown };
  const out = new Uint8Array(bytes.length);
  const dst = new View(out.buffer, 0, count) as unknown as { [i: number]: unknown };
  const rank = shape.length;
  // Fortran strides (in elements): the first index varies fastest.
  const stride = new Array<number>(rank);
  for (let d = 0, step = 1; d < rank; d++) {
    stride[d] = step;
    step *= shape[d]!;
  }
  // Walk C order with an odometer over the index, tracking the Fortran offset.
  const index = new Array<number>(rank).fill(0);
  for (let c = 0, f = 0; c < count; c++) {
    dst[c] = src[f];
    for (let d = rank - 1; d >= 0; d--) {
      f += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      f -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
