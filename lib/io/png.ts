/**
 * PNG without dependencies (zlib from Node): an encoder for rendered frames (8-bit RGB, RGBA or
 * grayscale) and a decoder for what datasets hold (non-interlaced grayscale, gray + alpha,
 * RGB, RGBA at 8 or 16 bits, palette images at 1–8 bits; grayscale also at 1, 2, 4 bits).
 *
 * @module
 */

import { deflateSync, inflateSync } from 'node:zlib';

import { requireOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { describeValue, toFloat32Tensor, type ArrayLike } from '../validate.js';
import { writeFileAtomic } from './atomic.js';
import { readRegularFile } from './read-file.js';
import { plainView, requireParseArguments } from './bytes.js';
import { crc32 } from './crc32.js';
import { MAX_DEFLATE_RATIO } from './zip-members.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes a float image [H, W, 3] (RGB) or [H, W, 4] (RGBA), values in [0, 1] (clamped), as
 * an 8-bit PNG.
 */
export function encodePng(image: ArrayLike): Buffer {
  return encodeColorPng('encodePng', image);
}

/** {@link encodePng}, its messages naming `fn`, the public function called. */
function encodeColorPng(fn: string, image: ArrayLike): Buffer {
  const shape = imageShape(fn, image, '[H, W, 3] or [H, W, 4]');
  const channels = Array.isArray(shape) ? shape[2] : undefined;
  if (channels !== 3 && channels !== 4) {
    throw new ValidationError(`${fn}: expected image to be a float32 array of shape [H, W, 3] or [H, W, 4], received shape ${JSON.stringify(shape)}`);
  }
  const { data, shape: [height, width] } = toFloat32Tensor('image', image, ['H', 'W', channels]);
  const rowBytes = width! * channels + 1;
  const raw = new Uint8Array(rowBytes * height!);
  for (let y = 0; y < height!; y++) {
    raw[y * rowBytes] = 0; // filter: none
    for (let i = 0; i < width! * channels; i++) {
      raw[y * rowBytes + 1 + i] = Math.round(Math.min(1, Math.max(0, data[y * width! * channels + i]!)) * 255);
    }
  }
  return assemblePng(width!, height!, channels === 3 ? 2 : 6, raw);
}

/** The `shape` of an image argument, after checking it is an object at all (`{ data, shape }` or an ndarray). */
function imageShape(fn: string, image: unknown, shapes: string): unknown {
  if (typeof image !== 'object' || image === null) {
    throw new ValidationError(`${fn}: expected image to be a float32 array { data, shape } of shape ${shapes}, received ${describeValue(image)}`);
  }
  return (image as { shape?: unknown }).shape;
}

/** Signature, IHDR (8-bit, the given colour type), one IDAT of the filtered rows, IEND. */
function assemblePng(width: number, height: number, colorType: number, raw: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colorType;
  return Buffer.concat([Buffer.from(SIGNATURE), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

/**
 * Encodes a float image [H, W] (or [H, W, 1]), values in [0, 1] (clamped), as an 8-bit
 * grayscale PNG: how masks are stored.
 */
export function encodeGrayPng(image: ArrayLike): Buffer {
  return encodeGrayscalePng('encodeGrayPng', image);
}

/** {@link encodeGrayPng}, its messages naming `fn`, the public function called. */
function encodeGrayscalePng(fn: string, image: ArrayLike): Buffer {
  const shape = imageShape(fn, image, '[H, W] or [H, W, 1]');
  const rank = Array.isArray(shape) ? shape.length : -1;
  if (rank !== 2 && !(rank === 3 && (shape as number[])[2] === 1)) {
    throw new ValidationError(`${fn}: expected image to be a float32 array of shape [H, W] or [H, W, 1], received shape ${JSON.stringify(shape)}`);
  }
  const { data, shape: [height, width] } = toFloat32Tensor('image', image, rank === 2 ? ['H', 'W'] : ['H', 'W', 1]);
  const rowBytes = width! + 1;
  const raw = new Uint8Array(rowBytes * height!);
  for (let y = 0; y < height!; y++) {
    for (let x = 0; x < width!; x++) raw[y * rowBytes + 1 + x] = Math.round(Math.min(1, Math.max(0, data[y * width! + x]!)) * 255);
  }
  return assemblePng(width!, height!, 0, raw);
}

/** Writes {@link encodeGrayPng}'s output to `path` atomically. */
export async function writeGrayPng(path: string, image: ArrayLike): Promise<void> {
  requirePath('writeGrayPng', path);
  await writeFileAtomic(path, encodeGrayscalePng('writeGrayPng', image));
}

/** Writes {@link encodePng}'s output to `path` atomically. */
export async function writePng(path: string, image: ArrayLike): Promise<void> {
  requirePath('writePng', path);
  await writeFileAtomic(path, encodeColorPng('writePng', image));
}

/** A decoded PNG: samples row-major, interleaved, `channels` per pixel. */
export interface DecodedPng {
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA (palette images: 3, or 4 when they have a tRNS chunk). */
  channels: 1 | 2 | 3 | 4;
  /** 8 or 16: the range of `data` is [0, 2^bitDepth − 1]. Sub-byte gray and palette images come out as 8. */
  bitDepth: 8 | 16;
  /** [H, W, channels]: `Uint8Array` for 8-bit (and palette, and 1/2/4-bit gray, scaled to 0–255), `Uint16Array` for 16-bit. */
  data: Uint8Array | Uint16Array;
}

/** Channels per colour type (PNG spec table 11.1); 3 is the palette. */
const COLOR_TYPES: Record<number, { channels: number; depths: number[]; name: string }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16], name: 'grayscale' },
  2: { channels: 3, depths: [8, 16], name: 'RGB' },
  3: { channels: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { channels: 2, depths: [8, 16], name: 'gray + alpha' },
  6: { channels: 4, depths: [8, 16], name: 'RGBA' },
};

/** The Paeth predictor of the PNG spec (§9.4). */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Options of {@link decodePng} and {@link readPng}. */
export interface DecodePngOptions {
  /**
   * The largest image accepted, in pixels (width × height), checked from the `IHDR` before any
   * image data is inflated. Defaults to {@link DEFAULT_MAX_PNG_PIXELS} (2^28, e.g. 16384 ×
   * 16384): a larger image is refused with a {@link FormatError} naming this option.
   */
  maxPixels?: number;
}

/** The default {@link DecodePngOptions.maxPixels}: 2^28 pixels (16384 × 16384; 1 GiB as RGBA). */
export const DEFAULT_MAX_PNG_PIXELS = 2 ** 28;

/**
 * Decodes a PNG file. Ancillary chunks other than `tRNS` (for palette images) are skipped;
 * the CRC of every chunk is checked. The image data is inflated to at most what the `IHDR`
 * declares (height × (1 + bytes per row)), so a stream that inflates further is refused
 * instead of filling memory.
 *
 * @param bytes - The file's contents.
 * @param path - The file it came from, for messages.
 * @param options - The largest image accepted.
 * @throws {@link FormatError} (naming `path`) for a bad signature or CRC, a truncated file or
 *   image stream, image data inflating beyond the declared size, an image larger than
 *   `options.maxPixels`, an interlaced image, an unsupported colour type or bit depth, or a
 *   missing or malformed `IHDR`/`PLTE`.
 */
export function decodePng(bytes: Uint8Array, path?: string, options: DecodePngOptions = {}): DecodedPng {
  requireParseArguments('decodePng', bytes, path, 'readPng(path)');
  return decodeWithinLimit(bytes, path, requireMaxPixels('decodePng', options));
}

/** The checked {@link DecodePngOptions.maxPixels} (or its default); messages name `fn`, the public function called. */
function requireMaxPixels(fn: string, options: DecodePngOptions): number {
  const maxPixels = requireOptions(fn, options).maxPixels ?? DEFAULT_MAX_PNG_PIXELS;
  if (typeof maxPixels !== 'number' || !(maxPixels >= 1)) {
    throw new ValidationError(`${fn}: expected options.maxPixels to be a positive number, received ${describeValue(maxPixels)}`);
  }
  return maxPixels;
}

/** {@link decodePng} after its door checks. */
function decodeWithinLimit(bytes: Uint8Array, path: string | undefined, maxPixels: number): DecodedPng {
  const data = plainView(bytes);
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  if (data.length < 8 || !SIGNATURE.every((b, i) => data[i] === b)) fail('not a PNG file: bad signature');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let header: { width: number; height: number; depth: number; colorType: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; !ended; ) {
    if (at + 8 > data.length) fail(`truncated PNG: the file ends at byte ${data.length} before the IEND chunk`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`malformed PNG: bad chunk type at byte ${at}`);
    if (at + 12 + length > data.length) fail(`truncated PNG: the ${type} chunk at byte ${at} needs ${length + 12} bytes, only ${data.length - at} remain`);
    const body = data.subarray(at + 8, at + 8 + length);
    const stored = view.getUint32(at + 8 + length);
    if (crc32(data.subarray(at + 4, at + 8 + length)) !== stored) fail(`corrupt PNG: CRC mismatch in the ${type} chunk at byte ${at}`);
    if (header === undefined && type !== 'IHDR') fail(`malformed PNG: expected IHDR as the first chunk, received ${type}`);
    switch (type) {
      case 'IHDR': {
        if (header !== undefined) fail('malformed PNG: more than one IHDR chunk');
        if (length !== 13) fail(`malformed PNG: expected a 13-byte IHDR, received ${length}`);
        const h = new DataView(body.buffer, body.byteOffset, 13);
        header = { width: h.getUint32(0), height: h.getUint32(4), depth: body[8]!, colorType: body[9]!, interlace: body[12]! };
        if (header.width === 0 || header.height === 0) fail(`malformed PNG: empty image (${header.width} x ${header.height})`);
        if (header.width * header.height > maxPixels) {
          fail(`the image is ${header.width} x ${header.height} = ${header.width * header.height} pixels, more than the ${maxPixels} accepted (options.maxPixels)`);
        }
        const kind = COLOR_TYPES[header.colorType];
        if (kind === undefined) fail(`unsupported PNG colour type ${header.colorType}`);
        if (!kind!.depths.includes(header.depth)) fail(`unsupported bit depth ${header.depth} for a ${kind!.name} PNG (expected ${kind!.depths.join(', ')})`);
        if (body[10] !== 0 || body[11] !== 0) fail(`unsupported PNG compression method ${body[10]} or filter method ${body[11]}`);
        if (header.interlace === 1) fail('unsupported interlaced (Adam7) PNG: re-save it without interlacing');
        if (header.interlace !== 0) fail(`unsupported PNG interlace method ${header.interlace}`);
        break;
      }
      case 'PLTE':
        if (length === 0 || length % 3 !== 0 || length > 768) fail(`malformed PNG: a PLTE chunk of ${length} bytes`);
        palette = body;
        break;
      case 'tRNS':
        transparency = body;
        break;
      case 'IDAT':
        idat.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Upper-case first letter: a critical chunk this decoder does not know.
        if (type.charCodeAt(0) < 97) fail(`unsupported critical PNG chunk ${type}`);
    }
    at += 12 + length;
  }
  const { width, height, depth, colorType } = header!;
  if (colorType === 3 && palette === undefined) fail('malformed PNG: a palette image without a PLTE chunk');
  if (idat.length === 0) fail('malformed PNG: no IDAT chunk');
  const samples = COLOR_TYPES[colorType]!.channels;
  const rowBytes = Math.ceil((width * samples * depth) / 8);
  const bpp = Math.max(1, (samples * depth) / 8); // bytes per complete pixel, at least 1
  // What the IHDR declares: each row's filter byte and samples. The stream is inflated to at
  // most that, and must be able to: deflate makes at most 1032 bytes of one.
  const declared = height * (rowBytes + 1);
  const compressed = idat.reduce((sum, chunk) => sum + chunk.length, 0);
  if (declared > compressed * MAX_DEFLATE_RATIO + 64) {
    fail(`truncated PNG: ${width} x ${height} needs ${declared} bytes of image data, which its ${compressed} compressed bytes cannot inflate to`);
  }
  let raw: Uint8Array;
  try {
    raw = plainView(inflateSync(Buffer.concat(idat), { maxOutputLength: declared }));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return fail(`corrupt PNG: the image data inflates to more than the ${declared} bytes its IHDR declares (${width} x ${height})`);
    }
    return fail(`corrupt PNG: the image data does not inflate (${(error as Error).message})`);
  }
  if (raw.length < declared) {
    fail(`truncated PNG: expected ${height * (rowBytes + 1)} bytes of image data for ${width} x ${height}, received ${raw.length}`);
  }
  // Undo the filters in place, row by row (each row starts with its filter type).
  const rows = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)]!;
    const src = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const out = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    const prev = y > 0 ? rows.subarray((y - 1) * rowBytes, y * rowBytes) : undefined;
    switch (filter) {
      case 0:
        out.set(src);
        break;
      case 1:
        for (let i = 0; i < rowBytes; i++) out[i] = src[i]! + (i >= bpp ? out[i - bpp]! : 0);
        break;
      case 2:
        for (let i = 0; i < rowBytes; i++) out[i] = src[i]! + (prev ? prev[i]! : 0);
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) out[i] = src[i]! + (((i >= bpp ? out[i - bpp]! : 0) + (prev ? prev[i]! : 0)) >> 1);
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? out[i - bpp]! : 0;
          const b = prev ? prev[i]! : 0;
          const c = prev && i >= bpp ? prev[i - bpp]! : 0;
          out[i] = src[i]! + paeth(a, b, c);
        }
        break;
      default:
        fail(`corrupt PNG: unknown filter type ${filter} on row ${y}`);
    }
  }
  const pixels = width * height;
  if (depth === 16) {
    const out = new Uint16Array(pixels * samples);
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < width * samples; i++) out[y * width * samples + i] = (rows[y * rowBytes + 2 * i]! << 8) | rows[y * rowBytes + 2 * i + 1]!;
    }
    return { width, height, channels: samples as 1 | 2 | 3 | 4, bitDepth: 16, data: out };
  }
  // 8-bit and below: one byte per sample (sub-byte samples unpacked, most significant bits first).
  let unpacked = rows;
  if (depth < 8) {
    unpacked = new Uint8Array(pixels);
    const perByte = 8 / depth;
    const maskBits = (1 << depth) - 1;
    const scale = colorType === 3 ? 1 : 255 / maskBits;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = rows[y * rowBytes + Math.floor(x / perByte)]!;
        const shift = 8 - depth * ((x % perByte) + 1);
        unpacked[y * width + x] = ((byte >> shift) & maskBits) * scale;
      }
    }
  } else if (rowBytes !== width * samples) {
    fail(`malformed PNG: rows of ${rowBytes} bytes for ${width} pixels of ${samples} samples`);
  }
  if (colorType !== 3) return { width, height, channels: samples as 1 | 2 | 3 | 4, bitDepth: 8, data: unpacked };
  // Palette: expand to RGB, or RGBA when tRNS gives alpha per entry (missing entries are opaque).
  const entries = palette!.length / 3;
  const channels = transparency ? 4 : 3;
  const out = new Uint8Array(pixels * channels);
  for (let i = 0; i < pixels; i++) {
    const index = unpacked[i]!;
    if (index >= entries) fail(`corrupt PNG: palette index ${index} at pixel ${i} but the palette holds ${entries} entries`);
    out[channels * i] = palette![3 * index]!;
    out[channels * i + 1] = palette![3 * index + 1]!;
    out[channels * i + 2] = palette![3 * index + 2]!;
    if (transparency) out[channels * i + 3] = index < transparency.length ? transparency[index]! : 255;
  }
  return { width, height, channels, bitDepth: 8, data: out };
}

/**
 * Reads and decodes a PNG file ({@link decodePng}).
 *
 * @param path - The file (a regular file: a FIFO or device is refused before reading).
 * @param options - The largest image accepted.
 * @throws {@link FormatError} naming the file; `FileSystemError` when it cannot be read.
 */
export async function readPng(path: string, options: DecodePngOptions = {}): Promise<DecodedPng> {
  requirePath('readPng', path);
  const maxPixels = requireMaxPixels('readPng', options);
  return decodeWithinLimit(await readRegularFile(path, { what: 'the PNG file' }), path, maxPixels);
}
