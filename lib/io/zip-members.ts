/**
 * ZIP archives read member by member, through byte ranges (see {@link RangeReader}): the end
 * record, the zip64 locator and end record when a classic field is saturated (0xFFFF or
 * 0xFFFFFFFF, as in any archive past 4 GiB), the central directory (with each entry's zip64
 * extra field), and then only the members wanted, each from its local header. Members may be
 * stored or deflated, and are checked against their declared size and CRC-32. Multi-disk and
 * encrypted archives are refused. PyTorch checkpoints of any size are read this way, and zip.ts
 * reads `.npz` archives held in memory through it.
 *
 * Offsets and sizes are JavaScript numbers: a zip64 field of 2^53 or more is refused, as is any
 * offset that points beyond the archive.
 *
 * @module
 */

import * as zlib from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { crc32 } from './crc32.js';
import type { RangeReader } from './random-access.js';

/** A member of an archive, as its central directory entry describes it. */
export interface ZipMember {
  /** Its path inside the archive. */
  name: string;
  /** 0 stored, 8 deflated (others are refused when the member is read). */
  method: number;
  /** The CRC-32 of its uncompressed data. */
  crc: number;
  /** Bytes it occupies in the archive. */
  compressedSize: number;
  /** Bytes of its uncompressed data. */
  size: number;
  /** Offset of its local header. */
  localOffset: number;
}

/** An archive's members, from its central directory. */
export interface ZipDirectory {
  /** The files, in central-directory order (directories skipped). */
  members: ZipMember[];
  /** Where the central directory starts: every member's data must end before it. */
  dataEnd: number;
}

/** Throws a FormatError naming the file (and the archive's role, e.g. a checkpoint). */
export type ZipFail = (message: string) => never;

/**
 * Reads an archive's central directory.
 *
 * @param size - The archive's size in bytes.
 * @param fail - Throws the error for a message.
 * @returns The members.
 */
