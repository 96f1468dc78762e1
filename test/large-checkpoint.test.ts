// Checkpoints past Node's 2 GiB readFile limit and past 4 GiB (zip64), read in place.
//
// The files are sparse: extended with ftruncate, with only headers, the small tensors and the
// directories written, so a 4+ GiB checkpoint takes a few KiB of disk and the test a second.
// The torch-style archive's directory is laid out as torch.save (miniz) lays out a large one's:
// members stored, zip64 extra fields on members whose local header lies at or past 0xFFFFFFFF,
// a zip64 end record and locator, and a classic end record whose directory offset is saturated.
// One storage sits past 4 GiB, one straddles the 4 GiB boundary.
//
// safetensors needs its tensors to tile the data area, so the file's first tensor is a 4 GiB
// uint8 "hole" (all zeros, never written) and the tensors after it lie past 2^32; they are read
// with `names`, which reads only the tensors asked for (reading the hole would materialise it).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FormatError, parseTorchCheckpoint, readSafetensors, readTorchCheckpoint, ValidationError, type NdArrayData } from '../lib/index.js';
import { crc32 } from '../lib/io/crc32.js';
import { RandomAccessFile } from '../lib/io/random-access.js';
import { parseSafetensors } from '../lib/io/safetensors.js';
import { global, int, str, text, tuple } from './helpers/pickle-opcodes.js';

const GiB = 2 ** 30;
const MAX32 = 0xffffffff;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-large-checkpoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Sparse files: a size and the few byte ranges that are not zero.

interface Piece {
  offset: number;
  bytes: Uint8Array;
}

interface Layout {
  size: number;
  pieces: Piece[];
}

async function writeSparse(path: string, layout: Layout): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.truncate(layout.size);
    for (const { offset, bytes } of layout.pieces) await handle.write(bytes, 0, bytes.length, offset);
    await handle.truncate(layout.size); // a layout cut short drops what was written past its end
  } finally {
    await handle.close();
  }
}

function inMemory(layout: Layout): Uint8Array {
  const out = new Uint8Array(layout.size);
  for (const { offset, bytes } of layout.pieces) out.set(bytes, offset);
  return out;
}

/** Disk space the file takes, in KiB, as du counts it. */
function diskKiB(path: string): number {
  return Number(execFileSync('du', ['-k', path], { encoding: 'utf8' }).split(/\s/)[0]);
}

/** Runs `read` while sampling the process's RSS; returns its result and the RSS rise at its peak. */
async function withPeakRss<T>(read: () => Promise<T>): Promise<{ result: T; riseMiB: number; seconds: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 1);
  const started = performance.now();
  try {
    const result = await read();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, riseMiB: (peak - before) / 2 ** 20, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but it resolved');
    },
    (error: unknown) => error as Error,
  );
}

// ---------------------------------------------------------------------------------------------
// A torch.save-style archive (pickle opcodes as in wav2vec2-bin.test.ts).


interface TensorSpec {
  name: string;
  storageType: string;
  key: string;
  numel: number;
  size: number[];
  stride: number[];
}

/** data.pkl of `torch.save({name: tensor, ...})`. */
function statePickle(tensors: TensorSpec[]): Uint8Array {
  const items = tensors.map((t) => {
    const pid = tuple([str('storage'), global('torch', t.storageType), str(t.key), str('cpu'), int(t.numel)]);
    const args = tuple([
      [...pid, 0x51], // BINPERSID
      int(0),
      tuple(t.size.map(int)),
      tuple(t.stride.map(int)),
      [0x89], // False
      [...global('collections', 'OrderedDict'), 0x29, 0x52],
    ]);
    return [...str(t.name), ...global('torch._utils', '_rebuild_tensor_v2'), ...args, 0x52];
  });
  return Uint8Array.from([0x80, 0x02, 0x7d, 0x28, ...items.flat(), 0x75, 0x2e]); // {}, MARK, ..., SETITEMS, STOP
}

