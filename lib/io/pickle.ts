/**
 * A data-only unpickler for Python pickles (protocols 0-5), for FLAME's model files and other
 * numpy / scipy.sparse / chumpy data.
 *
 * Safety: a pickle is a program, and Python's `pickle.load` runs whatever callable it names
 * (`os.system`, `eval`...). This unpickler runs nothing. The classes and functions a pickle
 * names (`GLOBAL`, `STACK_GLOBAL`, `INST`) are looked up in an allow-list of data
 * constructors (numpy arrays, dtypes and scalars; scipy CSC/CSR matrices; chumpy's `Ch`;
 * `set`, `frozenset`, `bytes`, `bytearray`, `OrderedDict`, `_codecs.encode` and `copyreg`'s
 * object helpers), and any other name is refused the moment it is read, before anything else
 * happens. `REDUCE`, `NEWOBJ`, `INST`, `OBJ` and `BUILD` only ever call those constructors.
 * Persistent ids are refused unless the caller reads a format that defines them and says how
 * ({@link unpickleWithHooks}, as PyTorch checkpoints need); the extension registry and
 * out-of-band buffers are refused too.
 *
 * Values: Python dicts become JavaScript `Map`s (keys of any type, and no prototype to
 * pollute), tuples and lists become arrays, sets become `Set`s, `None` becomes `null`, ints
 * become numbers (bigints beyond 2^53), Python 3 `bytes` become `Uint8Array`s and Python 2
 * `str`s become strings of Latin-1 characters (Python's `encoding='latin1'`, which numpy's
 * Python-2 pickles need). numpy arrays become {@link NdArrayData} (C order, host byte order;
 * float16 widened to float32), numpy object arrays {@link PickledObjectArray} (their elements
 * unpickled like the rest), numpy scalars numbers, scipy sparse matrices
 * {@link SparseMatrixData}, and a chumpy `Ch` the value it wraps (its `x`).
 *
 * Cost: time linear in the pickle's length (each opcode costs in proportion to its own bytes:
 * long ints are decoded in one pass, text lines matched without backtracking, decimal ints
 * limited to Python's 4300 digits); the stack and memo hold at most one entry per opcode read;
 * nothing recurses, so values may nest to any depth; and what the data constructors make is
 * limited by {@link UnpickleOptions.maxDataBytes}, so reusing one object through the memo cannot
 * amplify a small pickle into gigabytes.
 *
 * @module
 */

import { requireOptions } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import { latin1, plainView, quotedPreview, requireParseArguments } from './bytes.js';
import type { NdArrayData } from './ndarray-data.js';
import { resolveGlobal } from './pickle-globals.js';
import { describePickled, PickleDataError, PickleGlobal, PickleInstance, UnreadGlobal, withDataBudget, withLatin1Sources } from './pickle-objects.js';
import {
  decodeQuotedString,
  decodeRawUnicodeEscape,
  MAX_INTEGER_DIGITS,
  parseFloatLine,
  parseIntegerLine,
  toNumberIfSafe,
} from './pickle-text.js';
import type { SparseMatrixData } from './sparse-matrix.js';

export type { NdArrayData, SparseMatrixData };
export { PickledObjectArray, PickleUnread } from './pickle-objects.js';

/**
 * Unpickles data without executing anything (see the module documentation for what is
 * accepted and how Python values map to JavaScript).
 *
 * @param bytes - The pickle.
 * @param path - The file it came from, for messages.
 * @returns The unpickled value, e.g. a `Map` of a FLAME model's arrays.
 * @throws {@link FormatError} when the pickle names a class or function outside the
 *   allow-list (`refusing to load posix.system: pickles can run code; only numpy,
 *   scipy.sparse and chumpy data are accepted`), is truncated, holds an unknown opcode, or is
 *   otherwise malformed; the message names the byte offset of the failing opcode.
 *
 * @example
 * ```ts
 * const model = unpickle(await readFile('generic_model.pkl'), 'generic_model.pkl') as Map<string, unknown>;
 * const vTemplate = model.get('v_template') as NdArrayData; // float64, shape [5023, 3]
 * ```
 */
