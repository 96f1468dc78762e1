/**
 * numpy's `.npy` (one array) and `.npz` (a ZIP of `.npy` files, as `np.savez` and
 * `np.savez_compressed` write) formats.
 *
 * Reading accepts format versions 1.0, 2.0 and 3.0, C and Fortran order, little- and
 * big-endian bool, int, uint and float dtypes (`'<f4'`, `'<f8'`, `'<i4'`, `'<i8'`, `'<u4'`,
 * `'|u1'`, `'|b1'`...; float16 is widened to float32), and stored or deflated `.npz` entries.
 * Object (pickled) arrays are refused by {@link parseNpy} and read, through the data-only
 * unpickler, by {@link parseObjectNpy}; structured and string arrays are refused. Writing
 * produces version 1.0 (2.0 when the header needs it), little-endian, C order, and `.npz`
 * files of stored entries.
 *
 * @module
 */

import { requireOptions, requirePath } from '../arguments.js';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { readRegularFile } from './read-file.js';
import { latin1, plainView, requireParseArguments } from './bytes.js';
import {
  decodeNdArray,
  encodeNdArray,
  namedArrays,
  requireNdArrayData,
  storedByteLength,
  type NdArrayData,
} from './ndarray-data.js';
import { formatNpyHeader, parseNpyHeader, type NpyHeader } from './npy-header.js';
import { describePickled, PickledObjectArray } from './pickle-objects.js';
import { unpickle, type UnpickleOptions } from './pickle.js';
import { numpyTypeString, parseNumpyType, type NumpyType } from './numpy-dtype.js';
import { readRangesFromBytes, type RangeReader } from './random-access.js';
import { encodeZip } from './zip.js';
import { readZipDirectory, readZipMember, readZipMemberHead } from './zip-members.js';

export type { NdArrayData };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy aligns the data to 64 bytes (the header is padded with spaces). */
const ALIGNMENT = 64;

/**
 * Parses a `.npy` file.
 *
 * @param bytes - The file's contents.
 * @param path - The file it came from (or `archive.npz/name.npy`), for messages.
 * @returns The array, C order, host byte order.
 * @throws {@link FormatError} for a bad magic or version, an unparsable header, an
 *   unsupported dtype, or data of the wrong length.
 *
 * @example
 * ```ts
 * const a = parseNpy(await readFile('weights.npy')); // { dtype: 'float32', shape: [5023, 5], data }
 * ```
 */
export function parseNpy(bytes: Uint8Array, path?: string): NdArrayData {
  requireParseArguments('parseNpy', bytes, path);
  return decodeNpy(bytes, path);
}

/**
 * {@link parseNpy} after its door checks; `name` may be any text (a `.npz` member's name,
 * which the archive may fill with any bytes).
 */
function decodeNpy(bytes: Uint8Array, name: string | undefined): NdArrayData {
  const { header, body, fail } = readNpy(bytes, name);
  const type = supportedType(header, fail);
  const expected = storedByteLength({ dtype: type.dtype, shape: header.shape });
  if (body.length !== expected) {
    fail(`expected ${expected} bytes of '${header.descr}' data for shape (${header.shape.join(', ')}), received ${body.length}`);
  }
  return decodeNdArray(body, {
    dtype: type.dtype,
    shape: header.shape,
    littleEndian: type.littleEndian,
    fortranOrder: header.fortranOrder,
  });
}

/**
 * Parses a `.npy` file of an object array (dtype `'|O'`), whose data is a pickle: what
 * `np.save` writes for a dict or a list, read in Python by `np.load(path, allow_pickle=True)`.
 * The pickle is read by ggtalker's data-only unpickler (nothing is run; classes outside its
 * allow-list are refused unless `options.unread` names them).
 *
 * @param bytes - The file's contents.
 * @param path - The file it came from, for messages.
 * @param options - Unpickler options.
 * @returns The array: its shape and its elements in C order (a 0-d array has one, e.g. a `Map`
 *   for a saved dict).
 * @throws {@link FormatError} for a malformed file, a dtype other than object, a pickle the
 *   unpickler refuses, or one that does not hold an object array of the header's shape.
 *
 * @example
 * ```ts
 * // np.save('embedding.npy', {'faces': ..., 'bary': ...})
 * const dict = parseObjectNpy(await readFile('embedding.npy')).items[0] as Map<string, unknown>;
 * ```
 */
