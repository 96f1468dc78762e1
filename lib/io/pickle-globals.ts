/**
 * The unpickler's allow-list: every class and function a pickle may name, each mapped to a
 * constructor of plain data. numpy's live in `pickle-numpy.ts`; here are chumpy's `Ch`,
 * scipy's compressed sparse matrices, and the Python built-ins that pickles of such data use
 * (`set`, `frozenset`, `bytes`, `bytearray`, `OrderedDict`, `_codecs.encode`, and `copyreg`'s
 * helpers for objects created without their constructor).
 *
 * @module
 */

import { FormatError } from '../errors.js';
import { isNdArrayData, type NdArrayData } from './ndarray-data.js';
import { NUMPY_GLOBALS } from './pickle-numpy.js';
import {
  chargeData,
  describePickled,
  fail,
  PickleDataError,
  PickleGlobal,
  PickleInstance,
  requireBytes,
  requireDict,
  requireInt,
  requireText,
  requireTuple,
} from './pickle-objects.js';
import { checkSparseMatrix, type SparseMatrixData } from './sparse-matrix.js';

// ---------------------------------------------------------------------------------------------
// chumpy

/** `chumpy.ch.Ch`: created bare (NEWOBJ or `copyreg._reconstructor`), then given its state. */
class ChClass extends PickleGlobal {
  call(): PendingCh {
    return new PendingCh();
  }

  override construct(): PendingCh {
    return new PendingCh();
  }
}

/** A `Ch` awaiting its state dict, whose `x` is the value it wraps (usually an array). */
class PendingCh extends PickleInstance {
  override readonly typeName = 'chumpy.ch.Ch';

  /** The unpickled Ch is its `x`: the rest of chumpy's state is bookkeeping for autodiff. */
  build(state: unknown): unknown {
    const dict = requireDict(state, 'the state of chumpy.ch.Ch');
    if (!dict.has('x')) fail("expected the state of chumpy.ch.Ch to hold its value 'x', received a dict without it");
    return dict.get('x');
  }
}

// ---------------------------------------------------------------------------------------------
// scipy.sparse

/** `scipy.sparse.csc_matrix` / `csr_matrix` (and the `*_array` variants). */
class SparseClass extends PickleGlobal {
  /** CSC or CSR, from the class name. */
  private get format(): 'csc' | 'csr' {
    return this.name.startsWith('csc') ? 'csc' : 'csr';
  }

  call(): PendingSparse {
    return new PendingSparse(this.qualifiedName, this.format);
  }

  override construct(): PendingSparse {
    return new PendingSparse(this.qualifiedName, this.format);
  }
}

/** A sparse matrix awaiting its `__dict__`: data, indices, indptr and `_shape` (or `shape`). */
class PendingSparse extends PickleInstance {
  /**
   * @param typeName - The class the pickle named.
   * @param format - CSC or CSR.
   */
  constructor(
    readonly typeName: string,
    private readonly format: 'csc' | 'csr',
  ) {
    super();
  }

  build(state: unknown): SparseMatrixData {
    const dict = requireDict(state, `the state of ${this.typeName}`);
    const field = (key: string): NdArrayData => {
      const value = dict.get(key);
      if (!isNdArrayData(value) || value.shape.length !== 1) {
        fail(`expected '${key}' in the state of ${this.typeName} to be a 1-D numpy array, received ${describePickled(value)}`);
      }
      return value;
    };
    const shapeValue = dict.has('_shape') ? dict.get('_shape') : dict.get('shape');
    const [rows, cols] = requireTuple(shapeValue, `the '_shape' of ${this.typeName}`, 2).map((d) =>
      requireInt(d, `each dimension of ${this.typeName}`),
    ) as [number, number];
    const matrix: SparseMatrixData = {
      format: this.format,
      shape: [rows, cols],
      data: numbersOf(field('data'), `the data of ${this.typeName}`),
      indices: indicesOf(field('indices'), `the indices of ${this.typeName}`),
      indptr: indicesOf(field('indptr'), `the indptr of ${this.typeName}`),
    };
    try {
      checkSparseMatrix(matrix, this.typeName);
    } catch (error) {
      if (error instanceof FormatError) throw new PickleDataError(error.message);
      throw error;
    }
    return matrix;
  }
}

