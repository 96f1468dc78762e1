// Fuzz cases for the byte-level parsers (issue 13), run by test/fuzz-parsers.test.ts through the
// fuzz harness (a child process, one case at a time, with a time limit and an RSS watch).
//
// `cases`: for each format, valid seed files (the FLAME fixtures in .pkl/.npz/.safetensors, .npy
// arrays, a landmark embedding, PLY, PNG, OBJ, a torch.save archive), then seeded mutations of
// each: truncations, bit flips, binary fields overwritten with 0 / huge / negative values, a few
// bytes repeated to ~100 KB (and, for the text headers of .npy, PLY and OBJ, their numbers replaced). Each must end in a result
// or a GgtalkerError.
//
// `hostile`: the named constructions of the issue, each with the outcome it must have
// (HOSTILE_EXPECTED): a FormatError whose message names the field, or a correct result.
// They are sized so that the superlinear or unbounded behaviour they target would blow the
// per-case time or memory limit, while the fixed parsers answer in well under a second.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { flameFromArrays, loadFlame } from '../../lib/flame/load.js';
import { loadFlameLandmarkEmbedding, parseFlameLandmarkEmbedding } from '../../lib/flame/landmark-embedding.js';
import { crc32 } from '../../lib/io/crc32.js';
import { parseNpy, parseNpz, readNpz } from '../../lib/io/npy.js';
import { parseObj, readObj } from '../../lib/io/obj.js';
import { unpickle } from '../../lib/io/pickle.js';
import { decodePng, encodeGrayPng, encodePng, pngChunk, readPng } from '../../lib/io/png.js';
import { encodePly, parseBoundPly, parsePly, readBoundPly, readPly, type GaussianCloud } from '../../lib/io/ply.js';
import { parseSafetensors, readSafetensors } from '../../lib/io/safetensors.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from '../../lib/io/torch-checkpoint.js';
import { encodeZip } from '../../lib/io/zip.js';
import { mulberry32 } from '../../lib/random.js';
import type { FuzzCase } from '../helpers/fuzz.js';
import { global, int, str, tuple } from '../helpers/pickle-opcodes.js';

const FLAME_FIXTURES = fileURLToPath(new URL('../fixtures/flame/', import.meta.url));
const OFFICIAL_FIXTURES = fileURLToPath(new URL('../fixtures/flame-official/', import.meta.url));
const SHAPE_COUNT = (JSON.parse(readFileSync(join(FLAME_FIXTURES, 'expected.json'), 'utf8')) as { model: { shapeCount: number } }).model.shapeCount;

/** The last case of each module, so the test knows every case ran. */
export const LAST_CASE = 'end';

/** How many mutations of each kind per seed. */
const TRUNCATIONS = 24;
const FLIPS = 40;
const SMASHES = 40;
const REPEATS = 12;

type Parse = (bytes: Uint8Array) => unknown;

/** FLAME's arrays from an unpickled dict (string keys), as loadFlame reads a pickle. */
function flameFromPickle(bytes: Uint8Array, path: string, shapeCount = SHAPE_COUNT): unknown {
  const value = unpickle(bytes, path);
  const arrays = value instanceof Map ? Object.fromEntries([...value].filter(([key]) => typeof key === 'string')) : {};
  return flameFromArrays(arrays, path, { shapeCount });
}

/** The seed files and how each is parsed. */
interface Seed {
  name: string;
  bytes: Uint8Array;
  parse: Parse;
  /** Its header is text (numbers in it are mutated too). */
  textHeader?: boolean;
  /** Makes a mutated copy consistent again where a checksum would refuse it at once (PNG's CRCs). */
  repair?: (bytes: Uint8Array) => void;
  /** A large seed: a quarter of the mutations. */
  large?: boolean;
}

