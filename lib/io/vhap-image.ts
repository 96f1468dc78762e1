/**
 * Images and masks of a VHAP dataset as float arrays: PNGs decoded in-process
 * ({@link decodePng}), JPEG and everything else through an `ffmpeg` executable; optional
 * resizing by area averaging, with the camera's intrinsics scaled to match.
 *
 * @module
 */

import { extname } from 'node:path';
import ndarray, { type NdArray } from 'ndarray';

import { optionalOptions, requireOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { scaleCamera, type VhapCamera } from './vhap-camera.js';
import { ffmpegOutput } from './ffmpeg.js';
import { decodePng } from './png.js';
import { readRegularFile } from './read-file.js';
import { requirePositiveInt } from '../validate.js';

/** A decoded image: samples in [0, 1], row-major, `channels` per pixel. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Options of {@link loadVhapImage}. */
export interface LoadVhapImageOptions {
  /**
   * Resize to this size: a number makes the longer side that many pixels (the other in
   * proportion, rounded); `{width, height}` gives both. Area averaging; the returned camera's
   * intrinsics are scaled to match. Default: the stored size.
   */
  size?:
    | number
    | {
        /** Width, pixels. */
        width: number;
        /** Height, pixels. */
        height: number;
      };
  /** The ffmpeg executable for images that are not PNG; default `'ffmpeg'` on PATH. */
  ffmpeg?: string;
  /**
   * The most pixels one image may decode to; default {@link DEFAULT_MAX_IMAGE_PIXELS} (2^26,
   * 8192²: 805 MB as floats). A file declaring more is refused before it is decoded (PNG) or
   * as soon as ffmpeg's output passes it (other formats).
   */
  maxPixels?: number;
}

/** Default of {@link LoadVhapImageOptions.maxPixels}: 2^26 pixels (8192 × 8192). */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 ** 26;

/** What {@link loadVhapImage} needs of a frame. */
export interface VhapImageFrame {
  /** The frame's camera (its size is the image's). */
  camera: VhapCamera;
  /** Absolute path of the image. */
  image: string;
  /** Absolute path of the foreground mask, if any. */
  mask?: string;
}

/** A frame's image, mask and camera, at the requested size. */
export interface LoadedVhapImage {
  /** RGB in [0, 1], [H, W, 3] (RGBA images: the colour channels as stored, not composited). */
  image: NdArray<Float32Array>;
  /**
   * Foreground in [0, 1], [H, W]: the mask file (single channel, or its alpha when it has
   * one), else the image's own alpha when it is RGBA; absent otherwise.
   */
  mask?: NdArray<Float32Array>;
  /** The frame's camera at the returned size. */
  camera: VhapCamera;
}

/** 8- or 16-bit samples as floats in [0, 1]. */
function toFloat(data: Uint8Array | Uint16Array, max: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / max;
  return out;
}

/** Parses a binary PNM (P5 gray / P6 RGB) as ffmpeg's image2pipe writes it. */
function parsePnm(bytes: Buffer, path: string): FloatImage {
  const header: string[] = [];
  let at = 0;
  while (header.length < 4 && at < bytes.length) {
    while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]!))) at++;
    if (bytes[at] === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
      continue;
    }
    const start = at;
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]!))) at++;
    header.push(bytes.toString('latin1', start, at));
  }
  at++; // the single whitespace byte after maxval
  const [magic, w, h, max] = header;
  const channels = magic === 'P6' ? 3 : magic === 'P5' ? 1 : 0;
  const width = Number(w);
  const height = Number(h);
  const maxval = Number(max);
  if (channels === 0 || !(width > 0) || !(height > 0) || !(maxval > 0 && maxval < 65536)) {
    throw new FormatError(`ffmpeg returned an unreadable image (header ${JSON.stringify(header.join(' '))})`, { path });
  }
  const count = width * height * channels;
  const wide = maxval > 255;
  if (bytes.length - at < count * (wide ? 2 : 1)) throw new FormatError('ffmpeg returned a truncated image', { path });
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (wide ? bytes.readUInt16BE(at + 2 * i) : bytes[at + i]!) / maxval;
  return { width, height, channels, data };
}