interface Member {
  name: string;
  data: Uint8Array;
  /** Where its local header goes (default: right after the previous member). */
  at?: number;
  /** Store it deflated; `size` overrides the uncompressed size its headers declare. */
  deflate?: { size?: number };
}

interface ZipLayout extends Layout {
  /** The pieces to patch, by role. */
  central: Piece;
  zip64Record: Piece;
  locator: Piece;
  end: Piece;
  /** Offset within `central` of each member's entry. */
  entryAt: number[];
}

/**
 * Stored members at the given offsets, then the central directory, the zip64 end record and
 * locator and the end record, as miniz writes them: zip64 extra fields (uncompressed size,
 * compressed size, local header offset) for members whose size or offset is 0xFFFFFFFF or more,
 * and classic fields saturated (MZ_MIN) when a value does not fit.
 */
function zipLayout(members: Member[], options: { saturateAll?: boolean } = {}): ZipLayout {
  const pieces: Piece[] = [];
  const central: number[] = [];
  const entryAt: number[] = [];
  let at = 0;
  for (const member of members) {
    const offset = member.at ?? at;
    const name = Buffer.from(member.name);
    const stored = member.deflate === undefined ? member.data : deflateRawSync(member.data);
    const size = member.deflate?.size ?? member.data.length;
    const method = member.deflate === undefined ? 0 : 8;
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(member.data), 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    name.copy(local, 30);
    pieces.push({ offset, bytes: local }, { offset: offset + local.length, bytes: stored });
    at = offset + local.length + stored.length;

    const big = options.saturateAll === true || offset >= MAX32;
    const bigSize = options.saturateAll === true || size >= MAX32;
    const extra = Buffer.alloc(big || bigSize ? 4 + (bigSize ? 16 : 0) + (big ? 8 : 0) : 0);
    if (extra.length > 0) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(extra.length - 4, 2);
      let p = 4;
      if (bigSize) {
        extra.writeBigUInt64LE(BigInt(size), p);
        extra.writeBigUInt64LE(BigInt(stored.length), p + 8);
        p += 16;
      }
      if (big) extra.writeBigUInt64LE(BigInt(offset), p);
    }
    const entry = Buffer.alloc(46 + name.length + extra.length);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(45, 4);
    entry.writeUInt16LE(45, 6);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt32LE(crc32(member.data), 16);
    entry.writeUInt32LE(bigSize ? MAX32 : stored.length, 20);
    entry.writeUInt32LE(bigSize ? MAX32 : size, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(big ? MAX32 : offset, 42);
    name.copy(entry, 46);
    extra.copy(entry, 46 + name.length);
    entryAt.push(central.length);
    central.push(...entry);
  }
  const cdOffset = at;
  const cd = { offset: cdOffset, bytes: Uint8Array.from(central) };
  const recordOffset = cdOffset + central.length;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(members.length), 24);
  record.writeBigUInt64LE(BigInt(members.length), 32);
  record.writeBigUInt64LE(BigInt(central.length), 40);
  record.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(recordOffset), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const all = options.saturateAll === true;
  end.writeUInt16LE(all ? 0xffff : members.length, 8);
  end.writeUInt16LE(all ? 0xffff : members.length, 10);
  end.writeUInt32LE(all ? MAX32 : Math.min(central.length, MAX32), 12);
  end.writeUInt32LE(all ? MAX32 : Math.min(cdOffset, MAX32), 16);
  const layout = {
    central: cd,
    zip64Record: { offset: recordOffset, bytes: record },
    locator: { offset: recordOffset + 56, bytes: locator },
    end: { offset: recordOffset + 76, bytes: end },
  };
  pieces.push(layout.central, layout.zip64Record, layout.locator, layout.end);
  return { size: recordOffset + 98, pieces, entryAt, ...layout };
}

const f32 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const f64 = (...values: number[]): Uint8Array => new Uint8Array(Float64Array.from(values).buffer);