function seeds(): Seed[] {
  const flame = (name: string): Uint8Array => readFileSync(join(FLAME_FIXTURES, name));
  const out: Seed[] = [];
  for (const name of ['model.pkl', 'model_protocol4.pkl']) out.push({ name, bytes: flame(name), parse: (b) => flameFromPickle(b, name) });
  // The official-FLAME-shaped model (5023 vertices, chumpy and scipy objects; 6 MB): 8 shape components.
  const official = gunzipSync(readFileSync(join(OFFICIAL_FIXTURES, 'flame_fake.pkl.gz')));
  out.push({ name: 'flame_fake.pkl', bytes: official, parse: (b) => flameFromPickle(b, 'flame_fake.pkl', 8), large: true });
  for (const name of ['arrays_protocol0.pkl', 'arrays_protocol2.pkl', 'arrays_protocol5.pkl', 'arrays_py2.pkl']) {
    out.push({ name, bytes: flame(name), parse: (b) => unpickle(b, name) });
  }
  for (const name of ['model.npz', 'model_compressed.npz']) {
    out.push({ name, bytes: flame(name), parse: (b) => flameFromArrays(Object.fromEntries(parseNpz(b, name)), name, { shapeCount: SHAPE_COUNT }) });
  }
  out.push({
    name: 'model.safetensors',
    bytes: flame('model.safetensors'),
    parse: (b) => flameFromArrays(Object.fromEntries(parseSafetensors(b, 'model.safetensors').tensors), 'model.safetensors', { shapeCount: SHAPE_COUNT }),
  });
  out.push({ name: 'dtypes.safetensors', bytes: flame('dtypes.safetensors'), parse: (b) => parseSafetensors(b, 'dtypes.safetensors') });
  for (const name of ['npy_f4.npy', 'npy_f8_big.npy', 'npy_f8_fortran.npy', 'npy_i8.npy', 'npy_b1.npy', 'npy_v2.npy', 'npy_v3.npy']) {
    out.push({ name, bytes: flame(name), parse: (b) => parseNpy(b, name), textHeader: true });
  }
  for (const name of ['landmark_embedding_with_eyes.npy', 'flame_static_embedding.pkl']) {
    out.push({ name, bytes: readFileSync(join(OFFICIAL_FIXTURES, name)), parse: (b) => parseFlameLandmarkEmbedding(b, name) });
  }
  out.push({ name: 'cloud.ply', bytes: encodePly(cloud(6, 1)), parse: (b) => parsePly(b, 'cloud.ply'), textHeader: true });
  out.push({ name: 'bound.ply', bytes: boundPly(), parse: (b) => parseBoundPly(b, 'bound.ply'), textHeader: true });
  out.push({ name: 'faces-then-vertices.ply', bytes: plyWithFaces(), parse: (b) => parsePly(b, 'faces-then-vertices.ply'), textHeader: true });
  out.push({ name: 'rgb.png', bytes: encodePng({ data: ramp(4 * 3 * 3), shape: [4, 3, 3] }), parse: (b) => decodePng(b, 'rgb.png'), repair: fixPngCrcs });
  out.push({ name: 'gray.png', bytes: encodeGrayPng({ data: ramp(5 * 7), shape: [5, 7] }), parse: (b) => decodePng(b, 'gray.png'), repair: fixPngCrcs });
  out.push({ name: 'mesh.obj', bytes: Buffer.from(OBJ), parse: (b) => parseObj(b, 'mesh.obj'), textHeader: true });
  out.push({ name: 'checkpoint.pt', bytes: torchCheckpoint(), parse: (b) => parseTorchCheckpoint(b, 'checkpoint.pt') });
  return out;
}

