/**
 * The numpy part of the unpickler's allow-list: how pickled `numpy.dtype`s, `numpy.ndarray`s
 * (protocols 0-4: `_reconstruct` + `BUILD`; protocol 5: `_frombuffer`) and numpy scalars
 * become {@link NdArrayData} and plain numbers.
 *
 * @module
 */

import { decodeNdArray, storedByteLength, type NdArrayData } from './ndarray-data.js';
import { parseNumpyType, type NumpyType } from './numpy-dtype.js';
import {
  chargeData,
  describePickled,
  fail,
  PickleGlobal,
  PickledObjectArray,
  PickleInstance,
  requireBytes,
  requireInt,
  requireText,
  requireTuple,
} from './pickle-objects.js';
import { toNumberIfSafe } from './pickle-text.js';

/** A pickled `numpy.dtype`: `dtype('f8', align, copy)`, then `BUILD` sets its byte order. */
export class NumpyDtype extends PickleInstance {
  override readonly typeName = 'numpy.dtype';
  // A dtype is usable without BUILD (it then has the native byte order).
  override readonly needsState = false;

  /**
   * @param typestr - numpy's kind and size, e.g. `'f8'`.
   * @param byteorder - `'<'`, `'>'`, `'|'` or `'='` (native, before BUILD).
   */
  constructor(
    readonly typestr: string,
    readonly byteorder: string,
  ) {
    super();
  }

  /** The element type and byte order, or `undefined` when ggtalker does not support it. */
  get type(): NumpyType | undefined {
    return parseNumpyType(this.typestr, this.byteorder);
  }

  /**
   * Applies numpy's dtype state `(version, byteorder, subarray, names, fields, elsize,
   * alignment, flags[, metadata])`; structured and sub-array dtypes are refused.
   */
  build(state: unknown): NumpyDtype {
    const tuple = requireTuple(state, 'the state of numpy.dtype');
    const versioned = typeof tuple[0] === 'number';
    const byteorder = requireText(versioned ? tuple[1] : tuple[0], 'the byte order of numpy.dtype');
    if (!['<', '>', '|', '='].includes(byteorder)) fail(`expected a numpy byte order (<, >, | or =), received ${describePickled(byteorder)}`);
    if (versioned && ((tuple[2] ?? null) !== null || (tuple[3] ?? null) !== null)) {
      fail(`structured and sub-array numpy dtypes are not supported (dtype '${this.typestr}')`);
    }
    return new NumpyDtype(this.typestr, byteorder);
  }
}

/** `numpy.dtype`, the class: calling it makes a {@link NumpyDtype}. */
class DtypeClass extends PickleGlobal {
  call(args: readonly unknown[]): NumpyDtype {
    const typestr = requireText(requireTuple(args, 'the arguments of numpy.dtype')[0], 'the type of numpy.dtype');
    return new NumpyDtype(typestr, '=');
  }
}

/** `numpy.ndarray`, the class: only `_reconstruct` and `NEWOBJ` make (empty) arrays of it. */
export class NdarrayClass extends PickleGlobal {
  call(): never {
    return fail('numpy.ndarray(...) is not how numpy pickles arrays; expected _reconstruct or _frombuffer');
  }

  override construct(): PendingNdarray {
    return new PendingNdarray();
  }
}

/** An array made by `_reconstruct`, waiting for `BUILD` to give it shape, dtype and data. */
class PendingNdarray extends PickleInstance {
  override readonly typeName = 'numpy.ndarray';

  /**
   * Applies numpy's array state `([version,] shape, dtype, is_fortran, rawdata)`; for an
   * object array (dtype `'O'`) rawdata is the list of its elements.
   */
  build(state: unknown): NdArrayData | PickledObjectArray {
    const tuple = requireTuple(state, 'the state of numpy.ndarray');
    const [shape, dtype, fortran, raw] = tuple.length === 5 ? tuple.slice(1) : requireTuple(tuple, 'the state of numpy.ndarray', 4);
    const fortranOrder = requireInt(fortran, 'is_fortran in the state of numpy.ndarray') !== 0;
    if (dtype instanceof NumpyDtype && /^O\d*$/.test(dtype.typestr)) return makeObjectArray(shape, fortranOrder, raw);
    return makeArray(shape, dtype, fortranOrder, raw);
  }
}

/** `numpy.core.multiarray._reconstruct(ndarray, shape, typecode)`: an empty array to BUILD. */
class ReconstructFunction extends PickleGlobal {
  call(args: readonly unknown[]): PendingNdarray {
    const [subtype] = requireTuple(args, `the arguments of ${this.qualifiedName}`, 3);
    if (!(subtype instanceof NdarrayClass)) {
      fail(`expected ${this.qualifiedName} to make a numpy.ndarray, received ${describePickled(subtype)}`);
    }
    return subtype.construct();
  }
}

