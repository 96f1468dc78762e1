// PNG encoding: decoded independently (zlib inflate of the IDAT stream, CRC checked by a
// second implementation via zlib.crc32 when Node has it) back to the expected bytes.
import { inflateSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { decodePng, encodeGrayPng, encodePng, readPng, writePng } from '../lib/io/png.js';

function chunks(png: Buffer): { type: string; data: Buffer; crc: number }[] {
  const out = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length), crc: png.readUInt32BE(at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

describe('encodePng', () => {
  it('encodes RGB floats as 8-bit rows with the right header and CRCs', () => {
    const data = Float32Array.from([0, 0.5, 1, 2, -1, 0.25, 1, 1, 1, 0, 0, 0, 0.1, 0.2, 0.3, 0.9, 0.8, 0.7]);
    const png = encodePng({ data, shape: [2, 3, 3] });
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const parts = chunks(png);
    expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = parts[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([3, 2, 8, 2]);
    const rows = inflateSync(parts[1]!.data);
    const expected = [0, ...[0, 128, 255, 255, 0, 64, 255, 255, 255], 0, ...[0, 0, 0, 26, 51, 77, 229, 204, 178]]; // float32 0.9 * 255 = 229.49999
    expect(Array.from(rows)).toEqual(expected);
    const crc32 = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
    if (crc32) for (const c of parts) expect(c.crc).toBe(crc32(Buffer.concat([Buffer.from(c.type, 'latin1'), c.data])));
  });

  it('rejects other shapes', () => {
    expect(() => encodePng({ data: new Float32Array(4), shape: [2, 2] })).toThrow(/\[H, W, 3\] or \[H, W, 4\]/);
  });
});

describe('careless calls: ValidationErrors naming the function, not TypeErrors', () => {
  const image = { data: new Float32Array(2 * 2 * 3), shape: [2, 2, 3] };
  it('refuses images, bytes, paths and options of the wrong kind', async () => {
    expect(() => encodePng(undefined as never)).toThrow(ValidationError);
    expect(() => encodePng(undefined as never)).toThrow(/^encodePng: expected image to be a float32 array \{ data, shape \} of shape \[H, W, 3\] or \[H, W, 4\], received undefined/);
    expect(() => encodePng(new Float32Array(12) as never)).toThrow(/^encodePng: expected image to be a float32 array of shape/);
    expect(() => encodeGrayPng(null as never)).toThrow(/^encodeGrayPng: expected image/);
    expect(() => decodePng('x.png' as never)).toThrow(/^decodePng: expected bytes to be a Uint8Array or Buffer, received .*use readPng\(path\)/);
    expect(() => decodePng(encodePng(image), undefined, null as never)).toThrow(/^decodePng: expected options to be an object, received null/);
    expect(() => decodePng(encodePng(image), undefined, { maxPixels: 'many' as never })).toThrow(/^decodePng: expected options.maxPixels to be a positive number/);
    await expect(writePng('x.png', undefined as never)).rejects.toThrow(/^writePng: expected image/);
    await expect(writePng(42 as never, image)).rejects.toThrow(/^writePng: expected path/);
    await expect(readPng(undefined as never)).rejects.toThrow(/^readPng: expected path/);
    await expect(readPng('/no/such/file.png', { maxPixels: -1 })).rejects.toThrow(/^readPng: expected options.maxPixels/);
    // Valid calls are untouched.
    expect(decodePng(encodePng(image), 'x.png', { maxPixels: 4 }).channels).toBe(3);
  });
});