export function parseObjectNpy(bytes: Uint8Array, path?: string, options: UnpickleOptions = {}): PickledObjectArray {
  requireParseArguments('parseObjectNpy', bytes, path);
  requireOptions('parseObjectNpy', options);
  const { header, body, fail } = readNpy(bytes, path);
  if (!/^[|=<>]?O\d*$/.test(header.descr)) fail(`expected an object array (dtype '|O'), received dtype '${header.descr}'`);
  const value = unpickle(body, path, options);
  if (!(value instanceof PickledObjectArray)) return fail(`expected the pickled data to be a numpy object array, received ${describePickled(value)}`);
  const same = value.shape.length === header.shape.length && value.shape.every((d, i) => d === header.shape[i]);
  if (!same) fail(`expected the pickled object array to have the header's shape (${header.shape.join(', ')}), received [${value.shape.join(', ')}]`);
  return value;
}

/** The element type of a header's dtype, or the refusal of a dtype ggtalker does not read. */
function supportedType(header: NpyHeader, fail: (message: string) => never): NumpyType {
  const type = parseNumpyType(header.descr);
  if (type !== undefined) return type;
  const kind = header.descr.replace(/^[<>|=]/, '')[0];
  const why = kind === 'O' ? 'object arrays hold pickles, which are not loaded' : 'only bool, int, uint and float arrays are';
  return fail(`unsupported .npy dtype '${header.descr}' (${why})`);
}

/** The checked magic, version and header of a `.npy` file, and the bytes after the header. */
function readNpy(bytes: Uint8Array, path: string | undefined): { header: NpyHeader; body: Uint8Array; fail: (message: string) => never } {
  const { header, dataStart, fail } = readNpyHeader(bytes, path);
  return { header, body: plainView(bytes).subarray(dataStart), fail };
}

/**
 * The most bytes of `.npy` header read (magic, version, length and dict): numpy writes a few
 * hundred, and its own reader refuses dicts over 10,000 characters by default.
 */
const MAX_HEADER_BYTES = 12 + 0xffff;

