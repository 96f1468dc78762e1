/**
 * PyTorch checkpoints in the ZIP format `torch.save` has written since PyTorch 1.6 (HuggingFace's
 * `pytorch_model.bin`): every record sits under one folder (`<archive>/`, named after the file
 * or `archive`):
 *   data.pkl     the pickled object, e.g. a state dict (an `OrderedDict` of name → tensor). Each
 *                tensor is pickled as `torch._utils._rebuild_tensor_v2(storage, storage_offset,
 *                size, stride, requires_grad, backward_hooks[, metadata])`, and each storage as a
 *                persistent id `('storage', torch.<Type>Storage, key, location, numel)`
 *   data/<key>   the raw bytes of each storage: `numel` elements of its type
 *   version      the format version (not needed to read the records above)
 *   byteorder    `little` or `big` (PyTorch 2; files without it are read as little-endian)
 * (as torch/serialization.py `_save` and `_load`, torch/_tensor.py `_reduce_ex_internal` and
 * torch/_utils.py `_rebuild_tensor_v2` write and read them).
 *
 * Safety: data.pkl is read by ggtalker's data-only unpickler, which executes nothing. Here it
 * accepts only `torch._utils._rebuild_tensor_v2`, the `torch.*Storage` type names of persistent
 * ids and `collections.OrderedDict`; any other class or function the pickle names (`os.system`,
 * `builtins.eval`, `torch._utils._rebuild_parameter`...) makes the whole file refused the moment
 * it is read. Storages are checked against their records (`numel` × item size bytes) and each
 * tensor's extent (offset, sizes, strides) against its storage before any element is copied.
 *
 * Size: files are read in place, record by record (the central directory, data.pkl, then one
 * storage at a time), so checkpoints of any size load (XLS-R 1B's 3.9 GB and 2B's 8 GB
 * `pytorch_model.bin`, zip64 archives included) with memory bounded by the tensors returned plus
 * one storage's record.
 *
 * @module
 */

import { constants as bufferConstants } from 'node:buffer';
import { requirePath } from '../arguments.js';
import { FormatError } from '../errors.js';
import { requireParseArguments } from './bytes.js';
import { decodeNdArray, elementCount, storedByteLength, type NdArrayData, type StoredDtype } from './ndarray-data.js';
import { unpickleWithHooks, type PickleHooks } from './pickle.js';
import { resolveGlobal } from './pickle-globals.js';
import { describePickled, fail, PickleGlobal, requireInt, requireText, requireTuple } from './pickle-objects.js';
import { decodeRange, readRangesFromBytes, readRangesFromFile, type RangeReader } from './random-access.js';
import { readZipDirectory, readZipMember, type ZipDirectory, type ZipFail, type ZipMember } from './zip-members.js';

export type { NdArrayData };

/**
 * Parses a PyTorch checkpoint holding a state dict (what `torch.save(model.state_dict(), path)`
 * writes, as HuggingFace's `pytorch_model.bin` files are). data.pkl is read by a data-only
 * unpickler that executes nothing (see the module documentation for what it accepts).
 *
 * Tensors are materialised in C order whatever their strides and storage offset (views that
 * share a storage, transposes, slices); float16 and bfloat16 are widened to float32 exactly;
 * float64, int64/32/16/8, uint8 and bool keep their type. Names saved as the same view of the
 * same storage (tied weights) share one {@link NdArrayData}.
 *
 * For a file, {@link readTorchCheckpoint} reads only the records it needs (and any size); this
 * takes a checkpoint already in memory and reads it the same way, through views of `bytes`.
 *
 * @param bytes - The file's contents.
 * @param path - The file it came from, for messages.
 * @returns The tensors by name, in the state dict's order.
 * @throws {@link FormatError} naming the file (and the record) when it is not a zip-format
 *   checkpoint, data.pkl names a class or function outside the allow-list (`refusing to load
 *   os.system`), is not a dict of tensors, a storage's record does not hold `numel` elements or
 *   fails its CRC-32, or a tensor reaches beyond its storage.
 *
 * @example
 * ```ts
 * const weights = parseTorchCheckpoint(downloadedBytes, 'pytorch_model.bin');
 * weights.get('wav2vec2.feature_projection.projection.weight'); // { dtype: 'float32', shape: [768, 512], data }
 * ```
 */
export function parseTorchCheckpoint(bytes: Uint8Array, path?: string): Map<string, NdArrayData> {
  requireParseArguments('parseTorchCheckpoint', bytes, path, 'readTorchCheckpoint(path)');
  return readRangesFromBytes((size) => readCheckpoint(size, path), bytes, path);
}