/** Decodes the first frame of any image file ffmpeg reads, as RGB or gray. */
async function decodeWithFfmpeg(path: string, gray: boolean, ffmpeg: string, maxPixels: number): Promise<FloatImage> {
  const args = ['-frames:v', '1', '-f', 'image2pipe', '-vcodec', gray ? 'pgm' : 'ppm', '-pix_fmt', gray ? 'gray' : 'rgb24', '-'];
  // 8-bit samples, plus the PNM header: ffmpeg is killed as soon as it writes more.
  const limit = {
    maxBytes: maxPixels * (gray ? 1 : 3) + 64,
    error: () => new FormatError(`the image decodes to more than maxPixels = ${maxPixels} pixels; pass a larger maxPixels to read it`, { path }),
  };
  const image = parsePnm(await ffmpegOutput(path, args, ffmpeg, { noun: 'image', fix: 'convert the images to PNG' }, limit), path);
  // The byte cap bounds memory; the exact pixel count is known once the header is read.
  if (image.width * image.height > maxPixels) throw limit.error();
  return image;
}

/**
 * Reads an image file as floats in [0, 1]: PNG in-process (1–4 channels kept), anything else
 * through ffmpeg (RGB, or gray when `gray`).
 *
 * @throws {@link FormatError} naming the file when it cannot be decoded or is not a regular
 *   file (a FIFO, a device: refused before anything is read or ffmpeg is started);
 *   {@link FileSystemError} naming it when it is missing or unreadable.
 */
export async function readImageFile(path: string, options: { gray?: boolean; ffmpeg?: string; maxPixels?: number | undefined } = {}): Promise<FloatImage> {
  const maxPixels = options.maxPixels === undefined ? DEFAULT_MAX_IMAGE_PIXELS : requirePositiveInt('maxPixels', options.maxPixels);
  // Read (and so checked to be a regular file of sane size) before ffmpeg ever sees the path.
  const bytes = await readRegularFile(path, { what: 'the image' });
  const isPng = bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (isPng || extname(path).toLowerCase() === '.png') {
    const png = decodePng(bytes, path, { maxPixels });
    return { width: png.width, height: png.height, channels: png.channels, data: toFloat(png.data, png.bitDepth === 16 ? 65535 : 255) };
  }
  return decodeWithFfmpeg(path, options.gray ?? false, options.ffmpeg ?? 'ffmpeg', maxPixels);
}

/**
 * Resizes an interleaved image by area averaging: each output pixel is the mean of the input
 * area it covers (fractional pixels weighted by their overlap). Exact for any ratio; when
 * enlarging it is a box (nearest-like) filter.
 */
export function resizeArea(image: FloatImage, width: number, height: number): FloatImage {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new ValidationError(`expected the new size to be positive integers, received ${width} x ${height}`);
  }
  if (width === image.width && height === image.height) return { ...image, data: Float32Array.from(image.data) };
  const C = image.channels;
  // Per output index, the input indices and weights it averages (weights sum to 1).
  const taps = (from: number, to: number): { index: number[]; weight: number[] }[] => {
    const scale = from / to;
    return Array.from({ length: to }, (_, o) => {
      const a = o * scale;
      const b = (o + 1) * scale;
      const index: number[] = [];
      const weight: number[] = [];
      for (let i = Math.floor(a); i < Math.min(from, Math.ceil(b)); i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 1e-12) {
          index.push(i);
          weight.push(overlap / scale);
        }
      }
      return { index, weight };
    });
  };
  const xs = taps(image.width, width);
  const ys = taps(image.height, height);
  // Horizontal pass: [H_in, W_out, C], then vertical: [H_out, W_out, C].
  const rows = new Float32Array(image.height * width * C);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      const { index, weight } = xs[x]!;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < index.length; k++) s += weight[k]! * image.data[(y * image.width + index[k]!) * C + c]!;
        rows[(y * width + x) * C + c] = s;
      }
    }
  }
  const out = new Float32Array(height * width * C);
  for (let y = 0; y < height; y++) {
    const { index, weight } = ys[y]!;
    for (let i = 0; i < width * C; i++) {
      let s = 0;
      for (let k = 0; k < index.length; k++) s += weight[k]! * rows[index[k]! * width * C + i]!;
      out[y * width * C + i] = s;
    }
  }
  return { width, height, channels: C, data: out };
}