export function unpickle(bytes: Uint8Array, path?: string, options: UnpickleOptions = {}): unknown {
  requireParseArguments('unpickle', bytes, path);
  requireOptions('unpickle', options);
  const { unread, maxDataBytes } = options;
  if (unread !== undefined && typeof unread !== 'function') {
    throw new ValidationError(`unpickle: expected options.unread to be a function (module, name) => boolean, received ${describeValue(unread)}`);
  }
  if (maxDataBytes !== undefined && !(typeof maxDataBytes === 'number' && maxDataBytes >= 0)) {
    throw new ValidationError(`unpickle: expected options.maxDataBytes to be a non-negative number of bytes, received ${describeValue(maxDataBytes)}`);
  }
  const limit = options.maxDataBytes ?? defaultMaxDataBytes(bytes.length);
  return withDataBudget(limit, 'options.maxDataBytes', () =>
    withLatin1Sources((remember) => new Unpickler(bytes, path, remember, options).load()),
  );
}

/**
 * The default of {@link UnpickleOptions.maxDataBytes} for a pickle of `length` bytes:
 * 8 bytes of data per byte of pickle, plus 64 MiB.
 */
export function defaultMaxDataBytes(length: number): number {
  return 8 * length + 64 * 2 ** 20;
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /**
   * Classes and functions outside the allow-list to leave unread instead of refusing the
   * pickle: whatever they would make becomes a {@link PickleUnread} placeholder holding only
   * their name (nothing is run, their arguments are dropped). For data the caller does not
   * need beside data it does, e.g. `(module) => module.startsWith('torch')` for the PyTorch
   * tensors in FLAME's landmark embedding files. Names on the allow-list are read as usual.
   *
   * @param module - The module the pickle named.
   * @param name - The name the pickle named.
   * @returns Whether to leave it unread.
   */
  unread?: (module: string, name: string) => boolean;
  /**
   * The most bytes of data the pickle's data constructors may make (arrays, bytes, sets...), by
   * default 8 per byte of the pickle plus 64 MiB. A pickle of
   * data makes about as much as it holds; one that reuses an object many times over (a few
   * bytes per `BINGET`) to make far more is refused with a {@link FormatError} naming this
   * option, instead of running out of memory.
   */
  maxDataBytes?: number;
}

/**
 * How a format that wraps pickles reads its own objects (see {@link unpickleWithHooks}): its
 * allow-list, used instead of the default one, and its persistent ids.
 */
export interface PickleHooks {
  /**
   * The allow-list: a data constructor for each class or function the format's pickles may
   * name, or `undefined` to refuse the name (the pickle is then refused at once).
   *
   * @param module - The module the pickle named.
   * @param name - The name the pickle named.
   */
  resolveGlobal(module: string, name: string): PickleGlobal | undefined;
  /** What the allow-list accepts, ending the refusal's message, e.g. `'only PyTorch tensors are accepted'`. */
  accepted: string;
  /**
   * The value a persistent id (`PERSID`/`BINPERSID`) stands for. It runs nothing the pickle
   * names: it only interprets the id as data; it throws a `PickleDataError` to refuse it.
   *
   * @param id - The unpickled id (a tuple for PyTorch's binary ids, a string for `PERSID`).
   */
  persistentLoad(id: unknown): unknown;
}

/** The hooks of the {@link unpickleWithHooks} call under way (unpickling is synchronous). */
let activeHooks: PickleHooks | undefined;

/**
 * Unpickles data without executing anything, as {@link unpickle} does, for a format that
 * wraps pickles: `hooks.resolveGlobal` replaces the allow-list (nothing else is accepted) and
 * `hooks.persistentLoad` reads persistent ids. A dict subclass given attributes by `BUILD`
 * (PyTorch's state dicts are `OrderedDict`s with a `_metadata` attribute) keeps its items and
 * drops the attributes, here as in {@link unpickle}.
 *
 * @param bytes - The pickle.
 * @param path - The file it came from, for messages.
 * @param hooks - The format's allow-list and persistent ids.
 * @returns The unpickled value.
 * @throws {@link FormatError} as {@link unpickle} does, with `hooks.accepted` in the message
 *   that refuses a name outside the allow-list.
 */