export function* readZipDirectory(size: number, fail: ZipFail): RangeReader<ZipDirectory> {
  const tailLength = Math.min(size, LOCATOR_SIZE + EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = dataView(yield { offset: tailStart, length: tailLength, what: 'the end of the ZIP archive' });
  const at = findEndOfCentralDirectory(tail);
  if (at < 0) return fail('not a ZIP archive: no end-of-central-directory record');
  let disk = tail.getUint16(at + 4, true);
  let directoryDisk = tail.getUint16(at + 6, true);
  let onDisk = tail.getUint16(at + 8, true);
  let count = tail.getUint16(at + 10, true);
  let directorySize = tail.getUint32(at + 12, true);
  let directoryOffset = tail.getUint32(at + 16, true);
  let directoryEnd = tailStart + at;
  let record = 'end record';
  const saturated = [disk, directoryDisk, onDisk, count].includes(MAX16) || directorySize === MAX32 || directoryOffset === MAX32;
  if (saturated) {
    const locatorAt = at - LOCATOR_SIZE;
    if (locatorAt < 0 || tail.getUint32(locatorAt, true) !== ZIP64_LOCATOR) {
      fail(
        'malformed ZIP archive: its end record has a saturated field (0xFFFF or 0xFFFFFFFF) that the zip64 records should hold, but no zip64 end-of-central-directory locator precedes it',
      );
    }
    if (tail.getUint32(locatorAt + 4, true) !== 0 || tail.getUint32(locatorAt + 16, true) > 1) fail('multi-disk ZIP archives are not supported');
    const locator = tailStart + locatorAt;
    const recordOffset = offset64(tail, locatorAt + 8, 'the zip64 end record offset (in the zip64 locator)', fail);
    if (recordOffset + ZIP64_EOCD_SIZE > locator) {
      fail(`malformed ZIP archive: the zip64 end record offset ${recordOffset} (in the zip64 locator) leaves no room for the 56-byte record before the locator at byte ${locator}`);
    }
    const zip64 = dataView(yield { offset: recordOffset, length: ZIP64_EOCD_SIZE, what: 'the zip64 end-of-central-directory record' });
    if (zip64.getUint32(0, true) !== ZIP64_EOCD) fail(`malformed ZIP archive: no zip64 end-of-central-directory record at byte ${recordOffset}, where the zip64 locator points`);
    disk = zip64.getUint32(16, true);
    directoryDisk = zip64.getUint32(20, true);
    onDisk = offset64(zip64, 24, 'the entry count of this disk (in the zip64 end record)', fail);
    count = offset64(zip64, 32, 'the entry count (in the zip64 end record)', fail);
    directorySize = offset64(zip64, 40, 'the central directory size (in the zip64 end record)', fail);
    directoryOffset = offset64(zip64, 48, 'the central directory offset (in the zip64 end record)', fail);
    directoryEnd = recordOffset;
    record = 'zip64 end record';
  }
  if (disk !== 0 || directoryDisk !== 0 || onDisk !== count) fail('multi-disk ZIP archives are not supported');
  if (directoryOffset > directoryEnd) {
    fail(`malformed ZIP archive: the central directory offset ${directoryOffset} (in the ${record}) lies beyond the ${record} at byte ${directoryEnd}`);
  }
  if (directoryOffset + directorySize > directoryEnd) {
    fail(`malformed ZIP archive: the central directory (bytes ${directoryOffset} to ${directoryOffset + directorySize}) overlaps its ${record} at ${directoryEnd}`);
  }
  if (count * CENTRAL_SIZE > directorySize) fail(`malformed ZIP archive: ${count} entries (in the ${record}) cannot fit in a central directory of ${directorySize} bytes`);
  if (directorySize > MAX_DIRECTORY_BYTES) fail(`the central directory holds ${directorySize} bytes, more than the ${MAX_DIRECTORY_BYTES} ggtalker reads`);

  const bytes = yield { offset: directoryOffset, length: directorySize, what: 'the central directory' };
  const view = dataView(bytes);
  const members: ZipMember[] = [];
  let entry = 0;
  for (let i = 0; i < count; i++) {
    if (entry + CENTRAL_SIZE > directorySize || view.getUint32(entry, true) !== CENTRAL_HEADER) {
      fail(`malformed ZIP archive: expected central directory entry ${i} of ${count} at byte ${directoryOffset + entry}`);
    }
    const flags = view.getUint16(entry + 8, true);
    const method = view.getUint16(entry + 10, true);
    const crc = view.getUint32(entry + 16, true);
    let compressedSize = view.getUint32(entry + 20, true);
    let size = view.getUint32(entry + 24, true);
    const nameLength = view.getUint16(entry + 28, true);
    const extraLength = view.getUint16(entry + 30, true);
    const next = entry + CENTRAL_SIZE + nameLength + extraLength + view.getUint16(entry + 32, true);
    const diskStart = view.getUint16(entry + 34, true);
    let localOffset = view.getUint32(entry + 42, true);
    if (next > directorySize) fail(`malformed ZIP archive: central directory entry ${i} runs past the directory`);
    // ZIP names are CP437 unless flagged UTF-8; Python's zipfile flags every non-ASCII name.
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + entry + CENTRAL_SIZE, nameLength).toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1');
    if (size === MAX32 || compressedSize === MAX32 || localOffset === MAX32 || diskStart === MAX16) {
      const extra = bytes.subarray(entry + CENTRAL_SIZE + nameLength, entry + CENTRAL_SIZE + nameLength + extraLength);
      ({ size, compressedSize, localOffset } = readZip64Extra(extra, { size, compressedSize, localOffset, diskStart }, name, fail));
    }
    entry = next;
    if (flags & FLAG_ENCRYPTED) fail(`encrypted ZIP entries are not supported (${name})`);
    if (name.endsWith('/')) continue;
    if (localOffset + LOCAL_SIZE > directoryOffset) {
      fail(`malformed ZIP archive: the local header offset ${localOffset} of ${name} lies beyond the members' data, which ends at byte ${directoryOffset}`);
    }
    members.push({ name, method, crc, compressedSize, size, localOffset });
  }
  return { members, dataEnd: directoryOffset };
}

/**
 * Reads one member: its local header, then its data, inflated (to at most its declared size)
 * when deflated, and checked against its size and CRC-32. A deflated member declaring more
 * than {@link MAX_DEFLATE_RATIO} times its compressed size is refused before inflating.
 *
 * @param member - A member of `directory`.
 * @param directory - The archive's directory.
 * @param fail - Throws the error for a message.
 * @returns The member's uncompressed data (a new buffer, or a view of the bytes in memory).
 */
