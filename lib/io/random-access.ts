/**
 * Random access to the bytes of a file or of a buffer, for readers written once for both.
 *
 * A reader is a generator that yields the byte ranges it needs, one at a time, and receives
 * each range's bytes back: {@link readRangesFromBytes} answers from memory (views, no copies),
 * {@link readRangesFromFile} from a file handle, reading only those ranges. So a multi-gigabyte
 * checkpoint is never held whole (nor limited by Node's 2 GiB `readFile`), and the readers'
 * checks are the same whether the bytes came from a file or from memory.
 *
 * Readers must check every range they yield against the size they were given (with a message
 * naming the file and the field that pointed there); the runners refuse a range outside the
 * bytes as a backstop, and a file that ends early while being read (it was cut short or
 * changed meanwhile).
 *
 * @module
 */

import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FormatError } from '../errors.js';
import { plainView } from './bytes.js';
import { withFileErrors } from './read-file.js';
import { ARRAY_TYPES, decodeNdArray, HOST_LITTLE_ENDIAN, type NdArrayData, type NdDtype, type StoredLayout } from './ndarray-data.js';

/** A range of bytes a reader needs. */
export interface ByteRange {
  /** Its first byte's offset from the start. */
  offset: number;
  /** Its length in bytes. */
  length: number;
  /** What it holds, for messages (e.g. `'the central directory'`). */
  what: string;
}

/** A reader: yields the ranges it needs, receives their bytes, returns what it read. */
export type RangeReader<T> = Generator<ByteRange, T, Uint8Array>;

/** Starts a reader, given the total size of the bytes it reads. */
export type StartReader<T> = (size: number) => RangeReader<T>;

/**
 * The largest offset a reader may accept: offsets are JavaScript numbers, exact only below 2^53.
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** The most bytes one `read` call asks for (a single call stops short of 2 GiB on Linux anyway). */
const READ_CHUNK = 1 << 28;

/** Buffers {@link RandomAccessFile.read} made that no array has adopted yet. */
const fresh = new WeakSet<ArrayBufferLike>();

/**
 * Runs a reader over bytes in memory. Each range is answered with a view of `bytes`.
 *
 * @param start - The reader.
 * @param bytes - All the bytes.
 * @param path - The file they came from, for messages.
 * @returns What the reader returns.
 * @throws {@link FormatError} as the reader does, or when it asks for bytes beyond the end.
 */
export function readRangesFromBytes<T>(start: StartReader<T>, bytes: Uint8Array, path?: string): T {
  const data = plainView(bytes);
  const reader = start(data.length);
  let step = reader.next();
  while (step.done !== true) {
    checkRange(step.value, data.length, path);
    step = reader.next(data.subarray(step.value.offset, step.value.offset + step.value.length));
  }
  return step.value;
}

/**
 * Runs a reader over a file, reading only the ranges it asks for (each into a new buffer). The
 * file must be a regular file: FIFOs, sockets, devices and directories are refused before any
 * byte is read (and a FIFO without a writer does not block the call).
 *
 * @param path - The file.
 * @param start - The reader, given the file's size.
 * @returns What the reader returns.
 * @throws {@link FormatError} naming the file when it is not a regular file, as the reader
 *   does, or when the file ends before a range (it was cut short while being read);
 *   file-system errors as `open`/`read` do.
 */
export async function readRangesFromFile<T>(path: string, start: StartReader<T>): Promise<T> {
  const file = await RandomAccessFile.open(path);
  try {
    const reader = start(file.size);
    let step = reader.next();
    while (step.done !== true) {
      const bytes = await file.read(step.value);
      step = reader.next(bytes);
    }
    return step.value;
  } finally {
    await file.close();
  }
}

/** A regular file open for reading at any position. */
export class RandomAccessFile {
  private constructor(
    private readonly handle: FileHandle,
    /** The file it reads, for messages. */
    readonly path: string,
    /** Its size in bytes when it was opened. */
    readonly size: number,
  ) {}