/**
 * Reads a PyTorch checkpoint file (see {@link parseTorchCheckpoint}). Its pickle is read by a
 * data-only unpickler that executes nothing.
 *
 * The file is never read whole: its central directory, data.pkl and then each storage's record
 * are read at their offsets, so files past Node's 2 GiB `readFile` limit and past 4 GiB (zip64)
 * load, with memory bounded by the tensors returned plus the largest storage's record.
 *
 * @param path - A `torch.save` file such as `pytorch_model.bin`; a regular file (FIFOs and
 *   devices are refused before anything is read).
 * @returns The tensors by name.
 * @throws {@link FormatError} as {@link parseTorchCheckpoint} does, also when the path is not a
 *   regular file or an offset in the archive points beyond the file or past 2^53;
 *   {@link ValidationError} when `path` is not a path string; `FileSystemError` naming `path` when
 *   it cannot be opened or read (ENOENT...).
 */
export async function readTorchCheckpoint(path: string): Promise<Map<string, NdArrayData>> {
  requirePath('readTorchCheckpoint', path);
  return readRangesFromFile(path, (size) => readCheckpoint(size, path));
}

// ---------------------------------------------------------------------------------------------
// Internals

/** torch's storage types (the names `StorageType` pickles under `torch.`), and what each holds. */
const STORAGE_TYPES: { readonly [name: string]: StoredDtype } = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const ACCEPTED = `a PyTorch checkpoint may only name ${REBUILD_TENSOR}, torch's storage types (${Object.keys(STORAGE_TYPES)
  .map((name) => `torch.${name}`)
  .join(', ')}) and collections.OrderedDict, as torch.save(model.state_dict()) writes them`;

/**
 * The distinct views of a checkpoint may hold at most this many times the elements of the
 * storages they view, or {@link VIEW_ELEMENT_FLOOR} elements when that is more: room for every
 * weight saved twice (e.g. once transposed) and for small files of many views, but not for a
 * small file that declares terabytes of overlapping views.
 */
const MAX_VIEW_RATIO = 2;
const VIEW_ELEMENT_FLOOR = 1 << 24;

/** A checkpoint's records, found in its ZIP archive. */
interface Archive {
  /** The records' folder, with its trailing slash (e.g. `'pytorch_model/'`). */
  prefix: string;
  /** `<prefix>data.pkl`. */
  pickle: ZipMember;
  /** Every record by name (not yet read). */
  records: Map<string, ZipMember>;
  /** The archive's directory, to read records from. */
  directory: ZipDirectory;
  /** Throws a FormatError for a problem of the archive itself. */
  fail: ZipFail;
  /** Whether the storages are little-endian (the `byteorder` record). */
  littleEndian: boolean;
}

/** The longest `byteorder` record read (it says `little` or `big`). */
const MAX_BYTEORDER_BYTES = 64;

/** Reads a checkpoint: its directory, data.pkl, then each storage a tensor views. */
function* readCheckpoint(size: number, path: string | undefined): RangeReader<Map<string, NdArrayData>> {
  const archive = yield* openArchive(size, path);
  const pickle = yield* readZipMember(archive.pickle, archive.directory, archive.fail);
  const reader = new CheckpointReader(archive, path);
  let root: unknown;
  try {
    root = unpickleWithHooks(pickle, undefined, reader.hooks);
  } catch (error) {
    // The unpickler knows nothing of the archive: name the file and the record.
    if (error instanceof FormatError) throw new FormatError(`${archive.pickle.name}: ${error.message}`, { path, cause: error });
    throw error;
  }
  return yield* reader.materialise(root);
}