/** The checked magic, version and header of a `.npy` file, from its first bytes (at least the whole header). */
function readNpyHeader(bytes: Uint8Array, path: string | undefined): { header: NpyHeader; dataStart: number; fail: (message: string) => never } {
  const data = plainView(bytes);
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  if (data.length < 10 || !MAGIC.every((b, i) => data[i] === b)) fail('not a .npy file: expected the magic "\\x93NUMPY"');
  const major = data[6]!;
  const minor = data[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail(`unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const lengthSize = major === 1 ? 2 : 4;
  if (data.length < 8 + lengthSize) fail('truncated .npy file: the header length is missing');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthSize + headerLength;
  if (dataStart > MAX_HEADER_BYTES) fail(`malformed .npy header: its length field says ${headerLength} bytes, more than the ${MAX_HEADER_BYTES - 12} ggtalker reads`);
  if (dataStart > data.length) fail(`truncated .npy file: the header needs ${headerLength} bytes, only ${data.length - 8 - lengthSize} remain`);
  const headerBytes = data.subarray(8 + lengthSize, dataStart);
  const text = major === 3 ? Buffer.from(headerBytes).toString('utf8') : latin1(headerBytes);
  const header = parseNpyHeader(text);
  if (typeof header === 'string') return fail(`malformed .npy header: ${header}`);
  return { header, dataStart, fail };
}

/**
 * Encodes an array as a `.npy` file (version 1.0, or 2.0 when its header exceeds 64 KiB),
 * little-endian, C order, data aligned to 64 bytes as numpy writes it.
 *
 * @param array - The array.
 * @returns The file's contents.
 * @throws {@link ValidationError} when `array` is not a consistent {@link NdArrayData}.
 */
export function encodeNpy(array: NdArrayData): Uint8Array {
  requireNdArrayData('array', array);
  const dict = formatNpyHeader({ descr: numpyTypeString(array.dtype), fortranOrder: false, shape: array.shape });
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const padded = (lengthSize: number): string => {
    const unpadded = 8 + lengthSize + dict.length + 1;
    return `${dict}${' '.repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT)}\n`;
  };
  // Version 1.0 stores the header length in 2 bytes; 2.0 (numpy >= 1.9) in 4.
  const lengthSize = padded(2).length > 0xffff ? 4 : 2;
  const header = padded(lengthSize);
  const body = encodeNdArray(array);
  const out = new Uint8Array(8 + lengthSize + header.length + body.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[6] = lengthSize === 2 ? 1 : 2;
  if (lengthSize === 2) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 8 + lengthSize);
  out.set(body, 8 + lengthSize + header.length);
  return out;
}

/**
 * Parses a `.npz` archive.
 *
 * @param bytes - The archive's contents.
 * @param path - The file it came from, for messages.
 * @returns The arrays by name, without the `.npy` suffix, in archive order.
 * @throws {@link FormatError} for a malformed archive (zip64 included), an entry that is not
 *   a `.npy` file, or a malformed `.npy` entry (named as `path/entry.npy`).
 */
export function parseNpz(bytes: Uint8Array, path?: string): Map<string, NdArrayData> {
  requireParseArguments('parseNpz', bytes, path, 'readNpz(path)');
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  function* members(size: number): RangeReader<Map<string, NdArrayData>> {
    const directory = yield* readZipDirectory(size, fail);
    const arrays = new Map<string, NdArrayData>();
    for (const member of directory.members) {
      const name = `${path ?? '.npz'}/${member.name}`;
      if (!member.name.endsWith('.npy')) fail(`expected every entry of the .npz archive to be a .npy array, received ${JSON.stringify(member.name)}`);
      // The header first (inflating a few KB at most), then the whole member only once its
      // declared size is what the header's shape and dtype need: a member cannot inflate to
      // more than its array, whatever size the archive claims.
      const head = yield* readZipMemberHead(member, directory, fail, MAX_HEADER_BYTES);
      const npy = readNpyHeader(head, name);
      const { header, dataStart } = npy;
      // An unsupported dtype is refused from the header alone, before any more inflating.
      const type = supportedType(header, npy.fail);
      const expected = dataStart + storedByteLength({ dtype: type.dtype, shape: header.shape });
      if (member.size !== expected) {
        npy.fail(
          `the archive says this entry holds ${member.size} bytes, its .npy header (shape (${header.shape.join(', ')}), dtype '${header.descr}') ` +
            `needs ${expected}: the archive is damaged or hostile`,
        );
      }
      arrays.set(member.name.slice(0, -4), decodeNpy(yield* readZipMember(member, directory, fail), name));
    }
    return arrays;
  }
  return readRangesFromBytes(members, bytes, path);
}

/**
 * Reads a `.npz` file (what `np.savez` / `np.savez_compressed` write).
 *
 * @param path - The file.
 * @returns The arrays by name, without the `.npy` suffix.
 * @throws {@link FormatError} as {@link parseNpz} does, and for a path that is not a regular
 *   file; `FileSystemError` when it cannot be read.
 */
export async function readNpz(path: string): Promise<Map<string, NdArrayData>> {
  requirePath('readNpz', path);
  return parseNpz(await readRegularFile(path, { what: 'the .npz file' }), path);
}

/**
 * Encodes arrays as a `.npz` archive of stored entries, readable by `np.load`.
 *
 * @param arrays - The arrays by name (`.npy` is appended to each name).
 * @returns The archive's contents.
 * @throws {@link ValidationError} for an inconsistent array, or an archive that would need zip64.
 */
export function encodeNpz(arrays: Readonly<Record<string, NdArrayData>> | ReadonlyMap<string, NdArrayData>): Uint8Array {
  return encodeZip(namedArrays('arrays', arrays).map(([name, array]) => ({ name: `${name}.npy`, data: encodeNpy(array) })));
}

/**
 * Writes arrays to a `.npz` file, atomically (the previous file stays whole until the new one
 * is complete).
 *
 * @param path - The file to write.
 * @param arrays - The arrays by name (`.npy` is appended to each name).
 * @throws {@link ValidationError} when `path` is not a path string, and as {@link encodeNpz} does;
 *   `FileSystemError` naming `path` when it cannot be written.
 *
 * @example
 * ```ts
 * await writeNpz('params.npz', { expr: { dtype: 'float32', shape: [100], data: expr } });
 * ```
 */
export async function writeNpz(path: string, arrays: Readonly<Record<string, NdArrayData>> | ReadonlyMap<string, NdArrayData>): Promise<void> {
  requirePath('writeNpz', path);
  await writeFileAtomic(path, encodeNpz(arrays));
}
