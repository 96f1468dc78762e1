/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data
 * that follows) plus an optional `__metadata__` map of strings, then the tensors' raw
 * little-endian bytes, back to back. Loading it executes nothing.
 *
 * Read: F64, F32, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, and F16/BF16 widened to float32.
 * Written: every {@link NdDtype} (float16 and bfloat16 are never written).
 *
 * Files are read in place: the header first, then each tensor at its offset, so files of any
 * size load (past Node's 2 GiB `readFile` limit) with memory bounded by the tensors returned, and
 * {@link ReadSafetensorsOptions.names} reads only some of them.
 *
 * @module
 */

import { constants as bufferConstants } from 'node:buffer';
import { optionalOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import { writeFileAtomic } from './atomic.js';
import { requireParseArguments, shortened } from './bytes.js';
import { parseJsonText } from './read-file.js';
import { decodeRange, readRangesFromBytes, readRangesFromFile, type RangeReader } from './random-access.js';
import {
  encodeNdArray,
  namedArrays,
  storedByteLength,
  type NdArrayData,
  type NdDtype,
  type StoredDtype,
} from './ndarray-data.js';

export type { NdArrayData };

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** The tensors by name, in header order. */
  tensors: Map<string, NdArrayData>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
}

/** Options of {@link readSafetensors} and {@link parseSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * Read only these tensors (the header is still validated whole); every name must be in the
   * file. Default: all of them.
   */
  names?: Iterable<string>;
}

/** safetensors dtype names, and what each reads as. */
const READ_DTYPES: { readonly [name: string]: StoredDtype } = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
};

const WRITE_DTYPES: { readonly [D in NdDtype]: string } = {
  float64: 'F64',
  float32: 'F32',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint64: 'U64',
  uint32: 'U32',
  uint16: 'U16',
  uint8: 'U8',
  bool: 'BOOL',
};

const METADATA_KEY = '__metadata__';
/** The reference implementation's limit on the header size, against hostile lengths. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses a safetensors file, validating the header completely before decoding anything:
 * known dtypes, integer shapes, and offsets that are in bounds, match each tensor's size, and
 * cover the data contiguously without overlap (as the reference implementation requires).
 *
 * For a file, {@link readSafetensors} reads only the header and the tensors (and any size);
 * this takes a file already in memory and reads it the same way.
 *
 * @param bytes - The file's contents.
 * @param path - The file it came from, for messages.
 * @param options - Which tensors to read (default all).
 * @returns The tensors (C order, host byte order) and the metadata.
 * @throws {@link FormatError} naming the tensor and what is wrong, or a name of
 *   `options.names` the file lacks; {@link ValidationError} when `options.names` is not an
 *   iterable of strings.
 */
export function parseSafetensors(bytes: Uint8Array, path?: string, options?: ReadSafetensorsOptions): SafetensorsFile {
  requireParseArguments('parseSafetensors', bytes, path, 'readSafetensors(path)');
  const names = requireNames('parseSafetensors', options);
  return readRangesFromBytes((size) => readSafetensorsRanges(size, path, names), bytes, path);
}

/**
 * Reads a safetensors file: its header, then each tensor at its offset. The file is never read
 * whole, so files past Node's 2 GiB `readFile` limit load, with memory bounded by the tensors
 * returned; `options.names` reads only those.
 *
 * @param path - The file; a regular file (FIFOs and devices are refused before anything is read).
 * @param options - Which tensors to read (default all).
 * @returns The tensors and metadata.
 * @throws {@link FormatError} as {@link parseSafetensors} does, also when the path is not a
 *   regular file or the file is cut short while being read; {@link ValidationError} as
 *   {@link parseSafetensors} does and when `path` is not a path string; `FileSystemError` naming
 *   `path` when it cannot be opened or read (ENOENT...).
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensors('model.safetensors', { names: ['encoder.layer_norm.weight'] });
 * ```
 */