/** Every seed, then its mutations. */
export function* cases(): Iterable<FuzzCase> {
  for (const seed of seeds()) {
    const rng = mulberry32(crc32(Buffer.from(seed.name)));
    // A plain copy: a Buffer's slice() shares memory, and every mutation would pile onto the seed.
    const bytes = new Uint8Array(seed.bytes);
    const { parse } = seed;
    const share = seed.large === true ? 4 : 1;
    yield { name: `${seed.name}/seed`, run: () => parse(bytes) };
    for (let i = 0; i < TRUNCATIONS / share; i++) {
      // Half at the head (headers, lengths), half spread over the file.
      const half = TRUNCATIONS / share / 2;
      const at = i < half ? Math.floor(rng() * Math.min(bytes.length, 256)) : Math.floor((bytes.length * (i - half)) / half);
      yield { name: `${seed.name}/truncate@${at}`, run: () => parse(bytes.slice(0, at)) };
    }
    for (let i = 0; i < FLIPS / share; i++) {
      const copy = bytes.slice();
      const flips = 1 + Math.floor(rng() * 4);
      const where: number[] = [];
      for (let f = 0; f < flips; f++) {
        const at = headBiased(rng, bytes.length);
        copy[at]! ^= 1 << Math.floor(rng() * 8);
        where.push(at);
      }
      if (seed.repair !== undefined && i % 2 === 0) seed.repair(copy);
      yield { name: `${seed.name}/flip@${where.join(',')}#${i}`, run: () => parse(copy) };
    }
    for (let i = 0; i < SMASHES / share; i++) {
      const copy = bytes.slice();
      const width = [1, 2, 4, 8][Math.floor(rng() * 4)]!;
      const at = Math.min(headBiased(rng, bytes.length), Math.max(0, bytes.length - width));
      const value = SMASH_VALUES[Math.floor(rng() * SMASH_VALUES.length)]!;
      const littleEndian = rng() < 0.7;
      const field = new Uint8Array(8);
      new DataView(field.buffer).setBigUint64(0, value, littleEndian);
      copy.set(littleEndian ? field.subarray(0, width) : field.subarray(8 - width), at);
      if (seed.repair !== undefined && i % 2 === 0) seed.repair(copy);
      yield { name: `${seed.name}/smash${width}@${at}=${value}${littleEndian ? '' : 'be'}`, run: () => parse(copy) };
    }
    for (let i = 0; i < REPEATS / share; i++) {
      // A few bytes (an opcode and its argument, a chunk header, a row) repeated to ~100 KB.
      const at = headBiased(rng, bytes.length);
      const piece = bytes.subarray(at, Math.min(bytes.length, at + 1 + Math.floor(rng() * 16)));
      const times = Math.ceil(100_000 / Math.max(1, piece.length));
      const copy = Buffer.concat([bytes.subarray(0, at), ...Array.from({ length: times }, () => piece), bytes.subarray(at)]);
      yield { name: `${seed.name}/repeat${piece.length}x${times}@${at}`, run: () => parse(copy) };
    }
    if (seed.textHeader === true) yield* textMutations(seed.name, bytes, parse, rng);
  }
  yield { name: LAST_CASE, run: () => undefined };
}

/** 0, 1, sign bits, all ones, 2^31 - 1, 2^32 - 1, 1e9, 2^53 + 1 and -1, as 64-bit patterns. */
const SMASH_VALUES = [0n, 1n, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1_000_000_000n, 2n ** 53n + 1n, 2n ** 64n - 1n];

/** An offset, half the time within the first 256 bytes. */
function headBiased(rng: () => number, length: number): number {
  return Math.floor(rng() * (rng() < 0.5 ? Math.min(length, 256) : length));
}

/** The numbers of a text header (npy's dict, PLY's counts, OBJ's indices) replaced by hostile ones. */
function* textMutations(name: string, bytes: Uint8Array, parse: Parse, rng: () => number): Iterable<FuzzCase> {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 2048))).toString('latin1');
  const numbers = [...head.matchAll(/\d+/g)];
  const replacements = ['0', '-1', '4294967295', '4294967296', '1000000000000000', '99999999999999999999', '-9223372036854775808', '1e9', 'nan'];
  for (let i = 0; i < 40 && numbers.length > 0; i++) {
    const match = numbers[Math.floor(rng() * numbers.length)]!;
    const replacement = replacements[Math.floor(rng() * replacements.length)]!;
    const edited = head.slice(0, match.index) + replacement + head.slice(match.index! + match[0].length);
    const copy = Buffer.concat([Buffer.from(edited, 'latin1'), bytes.subarray(head.length)]);
    yield { name: `${name}/text@${match.index}=${replacement}`, run: () => parse(copy) };
  }
}

// ---------------------------------------------------------------------------------------------
// Seeds made here

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 17) / 16);
}

function cloud(n: number, degree: 0 | 1): GaussianCloud {
  const k = (degree + 1) ** 2;
  const rng = mulberry32(7);
  const values = (count: number, f: () => number): Float32Array => Float32Array.from({ length: count }, f);
  return {
    count: n,
    means: values(n * 3, () => rng() - 0.5),
    quats: values(n * 4, () => rng() + 0.1),
    scales: values(n * 3, () => 0.01 + rng() * 0.1),
    opacities: values(n, () => 0.1 + rng() * 0.8),
    sh: values(n * k * 3, () => rng() - 0.5),
    shDegree: degree,
  };
}