const SMALL = [0.5, -1, 2, 3.25, 1e-3, -0];
const FAR = [1, 2, 3, 4];
const STRADDLE = [Math.PI, -2.5, 1e300];

/**
 * A checkpoint of three storages: one at the start, one straddling 4 GiB, one past it (at
 * `far`). `deflate` deflates the first storage and the byteorder record (declaring `size` for
 * the latter).
 */
function checkpointLayout(far: number, options: { saturateAll?: boolean; deflate?: { size?: number } } = {}): ZipLayout {
  const pickle = statePickle([
    { name: 'small', storageType: 'FloatStorage', key: '0', numel: 6, size: [2, 3], stride: [3, 1] },
    { name: 'straddle', storageType: 'DoubleStorage', key: '2', numel: 3, size: [3], stride: [1] },
    { name: 'far', storageType: 'FloatStorage', key: '1', numel: 4, size: [2, 2], stride: [1, 2] }, // a transpose
    { name: 'tied', storageType: 'FloatStorage', key: '1', numel: 4, size: [2, 2], stride: [1, 2] },
  ]);
  const straddleAt = far > 4 * GiB ? 4 * GiB - 40 : undefined;
  return zipLayout(
    [
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/byteorder', data: Uint8Array.from(text('little')), deflate: options.deflate },
      { name: 'archive/data/0', data: f32(...SMALL), deflate: options.deflate && {} },
      { name: 'archive/data/2', data: f64(...STRADDLE), at: straddleAt },
      { name: 'archive/data/1', data: f32(...FAR), at: far },
      { name: 'archive/version', data: Uint8Array.from(text('3\n')) },
    ],
    options,
  );
}

function expectCheckpoint(tensors: Map<string, NdArrayData>): void {
  expect([...tensors.keys()]).toEqual(['small', 'straddle', 'far', 'tied']);
  expect(tensors.get('small')).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.from(SMALL) });
  expect(Object.is(tensors.get('small')!.data[5], -0)).toBe(true);
  expect(tensors.get('straddle')).toEqual({ dtype: 'float64', shape: [3], data: Float64Array.from(STRADDLE) });
  expect(tensors.get('far')).toEqual({ dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, 3, 2, 4) });
  expect(tensors.get('tied')).toBe(tensors.get('far'));
}

/** Patches a little-endian unsigned field of a piece. */
function patch(piece: Piece, at: number, value: bigint, bytes: 2 | 4 | 8): void {
  const view = new DataView(piece.bytes.buffer, piece.bytes.byteOffset, piece.bytes.byteLength);
  if (bytes === 2) view.setUint16(at, Number(value), true);
  else if (bytes === 4) view.setUint32(at, Number(value), true);
  else view.setBigUint64(at, value, true);
}

const FAR_OFFSET = 4 * GiB + 2 ** 20 + 3; // past 2^32, unaligned