export function unpickleWithHooks(bytes: Uint8Array, path: string | undefined, hooks: PickleHooks): unknown {
  const previous = activeHooks;
  activeHooks = hooks;
  try {
    return unpickle(bytes, path);
  } finally {
    activeHooks = previous;
  }
}

// ---------------------------------------------------------------------------------------------
// Internals

/** Opcode names by byte, for messages and dispatch (pickletools' names). */
const OPCODES: { readonly [byte: number]: string } = Object.fromEntries(
  Object.entries({
    MARK: '(', STOP: '.', POP: '0', POP_MARK: '1', DUP: '2', FLOAT: 'F', INT: 'I', BININT: 'J', BININT1: 'K',
    LONG: 'L', BININT2: 'M', NONE: 'N', PERSID: 'P', BINPERSID: 'Q', REDUCE: 'R', STRING: 'S', BINSTRING: 'T',
    SHORT_BINSTRING: 'U', UNICODE: 'V', BINUNICODE: 'X', APPEND: 'a', BUILD: 'b', GLOBAL: 'c', DICT: 'd',
    EMPTY_DICT: '}', APPENDS: 'e', GET: 'g', BINGET: 'h', INST: 'i', LONG_BINGET: 'j', LIST: 'l',
    EMPTY_LIST: ']', OBJ: 'o', PUT: 'p', BINPUT: 'q', LONG_BINPUT: 'r', SETITEM: 's', TUPLE: 't',
    EMPTY_TUPLE: ')', SETITEMS: 'u', BINFLOAT: 'G', PROTO: '\x80', NEWOBJ: '\x81', EXT1: '\x82', EXT2: '\x83',
    EXT4: '\x84', TUPLE1: '\x85', TUPLE2: '\x86', TUPLE3: '\x87', NEWTRUE: '\x88', NEWFALSE: '\x89',
    LONG1: '\x8a', LONG4: '\x8b', BINBYTES: 'B', SHORT_BINBYTES: 'C', SHORT_BINUNICODE: '\x8c',
    BINUNICODE8: '\x8d', BINBYTES8: '\x8e', EMPTY_SET: '\x8f', ADDITEMS: '\x90', FROZENSET: '\x91',
    NEWOBJ_EX: '\x92', STACK_GLOBAL: '\x93', MEMOIZE: '\x94', FRAME: '\x95', BYTEARRAY8: '\x96',
    NEXT_BUFFER: '\x97', READONLY_BUFFER: '\x98',
  }).map(([name, char]) => [char.charCodeAt(0), name]),
);

const HIGHEST_PROTOCOL = 5;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The pickle virtual machine, restricted to data. One instance per pickle. */
class Unpickler {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  /** Offset of the opcode being run, for messages. */
  private opStart = 0;
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  /** Memo keys of each instance not yet built, so BUILD can replace it there too. */
  private readonly memoKeys = new Map<PickleInstance, number[]>();
  /** Instances that still need their BUILD, with where they were made. */
  private readonly unbuilt = new Map<PickleInstance, number>();
  /** The format's allow-list and persistent ids, when made by {@link unpickleWithHooks}. */
  private readonly hooks = activeHooks;