export function* readZipMember(member: ZipMember, directory: ZipDirectory, fail: ZipFail): RangeReader<Uint8Array> {
  const { name, method, localOffset, compressedSize, size } = member;
  if (method !== STORED && method !== DEFLATED) fail(`ZIP compression method ${method} of ${name} is not supported (expected stored or deflated)`);
  const header = dataView(yield { offset: localOffset, length: LOCAL_SIZE, what: `the local header of ${name}` });
  if (header.getUint32(0, true) !== LOCAL_HEADER) fail(`malformed ZIP archive: no local header for ${name} at byte ${localOffset}`);
  const start = localOffset + LOCAL_SIZE + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + compressedSize > directory.dataEnd) fail(`truncated ZIP archive: the data of ${name} runs past byte ${directory.dataEnd}`);
  if (method === DEFLATED) checkInflatable(member, fail);
  const stored = yield { offset: start, length: compressedSize, what: `the data of ${name}` };
  const data = method === STORED ? stored : inflate(stored, size, name, fail);
  if (data.length !== size) fail(`malformed ZIP archive: ${name} holds ${data.length} bytes, its header says ${size}`);
  if (checksum(data) !== member.crc) fail(`corrupt ZIP archive: the CRC-32 of ${name} does not match its data`);
  return data;
}

/**
 * Reads the first `length` bytes of a member's uncompressed data (all of it when shorter),
 * inflating no more than that (plus a little): how a reader learns what a member should hold
 * (e.g. a `.npy` header's shape) before trusting its declared size with the whole inflate.
 * The bytes are not checked against the CRC-32 (that needs them all).
 *
 * @param member - A member of `directory`.
 * @param directory - The archive's directory.
 * @param fail - Throws the error for a message.
 * @param length - How many bytes to read at most.
 * @returns The first bytes (a new buffer, or a view of the bytes in memory).
 */
export function* readZipMemberHead(member: ZipMember, directory: ZipDirectory, fail: ZipFail, length: number): RangeReader<Uint8Array> {
  const { name, method, localOffset, compressedSize } = member;
  if (method !== STORED && method !== DEFLATED) fail(`ZIP compression method ${method} of ${name} is not supported (expected stored or deflated)`);
  const header = dataView(yield { offset: localOffset, length: LOCAL_SIZE, what: `the local header of ${name}` });
  if (header.getUint32(0, true) !== LOCAL_HEADER) fail(`malformed ZIP archive: no local header for ${name} at byte ${localOffset}`);
  const start = localOffset + LOCAL_SIZE + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + compressedSize > directory.dataEnd) fail(`truncated ZIP archive: the data of ${name} runs past byte ${directory.dataEnd}`);
  if (method === STORED) return yield { offset: start, length: Math.min(length, compressedSize), what: `the start of ${name}` };
  checkInflatable(member, fail);
  const stored = yield { offset: start, length: compressedSize, what: `the data of ${name}` };
  return inflateHead(stored, length, name, fail);
}

/**
 * The most bytes deflate can make of one compressed byte: a 258-byte match in 2 bits (one-symbol
 * codes), 4 per byte. A member declaring more than this times its compressed size plus a
 * little is refused before any inflating.
 */
export const MAX_DEFLATE_RATIO = 1032;

// ---------------------------------------------------------------------------------------------
// Internals

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
const LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const MAX_COMMENT = 0xffff;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
/** A central directory of this size lists millions of members: more is a hostile header. */
const MAX_DIRECTORY_BYTES = 1 << 28;

/** Node's own CRC-32 (native, Node 20.15 / 22.2 on), else the table-driven one. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

function checksum(data: Uint8Array): number {
  return nativeCrc32 === undefined ? crc32(data) : nativeCrc32(data) >>> 0;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A 64-bit field as a number, refused from 2^53 on. */