export async function readSafetensors(path: string, options?: ReadSafetensorsOptions): Promise<SafetensorsFile> {
  requirePath('readSafetensors', path);
  const names = requireNames('readSafetensors', options);
  return readRangesFromFile(path, (size) => readSafetensorsRanges(size, path, names));
}

/**
 * Encodes tensors as a safetensors file. Tensors are laid out by decreasing element size, then
 * by name, and the header is padded with spaces to a multiple of 8 bytes, so every tensor's
 * data is aligned to its element size (as the reference implementation does).
 *
 * @param tensors - The tensors by name (`'__metadata__'` is reserved).
 * @param metadata - Optional free-form strings, stored as `__metadata__`.
 * @returns The file's contents.
 * @throws {@link ValidationError} for an inconsistent tensor, a reserved name, or metadata
 *   that is not a map of strings.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) } }, { format: 'pt' });
 * ```
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NdArrayData>> | ReadonlyMap<string, NdArrayData>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const named = namedArrays('tensors', tensors);
  if (named.some(([name]) => name === METADATA_KEY)) throw new ValidationError(`expected no tensor named "${METADATA_KEY}" (the name is reserved)`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = requireMetadata(metadata);
  const ordered = [...named].sort(
    ([a, x], [b, y]) => y.data.BYTES_PER_ELEMENT - x.data.BYTES_PER_ELEMENT || (a < b ? -1 : a > b ? 1 : 0),
  );
  let offset = 0;
  for (const [name, array] of ordered) {
    header[name] = { dtype: WRITE_DTYPES[array.dtype], shape: array.shape, data_offsets: [offset, offset + array.data.byteLength] };
    offset += array.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, array] of ordered) {
    out.set(encodeNdArray(array), at);
    at += array.data.byteLength;
  }
  return out;
}

/**
 * Writes tensors to a safetensors file, atomically.
 *
 * @param path - The file to write.
 * @param tensors - The tensors by name.
 * @param metadata - Optional free-form strings.
 * @throws {@link ValidationError} when `path` is not a path string, and as {@link encodeSafetensors}
 *   does; `FileSystemError` naming `path` when it cannot be written.
 */
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, NdArrayData>> | ReadonlyMap<string, NdArrayData>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  requirePath('writeSafetensors', path);
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------
// Internals

interface TensorInfo {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

type Fail = (message: string) => never;

/** Reads a file of `size` bytes: the header length, the header, then the tensors wanted. */
function* readSafetensorsRanges(size: number, path: string | undefined, names: Set<string> | undefined): RangeReader<SafetensorsFile> {
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  if (size < 8) fail(`truncated safetensors file: expected an 8-byte header length, received ${size} bytes`);
  const lengthBytes = yield { offset: 0, length: 8, what: 'the header length' };
  const headerLength = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
    // The value is not echoed: it is the first 8 bytes of what may be someone else's file.
    fail(`not a safetensors file, or a malformed one: its header length field (bytes 0 to 7) points beyond the ${size - 8} bytes that follow (or the 100 MB limit)`);
  }
  const dataStart = 8 + Number(headerLength);
  const headerBytes = yield { offset: 8, length: dataStart - 8, what: 'the JSON header' };
  const header = parseJsonText(
    Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('utf8'),
    path,
    'the safetensors header',
  );
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('malformed safetensors header: expected a JSON object');