  /**
   * Opens a regular file. The path is checked before it is opened (so that a FIFO or a device
   * is never opened), opened non-blocking where the platform has `O_NONBLOCK` (so that a path
   * swapped for a FIFO in between cannot block), and checked again through the handle.
   *
   * @param path - The file.
   * @returns The open file; {@link close} it.
   * @throws {@link FormatError} when the path is not a regular file; file-system errors as `stat`/`open` do.
   */
  static async open(path: string): Promise<RandomAccessFile> {
    // Node's errors (ENOENT, EACCES...) become FileSystemErrors naming the path.
    requireRegularFile(await withFileErrors(path, 'read', () => stat(path)), path);
    const handle = await withFileErrors(path, 'read', () => open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)));
    try {
      const info = await handle.stat();
      requireRegularFile(info, path);
      if (!Number.isSafeInteger(info.size)) throw new FormatError(`the file's size ${info.size} is beyond 2^53 bytes`, { path });
      return new RandomAccessFile(handle, path, info.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Reads a range into a new buffer.
   *
   * @param range - The range; it must lie within {@link size}.
   * @returns Exactly `range.length` bytes.
   * @throws {@link FormatError} when the range lies beyond the file, or the file ends before it
   *   (it was cut short since it was opened).
   */
  async read(range: ByteRange): Promise<Uint8Array> {
    checkRange(range, this.size, this.path);
    const out = new Uint8Array(range.length);
    fresh.add(out.buffer);
    let filled = 0;
    while (filled < range.length) {
      const { bytesRead } = await withFileErrors(this.path, 'read', () => this.handle.read(out, filled, Math.min(range.length - filled, READ_CHUNK), range.offset + filled));
      if (bytesRead === 0) {
        throw new FormatError(
          `the file ended at byte ${range.offset + filled}, inside ${range.what} (bytes ${range.offset} to ${range.offset + range.length}); it was cut short or changed while being read`,
          { path: this.path },
        );
      }
      filled += bytesRead;
    }
    return out;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Decodes a range a reader received as {@link decodeNdArray} does, except that a buffer a file
 * read made for exactly this range becomes the array's memory when no conversion is needed
 * (no byte swap, no widening, C order): each tensor's bytes are then written to memory once.
 * Bytes in memory (views of the caller's data) are always copied.
 *
 * @param bytes - Exactly the array's stored bytes, as the reader received them.
 * @param layout - How they are laid out.
 * @returns An array that shares no memory with anything but, possibly, that file read's buffer.
 */
export function decodeRange(bytes: Uint8Array, layout: StoredLayout): NdArrayData {
  const { dtype } = layout;
  const adoptable =
    dtype !== 'float16' &&
    dtype !== 'bfloat16' &&
    layout.littleEndian === HOST_LITTLE_ENDIAN &&
    (!layout.fortranOrder || layout.shape.length <= 1) &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    fresh.has(bytes.buffer);
  if (!adoptable) return decodeNdArray(bytes, layout);
  fresh.delete(bytes.buffer);
  const count = layout.shape.reduce((a, b) => a * b, 1);
  const data = new ARRAY_TYPES[dtype](bytes.buffer as ArrayBuffer, 0, count);
  return { dtype, shape: [...layout.shape], data } as NdArrayData;
}

// ---------------------------------------------------------------------------------------------
// Internals


function checkRange(range: ByteRange, size: number, path: string | undefined): void {
  const { offset, length, what } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new FormatError(`${what} (${length} bytes at offset ${offset}) lies beyond the end of the ${size}-byte file`, { path });
  }
}

export function requireRegularFile(info: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }, path: string): void {
  if (info.isFile()) return;
  const kind = info.isDirectory()
    ? 'a directory'
    : info.isFIFO()
      ? 'a FIFO (named pipe)'
      : info.isSocket()
        ? 'a socket'
        : info.isCharacterDevice()
          ? 'a character device'
          : info.isBlockDevice()
            ? 'a block device'
            : 'not a regular file';
  throw new FormatError(`expected a regular file, received ${kind}`, { path });
}
