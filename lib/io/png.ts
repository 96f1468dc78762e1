/**
 * Minimal PNG encoder for rendered frames: 8-bit RGB or RGBA, no dependencies (zlib from Node).
 *
 * @module
 */

import { deflateSync } from 'node:zlib';

import { ValidationError } from '../errors.js';
import { toFloat32Tensor, type ArrayLike } from '../validate.js';
import { writeFileAtomic } from './atomic.js';
import { crc32 } from './crc32.js';

function chunk(type: string, data: Uint8Array): Buffer {
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
  const shape = (image as { shape?: unknown }).shape;
  const channels = Array.isArray(shape) ? shape[2] : undefined;
  if (channels !== 3 && channels !== 4) {
    throw new ValidationError(`expected image to be a float32 array of shape [H, W, 3] or [H, W, 4], received shape ${JSON.stringify(shape)}`);
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
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width!, 0);
  header.writeUInt32BE(height!, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 3 ? 2 : 6; // colour type: RGB or RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Writes {@link encodePng}'s output to `path` atomically. */
export async function writePng(path: string, image: ArrayLike): Promise<void> {
  await writeFileAtomic(path, encodePng(image));
}