  constructor(
    bytes: Uint8Array,
    private readonly path: string | undefined,
    /** Records the bytes a Latin-1 string came from (see withLatin1Sources). */
    private readonly remember: (text: string, bytes: Uint8Array) => void,
    private readonly options: UnpickleOptions,
  ) {
    this.bytes = plainView(bytes);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  load(): unknown {
    while (this.pos < this.bytes.length) {
      this.opStart = this.pos;
      const code = this.bytes[this.pos++]!;
      const name = OPCODES[code];
      if (name === undefined) {
        throw new FormatError(`malformed pickle: unknown opcode 0x${code.toString(16).padStart(2, '0')} at byte ${this.opStart}`, {
          path: this.path,
        });
      }
      if (name === 'STOP') return this.finish(this.pop());
      try {
        this.run(name);
      } catch (error) {
        // Data constructors know nothing of the file: add its path and the opcode's offset.
        if (error instanceof PickleDataError) {
          throw this.error(error.message, error);
        }
        throw error;
      }
    }
    throw new FormatError(`truncated pickle: it ends at byte ${this.bytes.length} without a STOP opcode`, { path: this.path });
  }

  /** Runs one opcode (its byte already read). */
  private run(name: string): void {
    switch (name) {
      // Framing and protocol
      case 'PROTO': {
        const protocol = this.readUint8();
        if (protocol > HIGHEST_PROTOCOL) throw this.error(`unsupported pickle protocol ${protocol} (expected 0 to ${HIGHEST_PROTOCOL})`);
        return;
      }
      case 'FRAME': {
        // Frames only group opcodes for buffered reading; check the frame is all there.
        const length = this.readUint64();
        if (length > this.bytes.length - this.pos) throw this.truncated(length);
        return;
      }
      // Constants and numbers
      case 'NONE': return this.push(null);
      case 'NEWTRUE': return this.push(true);
      case 'NEWFALSE': return this.push(false);
      case 'INT': {
        const line = this.readLine('ascii');
        if (line === '00' || line === '01') return this.push(line === '01'); // protocol 0's bools
        return this.push(this.parsed(parseIntegerLine(line), 'an integer', line));
      }
      case 'LONG': {
        const line = this.readLine('ascii');
        return this.push(this.parsed(parseIntegerLine(line), 'an integer', line));
      }
      case 'BININT': return this.push(this.take(4, (at) => this.view.getInt32(at, true)));
      case 'BININT1': return this.push(this.readUint8());
      case 'BININT2': return this.push(this.take(2, (at) => this.view.getUint16(at, true)));
      case 'LONG1': return this.push(this.readLong(this.readUint8()));
      case 'LONG4': return this.push(this.readLong(this.readInt32Length()));
      case 'FLOAT': {
        const line = this.readLine('ascii');
        return this.push(this.parsed(parseFloatLine(line), 'a float', line));
      }
      case 'BINFLOAT': return this.push(this.take(8, (at) => this.view.getFloat64(at, false)));
      // Strings and bytes
      case 'STRING': {
        const line = this.readLineBytes();
        const decoded = decodeQuotedString(line);
        if (decoded === undefined) throw this.error(`expected a quoted string literal, received ${quotedPreview(latin1(line))}`);
        return this.push(latin1(decoded));
      }
      case 'BINSTRING': {
        const bytes = this.readBytes(this.readInt32Length());
        const text = latin1(bytes);
        this.remember(text, bytes);
        return this.push(text);
      }
      case 'SHORT_BINSTRING': return this.push(latin1(this.readBytes(this.readUint8())));
      case 'UNICODE': {
        const line = this.readLineBytes();
        const text = decodeRawUnicodeEscape(line);
        if (text === undefined) throw this.error(`invalid \\u escape in ${quotedPreview(latin1(line))}`);
        return this.push(text);
      }
      case 'BINUNICODE': return this.push(this.utf8(this.readBytes(this.readUint32())));
      case 'SHORT_BINUNICODE': return this.push(this.utf8(this.readBytes(this.readUint8())));
      case 'BINUNICODE8': return this.push(this.utf8(this.readBytes(this.readUint64())));
      case 'BINBYTES': return this.push(this.readBytes(this.readUint32()).slice());
      case 'SHORT_BINBYTES': return this.push(this.readBytes(this.readUint8()).slice());
      case 'BINBYTES8':
      case 'BYTEARRAY8':
        return this.push(this.readBytes(this.readUint64()).slice());
      // Containers
      case 'MARK':
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case 'EMPTY_TUPLE':
      case 'EMPTY_LIST':
        return this.push([]);
      case 'EMPTY_DICT': return this.push(new Map());
      case 'EMPTY_SET': return this.push(new Set());
      case 'TUPLE1': return this.push([this.pop()]);
      case 'TUPLE2': return this.push(this.popMany(2));
      case 'TUPLE3': return this.push(this.popMany(3));
      case 'TUPLE':
      case 'LIST':
        return this.push(this.popMark());
      case 'DICT': return this.push(this.setItems(new Map(), this.popMark()));
      case 'FROZENSET': return this.push(new Set(this.popMark()));
      case 'APPEND': {
        const item = this.pop();
        this.target(Array, 'a list').push(item);
        return;
      }
      case 'APPENDS': {
        const items = this.popMark();
        const list = this.target(Array, 'a list');
        for (const item of items) list.push(item);
        return;
      }
      case 'SETITEM': {
        const [key, value] = this.popMany(2);
        this.setItems(this.target(Map, 'a dict'), [key, value]);
        return;
      }
      case 'SETITEMS': {
        const items = this.popMark();
        this.setItems(this.target(Map, 'a dict'), items);
        return;
      }
      case 'ADDITEMS': {
        const items = this.popMark();
        const set = this.target(Set, 'a set');
        for (const item of items) set.add(item);
        return;
      }
      // Stack and memo
      case 'POP':
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return;
      case 'POP_MARK':
        this.popMark();
        return;
      case 'DUP': return this.push(this.top());
      case 'PUT': return this.memoize(this.memoIndex(this.readLine('ascii')));
      case 'BINPUT': return this.memoize(this.readUint8());
      case 'LONG_BINPUT': return this.memoize(this.readUint32());
      case 'MEMOIZE': return this.memoize(this.memo.size);
      case 'GET': return this.recall(this.memoIndex(this.readLine('ascii')));
      case 'BINGET': return this.recall(this.readUint8());
      case 'LONG_BINGET': return this.recall(this.readUint32());
      // Classes, functions and objects: only the allow-list's data constructors
      case 'GLOBAL': {
        const module = this.readLine('utf8');
        return this.push(this.global(module, this.readLine('utf8')));
      }
      case 'STACK_GLOBAL': {
        const [module, name] = this.popMany(2);
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw this.error(`expected STACK_GLOBAL's module and name to be strings, received ${describePickled(module)} and ${describePickled(name)}`);
        }
        return this.push(this.global(module, name));
      }
      case 'INST': {
        const module = this.readLine('utf8');
        const cls = this.global(module, this.readLine('utf8'));
        return this.push(this.created(cls.call(this.popMark())));
      }
      case 'OBJ': {
        const [cls, ...args] = this.popMark();
        return this.push(this.created(this.callable(cls, 'OBJ').call(args)));
      }
      case 'REDUCE': {
        const args = this.args(this.pop(), 'REDUCE');
        return this.push(this.created(this.callable(this.pop(), 'REDUCE').call(args)));
      }
      case 'NEWOBJ': {
        const args = this.args(this.pop(), 'NEWOBJ');
        return this.push(this.created(this.callable(this.pop(), 'NEWOBJ').construct(args)));
      }
      case 'NEWOBJ_EX': {
        const [cls, args, kwargs] = this.popMany(3);
        if (!(kwargs instanceof Map) || kwargs.size > 0) {
          throw this.error(`expected no keyword arguments for NEWOBJ_EX, received ${describePickled(kwargs)}`);
        }
        return this.push(this.created(this.callable(cls, 'NEWOBJ_EX').construct(this.args(args, 'NEWOBJ_EX'))));
      }
      case 'BUILD': return this.build(this.pop());
      // Never data
      case 'PERSID':
      case 'BINPERSID': {
        if (this.hooks === undefined) throw this.error('persistent ids are not supported (this looks like a PyTorch checkpoint; use safetensors)');
        return this.push(this.hooks.persistentLoad(name === 'PERSID' ? this.readLine('ascii') : this.pop()));
      }
      case 'EXT1':
      case 'EXT2':
      case 'EXT4':
        throw this.error('the copyreg extension registry is not supported');
      case 'NEXT_BUFFER':
        throw this.error('out-of-band buffers are not supported: pickle with the buffers in-band');
      case 'READONLY_BUFFER':
        this.top(); // makes the top buffer read-only in Python; nothing to do for a copy
        return;
    }
    throw this.error(`opcode ${name} is not implemented`);
  }