describe.skipIf(process.platform === 'win32')('PyTorch checkpoints past 4 GiB (zip64), read in place', () => {
  it('reads storages past and across 4 GiB exactly, from a sparse 4 GiB file, in little memory', async () => {
    const path = join(dir, 'pytorch_model.bin');
    const layout = checkpointLayout(FAR_OFFSET);
    await writeSparse(path, layout);
    expect((await stat(path)).size).toBeGreaterThan(4 * GiB);
    expect(diskKiB(path)).toBeLessThan(256);
    // What Node's readFile (the old path) makes of it.
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });

    const { result, riseMiB, seconds } = await withPeakRss(() => readTorchCheckpoint(path));
    expectCheckpoint(result);
    console.log(`4 GiB sparse pytorch_model.bin: read in ${seconds.toFixed(3)} s, RSS rose ${riseMiB.toFixed(1)} MiB at its peak`);
    expect(riseMiB).toBeLessThan(64);
  });

  it('reads zip64 archives whose classic fields are all saturated, in memory as from a file', async () => {
    const layout = checkpointLayout(5000, { saturateAll: true });
    expectCheckpoint(parseTorchCheckpoint(inMemory(layout), 'small64.bin'));
    const path = join(dir, 'small64.bin');
    await writeFile(path, inMemory(layout));
    expectCheckpoint(await readTorchCheckpoint(path));
  });

  it('reads deflated records, inflating at most the size their headers declare', async () => {
    const path = join(dir, 'deflated.bin');
    await writeSparse(path, checkpointLayout(FAR_OFFSET, { deflate: {} }));
    expectCheckpoint(await readTorchCheckpoint(path));
    // A record that inflates past its declared size is stopped there, and refused.
    const lying = parseTorchCheckpoint.bind(null, inMemory(checkpointLayout(5000, { deflate: { size: 3 } })), 'lying.bin');
    expect(lying).toThrow(FormatError);
    expect(lying).toThrow(/lying\.bin: .*corrupt ZIP archive: archive\/byteorder does not inflate to its 3 bytes/);
  });

  it('refuses truncated and lying zip64 records with FormatErrors naming the file and the field', async () => {
    const cases: [string, (layout: ZipLayout) => Layout, RegExp][] = [
      ['cut.bin', (l) => ({ ...l, size: l.end.offset + 10 }), /cut\.bin: not a readable PyTorch checkpoint \(torch\.save's ZIP archive\): not a ZIP archive: no end-of-central-directory record/],
      [
        'far-directory.bin',
        (l) => (patch(l.zip64Record, 48, 2n ** 60n, 8), l),
        /far-directory\.bin: .*the central directory offset \(in the zip64 end record\) is 1152921504606846976, beyond 2\^53/,
      ],
      [
        'past-end-directory.bin',
        (l) => (patch(l.zip64Record, 48, BigInt(l.size) + 100n, 8), l),
        /the central directory offset \d+ \(in the zip64 end record\) lies beyond the zip64 end record at byte \d+/,
      ],
      ['lost-record.bin', (l) => (patch(l.locator, 8, BigInt(l.size) + 4096n, 8), l), /the zip64 end record offset \d+ \(in the zip64 locator\) leaves no room for the 56-byte record/],
      ['no-locator.bin', (l) => (patch(l.locator, 0, 0n, 4), l), /saturated field .* but no zip64 end-of-central-directory locator precedes it/],
      [
        'far-member.bin',
        (l) => (patch(l.central, l.entryAt[4]! + 46 + 'archive/data/1'.length + 4, BigInt(l.size) * 2n, 8), l),
        /the local header offset \d+ of archive\/data\/1 lies beyond the members' data, which ends at byte \d+/,
      ],
      [
        'huge-member.bin',
        (l) => (patch(l.central, l.entryAt[4]! + 46 + 'archive/data/1'.length + 4, 2n ** 62n, 8), l),
        /the local header offset of archive\/data\/1 \(in its zip64 extra field\) is 4611686018427387904, beyond 2\^53/,
      ],
      ['no-extra.bin', (l) => (patch(l.central, l.entryAt[4]! + 46 + 'archive/data/1'.length, 0x5455n, 2), l), /central directory entry of archive\/data\/1 has a saturated size or offset .* but no zip64 extra field/],
      ['moved-directory.bin', (l) => (patch(l.zip64Record, 48, BigInt(l.central.offset - 8), 8), l), /expected central directory entry 0 of 6 at byte \d+/],
      ['hollow-member.bin', (l) => ({ ...l, pieces: l.pieces.filter((p) => p.offset !== FAR_OFFSET) }), /no local header for archive\/data\/1 at byte 4296015875/],
    ];
    for (const [name, make, message] of cases) {
      const path = join(dir, name);
      await writeSparse(path, make(checkpointLayout(FAR_OFFSET)));
      const error = await rejection(readTorchCheckpoint(path)).catch((e: Error) => new Error(`${name}: ${e.message}`));
      expect(error, name).toBeInstanceOf(FormatError);
      expect((error as FormatError).path, name).toBe(path);
      expect(error.message, name).toMatch(message);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// safetensors past 4 GiB

const HOLE = 4 * GiB + 5;
const W = [1.5, -2, 0.25, 1e-20];
/** bfloat16 bit patterns and their float32 values. */
const B_BITS = [0x3fc0, 0xc020, 0x7f80];
const B = [1.5, -2.5, Infinity];

function safetensorsLayout(options: { header?: string; size?: (full: number) => number } = {}): Layout & { dataStart: number } {
  const header =
    options.header ??
    JSON.stringify({
      __metadata__: { format: 'pt' },
      hole: { dtype: 'U8', shape: [HOLE], data_offsets: [0, HOLE] },
      w: { dtype: 'F32', shape: [2, 2], data_offsets: [HOLE, HOLE + 16] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [HOLE + 16, HOLE + 22] },
    });
  const json = Buffer.from(header);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(head, 8);
  const dataStart = head.length;
  const tail = Buffer.concat([Buffer.from(f32(...W)), Buffer.from(Uint16Array.from(B_BITS).buffer)]);
  const full = dataStart + HOLE + tail.length;
  return { size: options.size?.(full) ?? full, dataStart, pieces: [{ offset: 0, bytes: head }, { offset: dataStart + HOLE, bytes: tail }] };
}

describe.skipIf(process.platform === 'win32')('safetensors past 4 GiB, read in place', () => {
  it('reads the tensors named past a 4 GiB tensor exactly, from a sparse file, in little memory', async () => {
    const path = join(dir, 'model.safetensors');
    const layout = safetensorsLayout();
    await writeSparse(path, layout);
    expect(diskKiB(path)).toBeLessThan(256);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });

    const { result, riseMiB, seconds } = await withPeakRss(() => readSafetensors(path, { names: ['w', 'b'] }));
    expect(result.metadata).toEqual({ format: 'pt' });
    expect([...result.tensors.keys()]).toEqual(['w', 'b']);
    expect(result.tensors.get('w')).toEqual({ dtype: 'float32', shape: [2, 2], data: Float32Array.from(W) });
    expect(result.tensors.get('b')).toEqual({ dtype: 'float32', shape: [3], data: Float32Array.from(B) });
    console.log(`4 GiB sparse model.safetensors: read in ${seconds.toFixed(3)} s, RSS rose ${riseMiB.toFixed(1)} MiB at its peak`);
    expect(riseMiB).toBeLessThan(64);

    const missing = await rejection(readSafetensors(path, { names: ['w', 'encoder.missing'] }));
    expect(missing).toBeInstanceOf(FormatError);
    expect(missing.message).toMatch(/model\.safetensors: expected a tensor named "encoder\.missing" \(options\.names\), the file has none \(it holds 3: "hole", "w", "b"\)/);
    await expect(readSafetensors(path, { names: 'w' as unknown as string[] })).rejects.toThrow(ValidationError);
  });

  it('names: the same selection from bytes in memory', () => {
    const json = Buffer.from(JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'I8', shape: [2], data_offsets: [4, 6] } }));
    const file = Buffer.concat([Buffer.alloc(8), json, Buffer.from(f32(7)), Buffer.from([1, 255])]);
    file.writeBigUInt64LE(BigInt(json.length), 0);
    expect([...parseSafetensors(file, 'x.safetensors', { names: ['b'] }).tensors]).toEqual([['b', { dtype: 'int8', shape: [2], data: Int8Array.of(1, -1) }]]);
    expect([...parseSafetensors(file).tensors.keys()]).toEqual(['a', 'b']);
  });

  it('refuses truncated and lying headers with FormatErrors naming the file and the field', async () => {
    const cases: [string, Layout, RegExp][] = [
      [
        'whole.safetensors',
        safetensorsLayout(),
        /whole\.safetensors: tensor "hole" holds 4294967301 bytes, more than one JavaScript buffer can \(\d+\); read the others with options\.names/,
      ],
      ['cut.safetensors', safetensorsLayout({ size: (full) => full - 3 }), /cut\.safetensors: truncated safetensors file: the header describes 4294967323 bytes of data, the file holds 4294967320/],
      [
        'long-header.safetensors',
        { size: 5 * GiB, pieces: [{ offset: 0, bytes: Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]) }] },
        /long-header\.safetensors: not a safetensors file, or a malformed one: its header length field \(bytes 0 to 7\) points beyond the 5368709112 bytes that follow \(or the 100 MB limit\)/,
      ],
      [
        'past-2-53.safetensors',
        safetensorsLayout({ header: '{"w":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,9007199254740993]}}' }),
        /expected the shape of tensor "w" to be a list of non-negative integers/,
      ],
      [
        'offset-2-53.safetensors',
        safetensorsLayout({ header: '{"w":{"dtype":"F32","shape":[1],"data_offsets":[9007199254740992,9007199254740996]}}' }),
        /data_offsets of tensor "w" to be \[begin, end\], integers with 0 <= begin <= end < 2\^53, received \[9007199254740992,9007199254740996\]/,
      ],
      [
        'gap.safetensors',
        safetensorsLayout({ header: JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [HOLE, HOLE + 16] } }) }),
        /tensor "w" starts at data offset 4294967301, expected 0/,
      ],
    ];
    for (const [name, layout, message] of cases) {
      const path = join(dir, name);
      await writeSparse(path, layout);
      const error = await rejection(readSafetensors(path)).catch((e: Error) => new Error(`${name}: ${e.message}`));
      expect(error, name).toBeInstanceOf(FormatError);
      expect((error as FormatError).path, name).toBe(path);
      expect(error.message, name).toMatch(message);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// What is not a regular file, and files that change while read

describe.skipIf(process.platform === 'win32')('read* refuse what is not a regular file, before reading and without blocking', () => {
  it('refuses a FIFO with no writer (which would block an open), a character device and a directory', async () => {
    const fifo = join(dir, 'pipe.bin');
    execFileSync('mkfifo', [fifo]);
    let timer: NodeJS.Timeout | undefined;
    try {
      for (const read of [readTorchCheckpoint, (path: string) => readSafetensors(path)]) {
        const hung = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still waiting after 5 s'), 5000);
        });
        const outcome = await Promise.race([rejection(read(fifo)), hung]);
        clearTimeout(timer);
        expect(outcome).toBeInstanceOf(FormatError);
        expect((outcome as Error).message).toMatch(/pipe\.bin: expected a regular file, received a FIFO \(named pipe\)/);
      }
    } finally {
      clearTimeout(timer);
      // Were a read blocked opening the FIFO, a writer appearing would release it.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: nobody is reading, as it should be.
      }
    }
    expect((await rejection(readSafetensors('/dev/null'))).message).toMatch(/\/dev\/null: expected a regular file, received a character device/);
    const folder = join(dir, 'folder.bin');
    await mkdir(folder);
    expect((await rejection(readTorchCheckpoint(folder))).message).toMatch(/received a directory/);
  }, 20_000);

  it('refuses a file cut short after it was opened', async () => {
    const path = join(dir, 'shrinking.bin');
    await writeFile(path, new Uint8Array(1000).fill(7));
    const file = await RandomAccessFile.open(path);
    try {
      expect(file.size).toBe(1000);
      expect(await file.read({ offset: 990, length: 10, what: 'the last bytes' })).toEqual(new Uint8Array(10).fill(7));
      await writeFile(path, new Uint8Array(500));
      const error = await rejection(file.read({ offset: 400, length: 200, what: 'a tensor' }));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(/shrinking\.bin: the file ended at byte 500, inside a tensor \(bytes 400 to 600\); it was cut short or changed while being read/);
      expect((await rejection(file.read({ offset: 999, length: 2, what: 'a record' }))).message).toMatch(/a record \(2 bytes at offset 999\) lies beyond the end of the 1000-byte file/);
    } finally {
      await file.close();
    }
  });
});
