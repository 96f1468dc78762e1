/**
 * numpy's array-protocol type strings (`'<f8'`, `'|u1'`, `'>i4'`, `'f4'`...), as `.npy`
 * headers and pickled `numpy.dtype` objects spell element types.
 *
 * @module
 */

import { HOST_LITTLE_ENDIAN, type NdDtype, type StoredDtype } from './ndarray-data.js';

/** A parsed type string: the element type and the byte order. */
export interface NumpyType {
  /** The element type. */
  dtype: StoredDtype;
  /** Whether multi-byte elements are little-endian (single bytes report `true`). */
  littleEndian: boolean;
}

/** numpy's kind letter and item size for each supported element type. */
const TYPE_CODES: { readonly [code: string]: StoredDtype } = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

/**
 * Parses a numpy type string such as `'<f8'`, `'|b1'` or `'f4'`.
 *
 * @param typestr - An optional byte-order character (`<` little, `>` big, `|` not applicable,
 *   `=` native), then numpy's kind letter and item size.
 * @param defaultOrder - The byte order when `typestr` has none (pickled dtypes carry it
 *   separately), as one of the characters above; native by default.
 * @returns The element type and byte order, or `undefined` for any other type (structured,
 *   object, string, complex, datetime... arrays), which callers report in their own terms.
 */
export function parseNumpyType(typestr: string, defaultOrder = '='): NumpyType | undefined {
  const match = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(typestr);
  if (match === null) return undefined;
  const dtype = TYPE_CODES[match[2]!];
  if (dtype === undefined) return undefined;
  const order = match[1] || defaultOrder;
  return { dtype, littleEndian: order === '=' ? HOST_LITTLE_ENDIAN : order !== '>' };
}

/**
 * The little-endian numpy type string of an element type, as `.npy` headers write it:
 * `'<f8'`, `'<i4'`, `'|u1'`, `'|b1'`...
 *
 * @param dtype - The element type.
 * @returns Its type string.
 */
export function numpyTypeString(dtype: NdDtype): string {
  const code = Object.keys(TYPE_CODES).find((key) => TYPE_CODES[key] === dtype)!;
  return `${code.endsWith('1') ? '|' : '<'}${code}`;
}