function offset64(view: DataView, at: number, field: string, fail: ZipFail): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${field} is ${value}, beyond 2^53 (no file ggtalker reads is that large; the archive is damaged)`);
  return Number(value);
}

/** Offset of the end-of-central-directory record in the tail, searching back over a comment. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + EOCD_SIZE + view.getUint16(at + 20, true) <= view.byteLength) return at;
  }
  return -1;
}

interface EntryFields {
  size: number;
  compressedSize: number;
  localOffset: number;
  diskStart: number;
}

/**
 * A central directory entry's saturated fields from its zip64 extra field (id 1), which holds
 * the 64-bit values of exactly those fields, in the order uncompressed size, compressed size,
 * local header offset, disk. miniz (which torch.save uses) also writes the compressed size
 * whenever it writes the uncompressed one; that extra member is recognised by its length.
 */
function readZip64Extra(extra: Uint8Array, fields: EntryFields, name: string, fail: ZipFail): Omit<EntryFields, 'diskStart'> {
  const view = dataView(extra);
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (at + 4 + length > extra.length) break;
    if (id !== ZIP64_EXTRA) {
      at += 4 + length;
      continue;
    }
    const data = new DataView(extra.buffer, extra.byteOffset + at + 4, length);
    let p = 0;
    const take = (field: string): number => {
      if (p + 8 > length) fail(`malformed ZIP archive: the zip64 extra field of ${name} is too short to hold its ${field}`);
      const value = offset64(data, p, `the ${field} of ${name} (in its zip64 extra field)`, fail);
      p += 8;
      return value;
    };
    const sizeSaturated = fields.size === MAX32;
    const offsetSaturated = fields.localOffset === MAX32;
    const size = sizeSaturated ? take('uncompressed size') : fields.size;
    let compressedSize = fields.compressedSize;
    if (compressedSize === MAX32) compressedSize = take('compressed size');
    else if (sizeSaturated && length - p >= 8 + (offsetSaturated ? 8 : 0) + (fields.diskStart === MAX16 ? 4 : 0)) p += 8;
    const localOffset = offsetSaturated ? take('local header offset') : fields.localOffset;
    if (fields.diskStart === MAX16 && (p + 4 > length || data.getUint32(p, true) !== 0)) fail('multi-disk ZIP archives are not supported');
    return { size, compressedSize, localOffset };
  }
  return fail(`malformed ZIP archive: the central directory entry of ${name} has a saturated size or offset (0xFFFFFFFF) but no zip64 extra field`);
}

/** Refuses a deflated member whose declared size its compressed bytes cannot inflate to. */
function checkInflatable(member: ZipMember, fail: ZipFail): void {
  const most = member.compressedSize * MAX_DEFLATE_RATIO + 64;
  if (member.size > most) {
    fail(
      `malformed ZIP archive: ${member.name} declares ${member.size} bytes, but its ${member.compressedSize} deflated bytes ` +
        `inflate to at most ${most} (deflate's ratio is at most ${MAX_DEFLATE_RATIO}:1)`,
    );
  }
}

/**
 * The first `length` bytes a raw deflate stream inflates to (fewer when it is shorter), made
 * by inflating ever longer prefixes of it (zlib's sync flush decodes a prefix without
 * complaining that it ends early) with the output capped, so that neither the time nor the
 * memory depends on what the whole stream would inflate to. The prefix doubles until the output
 * is long enough (linear in the input used); when a prefix overshoots the cap, a bisection
 * finds the longest prefix within it.
 */
function inflateHead(data: Uint8Array, length: number, name: string, fail: ZipFail): Uint8Array {
  // One more compressed byte makes at most MAX_DEFLATE_RATIO bytes, so the longest prefix
  // within this cap always inflates to at least `length` bytes (when the stream is that long).
  const cap = length + 8 * MAX_DEFLATE_RATIO;
  const attempt = (prefix: number): Uint8Array | undefined => {
    try {
      const out = zlib.inflateRawSync(data.subarray(0, prefix), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: cap });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      return fail(`corrupt ZIP archive: ${name} does not inflate (${(error as Error).message})`);
    }
  };
  let good = 0;
  let goodOut: Uint8Array = new Uint8Array(0);
  let prefix = Math.min(data.length, 4096);
  for (;;) {
    const out = attempt(prefix);
    if (out === undefined) break; // overshot: bisect in (good, prefix)
    if (out.length >= length || prefix === data.length) return out.subarray(0, Math.min(length, out.length));
    [good, goodOut] = [prefix, out];
    prefix = Math.min(data.length, prefix * 2);
  }
  let bad = prefix;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    const out = attempt(middle);
    if (out === undefined) bad = middle;
    else [good, goodOut] = [middle, out];
  }
  return goodOut.subarray(0, Math.min(length, goodOut.length));
}

function inflate(data: Uint8Array, size: number, name: string, fail: ZipFail): Uint8Array {
  if (size > bufferConstants.MAX_LENGTH) fail(`${name} inflates to ${size} bytes, more than one buffer can hold`);
  try {
    // Bounded by the declared size, so a hostile archive cannot inflate without limit.
    const out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    return fail(`corrupt ZIP archive: ${name} does not inflate to its ${size} bytes (${(error as Error).message})`);
  }
}