  // -- Stack -----------------------------------------------------------------------------------

  private push(value: unknown): void {
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0) throw this.error('stack underflow: the opcode needs a value and the stack is empty');
    return this.stack.pop();
  }

  private popMany(count: number): unknown[] {
    if (this.stack.length < count) throw this.error(`stack underflow: the opcode needs ${count} values, the stack holds ${this.stack.length}`);
    return this.stack.splice(this.stack.length - count, count);
  }

  private top(): unknown {
    if (this.stack.length === 0) throw this.error('stack underflow: the opcode needs a value and the stack is empty');
    return this.stack[this.stack.length - 1];
  }

  /** Pops everything pushed since the last MARK (and the mark). */
  private popMark(): unknown[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (previous === undefined) throw this.error('no MARK on the stack');
    this.stack = previous;
    return items;
  }

  /** The value on top of the stack, required to be of a container type. */
  private target<T>(type: abstract new (...args: never[]) => T, what: string): T {
    const value = this.top();
    if (!(value instanceof type)) throw this.error(`expected ${what} on the stack, received ${describePickled(value)}`);
    return value;
  }

  private setItems(map: Map<unknown, unknown>, items: readonly unknown[]): Map<unknown, unknown> {
    if (items.length % 2 !== 0) throw this.error(`expected key/value pairs, received ${items.length} items`);
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
    return map;
  }

  // -- Memo ------------------------------------------------------------------------------------

  private memoIndex(line: string): number {
    const index = parseIntegerLine(line);
    if (typeof index !== 'number' || index < 0) throw this.error(`expected a memo index, received ${quotedPreview(line)}`);
    return index;
  }

  private memoize(index: number): void {
    const value = this.top();
    this.memo.set(index, value);
    if (value instanceof PickleInstance) {
      // Appended in place: copying the list per PUT made n PUTs of one instance quadratic.
      const keys = this.memoKeys.get(value);
      if (keys === undefined) this.memoKeys.set(value, [index]);
      else keys.push(index);
    }
  }

  private recall(index: number): void {
    if (!this.memo.has(index)) throw this.error(`memo entry ${index} was never stored`);
    this.push(this.memo.get(index));
  }

  // -- Objects ---------------------------------------------------------------------------------

  /** Resolves a class or function against the allow-list, refusing anything else at once. */
  private global(module: string, name: string): PickleGlobal {
    if (this.hooks !== undefined) {
      const hooked = this.hooks.resolveGlobal(module, name);
      if (hooked !== undefined) return hooked;
      throw new FormatError(`refusing to load ${module}.${name}: pickles can run code; ${this.hooks.accepted}`, { path: this.path });
    }
    const resolved = resolveGlobal(module, name) ?? (this.options.unread?.(module, name) === true ? new UnreadGlobal(module, name) : undefined);
    if (resolved === undefined) {
      throw new FormatError(
        `refusing to load ${module}.${name}: pickles can run code; only numpy, scipy.sparse and chumpy data are accepted`,
        { path: this.path },
      );
    }
    return resolved;
  }

  private callable(value: unknown, opcode: string): PickleGlobal {
    if (!(value instanceof PickleGlobal)) throw this.error(`expected ${opcode} to call a class or function, received ${describePickled(value)}`);
    return value;
  }

  private args(value: unknown, opcode: string): unknown[] {
    if (!Array.isArray(value)) throw this.error(`expected ${opcode}'s arguments to be a tuple, received ${describePickled(value)}`);
    return value;
  }

  /** Records an instance that awaits its BUILD. */
  private created(value: unknown): unknown {
    if (value instanceof PickleInstance && value.needsState) this.unbuilt.set(value, this.opStart);
    return value;
  }

  /** BUILD: the top instance takes its state and is replaced, on the stack and in the memo, by the result. */
  private build(state: unknown): void {
    const instance = this.top();
    if (instance instanceof Map) {
      // A dict subclass (OrderedDict) with a __dict__: attributes, which are not items.
      if (!(state instanceof Map) || ![...state.keys()].every((key) => typeof key === 'string')) {
        throw this.error(`expected the state of a dict to be a dict of attributes, received ${describePickled(state)}`);
      }
      return;
    }
    if (!(instance instanceof PickleInstance)) throw this.error(`BUILD cannot set the state of ${describePickled(instance)}`);
    const value = instance.build(state);
    this.stack[this.stack.length - 1] = value;
    for (const index of this.memoKeys.get(instance) ?? []) this.memo.set(index, value);
    this.memoKeys.delete(instance);
    this.unbuilt.delete(instance);
  }

  /** The result of STOP, once every created object has been given its state. */
  private finish(result: unknown): unknown {
    for (const [instance, offset] of this.unbuilt) {
      throw new FormatError(`malformed pickle: the ${instance.typeName} created at byte ${offset} never received its state (BUILD)`, {
        path: this.path,
      });
    }
    return result;
  }

  // -- Reading ---------------------------------------------------------------------------------

  /** Reads `length` bytes through `read`, after checking they are there. */
  private take<T>(length: number, read: (at: number) => T): T {
    if (length > this.bytes.length - this.pos) throw this.truncated(length);
    const value = read(this.pos);
    this.pos += length;
    return value;
  }

  private readUint8(): number {
    return this.take(1, (at) => this.bytes[at]!);
  }

  private readUint32(): number {
    return this.take(4, (at) => this.view.getUint32(at, true));
  }

  /** A signed 4-byte length (BINSTRING, LONG4), which must not be negative. */
  private readInt32Length(): number {
    const length = this.take(4, (at) => this.view.getInt32(at, true));
    if (length < 0) throw this.error(`negative length ${length}`);
    return length;
  }

  private readUint64(): number {
    const length = this.take(8, (at) => this.view.getBigUint64(at, true));
    // Anything beyond 2^53 cannot be in memory; report it as the truncation it is.
    return length > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(length);
  }

  private readBytes(length: number): Uint8Array {
    return this.take(length, (at) => this.bytes.subarray(at, at + length));
  }

  /**
   * A little-endian two's-complement integer of `length` bytes (LONG1, LONG4). Built from one
   * hex string, in time linear in `length`: shifting a bigint in byte by byte copies it each
   * time, which made a LONG4 of a few hundred KB take seconds (quadratic).
   */
  private readLong(length: number): number | bigint {
    const bytes = this.readBytes(length);
    if (length === 0) return 0;
    if (length <= 6) {
      // Exact in a double: the common small LONG1s without going through a string.
      let small = 0;
      for (let i = length - 1; i >= 0; i--) small = small * 256 + bytes[i]!;
      return bytes[length - 1]! & 0x80 ? small - 2 ** (8 * length) : small;
    }
    const hex = Buffer.from(bytes).reverse().toString('hex'); // big-endian digits
    let value = BigInt(`0x${hex}`);
    if (bytes[length - 1]! & 0x80) value -= 1n << BigInt(8 * length);
    return toNumberIfSafe(value);
  }

  /** The bytes up to the next newline (which is consumed). */
  private readLineBytes(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.error('truncated pickle: the opcode\'s line has no newline');
    const line = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return line;
  }

  private readLine(encoding: 'ascii' | 'utf8'): string {
    const line = this.readLineBytes();
    return encoding === 'ascii' ? latin1(line) : this.utf8(line);
  }

  private utf8(bytes: Uint8Array): string {
    try {
      return UTF8.decode(bytes);
    } catch {
      throw this.error('invalid UTF-8 text');
    }
  }

  private parsed<T>(value: T | undefined, what: string, line: string): T {
    if (value === undefined) {
      const digits = what === 'an integer' ? ` of at most ${MAX_INTEGER_DIGITS} digits (as Python reads)` : '';
      throw this.error(`expected ${what}${digits}, received ${quotedPreview(line)}`);
    }
    return value;
  }

  // -- Errors ----------------------------------------------------------------------------------

  /** A FormatError naming the running opcode and its offset. */
  private error(message: string, cause?: unknown): FormatError {
    const where = `${OPCODES[this.bytes[this.opStart]!]} at byte ${this.opStart}`;
    return new FormatError(`malformed pickle: ${message} (${where})`, { path: this.path, cause });
  }

  private truncated(length: number): FormatError {
    const remaining = this.bytes.length - this.pos;
    const needed = Number.isFinite(length) ? `${length} bytes` : 'more bytes than any file holds';
    return new FormatError(
      `truncated pickle: the ${OPCODES[this.bytes[this.opStart]!]} opcode at byte ${this.opStart} needs ${needed}, only ${remaining} remain`,
      { path: this.path },
    );
  }
}