/** Rewrites the CRC of every whole chunk of a PNG, so that mutations reach the decoder behind it. */
function fixPngCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) return;
    view.setUint32(at + 8 + length, crc32(bytes.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
}

/** A GaussianAvatars-style PLY: the 3DGS properties of 4 Gaussians plus `binding_0` (float face ids). */
function boundPly(): Uint8Array {
  const plain = encodePly(cloud(4, 0));
  const end = plain.indexOf('end_header\n');
  const header = Buffer.concat([plain.subarray(0, end), Buffer.from('property float binding_0\nend_header\n')]);
  const rows = plain.subarray(end + 'end_header\n'.length);
  const rowSize = rows.length / 4;
  const body = Buffer.alloc(4 * (rowSize + 4));
  for (let i = 0; i < 4; i++) {
    rows.copy(body, i * (rowSize + 4), i * rowSize, (i + 1) * rowSize);
    body.writeFloatLE(i * 7, i * (rowSize + 4) + rowSize);
  }
  return Buffer.concat([header, body]);
}

/** A PLY with a `face` element of list properties before the vertices (read by walking its rows). */
function plyWithFaces(): Uint8Array {
  const vertices = encodePly(cloud(3, 0));
  const split = vertices.indexOf('element vertex');
  const faces = Buffer.from([3, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]); // [0, 1, 2] and an empty list
  const header = Buffer.concat([vertices.subarray(0, split), Buffer.from('element face 2\nproperty list uchar int vertex_indices\n'), vertices.subarray(split)]);
  const end = header.indexOf('end_header\n') + 'end_header\n'.length;
  return Buffer.concat([header.subarray(0, end), faces, header.subarray(end)]);
}

const OBJ = ['# a quad as two triangles', 'v 0 0 0', 'v 1 0 0', 'v 1 1 0', 'v 0 1 0', 'vt 0 0', 'vt 1 0', 'vt 1 1', 'vt 0 1', 'f 1/1 2/2 3/3', 'f 1/1 3/3 -1/-1', ''].join('\n');

/** data.pkl of torch.save({name: tensor}) for float32 tensors, each on its own storage. */
function statePickle(tensors: { name: string; key: string; shape: number[] }[]): Uint8Array {
  const items = tensors.map((t) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const pid = tuple([str('storage'), global('torch', 'FloatStorage'), str(t.key), str('cpu'), int(numel)]);
    const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const args = tuple([[...pid, 0x51], int(0), tuple(t.shape.map(int)), tuple(strides.map(int)), [0x89], [...global('collections', 'OrderedDict'), 0x29, 0x52]]);
    return [...str(t.name), ...global('torch._utils', '_rebuild_tensor_v2'), ...args, 0x52];
  });
  return Uint8Array.from([0x80, 0x02, 0x7d, 0x28, ...items.flat(), 0x75, 0x2e]);
}

