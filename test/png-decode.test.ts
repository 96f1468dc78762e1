// PNG decoding: files written by ffmpeg (every colour type it writes, 8 and 16 bits, each of
// the five filter types) compared with ffmpeg's own raw decode of the same file; the
// project's encoder round-tripped; malformed files rejected with the file named.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FormatError } from '../lib/errors.js';
import { decodePng, encodeGrayPng, encodePng, pngChunk, readPng } from '../lib/io/png.js';
import { formatMessage } from './helpers/errors.js';

const W = 37;
const H = 21;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-png-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ffmpeg(args: string[]): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', ...args], { maxBuffer: 1 << 24 });
}

/** Writes testsrc's first frame as a PNG of `pixFmt` (and prediction `pred`), returns its path. */
function makePng(name: string, pixFmt: string, pred = 'none', extra: string[] = []): string {
  const path = join(dir, `${name}.png`);
  ffmpeg(['-y', '-f', 'lavfi', '-i', `testsrc=size=${W}x${H}`, '-frames:v', '1', '-pix_fmt', pixFmt, '-pred', pred, ...extra, path]);
  return path;
}

/** ffmpeg's decode of `path` as raw `pixFmt` samples. */
function rawOf(path: string, pixFmt: string): Buffer {
  return ffmpeg(['-i', path, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-']);
}

const bigEndian16 = (b: Buffer): number[] => Array.from({ length: b.length / 2 }, (_, i) => b.readUInt16BE(2 * i));

describe('decodePng: ffmpeg-written files', () => {
  const eight: [string, 1 | 2 | 3 | 4][] = [
    ['rgb24', 3],
    ['rgba', 4],
    ['gray', 1],
    ['ya8', 2],
  ];
  for (const [fmt, channels] of eight) {
    for (const pred of ['none', 'sub', 'up', 'avg', 'paeth', 'mixed']) {
      it(`${fmt}, ${pred} prediction`, async () => {
        const path = makePng(`${fmt}-${pred}`, fmt, pred);
        const png = await readPng(path);
        expect([png.width, png.height, png.channels, png.bitDepth]).toEqual([W, H, channels, 8]);
        expect(png.data).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(png.data as Uint8Array).equals(rawOf(path, fmt))).toBe(true);
      });
    }
  }

  for (const [fmt, channels] of [['rgb48be', 3], ['rgba64be', 4], ['gray16be', 1], ['ya16be', 2]] as const) {
    it(`${fmt} (16-bit), paeth prediction`, async () => {
      const path = makePng(fmt, fmt, 'paeth');
      const png = decodePng(await readFile(path), path);
      expect([png.width, png.height, png.channels, png.bitDepth]).toEqual([W, H, channels, 16]);
      expect(png.data).toBeInstanceOf(Uint16Array);
      const expected = bigEndian16(rawOf(path, fmt));
      expect(Array.from(png.data)).toEqual(expected);
      // A 16-bit image with real 16-bit content, not 8-bit values widened.
      expect(expected.some((v) => v % 257 !== 0) || fmt.startsWith('rgb')).toBe(true);
    });
  }

  it('pal8 expands the palette to RGB', async () => {
    const path = makePng('pal8', 'pal8', 'avg');
    const png = await readPng(path);
    expect([png.width, png.height]).toEqual([W, H]);
    const rgba = rawOf(path, 'rgba');
    const c = png.channels;
    expect(c === 3 || c === 4).toBe(true);
    for (let i = 0; i < W * H; i++) {
      for (let k = 0; k < c; k++) expect(png.data[c * i + k]).toBe(rgba[4 * i + k]);
    }
    // testsrc has many colours: a real palette, not one entry.
    expect(new Set(Array.from({ length: W * H }, (_, i) => rgba.readUInt32BE(4 * i))).size).toBeGreaterThan(10);
  });

  it('monob (1-bit gray) unpacks to 0 and 255', async () => {
    const path = makePng('monob', 'monob');
    const png = await readPng(path);
    expect([png.channels, png.bitDepth]).toEqual([1, 8]);
    expect(Buffer.from(png.data as Uint8Array).equals(rawOf(path, 'gray'))).toBe(true);
    expect(new Set(png.data)).toEqual(new Set([0, 255]));
  });

  it('rejects an interlaced file, naming it', async () => {
    const path = makePng('interlaced', 'rgb24', 'none', ['-flags', '+ildct']);
    await expect(readPng(path)).rejects.toThrow(FormatError);
    await expect(readPng(path)).rejects.toThrow(`${path}: unsupported interlaced (Adam7) PNG`);
  });
});

describe('decodePng: the project encoder', () => {
  it('round-trips RGB, RGBA and gray to the nearest 8-bit value', () => {
    const h = 5;
    const w = 7;
    for (const channels of [3, 4] as const) {
      const data = Float32Array.from({ length: h * w * channels }, (_, i) => ((i * 37) % 101) / 100);
      const png = decodePng(encodePng({ data, shape: [h, w, channels] }));
      expect([png.width, png.height, png.channels, png.bitDepth]).toEqual([w, h, channels, 8]);
      expect(Array.from(png.data)).toEqual(Array.from(data, (v) => Math.round(v * 255)));
    }
    const gray = Float32Array.from({ length: h * w }, (_, i) => (i % 11) / 10 - 0.05);
    const png = decodePng(encodeGrayPng({ data: gray, shape: [h, w] }));
    expect([png.width, png.height, png.channels]).toEqual([w, h, 1]);
    expect(Array.from(png.data)).toEqual(Array.from(gray, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  });

  it('handles all five filters written by hand (including Paeth ties and row 0)', () => {
    // A 4x3 RGB image filtered with a different filter per row: None, Sub, Up, Average, Paeth,
    // encoded here independently of the decoder.
    const w = 4;
    const h = 5;
    const bpp = 3;
    const pixels = Uint8Array.from({ length: w * h * bpp }, (_, i) => (i * 73 + 11) & 0xff);
    const rowBytes = w * bpp;
    const raw = new Uint8Array(h * (rowBytes + 1));
    const at = (y: number, i: number): number => (y < 0 || i < 0 ? 0 : pixels[y * rowBytes + i]!);
    const paeth = (a: number, b: number, c: number): number => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    for (let y = 0; y < h; y++) {
      const filter = y; // 0..4
      raw[y * (rowBytes + 1)] = filter;
      for (let i = 0; i < rowBytes; i++) {
        const x = at(y, i);
        const a = at(y, i - bpp);
        const b = at(y - 1, i);
        const c = at(y - 1, i - bpp);
        const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
        raw[y * (rowBytes + 1) + 1 + i] = (x - predicted) & 0xff;
      }
    }
    const png = decodePng(buildPng(w, h, 2, raw));
    expect(Array.from(png.data)).toEqual(Array.from(pixels));
  });
});

/** A PNG of the given 8-bit colour type around already-filtered rows. */
function buildPng(w: number, h: number, colorType: number, raw: Uint8Array, extraChunks: [string, Uint8Array][] = []): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8;
  header[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    ...extraChunks.map(([t, d]) => pngChunk(t, d)),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}


describe('decodePng: palette transparency', () => {
  it('gives RGBA when a tRNS chunk is present (missing entries opaque)', () => {
    const plte = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const trns = Uint8Array.from([10, 20]); // entry 2 is not listed: opaque
    const raw = Uint8Array.from([0, 0, 1, 2]); // one row: filter 0, indices 0 1 2
    const png = decodePng(buildPng(3, 1, 3, raw, [['PLTE', plte], ['tRNS', trns]]));
    expect(png.channels).toBe(4);
    expect(Array.from(png.data)).toEqual([255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 255]);
  });

  it('rejects a palette index past the palette', () => {
    const plte = Uint8Array.from([1, 2, 3]);
    const raw = Uint8Array.from([0, 0, 5]);
    expect(formatMessage(() => decodePng(buildPng(2, 1, 3, raw, [['PLTE', plte]]), 'p.png'))).toMatch(/^p\.png: corrupt PNG: palette index 5/);
  });
});

describe('decodePng: malformed files', () => {
  const good = encodePng({ data: new Float32Array(4 * 4 * 3).fill(0.5), shape: [4, 4, 3] });

  it('rejects a bad signature', () => {
    const bad = Buffer.from(good);
    bad[1] = 0x51;
    expect(formatMessage(() => decodePng(bad, 'a.png'))).toBe('a.png: not a PNG file: bad signature');
    expect(formatMessage(() => decodePng(Buffer.from('GIF89a'), 'b.gif'))).toBe('b.gif: not a PNG file: bad signature');
  });

  it('rejects a CRC mismatch, naming the chunk', () => {
    const bad = Buffer.from(good);
    bad[8 + 8 + 13 + 4 + 8 + 2] ^= 0xff; // inside the IDAT data
    expect(formatMessage(() => decodePng(bad, 'c.png'))).toMatch(/^c\.png: corrupt PNG: CRC mismatch in the IDAT chunk at byte 33$/);
  });

  it('rejects a truncated file', () => {
    for (const cut of [20, 40, good.length - 12, good.length - 3]) {
      expect(formatMessage(() => decodePng(good.subarray(0, cut), 't.png'))).toMatch(/^t\.png: truncated PNG/);
    }
  });

  it('rejects truncated image data (a valid stream with too few rows)', () => {
    const raw = new Uint8Array(2 * (4 * 3 + 1)); // 2 rows of a 4-row image
    expect(formatMessage(() => decodePng(buildPng(4, 4, 2, raw), 'r.png'))).toBe(
      'r.png: truncated PNG: expected 52 bytes of image data for 4 x 4, received 26',
    );
  });

  it('rejects an unknown filter type and an unknown critical chunk', () => {
    const raw = new Uint8Array(4 * 3 + 1);
    raw[0] = 7;
    expect(formatMessage(() => decodePng(buildPng(4, 1, 2, raw)))).toBe('corrupt PNG: unknown filter type 7 on row 0');
    const ok = new Uint8Array(4 * 3 + 1);
    expect(formatMessage(() => decodePng(buildPng(4, 1, 2, ok, [['ABCD', new Uint8Array(1)]])))).toBe('unsupported critical PNG chunk ABCD');
    // An unknown ancillary chunk is skipped.
    expect(decodePng(buildPng(4, 1, 2, ok, [['abCD', new Uint8Array(1)]])).width).toBe(4);
  });

  it('names the file when read from disk', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'ggt-png-bad-'));
    try {
      const path = join(dir2, 'frame.png');
      await writeFile(path, good.subarray(0, 30));
      const error = await readPng(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).path).toBe(path);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});

describe('decodePng: sizes bounded by the IHDR', () => {
  it('refuses an image over options.maxPixels before inflating, and reads it when the limit is raised', () => {
    const raw = new Uint8Array(3 * (1 + 4 * 3)); // 4 x 3 RGB, filter 0, black
    expect(formatMessage(() => decodePng(buildPng(4, 3, 2, raw), 'big.png', { maxPixels: 11 }))).toBe(
      'big.png: the image is 4 x 3 = 12 pixels, more than the 11 accepted (options.maxPixels)',
    );
    expect(decodePng(buildPng(4, 3, 2, raw), 'big.png', { maxPixels: 12 }).width).toBe(4);
  });

  it('refuses image data that inflates beyond what the IHDR declares, or that cannot inflate to it', () => {
    // 1 x 1 RGB declares 4 bytes (filter + RGB); 1 MB of image data is refused, not inflated.
    expect(formatMessage(() => decodePng(buildPng(1, 1, 2, new Uint8Array(1 << 20)), 'bomb.png'))).toBe(
      'bomb.png: corrupt PNG: the image data inflates to more than the 4 bytes its IHDR declares (1 x 1)',
    );
    // 16000 x 16000 RGB declares 768 MB, which a few compressed bytes cannot make.
    expect(formatMessage(() => decodePng(buildPng(16000, 16000, 2, new Uint8Array(10)), 'huge.png'))).toMatch(
      /^huge\.png: truncated PNG: 16000 x 16000 needs 768016000 bytes of image data, which its \d+ compressed bytes cannot inflate to$/,
    );
  });
});