/** Finds data.pkl and its folder, after telling apart the files that are not zip checkpoints. */
function* openArchive(size: number, path: string | undefined): RangeReader<Archive> {
  const bytes = yield { offset: 0, length: Math.min(size, 4), what: 'the first bytes' };
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    throw new FormatError(
      'this is a legacy torch.save file (a bare pickle, written by PyTorch before 1.6 or with _use_new_zipfile_serialization=False), not the ZIP format ggtalker reads; load it with torch.load and save it again with torch.save(state_dict, path) from PyTorch 1.6 or later',
      { path },
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(`expected a PyTorch checkpoint (a ZIP archive starting with "PK", as torch.save writes), received a file starting with bytes ${head || '(none: it is empty)'}`, {
      path,
    });
  }
  const zipFail: ZipFail = (reason) => {
    throw new FormatError(`not a readable PyTorch checkpoint (torch.save's ZIP archive): ${reason}; the file is damaged or incomplete (e.g. a cut-short download)`, { path });
  };
  const directory = yield* readZipDirectory(size, zipFail);
  const entries = directory.members;
  const records = new Map(entries.map((entry) => [entry.name, entry]));
  const pickles = entries.filter((entry) => /^[^/]+\/data\.pkl$/.test(entry.name));
  if (pickles.length !== 1) {
    const names = entries.slice(0, 5).map((entry) => entry.name);
    const torchScript = entries.some((entry) => /^[^/]+\/constants\.pkl$/.test(entry.name));
    throw new FormatError(
      torchScript
        ? 'this is a TorchScript archive (it holds constants.pkl and code), not a torch.save checkpoint of tensors; save the model\'s state_dict() with torch.save'
        : `expected a torch.save checkpoint holding one <archive>/data.pkl, received a ZIP archive with ${pickles.length} (its first records: ${names.join(', ') || 'none'})`,
      { path },
    );
  }
  const pickle = pickles[0]!;
  const prefix = pickle.name.slice(0, pickle.name.length - 'data.pkl'.length);
  const order = records.get(`${prefix}byteorder`);
  let littleEndian = true;
  if (order !== undefined) {
    if (order.size > MAX_BYTEORDER_BYTES) {
      throw new FormatError(`expected the record ${prefix}byteorder to say "little" or "big", received ${order.size} bytes`, { path });
    }
    const text = Buffer.from(yield* readZipMember(order, directory, zipFail)).toString('latin1');
    if (text !== 'little' && text !== 'big') {
      throw new FormatError(`expected the record ${prefix}byteorder to say "little" or "big", received ${JSON.stringify(text.slice(0, 20))}`, { path });
    }
    littleEndian = text === 'little';
  }
  return { prefix, pickle, records, directory, fail: zipFail, littleEndian };
}

/** `torch.FloatStorage` and the like: names of element types, only ever read inside persistent ids. */
class StorageTypeName extends PickleGlobal {
  constructor(
    module: string,
    name: string,
    readonly dtype: StoredDtype,
  ) {
    super(module, name);
  }

  call(): never {
    return fail(`${this.qualifiedName}(...) is not data: PyTorch checkpoints name storage types only inside persistent ids`);
  }
}

/** A storage a persistent id named: its record (read when its tensors are made), checked to hold `numel` elements. */
class Storage {
  constructor(
    readonly key: string,
    readonly record: string,
    readonly dtype: StoredDtype,
    readonly numel: number,
    readonly member: ZipMember,
  ) {}

  /** The element size in bytes. */
  get itemSize(): number {
    return storedByteLength({ dtype: this.dtype, shape: [1] });
  }
}

/** A tensor `_rebuild_tensor_v2` describes: a checked view of a storage, not yet copied. */
class TensorView {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  /** Identifies the view, so names saved as the same view share one array. */
  get id(): string {
    return `${this.storage.key}|${this.offset}|${this.shape.join(',')}|${this.stride.join(',')}`;
  }
}

/** `torch._utils._rebuild_tensor_v2`: a {@link TensorView}, checked against its storage. */
class RebuildTensor extends PickleGlobal {
  constructor(
    module: string,
    name: string,
    private readonly reader: CheckpointReader,
  ) {
    super(module, name);
  }

  call(args: readonly unknown[]): TensorView {
    const q = this.qualifiedName;
    const list = requireTuple(args, `the arguments of ${q}`);
    if (list.length !== 6 && list.length !== 7) {
      fail(`expected ${q}(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]), received ${list.length} arguments`);
    }
    const [storage, offsetValue, sizeValue, strideValue, requiresGrad, hooks, metadata] = list;
    if (!(storage instanceof Storage)) fail(`expected the storage argument of ${q} to be a storage (a persistent id), received ${describePickled(storage)}`);
    const offset = nonNegative(offsetValue, `the storage_offset of ${q}`);
    const shape = requireTuple(sizeValue, `the size of ${q}`).map((d) => nonNegative(d, `each dimension of ${q}'s size`));
    const stride = requireTuple(strideValue, `the stride of ${q}`, shape.length).map((d) => nonNegative(d, `each stride of ${q}`));
    if (typeof requiresGrad !== 'boolean') fail(`expected the requires_grad argument of ${q} to be a bool, received ${describePickled(requiresGrad)}`);
    if (!(hooks instanceof Map) || hooks.size > 0) {
      fail(`expected the backward_hooks argument of ${q} to be an empty OrderedDict (torch.save never saves hooks), received ${describePickled(hooks)}`);
    }
    if (metadata !== undefined && metadata !== null && !(metadata instanceof Map && metadata.size === 0)) {
      fail(`tensor metadata is not supported (the metadata argument of ${q} is ${describePickled(metadata)}, expected None or an empty dict)`);
    }
    const view = new TensorView(storage, offset, shape, stride);
    this.reader.checkExtent(view);
    return view;
  }
}