function torchCheckpoint(): Uint8Array {
  const pickle = statePickle([
    { name: 'weight', key: '0', shape: [2, 3] },
    { name: 'bias', key: '1', shape: [3] },
  ]);
  return encodeZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/data/0', data: new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer) },
    { name: 'archive/data/1', data: new Uint8Array(Float32Array.from([0.5, -0.5, 0]).buffer) },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Hostile constructions

/**
 * What each named hostile case must end in: `'ok'` (a result), or a FormatError whose message
 * matches the pattern (which names the field or limit).
 */
export const HOSTILE_EXPECTED: Record<string, 'ok' | RegExp> = {
  'pickle: one LONG4 of 1 MB': 'ok',
  'pickle: 60k LONG4 + BINPUT + MEMOIZE': 'ok',
  'pickle: one instance PUT 200k times': 'ok',
  'pickle: 300k nested lists': 'ok',
  'pickle: bytearray() of one 1 MB bytes 2000 times (BINGET)': /maxDataBytes/,
  'pickle: set() of one 100k list 20k times (BINGET)': /maxDataBytes/,
  'pickle: a 48 MB STRING line': 'ok',
  'pickle: a 48 MB UNICODE line': 'ok',
  'pickle: a FLOAT line of 1M digits and a letter': /expected a float, received "1{40}"\.\.\. \(1000001 characters\) \(FLOAT at byte 0\)/,
  'pickle: an INT of 1M digits': /at most 4300 digits/,
  'FLAME pickle: v_template declared [1e9, 3]': /expected 24000000000 bytes of data for a numpy array of shape \[1000000000, 3\]/,
  'FLAME pickle file: v_template declared [1e9, 3]': /flame-huge\.pkl: .*expected 24000000000 bytes/,
  'FLAME pickle: v_template declared [0, 1e15]': /v_template/,
  'PLY: 4e9 faces of lists with count -1 (zero advance)': /truncated: 4000000000 "face" rows/,
  'PLY: lists with count -1': /list property "vertex_indices" of "face" row 0 has count -1/,
  'PLY: list count of type float (NaN counts)': /list count type "float"/,
  'npz: member inflating to 1.2 GB, archive says 4 GB, .npy header says 2 floats': /archive says this entry holds 4294967280 bytes, its \.npy header .* needs 144/,
  'npz: object-array member inflating to 1.2 GB, archive says 4 GB': /bomb\.npz\/a\.npy: unsupported \.npy dtype '\|O'/,
  'npz: member declaring 4 GB from a few hundred compressed bytes': /declares 4294967280 bytes, but its \d+ deflated bytes inflate to at most/,
  'OBJ: a vertex coordinate of 1M digits and a letter': /long\.obj: line 1: expected a finite float32 number, received/,
  'npy: a header of 65,000 open brackets': /deep\.npy: malformed \.npy header: .*\(65000 characters\) \(nested more than 32 levels deep at 32\)/,
  'PNG: 1x1 IHDR, IDAT inflating to 1.2 GB': /inflates to more than the 4 bytes its IHDR declares/,
  'PNG: 100000 x 100000 IHDR': /10000000000 pixels, more than the 268435456 accepted \(options\.maxPixels\)/,
  'PNG: 20000 x 10000 IHDR, 100-byte IDAT': /needs 600010000 bytes of image data, which its \d+ compressed bytes cannot inflate to/,
  'safetensors: [1e9, 3] float32': /the header describes 12000000000 bytes of data/,
  'safetensors: header not JSON': /the safetensors header is not valid JSON/,
  'torch: storage record declaring 4 GB from a few bytes': /declares 4000000000 bytes, but its \d+ deflated bytes inflate to at most/,
};

/** The named hostile constructions (see HOSTILE_EXPECTED), then FIFOs and devices for every reader. */
export function* hostile(): Iterable<FuzzCase> {
  const P = PICKLE;
  yield {
    name: 'pickle: one LONG4 of 1 MB',
    run: () => {
      const n = 1 << 20;
      const bytes = new Uint8Array(5 + n + 1);
      bytes[0] = P.LONG4;
      new DataView(bytes.buffer).setInt32(1, n, true);
      bytes.fill(0x5a, 5, 5 + n);
      bytes[5 + n] = P.STOP;
      const value = unpickle(bytes);
      if (typeof value !== 'bigint' || value.toString(16).length !== 2 * n) throw new Error('wrong value for the LONG4');
    },
  };
  yield {
    name: 'pickle: 60k LONG4 + BINPUT + MEMOIZE',
    run: () => {
      const ops: number[] = [P.PROTO, 4, P.EMPTY_LIST, P.MARK];
      for (let i = 0; i < 60_000; i++) ops.push(P.LONG4, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0x7f, P.BINPUT, i & 0xff, P.MEMOIZE);
      ops.push(P.APPENDS, P.STOP);
      const list = unpickle(Uint8Array.from(ops)) as unknown[];
      if (list.length !== 60_000 || list[0] !== 0x7f07060504030201n) throw new Error('wrong list');
    },
  };
  yield {
    name: 'pickle: one instance PUT 200k times',
    run: () => {
      // chumpy.ch.Ch() via NEWOBJ, its memo entry set 200k times, then its BUILD.
      const ops: number[] = [P.PROTO, 2, ...global('chumpy.ch', 'Ch'), P.EMPTY_TUPLE, P.NEWOBJ];
      for (let i = 0; i < 200_000; i++) ops.push(P.LONG_BINPUT, i & 0xff, (i >> 8) & 0xff, i >> 16, 0);
      ops.push(P.EMPTY_DICT, ...str('x'), P.BININT1, 42, P.SETITEM, P.BUILD, P.STOP);
      if (unpickle(Uint8Array.from(ops)) !== 42) throw new Error('wrong value');
    },
  };
  yield {
    name: 'pickle: 300k nested lists',
    run: () => {
      // Far deeper than any recursion could go (the stack holds ~10k frames): the unpickler and
      // the values it makes must not recurse.
      const n = 300_000;
      const bytes = new Uint8Array(2 * n + 1).fill(P.MARK, 0, n).fill(P.LIST, n, 2 * n);
      bytes[2 * n] = P.STOP;
      let value = unpickle(bytes) as unknown[];
      for (let depth = 1; depth < n; depth++) value = value[0] as unknown[];
      if (!Array.isArray(value) || value.length !== 0) throw new Error('wrong nesting');
    },
  };
  yield {
    name: 'pickle: bytearray() of one 1 MB bytes 2000 times (BINGET)',
    run: () => {
      const size = 1 << 20;
      const ops: number[] = [P.PROTO, 2, P.BINBYTES, 0, 0, 0x10, 0];
      const head = Uint8Array.from(ops);
      const tail: number[] = [P.BINPUT, 0, P.POP, ...global('builtins', 'bytearray'), P.BINPUT, 1, P.POP, P.MARK];
      for (let i = 0; i < 2000; i++) tail.push(P.BINGET, 1, P.BINGET, 0, P.TUPLE1, P.REDUCE);
      tail.push(P.LIST, P.STOP);
      unpickle(Buffer.concat([head, new Uint8Array(size), Uint8Array.from(tail)]));
    },
  };
  yield {
    name: 'pickle: set() of one 100k list 20k times (BINGET)',
    run: () => {
      const n = 100_000;
      const ops: number[] = [P.PROTO, 2, P.MARK];
      for (let i = 0; i < n; i++) ops.push(P.BININT, i & 0xff, (i >> 8) & 0xff, i >> 16, 0);
      ops.push(P.LIST, P.BINPUT, 0, P.POP, ...global('builtins', 'set'), P.BINPUT, 1, P.POP, P.MARK);
      for (let i = 0; i < 20_000; i++) ops.push(P.BINGET, 1, P.BINGET, 0, P.TUPLE1, P.REDUCE);
      ops.push(P.LIST, P.STOP);
      unpickle(Uint8Array.from(ops));
    },
  };
  for (const op of ['STRING', 'UNICODE'] as const) {
    yield {
      name: `pickle: a 48 MB ${op} line`,
      run: () => {
        // Protocol 0's text opcodes: a quoted str / a raw-unicode-escaped line, then STOP.
        const n = 48 << 20;
        const line = Buffer.alloc(n + 5, 0x61);
        line[0] = op === 'STRING' ? 0x53 : 0x56;
        if (op === 'STRING') [line[1], line[n + 2]] = [0x27, 0x27];
        [line[n + 3], line[n + 4]] = [0x0a, 0x2e];
        const value = unpickle(line) as string;
        if (value.length !== (op === 'STRING' ? n : n + 2) || value[12345] !== 'a') throw new Error(`wrong ${op} value`);
      },
    };
  }
  yield {
    name: 'pickle: a FLOAT line of 1M digits and a letter',
    run: () => unpickle(Buffer.concat([Buffer.from('F'), Buffer.from('1'.repeat(1_000_000)), Buffer.from('x\n.')])),
  };
  yield {
    name: 'pickle: an INT of 1M digits',
    run: () => unpickle(Buffer.concat([Buffer.from('I'), Buffer.from('7'.repeat(1_000_000)), Buffer.from('\n.')])),
  };
  yield { name: 'FLAME pickle: v_template declared [1e9, 3]', run: () => flameFromPickle(flameWithTemplate([1e9, 3], 72), 'flame-huge.pkl') };
  yield {
    name: 'FLAME pickle file: v_template declared [1e9, 3]',
    run: () => {
      const path = join(scratch(), 'flame-huge.pkl');
      writeFileSync(path, flameWithTemplate([1e9, 3], 1 << 20));
      return loadFlame(path);
    },
  };
  yield { name: 'FLAME pickle: v_template declared [0, 1e15]', run: () => flameFromPickle(flameWithTemplate([0, 1e15], 0), 'flame-empty.pkl') };

  yield { name: 'PLY: 4e9 faces of lists with count -1 (zero advance)', run: () => parsePly(hostilePly('char', 4e9, 4096)) };
  yield { name: 'PLY: lists with count -1', run: () => parsePly(hostilePly('char', 64, 64)) };
  yield { name: 'PLY: list count of type float (NaN counts)', run: () => parsePly(hostilePly('float', 4e9, 4096)) };

  yield {
    name: 'npz: member inflating to 1.2 GB, archive says 4 GB, .npy header says 2 floats',
    run: () => {
      const npy = npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }");
      return parseNpz(zipOf([{ name: 'a.npy', deflated: deflateBomb(npy, 1.2e9), size: 0xfffffff0 }]), 'bomb.npz');
    },
  };
  yield {
    name: 'npz: object-array member inflating to 1.2 GB, archive says 4 GB',
    run: () => {
      const npy = npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (), }");
      return parseNpz(zipOf([{ name: 'a.npy', deflated: deflateBomb(npy, 1.2e9), size: 0xfffffff0 }]), 'bomb.npz');
    },
  };
  yield {
    name: 'npz: member declaring 4 GB from a few hundred compressed bytes',
    run: () => {
      const npy = npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }");
      return parseNpz(zipOf([{ name: 'a.npy', deflated: deflateBomb(npy, 100_000), size: 0xfffffff0 }]), 'bomb.npz');
    },
  };

  yield { name: 'OBJ: a vertex coordinate of 1M digits and a letter', run: () => parseObj(Buffer.from(`v ${'1'.repeat(1_000_000)}x 0 0\n`), 'long.obj') };
  yield { name: 'npy: a header of 65,000 open brackets', run: () => parseNpy(npyHeader('('.repeat(65_000)), 'deep.npy') };
  yield { name: 'PNG: 1x1 IHDR, IDAT inflating to 1.2 GB', run: () => decodePng(hostilePng(1, 1, deflateBomb(new Uint8Array(0), 1.2e9))) };
  yield { name: 'PNG: 100000 x 100000 IHDR', run: () => decodePng(hostilePng(100_000, 100_000, deflateBomb(new Uint8Array(0), 1000))) };
  yield { name: 'PNG: 20000 x 10000 IHDR, 100-byte IDAT', run: () => decodePng(hostilePng(20_000, 10_000, deflateBomb(new Uint8Array(0), 1000))) };

  yield {
    name: 'safetensors: [1e9, 3] float32',
    run: () => parseSafetensors(safetensorsOf(JSON.stringify({ v: { dtype: 'F32', shape: [1e9, 3], data_offsets: [0, 12e9] } }))),
  };
  yield { name: 'safetensors: header not JSON', run: () => parseSafetensors(safetensorsOf('{"v": {"dtype": "F32", ')) };

  yield {
    name: 'torch: storage record declaring 4 GB from a few bytes',
    run: () => {
      const pickle = statePickle([{ name: 'w', key: '0', shape: [1e9] }]);
      return parseTorchCheckpoint(
        zipOf([
          { name: 'archive/data.pkl', stored: pickle },
          { name: 'archive/data/0', deflated: deflateBomb(new Uint8Array(0), 1000), size: 4e9 },
        ]),
      );
    },
  };

  for (const [name, read] of Object.entries(READERS)) {
    for (const special of SPECIAL_FILES) yield { name: `${name}(${special})`, run: () => read(special === 'fifo' ? fifo() : special) };
  }
  yield { name: LAST_CASE, run: () => undefined };
}