/** `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)`: protocol 5's arrays. */
class FrombufferFunction extends PickleGlobal {
  call(args: readonly unknown[]): NdArrayData {
    const [buffer, dtype, shape, order] = requireTuple(args, `the arguments of ${this.qualifiedName}`, 4);
    const orderText = requireText(order, `the order argument of ${this.qualifiedName}`);
    if (orderText !== 'C' && orderText !== 'F') fail(`expected the order of ${this.qualifiedName} to be "C" or "F", received ${describePickled(order)}`);
    return makeArray(shape, dtype, orderText === 'F', buffer);
  }
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: a numpy scalar such as `np.float64(2.5)`. */
class ScalarFunction extends PickleGlobal {
  call(args: readonly unknown[]): number | bigint | boolean {
    const [dtype, raw] = requireTuple(args, `the arguments of ${this.qualifiedName}`, 2);
    const array = makeArray([], dtype, false, raw);
    const value = array.data[0]!;
    if (array.dtype === 'bool') return value !== 0;
    return typeof value === 'bigint' ? toNumberIfSafe(value) : value;
  }
}

/**
 * The numpy classes and functions a pickle may name, by qualified name (numpy 1.x's
 * `numpy.core` and numpy 2's `numpy._core` spellings).
 */
export const NUMPY_GLOBALS: { readonly [qualifiedName: string]: new (module: string, name: string) => PickleGlobal } = {
  'numpy.dtype': DtypeClass,
  'numpy.ndarray': NdarrayClass,
  'numpy.core.multiarray._reconstruct': ReconstructFunction,
  'numpy._core.multiarray._reconstruct': ReconstructFunction,
  'numpy.core.numeric._frombuffer': FrombufferFunction,
  'numpy._core.numeric._frombuffer': FrombufferFunction,
  'numpy.core.multiarray.scalar': ScalarFunction,
  'numpy._core.multiarray.scalar': ScalarFunction,
};

/** An object array from its pickled shape, order and list of elements (numpy lists them in C order). */
function makeObjectArray(shapeValue: unknown, fortranOrder: boolean, raw: unknown): PickledObjectArray {
  const shape = arrayShape(shapeValue);
  const items = requireTuple(raw, 'the elements of a numpy object array');
  const count = shape.reduce((a, b) => a * b, 1);
  if (items.length !== count) fail(`expected ${count} elements in a numpy object array of shape [${shape.join(', ')}], received ${items.length}`);
  if (fortranOrder && shape.filter((d) => d > 1).length > 1) fail('Fortran-order numpy object arrays are not supported');
  return new PickledObjectArray(shape, items);
}

/** A pickled shape tuple, every dimension a non-negative int. */
function arrayShape(shapeValue: unknown): number[] {
  return requireTuple(shapeValue, 'the shape of a numpy array').map((d) => {
    const size = requireInt(d, 'each dimension of a numpy array');
    return size >= 0 ? size : fail(`expected the dimensions of a numpy array to be non-negative, received ${size}`);
  });
}

/** An array from its pickled shape, dtype, order and raw bytes, checked for consistency. */
function makeArray(shapeValue: unknown, dtypeValue: unknown, fortranOrder: boolean, raw: unknown): NdArrayData {
  const shape = arrayShape(shapeValue);
  if (!(dtypeValue instanceof NumpyDtype)) fail(`expected the dtype of a numpy array, received ${describePickled(dtypeValue)}`);
  const type = dtypeValue.type;
  if (type === undefined) {
    fail(`numpy arrays of dtype '${dtypeValue.typestr}' are not supported (only bool, int, uint and float arrays are)`);
  }
  const bytes = requireBytes(raw, 'the data of a numpy array');
  // Before anything is allocated: the shape's bytes must be the data present. (A product past
  // 2^53 is inexact but far from any buffer's length, so it never matches.)
  const expected = storedByteLength({ dtype: type.dtype, shape });
  if (bytes.length !== expected) {
    fail(`expected ${expected} bytes of data for a numpy array of shape [${shape.join(', ')}] and dtype '${dtypeValue.typestr}', received ${bytes.length}`);
  }
  // float16 widens to float32: the array made holds up to twice the bytes read.
  chargeData(2 * expected, `a numpy array of shape [${shape.join(', ')}]`);
  return decodeNdArray(bytes, { dtype: type.dtype, shape, littleEndian: type.littleEndian, fortranOrder });
}