/** Reads one archive's pickle: its hooks, then the tensors it described. */
class CheckpointReader {
  private readonly storages = new Map<string, Storage>();
  /** Elements of the distinct views so far, and of the storages they view. */
  private viewElements = 0;
  private readonly views = new Set<string>();
  private readonly viewedStorages = new Set<Storage>();
  private storageElements = 0;

  readonly hooks: PickleHooks;

  constructor(
    private readonly archive: Archive,
    private readonly path: string | undefined,
  ) {
    this.hooks = {
      resolveGlobal: (module, name) => {
        if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return new StorageTypeName(module, name, STORAGE_TYPES[name]!);
        if (`${module}.${name}` === REBUILD_TENSOR) return new RebuildTensor(module, name, this);
        if (module === 'collections' && name === 'OrderedDict') return resolveGlobal(module, name);
        return undefined;
      },
      accepted: ACCEPTED,
      persistentLoad: (id) => this.storage(id),
    };
  }

  /** A persistent id `('storage', storage_type, key, location, numel)` → its checked storage. */
  private storage(id: unknown): Storage {
    const parts = requireTuple(id, 'a persistent id');
    if (parts.length !== 5 || (typeof parts[0] === 'string' ? parts[0] : parts[0] instanceof Uint8Array ? requireText(parts[0], 'a persistent id') : '') !== 'storage') {
      fail(`expected a persistent id ('storage', storage_type, key, location, numel), received ${describePickled(id)}`);
    }
    const [, type, keyValue, location, numelValue] = parts;
    if (!(type instanceof StorageTypeName)) fail(`expected a torch storage type in a persistent id, received ${describePickled(type)}`);
    const key = requireText(keyValue, 'the key of a persistent id');
    requireText(location, 'the location of a persistent id');
    const numel = nonNegative(numelValue, 'the numel of a persistent id');
    const known = this.storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== type.dtype || known.numel !== numel) {
        fail(`storage ${key} is named as ${known.numel} × ${known.dtype} and as ${numel} × ${type.dtype}; expected one type and size per storage`);
      }
      return known;
    }
    const record = `${this.archive.prefix}data/${key}`;
    const member = this.archive.records.get(record);
    if (member === undefined) fail(`storage ${key} has no record ${record} in the archive (the file is damaged or incomplete)`);
    const expected = storedByteLength({ dtype: type.dtype, shape: [numel] });
    if (member.size !== expected) {
      fail(`expected the record ${record} to hold ${expected} bytes (${numel} × ${type.name}), received ${member.size} (the file is damaged or incomplete)`);
    }
    if (member.compressedSize > bufferConstants.MAX_LENGTH || member.size > bufferConstants.MAX_LENGTH) {
      fail(`storage ${key} (${record}) holds ${member.size} bytes, more than one JavaScript buffer can (${bufferConstants.MAX_LENGTH})`);
    }
    const storage = new Storage(key, record, type.dtype, numel, member);
    this.storages.set(key, storage);
    return storage;
  }

  /** Checks a view lies within its storage and keeps the total it will materialise bounded. */
  checkExtent(view: TensorView): void {
    const { storage, offset, shape, stride } = view;
    const what = `a tensor of size [${shape.join(', ')}] with storage offset ${offset} and strides [${stride.join(', ')}]`;
    const count = shape.reduce((a, b) => a * BigInt(b), 1n);
    if (count === 0n) {
      if (offset > storage.numel) fail(`${what} starts beyond the ${storage.numel} elements of its storage ${storage.record}`);
      return;
    }
    let last = BigInt(offset);
    for (let d = 0; d < shape.length; d++) last += BigInt(shape[d]! - 1) * BigInt(stride[d]!);
    if (last >= BigInt(storage.numel)) {
      fail(`${what} reaches element ${last} of its storage ${storage.record}, which holds ${storage.numel} (the file is damaged or was not written by torch.save)`);
    }
    if (count > BigInt(storage.numel)) {
      fail(`${what} has more elements (${count}) than its storage ${storage.record} (${storage.numel}): broadcast views are not supported; save tensor.contiguous() instead`);
    }
    if (this.views.has(view.id)) return;
    this.views.add(view.id);
    this.viewElements += Number(count);
    if (!this.viewedStorages.has(storage)) {
      this.viewedStorages.add(storage);
      this.storageElements += storage.numel;
    }
    if (this.viewElements > Math.max(MAX_VIEW_RATIO * this.storageElements, VIEW_ELEMENT_FLOOR)) {
      fail(
        `the tensors' views add up to ${this.viewElements} elements, over ${MAX_VIEW_RATIO} times the ${this.storageElements} of the storages they view (and over ${VIEW_ELEMENT_FLOOR}); a checkpoint of weights does not overlap its views this much`,
      );
    }
  }

  /**
   * The unpickled state dict → its arrays, each view copied to C order once. The storages are
   * read one at a time, in order of first use, and each is dropped once its views are copied.
   */
  *materialise(root: unknown): RangeReader<Map<string, NdArrayData>> {
    const member = this.archive.pickle.name;
    if (!(root instanceof Map)) {
      throw new FormatError(`expected ${member} to hold a dict of tensors (a state_dict), received ${describePickled(root)}`, { path: this.path });
    }
    const named: [string, TensorView][] = [];
    const viewsOf = new Map<Storage, Map<string, TensorView>>();
    for (const [name, value] of root) {
      if (typeof name !== 'string') {
        throw new FormatError(`expected the keys of the state dict in ${member} to be str names, received ${describePickled(name)}`, { path: this.path });
      }
      if (!(value instanceof TensorView)) {
        throw new FormatError(`expected the value of '${name}' in ${member} to be a tensor, received ${describePickled(value)}`, { path: this.path });
      }
      named.push([name, value]);
      const views = viewsOf.get(value.storage) ?? new Map<string, TensorView>();
      viewsOf.set(value.storage, views);
      if (!views.has(value.id)) views.set(value.id, value);
    }
    const made = new Map<string, NdArrayData>();
    for (const [storage, views] of viewsOf) {
      const bytes = yield* readZipMember(storage.member, this.archive.directory, this.archive.fail);
      const source = new StorageBytes(bytes, storage.itemSize);
      for (const [id, view] of views) made.set(id, copyView(view, source, this.archive.littleEndian));
    }
    return new Map(named.map(([name, view]) => [name, made.get(view.id)!]));
  }
}