/**
 * Every reader of a whole file, given a FIFO without a writer and /dev/zero: refused before
 * reading (a read would block, or never end).
 */
const READERS: Record<string, (path: string) => Promise<unknown>> = {
  readPly,
  readBoundPly,
  readNpz,
  readPng: (path) => readPng(path),
  readObj,
  readSafetensors: (path) => readSafetensors(path),
  readTorchCheckpoint,
  loadFlame: (path) => loadFlame(path),
  loadFlameLandmarkEmbedding,
};
const SPECIAL_FILES = ['fifo', '/dev/zero'];
for (const name of Object.keys(READERS)) {
  for (const special of SPECIAL_FILES) HOSTILE_EXPECTED[`${name}(${special})`] = /expected a regular file/;
}

const PICKLE = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, BININT: 0x4a, BININT1: 0x4b, BINBYTES: 0x42, REDUCE: 0x52, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29,
  EMPTY_DICT: 0x7d, APPENDS: 0x65, BUILD: 0x62, BINGET: 0x68, LIST: 0x6c, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE1: 0x85,
  PROTO: 0x80, NEWOBJ: 0x81, LONG4: 0x8b, MEMOIZE: 0x94, SETITEMS: 0x75,
} as const;

/** A FLAME-like pickle {'v_template': ndarray} whose array declares `shape` (float64) over `rawBytes` bytes. */
function flameWithTemplate(shape: number[], rawBytes: number): Uint8Array {
  const P = PICKLE;
  const dtype = [...global('numpy', 'dtype'), ...tuple([str('f8'), [0x89], [0x88]]), P.REDUCE, ...tuple([int(3), str('<'), [0x4e], [0x4e], [0x4e], int(-1), int(-1), int(0)]), P.BUILD];
  const raw = [0x42, ...new Uint8Array(new Uint32Array([rawBytes]).buffer)];
  const array = [
    ...global('numpy.core.multiarray', '_reconstruct'),
    ...tuple([global('numpy', 'ndarray'), tuple([int(0)]), [0x43, 1, 0x62]]),
    P.REDUCE,
    P.MARK,
    ...int(1),
    ...tuple(shape.map((d) => (d < 2 ** 31 ? int(d) : [0x8a, 8, ...new Uint8Array(new BigUint64Array([BigInt(d)]).buffer)]))),
    ...dtype,
    0x89,
    ...raw,
  ];
  const head = Uint8Array.from([P.PROTO, 2, P.EMPTY_DICT, ...str('v_template'), ...array]);
  return Buffer.concat([head, new Uint8Array(rawBytes), Uint8Array.from([0x74, P.BUILD, P.SETITEM, P.STOP])]);
}

