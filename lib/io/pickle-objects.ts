/**
 * The building blocks of the data-only unpickler's allow-list: the classes and functions a
 * pickle may name ({@link PickleGlobal}), the objects that wait for their state
 * ({@link PickleInstance}), and conversions of unpickled values (as `pickle.ts` describes
 * them) with clear messages.
 *
 * @module
 */

import { latin1 } from './bytes.js';
import { isNdArrayData } from './ndarray-data.js';

/**
 * Malformed or unsupported data met while running a data constructor; the unpickler turns it
 * into a {@link FormatError} naming the file and the opcode's byte offset.
 */
export class PickleDataError extends Error {
  override readonly name = 'PickleDataError';
}

/**
 * Throws a {@link PickleDataError}.
 *
 * @param message - What was expected and what was received.
 */
export function fail(message: string): never {
  throw new PickleDataError(message);
}

/**
 * A class or function a pickle may name with `GLOBAL`/`STACK_GLOBAL`/`INST`, mapped to a
 * constructor of plain data. Nothing else can be called: there is no path from a pickle to
 * any other JavaScript or Python code.
 */
export abstract class PickleGlobal {
  /**
   * @param module - The module the pickle named, e.g. `'numpy.core.multiarray'`.
   * @param name - The attribute the pickle named, e.g. `'_reconstruct'`.
   */
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  /** `module.name`, for messages. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }

  /**
   * `callable(*args)`, for `REDUCE`, `INST` and `OBJ`.
   *
   * @param args - The positional arguments.
   * @returns The constructed value.
   */
  abstract call(args: readonly unknown[]): unknown;

  /**
   * `cls.__new__(cls, *args)`, for `NEWOBJ` and `copyreg.__newobj__`. Only classes support it.
   *
   * @param args - The positional arguments.
   * @returns The new, usually still state-less, instance.
   */
  construct(_args: readonly unknown[]): unknown {
    return fail(`${this.qualifiedName} is not a class that NEWOBJ can create`);
  }
}

/**
 * An object created by a data constructor that `BUILD` completes: `build(state)` returns the
 * finished value, which replaces the instance on the stack and in the memo.
 */
export abstract class PickleInstance {
  /** The Python class it stands for, for messages, e.g. `'chumpy.ch.Ch'`. */
  abstract readonly typeName: string;

  /** Whether it is meaningless without its state (`BUILD` must follow). */
  readonly needsState: boolean = true;

  /**
   * Applies the pickled state (`__setstate__`).
   *
   * @param state - The unpickled state.
   * @returns The finished value.
   */
  abstract build(state: unknown): unknown;
}

/**
 * A numpy object array (dtype `'O'`): its elements are other unpickled values, in C order.
 * numpy pickles such an array with its elements as a list, which is how `np.save` writes a
 * dict (a 0-d object array holding it). Only {@link parseObjectNpy} and readers that ask for
 * one make use of it; everywhere else it is a value of the wrong type.
 */
export class PickledObjectArray {
  /**
   * An object array.
   *
   * @param shape - The array's shape.
   * @param items - Its elements in C order (as many as the shape's product).
   */
  constructor(
    readonly shape: readonly number[],
    readonly items: readonly unknown[],
  ) {}
}

/**
 * A value the unpickler was told not to read (see `UnpickleOptions.unread`): a call to, or an
 * instance of, a class or function outside the allow-list that stands in for data the caller
 * does not need (e.g. the PyTorch tensors beside the numpy arrays of FLAME's landmark
 * embedding). Nothing of it is run or kept but its name.
 */
export class PickleUnread extends PickleInstance {
  override readonly needsState = false;

  /**
   * A stand-in for what `typeName` would have made.
   *
   * @param typeName - The class or function that made it, e.g. `'torch._utils._rebuild_tensor_v2'`.
   */
  constructor(readonly typeName: string) {
    super();
  }

  /** Its state is ignored: it stays unread. */
  build(): PickleUnread {
    return this;
  }
}

/** A class or function the caller asked to leave unread: whatever it makes is a {@link PickleUnread}. */
export class UnreadGlobal extends PickleGlobal {
  call(): PickleUnread {
    return new PickleUnread(this.qualifiedName);
  }

  override construct(): PickleUnread {
    return new PickleUnread(this.qualifiedName);
  }
}

/**
 * Describes an unpickled value briefly for a message, in Python's terms: `None`, `an int`,
 * `a str "x"`, `a tuple of 3`, `a dict`, `numpy.dtype`...
 *
 * @param value - An unpickled value.
 * @returns The description.
 */