/** A storage's record as read. */
class StorageBytes {
  /** The bytes at an offset aligned for the element size (made on first need). */
  private aligned?: Uint8Array;

  constructor(
    readonly bytes: Uint8Array,
    readonly itemSize: number,
  ) {}

  /** The bytes, copied once to an aligned buffer when the record's data is not aligned. */
  alignedBytes(): Uint8Array {
    if (this.aligned === undefined) {
      this.aligned = this.bytes.byteOffset % Math.min(this.itemSize, 4) === 0 ? this.bytes : new Uint8Array(this.bytes);
    }
    return this.aligned;
  }
}

function nonNegative(value: unknown, what: string): number {
  const n = requireInt(value, what);
  return n >= 0 ? n : fail(`expected ${what} to be non-negative, received ${n}`);
}

/** A checked view → a new C-order array (copied, byte-swapped and widened as needed). */
function copyView(view: TensorView, source: StorageBytes, littleEndian: boolean): NdArrayData {
  const { storage, offset, shape, stride } = view;
  const size = source.itemSize;
  const count = elementCount(shape);
  const layout = { dtype: storage.dtype, shape, littleEndian, fortranOrder: false };
  if (isContiguous(shape, stride)) {
    // The whole record when the view covers it: a buffer read for it alone is then adopted.
    const whole = offset === 0 && count * size === source.bytes.length;
    return whole ? decodeRange(source.bytes, layout) : decodeNdArray(source.bytes.subarray(offset * size, (offset + count) * size), layout);
  }
  return decodeNdArray(gather(source, offset, shape, stride), layout);
}

/** Whether a view's elements are its storage's, in C order, from its offset on. */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d]! !== 1 && stride[d]! !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/**
 * A strided view's elements in C order, as bytes. Elements move as whole 8-, 16- or 32-bit
 * words, so every bit pattern (NaN payloads included) is kept.
 */
function gather(storage: StorageBytes, offset: number, shape: readonly number[], stride: readonly number[]): Uint8Array {
  const size = storage.itemSize;
  const count = elementCount(shape);
  const source = storage.alignedBytes();
  const wordSize = Math.min(size, 4);
  const words = size / wordSize;
  const View = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array }[wordSize as 1 | 2 | 4];
  const src = new View(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / wordSize);
  const out = new Uint8Array(count * size);
  const dst = new View(out.buffer, 0, out.byteLength / wordSize);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let c = 0, at = offset; c < count; c++) {
    for (let w = 0; w < words; w++) dst[c * words + w] = src[at * words + w]!;
    for (let d = rank - 1; d >= 0; d--) {
      at += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      at -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