/** A PLY whose `face` element (`count` rows) has one list property of the given count type, then a 3DGS vertex. */
function hostilePly(countType: string, count: number, dataBytes: number): Uint8Array {
  const vertices = encodePly(cloud(1, 0));
  const split = vertices.indexOf('element vertex');
  const header = Buffer.concat([vertices.subarray(0, split), Buffer.from(`element face ${count}\nproperty list ${countType} uchar vertex_indices\n`), vertices.subarray(split)]);
  const end = header.indexOf('end_header\n') + 'end_header\n'.length;
  return Buffer.concat([header.subarray(0, end), new Uint8Array(dataBytes).fill(0xff), header.subarray(end)]);
}

/** A `.npy` v1 header block (magic, version, length, the dict padded to 64 bytes with its newline). */
function npyHeader(dict: string): Uint8Array {
  const padded = dict + ' '.repeat(64 - ((10 + dict.length + 1) % 64)) + '\n';
  const out = Buffer.alloc(10 + padded.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(padded.length, 8);
  out.write(padded, 10, 'latin1');
  return out;
}

/**
 * A raw deflate stream (one fixed-Huffman block): `prefix` as literals, then `zeros` zero bytes,
 * almost all as 258-byte matches at distance 1 (13 bits each): 1 GB from about 6 MB.
 */
function deflateBomb(prefix: Uint8Array, zeros: number): Uint8Array {
  const matches = Math.floor(Math.max(0, zeros - 1) / 258);
  const out = new Uint8Array(Math.ceil((3 + 9 * (prefix.length + 1 + 258) + 13 * matches + 7) / 8) + 8);
  let bit = 0;
  // Huffman codes go most significant bit first; header fields least significant first.
  const code = (value: number, bits: number): void => {
    for (let i = bits - 1; i >= 0; i--, bit++) if ((value >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  const literal = (byte: number): void => (byte < 144 ? code(0x30 + byte, 8) : code(0x190 + byte - 144, 9));
  code(0b110, 3); // BFINAL = 1, BTYPE = 01 (fixed), written LSB first: bits 1, 1, 0
  for (const byte of prefix) literal(byte);
  if (zeros > 0) literal(0);
  for (let m = 0; m < matches; m++) {
    code(0xc5, 8); // length symbol 285: 258 bytes
    code(0, 5); // distance symbol 0: distance 1
  }
  for (let left = Math.max(0, zeros - 1) - matches * 258; left > 0; left--) literal(0);
  code(0, 7); // end of block (256)
  return out.subarray(0, (bit + 7) >> 3);
}

/** A ZIP archive of stored members and deflated members whose declared size is given. */
function zipOf(members: { name: string; stored?: Uint8Array; deflated?: Uint8Array; size?: number }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const data = member.stored ?? member.deflated!;
    const method = member.stored ? 0 : 8;
    const size = member.size ?? data.length;
    const crc = member.stored ? crc32(data) : 0;
    const name = Buffer.from(member.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(data));
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** An 8-bit RGB PNG of the given IHDR size whose IDAT holds `deflated` (zlib-wrapped, no valid Adler-32). */
function hostilePng(width: number, height: number, deflated: Uint8Array): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const idat = Buffer.concat([Buffer.from([0x78, 0x01]), deflated, Buffer.alloc(4)]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}

/** A safetensors file of a JSON header (padded) and no data. */
function safetensorsOf(header: string): Uint8Array {
  const json = Buffer.from(header);
  const out = Buffer.alloc(8 + json.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

let scratchDir: string | undefined;
function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'ggt-fuzz-parsers-'));
  return scratchDir;
}

let fifoPath: string | undefined;
/** A FIFO nobody writes to (opening it for reading would block). */
function fifo(): string {
  if (fifoPath === undefined) {
    fifoPath = join(scratch(), 'pipe.bin');
    execFileSync('mkfifo', [fifoPath]);
  }
  return fifoPath;
}