  const metadata = readMetadata((header as Record<string, unknown>)[METADATA_KEY], fail);
  const entries = Object.entries(header as Record<string, unknown>)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => readTensorInfo(name, info, fail));
  checkOffsets(entries, size - dataStart, fail);
  if (names !== undefined) {
    const known = new Set(entries.map((entry) => entry.name));
    for (const name of names) {
      if (!known.has(name)) {
        const some = entries.slice(0, 5).map((entry) => JSON.stringify(entry.name));
        fail(`expected a tensor named ${JSON.stringify(name)} (options.names), the file has none (it holds ${entries.length}: ${some.join(', ')}${entries.length > 5 ? ', ...' : ''})`);
      }
    }
  }

  const wanted = names === undefined ? entries : entries.filter((entry) => names.has(entry.name));
  for (const { name, begin, end } of wanted) {
    if (end - begin > bufferConstants.MAX_LENGTH) {
      fail(`tensor ${JSON.stringify(name)} holds ${end - begin} bytes, more than one JavaScript buffer can (${bufferConstants.MAX_LENGTH}); read the others with options.names`);
    }
  }
  const tensors = new Map<string, NdArrayData>();
  for (const { name, dtype, shape, begin, end } of wanted) {
    const bytes = yield { offset: dataStart + begin, length: end - begin, what: `tensor ${JSON.stringify(name)}` };
    tensors.set(name, decodeRange(bytes, { dtype, shape, littleEndian: true, fortranOrder: false }));
  }
  return { tensors, metadata };
}

function requireNames(fn: string, options: ReadSafetensorsOptions | undefined): Set<string> | undefined {
  const { names } = optionalOptions(fn, options);
  if (names === undefined) return undefined;
  const list = typeof names === 'object' && names !== null && Symbol.iterator in names ? [...names] : undefined;
  if (list === undefined || typeof names === 'string' || !list.every((name) => typeof name === 'string')) {
    throw new ValidationError(`${fn}: expected options.names to be an iterable of tensor names (strings), received ${describeValue(names)}`);
  }
  return new Set(list);
}

function readTensorInfo(name: string, info: unknown, fail: Fail): TensorInfo {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof info !== 'object' || info === null) return fail(`malformed safetensors header: expected ${what} to be an object, received ${jsonPreview(info)}`);
  const { dtype: dtypeName, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const dtype = typeof dtypeName === 'string' && Object.hasOwn(READ_DTYPES, dtypeName) ? READ_DTYPES[dtypeName]! : undefined;
  if (dtype === undefined) {
    return fail(`unsupported dtype ${jsonPreview(dtypeName)} for ${what} (expected one of ${Object.keys(READ_DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`malformed safetensors header: expected the shape of ${what} to be a list of non-negative integers, received ${jsonPreview(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    return fail(
      `malformed safetensors header: expected the data_offsets of ${what} to be [begin, end], integers with 0 <= begin <= end < 2^53, received ${jsonPreview(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expected = storedByteLength({ dtype, shape });
  if (end - begin !== expected) {
    fail(`malformed safetensors header: ${what} (${dtypeName}, shape [${shape.join(', ')}]) needs ${expected} bytes, its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** A header value for a message: its JSON, cut to 200 characters (a header may hold 100 MB). */
function jsonPreview(value: unknown): string {
  return shortened(JSON.stringify(value) ?? String(value));
}

/** The tensors must tile the data exactly: sorted by offset, each starts where the last ended. */
function checkOffsets(entries: TensorInfo[], dataLength: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const { name, begin, end } of sorted) {
    if (begin !== expected) {
      fail(
        `malformed safetensors header: tensor ${JSON.stringify(name)} starts at data offset ${begin}, expected ${expected} ` +
          `(tensors must be contiguous and must not overlap)`,
      );
    }
    expected = end;
  }
  if (expected > dataLength) fail(`truncated safetensors file: the header describes ${expected} bytes of data, the file holds ${dataLength}`);
  if (expected < dataLength) fail(`malformed safetensors file: ${dataLength - expected} bytes of data follow the last tensor`);
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    return fail(`malformed safetensors header: expected "${METADATA_KEY}" to map names to strings, received ${jsonPreview(value)}`);
  }
  return Object.assign(Object.create(null) as Record<string, string>, value);
}

function requireMetadata(metadata: unknown): Record<string, string> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new ValidationError(`expected metadata to be an object of strings, received ${describeValue(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new ValidationError(`expected metadata.${key} to be a string, received ${describeValue(value)}`);
  }
  return { ...(metadata as Record<string, string>) };
}