export function describePickled(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'a bool';
  if (typeof value === 'number') return Number.isInteger(value) ? `the int ${value}` : `the float ${value}`;
  if (typeof value === 'bigint') {
    // Decimal digits of a huge int cost superlinear time: give its size instead.
    const bits = value < 0n ? (-value).toString(16).length * 4 : value.toString(16).length * 4;
    return bits <= 128 ? `the int ${value}` : `an int of about ${bits} bits`;
  }
  if (typeof value === 'string') return `a str ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (value instanceof Uint8Array) return `bytes of length ${value.length}`;
  if (Array.isArray(value)) return `a tuple/list of ${value.length}`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (value instanceof PickleGlobal) return value.qualifiedName;
  if (value instanceof PickleUnread) return `an unread ${value.typeName}(...) value`;
  if (value instanceof PickleInstance) return `a ${value.typeName}`;
  if (value instanceof PickledObjectArray) return `a numpy object array of shape [${value.shape.join(', ')}]`;
  if (isNdArrayData(value)) return `a numpy ${value.dtype} array of shape [${value.shape.join(', ')}]`;
  return 'an object';
}

/**
 * Requires a tuple or list.
 *
 * @param value - The value.
 * @param what - What it is, e.g. `'the arguments of numpy.dtype'`.
 * @param length - The required length, if fixed.
 * @returns The array.
 */
export function requireTuple(value: unknown, what: string, length?: number): readonly unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    fail(`expected ${what} to be a tuple${length === undefined ? '' : ` of ${length}`}, received ${describePickled(value)}`);
  }
  return value;
}

/**
 * Requires an integer (a Python `int` or `bool`) that fits a JavaScript number.
 *
 * @param value - The value.
 * @param what - What it is, for the message.
 * @returns The integer.
 */
export function requireInt(value: unknown, what: string): number {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return fail(`expected ${what} to be an int, received ${describePickled(value)}`);
}

/**
 * Requires text: a `str`, or `bytes` read as Latin-1 (as Python 2's `str` would be).
 *
 * @param value - The value.
 * @param what - What it is, for the message.
 * @returns The text.
 */
export function requireText(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return latin1(value);
  return fail(`expected ${what} to be a str, received ${describePickled(value)}`);
}

/**
 * Requires binary data: `bytes`/`bytearray`, or a string of Latin-1 characters (how a Python 2
 * `str` unpickles under `encoding='latin1'`, e.g. numpy's raw array data).
 *
 * @param value - The value.
 * @param what - What it is, for the message.
 * @returns The bytes (a view when `value` was already bytes).
 */
export function requireBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    const source = latin1Sources.get(value);
    if (source !== undefined) return source;
    chargeData(value.length, what);
    const wide = /[^\x00-\xff]/.exec(value);
    if (wide !== null) fail(`expected ${what} to be bytes, received a str with the non-Latin-1 character at ${wide.index}`);
    return Buffer.from(value, 'latin1');
  }
  return fail(`expected ${what} to be bytes, received ${describePickled(value)}`);
}

/**
 * The bytes behind the long Latin-1 strings of the pickle being read (Python 2 `str`s such as
 * numpy's raw array data, tens of MB in FLAME), so that {@link requireBytes} hands them back
 * instead of re-encoding the string, which costs as much as the rest of the unpickling.
 * Unpickling is synchronous, so the entries of one pickle never meet those of another.
 */
const latin1Sources = new Map<string, Uint8Array>();

/** Strings shorter than this are cheap to re-encode and not worth remembering. */
const REMEMBERED_LENGTH = 4096;

/**
 * Runs `read` (one whole unpickling) with a way to remember which bytes a Latin-1 string was
 * decoded from; forgets them all when it returns or throws.
 *
 * @param read - The unpickling, given `remember(text, bytes)`.
 * @returns What `read` returns.
 */
export function withLatin1Sources<T>(read: (remember: (text: string, bytes: Uint8Array) => void) => T): T {
  try {
    return read((text, bytes) => {
      if (text.length >= REMEMBERED_LENGTH) latin1Sources.set(text, bytes);
    });
  } finally {
    latin1Sources.clear();
  }
}

/**
 * What the data constructors of the pickle being read may still make, in bytes (see
 * {@link withDataBudget}). A pickle refers to one object as often as it likes for a few bytes
 * each (`BINGET`), so a constructor that copies or walks its argument (`bytes(b)`, `set(list)`,
 * an array's raw data) could otherwise make far more data than the pickle holds.
 */
let dataBudget = Infinity;
/** The limit the budget started from, and how to raise it, for the message. */
let budgetLimit = { bytes: Infinity, how: '' };

/**
 * Runs `read` (one whole unpickling) with at most `limit` bytes of data made by the data
 * constructors; restores the enclosing budget afterwards.
 *
 * @param limit - Bytes the constructors may make in all.
 * @param how - How the caller raises it, for the message (e.g. `'options.maxDataBytes'`).
 * @param read - The unpickling.
 */
export function withDataBudget<T>(limit: number, how: string, read: () => T): T {
  const previous = [dataBudget, budgetLimit] as const;
  dataBudget = limit;
  budgetLimit = { bytes: limit, how };
  try {
    return read();
  } finally {
    [dataBudget, budgetLimit] = previous;
  }
}

/**
 * Charges the data a constructor is about to make (or walk) to the budget, before it does.
 *
 * @param bytes - Bytes made or walked.
 * @param what - What it is, for the message.
 * @throws PickleDataError when the pickle has made more than its budget.
 */
export function chargeData(bytes: number, what: string): void {
  dataBudget -= bytes;
  if (!(dataBudget >= 0)) {
    fail(
      `${what} would bring the data made from this pickle past its limit of ${budgetLimit.bytes} bytes (by default 8 per byte of the ` +
        `pickle plus 64 MiB; ${budgetLimit.how} raises it): a pickle of data makes little more data than it holds, one that reuses an object this often is hostile`,
    );
  }
}

/**
 * Requires a dict (as an object's state usually is).
 *
 * @param value - The value.
 * @param what - What it is, for the message.
 * @returns The dict.
 */
export function requireDict(value: unknown, what: string): ReadonlyMap<unknown, unknown> {
  if (value instanceof Map) return value;
  return fail(`expected ${what} to be a dict, received ${describePickled(value)}`);
}
