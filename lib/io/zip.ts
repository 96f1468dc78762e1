/**
 * Minimal ZIP archives, as `.npz` files are: reading stored and deflated entries (checked
 * against their CRC-32; zip64 included) through zip-members.ts, writing stored entries.
 * Multi-disk and encrypted archives are refused.
 *
 * @module
 */

import { FormatError, ValidationError } from '../errors.js';
import { readRangesFromBytes, type RangeReader } from './random-access.js';
import { readZipDirectory, readZipMember } from './zip-members.js';
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
const STORED = 0;
const FLAG_UTF8 = 0x800;
/** 1980-01-01 00:00, the earliest DOS date: written entries carry no real timestamp, so
 * archives of the same arrays are byte-identical. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** Version 2.0 (deflate, directories); "made by" Unix, so the mode below is honoured. */
const VERSION = 20;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/**
 * Reads every file of a ZIP archive held in memory (zip-members.ts reads the directory and the
 * members, zip64 included, as it does for archives read from a file by ranges).
 *
 * @param bytes - The archive.
 * @param path - The file it came from, for messages.
 * @returns The entries in central-directory order (directories skipped).
 * @throws {@link FormatError} for anything that is not a valid single-disk, unencrypted
 *   archive of stored or deflated entries, or whose data fails its CRC-32.
 */
export function readZip(input: Uint8Array, path?: string): ZipEntry[] {
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  function* entries(size: number): RangeReader<ZipEntry[]> {
    const directory = yield* readZipDirectory(size, fail);
    const out: ZipEntry[] = [];
    for (const member of directory.members) out.push({ name: member.name, data: yield* readZipMember(member, directory, fail) });
    return out;
  }
  return readRangesFromBytes(entries, input, path);
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