/** One channel of an interleaved image. */
function channel(image: FloatImage, c: number): Float32Array {
  const n = image.width * image.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = image.data[i * image.channels + c]!;
  return out;
}

/** The output size for the `size` option. */
function targetSize(size: LoadVhapImageOptions['size'], width: number, height: number): { width: number; height: number } {
  if (size === undefined) return { width, height };
  if (typeof size === 'number') {
    if (!(Number.isInteger(size) && size > 0)) throw new ValidationError(`expected options.size to be a positive integer, received ${size}`);
    const scale = size / Math.max(width, height);
    return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  }
  if (typeof size !== 'object' || size === null || !(Number.isInteger(size.width) && size.width > 0 && Number.isInteger(size.height) && size.height > 0)) {
    throw new ValidationError(`expected options.size to be a positive integer or {width, height} of positive integers, received ${JSON.stringify(size)}`);
  }
  return { width: size.width, height: size.height };
}

/**
 * Loads a frame's image (and mask) as floats, optionally resized.
 *
 * @param frame - A frame of {@link readVhapDataset} (or anything with `camera`, `image`, `mask`).
 * @param options - The output size and the ffmpeg executable.
 * @throws {@link FormatError} naming the file when it is missing, undecodable, or of another
 *   size than the frame's camera (or, for the mask, than the image).
 */
export async function loadVhapImage(frame: VhapImageFrame, options: LoadVhapImageOptions = {}): Promise<LoadedVhapImage> {
  const { camera } = requireOptions('loadVhapImage', frame, 'frame');
  requireOptions('loadVhapImage', camera, 'frame.camera');
  requirePath('loadVhapImage', frame.image, 'frame.image');
  if (frame.mask !== undefined) requirePath('loadVhapImage', frame.mask, 'frame.mask');
  options = optionalOptions('loadVhapImage', options);
  const decoded = await readImageFile(frame.image, { ffmpeg: options.ffmpeg, maxPixels: options.maxPixels });
  if (decoded.width !== camera.width || decoded.height !== camera.height) {
    throw new FormatError(`the image is ${decoded.width} x ${decoded.height} but its camera says ${camera.width} x ${camera.height} (w, h)`, { path: frame.image });
  }
  let mask: Float32Array | undefined;
  if (frame.mask !== undefined) {
    const m = await readImageFile(frame.mask, { gray: true, ffmpeg: options.ffmpeg, maxPixels: options.maxPixels });
    if (m.width !== decoded.width || m.height !== decoded.height) {
      throw new FormatError(`the mask is ${m.width} x ${m.height} but its image is ${decoded.width} x ${decoded.height}`, { path: frame.mask });
    }
    mask = channel(m, m.channels === 2 || m.channels === 4 ? m.channels - 1 : 0);
  } else if (decoded.channels === 4 || decoded.channels === 2) {
    mask = channel(decoded, decoded.channels - 1);
  }
  // RGB from any channel count: gray replicated, alpha dropped.
  const n = decoded.width * decoded.height;
  const rgb = new Float32Array(n * 3);
  const colour = decoded.channels >= 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = decoded.data[i * decoded.channels + (colour ? c : 0)]!;
  }
  const size = targetSize(options.size, decoded.width, decoded.height);
  let image: FloatImage = { width: decoded.width, height: decoded.height, channels: 3, data: rgb };
  let maskImage: FloatImage | undefined = mask && { width: decoded.width, height: decoded.height, channels: 1, data: mask };
  let outCamera: VhapCamera = { ...camera, view: [...camera.view] };
  if (size.width !== decoded.width || size.height !== decoded.height) {
    image = resizeArea(image, size.width, size.height);
    if (maskImage) maskImage = resizeArea(maskImage, size.width, size.height);
    outCamera = scaleCamera(camera, size.width, size.height);
  }
  return {
    image: ndarray(image.data, [image.height, image.width, 3]),
    ...(maskImage ? { mask: ndarray(maskImage.data, [maskImage.height, maskImage.width]) } : {}),
    camera: outCamera,
  };
}