function numbersOf(array: NdArrayData, what: string): Float64Array {
  if (array.dtype === 'bool') fail(`expected ${what} to be numeric, received a bool array`);
  chargeData(array.data.length * 8, what);
  return Float64Array.from(array.data as ArrayLike<number | bigint>, Number);
}

function indicesOf(array: NdArrayData, what: string): Int32Array {
  if (array.dtype.startsWith('float') || array.dtype === 'bool') fail(`expected ${what} to be an integer array, received ${array.dtype}`);
  chargeData(array.data.length * 4, what);
  const out = new Int32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const value = Number(array.data[i]);
    if (value < 0 || value > 0x7fffffff) fail(`expected ${what} to be in [0, 2^31), received ${value} at ${i}`);
    out[i] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Python built-ins and helpers

/** About what one entry of a JavaScript `Set` / `Map` takes in memory, charged to the pickle's data budget. */
const SET_ENTRY_BYTES = 32;
const MAP_ENTRY_BYTES = 48;

/** `set(iterable)` / `frozenset(iterable)` → `Set`. */
class SetClass extends PickleGlobal {
  call(args: readonly unknown[]): Set<unknown> {
    const [items] = requireTuple(args, `the arguments of ${this.qualifiedName}`);
    if (items === undefined) return new Set();
    if (Array.isArray(items) || items instanceof Set) {
      chargeData((Array.isArray(items) ? items.length : items.size) * SET_ENTRY_BYTES, `${this.qualifiedName}(...)`);
      return new Set(items);
    }
    return fail(`expected ${this.qualifiedName} of a list, received ${describePickled(items)}`);
  }
}

/** `bytes()`, `bytes(b)`, `bytearray()`, `bytearray(b)`, `bytearray(str, 'latin-1')` → `Uint8Array`. */
class BytesClass extends PickleGlobal {
  call(args: readonly unknown[]): Uint8Array {
    const [source, encoding] = requireTuple(args, `the arguments of ${this.qualifiedName}`);
    if (source === undefined) return new Uint8Array();
    if (encoding !== undefined) return encodeLatin1(source, encoding, this.qualifiedName);
    const bytes = requireBytes(source, `the argument of ${this.qualifiedName}`);
    chargeData(bytes.length, `${this.qualifiedName}(...)`);
    return Uint8Array.from(bytes);
  }
}

/** `_codecs.encode(str, 'latin1')`: how Python 3 pickles `bytes` under protocols 0-2. */
class EncodeFunction extends PickleGlobal {
  call(args: readonly unknown[]): Uint8Array {
    const [text, encoding] = requireTuple(args, `the arguments of ${this.qualifiedName}`, 2);
    return encodeLatin1(text, encoding, this.qualifiedName);
  }
}

function encodeLatin1(text: unknown, encoding: unknown, what: string): Uint8Array {
  const name = requireText(encoding, `the encoding of ${what}`);
  if (!/^(latin[-_]?1|iso[-_]?8859[-_]1|l1)$/i.test(name)) {
    fail(`expected ${what} to encode as latin1 (numpy's bytes), received encoding ${JSON.stringify(name)}`);
  }
  const bytes = requireBytes(requireText(text, `the text of ${what}`), `the text of ${what}`);
  chargeData(bytes.length, `${what}(...)`);
  return Uint8Array.from(bytes);
}

/** `collections.OrderedDict()` or `OrderedDict([[key, value], ...])` → `Map`. */
class OrderedDictClass extends PickleGlobal {
  call(args: readonly unknown[]): Map<unknown, unknown> {
    const [items] = requireTuple(args, `the arguments of ${this.qualifiedName}`);
    if (items === undefined) return new Map();
    if (items instanceof Map) {
      chargeData(items.size * MAP_ENTRY_BYTES, `${this.qualifiedName}(...)`);
      return new Map(items);
    }
    const pairs = requireTuple(items, `the items of ${this.qualifiedName}`);
    chargeData(pairs.length * MAP_ENTRY_BYTES, `${this.qualifiedName}(...)`);
    return new Map(pairs.map((pair) => requireTuple(pair, `each item of ${this.qualifiedName}`, 2) as [unknown, unknown]));
  }

  override construct(): Map<unknown, unknown> {
    return new Map();
  }
}

/** `object`: only meaningful as the base class `copyreg._reconstructor` is given. */
class ObjectClass extends PickleGlobal {
  call(): never {
    return fail(`${this.qualifiedName}() is not data`);
  }
}

/** `copyreg._reconstructor(cls, object, None)`: `object.__new__(cls)`, as protocols 0/1 do. */
class ReconstructorFunction extends PickleGlobal {
  call(args: readonly unknown[]): unknown {
    const [cls, base, state] = requireTuple(args, `the arguments of ${this.qualifiedName}`, 3);
    if (!(cls instanceof PickleGlobal)) fail(`expected ${this.qualifiedName} to create a class, received ${describePickled(cls)}`);
    if (!(base instanceof ObjectClass) || state !== null) {
      fail(`expected ${this.qualifiedName} to create ${cls.qualifiedName} from object with no state, received ${describePickled(base)}`);
    }
    return cls.construct([]);
  }
}

/** `copyreg.__newobj__(cls, *args)`: `cls.__new__(cls, *args)`. */
class NewobjFunction extends PickleGlobal {
  call(args: readonly unknown[]): unknown {
    const [cls, ...rest] = requireTuple(args, `the arguments of ${this.qualifiedName}`);
    if (!(cls instanceof PickleGlobal)) fail(`expected ${this.qualifiedName} to create a class, received ${describePickled(cls)}`);
    return cls.construct(rest);
  }
}

// ---------------------------------------------------------------------------------------------
// The allow-list

/** Python 2 and 3 spellings of the same module (pickle's `fix_imports` maps between them). */
const BUILTINS = ['__builtin__', 'builtins'];
const COPYREG = ['copy_reg', 'copyreg'];

const ALLOWED: { readonly [qualifiedName: string]: new (module: string, name: string) => PickleGlobal } = {
  ...NUMPY_GLOBALS,
  'chumpy.ch.Ch': ChClass,
  ...Object.fromEntries(
    ['csc', 'csr'].flatMap((format) => [
      [`scipy.sparse.${format}.${format}_matrix`, SparseClass],
      [`scipy.sparse._${format}.${format}_matrix`, SparseClass],
      [`scipy.sparse._${format}.${format}_array`, SparseClass],
      [`scipy.sparse._arrays.${format}_array`, SparseClass],
    ]),
  ),
  ...Object.fromEntries(
    BUILTINS.flatMap((module) => [
      [`${module}.set`, SetClass],
      [`${module}.frozenset`, SetClass],
      [`${module}.bytes`, BytesClass],
      [`${module}.bytearray`, BytesClass],
      [`${module}.object`, ObjectClass],
    ]),
  ),
  ...Object.fromEntries(COPYREG.flatMap((module) => [[`${module}._reconstructor`, ReconstructorFunction], [`${module}.__newobj__`, NewobjFunction]])),
  '_codecs.encode': EncodeFunction,
  'collections.OrderedDict': OrderedDictClass,
};

/**
 * Looks a class or function up in the allow-list.
 *
 * @param module - The module the pickle named.
 * @param name - The name the pickle named.
 * @returns Its data constructor, or `undefined` when it is not allowed.
 */
export function resolveGlobal(module: string, name: string): PickleGlobal | undefined {
  const qualifiedName = `${module}.${name}`;
  return Object.hasOwn(ALLOWED, qualifiedName) ? new ALLOWED[qualifiedName]!(module, name) : undefined;
}
