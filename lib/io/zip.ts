/**
 * Minimal ZIP archives, as `.npz` files are: reading stored and deflated entries (checked
 * against their CRC-32), writing stored entries. Multi-disk, encrypted and zip64 archives
 * (over 4 GiB or 65535 entries) are refused; zip64 records beside a complete classic end record
 * (which PyTorch's `torch.save` always writes) are ignored, as the classic fields then hold the
 * real values.
 *
 * @module
 */

import { inflateRawSync } from 'node:zlib';
import { FormatError, ValidationError } from '../errors.js';
import { plainView } from './bytes.js';
import { crc32 } from './crc32.js';

/** One file of an archive. */
export interface ZipEntry {
  /** Its path inside the archive, e.g. `'v_template.npy'`. */
  name: string;
  /** Its uncompressed contents. */
  data: Uint8Array;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
/** 1980-01-01 00:00, the earliest DOS date: written entries carry no real timestamp, so
 * archives of the same arrays are byte-identical. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** Version 2.0 (deflate, directories); "made by" Unix, so the mode below is honoured. */
const VERSION = 20;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/**
 * Reads every file of a ZIP archive, from its central directory.
 *
 * @param bytes - The archive.
 * @param path - The file it came from, for messages.
 * @returns The entries in central-directory order (directories skipped).
 * @throws {@link FormatError} for anything that is not a valid single-disk, unencrypted,
 *   non-zip64 archive of stored or deflated entries, or whose data fails its CRC-32.
 */
export function readZip(input: Uint8Array, path?: string): ZipEntry[] {
  const bytes = plainView(input);
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) fail('not a ZIP archive: no end-of-central-directory record (expected a .npz file)');
  const zip64 = (): never =>
    fail('zip64 archives (over 4 GiB or over 65535 files) are not supported; split the arrays into smaller files');
  // A zip64 locator before the end record only matters when a classic field below is saturated.
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) zip64();
  if (disk !== 0 || cdDisk !== 0 || view.getUint16(eocd + 8, true) !== count) fail('multi-disk ZIP archives are not supported');
  if (cdOffset + cdSize > eocd) fail(`malformed ZIP archive: the central directory (bytes ${cdOffset} to ${cdOffset + cdSize}) overlaps its end record at ${eocd}`);

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || view.getUint32(at, true) !== CENTRAL_HEADER) {
      fail(`malformed ZIP archive: expected central directory entry ${i} of ${count} at byte ${at}`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const next = at + 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    if (next > cdOffset + cdSize) fail(`malformed ZIP archive: central directory entry ${i} runs past the directory`);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    // ZIP names are CP437 unless flagged UTF-8; Python's zipfile flags every non-ASCII name.
    const name = Buffer.from(nameBytes).toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1');
    at = next;
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) zip64();
    if (flags & FLAG_ENCRYPTED) fail(`encrypted ZIP entries are not supported (${name})`);
    if (name.endsWith('/')) continue;
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL_HEADER) {
      fail(`malformed ZIP archive: no local header for ${name} at byte ${localOffset}`);
    }
    const start = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (start + compressedSize > cdOffset) fail(`truncated ZIP archive: the data of ${name} runs past byte ${cdOffset}`);
    const stored = bytes.subarray(start, start + compressedSize);
    const data = method === STORED ? stored : method === DEFLATED ? inflate(stored, size, name, fail) : fail(`ZIP compression method ${method} of ${name} is not supported (expected stored or deflated)`);
    if (data.length !== size) fail(`malformed ZIP archive: ${name} holds ${data.length} bytes, its header says ${size}`);
    if (crc32(data) !== crc) fail(`corrupt ZIP archive: the CRC-32 of ${name} does not match its data`);
    entries.push({ name, data });
  }
  return entries;
}

/**
 * Builds a ZIP archive of stored (uncompressed) entries, with CRC-32s and a central
 * directory, readable by numpy, Python's zipfile and `unzip`.
 *
 * @param entries - The files, in order.
 * @returns The archive.
 * @throws {@link ValidationError} when the archive would need zip64 (over 4 GiB or 65535 files).
 */
export function encodeZip(entries: readonly ZipEntry[]): Uint8Array {
  if (entries.length >= 0xffff) throw new ValidationError(`expected at most 65534 arrays per archive (zip64 is not supported), received ${entries.length}`);
  const names = entries.map((entry) => Buffer.from(entry.name, 'utf8'));
  const localSize = entries.reduce((sum, entry, i) => sum + 30 + names[i]!.length + entry.data.length, 0);
  const centralSize = names.reduce((sum, name) => sum + 46 + name.length, 0);
  const total = localSize + centralSize + EOCD_SIZE;
  if (localSize + centralSize > 0xfffffffe) {
    throw new ValidationError(`expected the archive to stay under 4 GiB (zip64 is not supported), received ${total} bytes of arrays`);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const offsets: number[] = [];
  const crcs = entries.map((entry) => crc32(entry.data));
  let at = 0;
  entries.forEach((entry, i) => {
    const name = names[i]!;
    offsets.push(at);
    view.setUint32(at, LOCAL_HEADER, true);
    writeCommonFields(view, at + 4, name, crcs[i]!, entry.data.length);
    view.setUint16(at + 28, 0, true); // extra field length
    out.set(name, at + 30);
    out.set(entry.data, at + 30 + name.length);
    at += 30 + name.length + entry.data.length;
  });
  entries.forEach((entry, i) => {
    const name = names[i]!;
    view.setUint32(at, CENTRAL_HEADER, true);
    view.setUint16(at + 4, MADE_BY_UNIX, true);
    writeCommonFields(view, at + 6, name, crcs[i]!, entry.data.length);
    // extra field, comment, disk number, internal attributes: all zero
    view.setUint32(at + 38, REGULAR_FILE_0644, true);
    view.setUint32(at + 42, offsets[i]!, true);
    out.set(name, at + 46);
    at += 46 + name.length;
  });
  view.setUint32(at, END_OF_CENTRAL_DIRECTORY, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, centralSize, true);
  view.setUint32(at + 16, localSize, true);
  return out;
}

/** The fields local and central headers share, from "version needed" to the name length. */
function writeCommonFields(view: DataView, at: number, name: Uint8Array, crc: number, size: number): void {
  view.setUint16(at, VERSION, true);
  view.setUint16(at + 2, name.some((byte) => byte >= 0x80) ? FLAG_UTF8 : 0, true);
  view.setUint16(at + 4, STORED, true);
  view.setUint16(at + 6, 0, true); // time 00:00:00
  view.setUint16(at + 8, DOS_DATE, true);
  view.setUint32(at + 10, crc, true);
  view.setUint32(at + 14, size, true); // compressed size
  view.setUint32(at + 18, size, true);
  view.setUint16(at + 22, name.length, true);
}

/** Offset of the end-of-central-directory record, searching back over a trailing comment. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + EOCD_SIZE + view.getUint16(at + 20, true) <= view.byteLength) {
      return at;
    }
  }
  return -1;
}

function inflate(data: Uint8Array, size: number, name: string, fail: (message: string) => never): Uint8Array {
  try {
    // Bounded by the declared size, so a hostile archive cannot inflate without limit.
    return plainView(inflateRawSync(data, { maxOutputLength: Math.max(size, 1) }));
  } catch (error) {
    return fail(`corrupt ZIP archive: ${name} does not inflate to its ${size} bytes (${(error as Error).message})`);
  }
}
