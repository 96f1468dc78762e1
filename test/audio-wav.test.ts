import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeWav, readWav } from '../lib/audio/wav.js';
import { FileSystemError, FormatError } from '../lib/errors.js';
import { chunk, listChunk, writeWav, type WavSpec } from './fixtures/audio/wav-writer.js';
import { formatMessage } from './helpers/errors.js';

const wavDecoder = createRequire(import.meta.url)('wav-decoder') as {
  decode: { sync(buffer: ArrayBuffer): { sampleRate: number; channelData: Float32Array[] } };
};

/** Splits interleaved frames into per-channel arrays of expected values, mapped by `scale`. */
function expected(frames: number[][], scale: (v: number) => number): Float32Array[] {
  return frames[0]!.map((_, c) => Float32Array.from(frames, (f) => scale(f[c]!)));
}

function expectChannels(actual: Float32Array[], want: Float32Array[]): void {
  expect(actual.length).toBe(want.length);
  want.forEach((channel, c) => expect(Array.from(actual[c]!)).toEqual(Array.from(channel)));
}

const int16Frames = [[0, -32768], [32767, 1], [-1, 12345], [-20000, 0]];

describe('decodeWav: sample formats', () => {
  const cases: { name: string; spec: Omit<WavSpec, 'sampleRate'>; scale: (v: number) => number }[] = [
    { name: 'PCM 8-bit unsigned', spec: { kind: 'pcm', bits: 8, frames: [[0], [128], [255], [1], [200]] }, scale: (v) => (v - 128) / 128 },
    { name: 'PCM 16-bit stereo', spec: { kind: 'pcm', bits: 16, frames: int16Frames }, scale: (v) => v / 32768 },
    {
      name: 'PCM 24-bit',
      spec: { kind: 'pcm', bits: 24, frames: [[-8388608, 8388607], [-1, 1], [0x123456, -0x123456], [65536, -65537]] },
      scale: (v) => v / 8388608,
    },
    {
      name: 'PCM 32-bit',
      spec: { kind: 'pcm', bits: 32, frames: [[-2147483648], [2147483647], [-1], [1 << 20], [0]] },
      scale: (v) => Math.fround(v / 2147483648),
    },
    { name: 'float 32', spec: { kind: 'float', bits: 32, frames: [[0.5, -0.25], [-1, 0.999], [0.1, 1e-7]] }, scale: Math.fround },
    { name: 'float 64', spec: { kind: 'float', bits: 64, frames: [[0.5], [-0.123456789], [0.3]] }, scale: Math.fround },
  ];
  for (const { name, spec, scale } of cases) {
    for (const extensible of [false, true]) {
      it(`${name}${extensible ? ' (WAVE_FORMAT_EXTENSIBLE)' : ''}`, () => {
        const decoded = decodeWav(writeWav({ ...spec, sampleRate: 22050, extensible }));
        expect(decoded.sampleRate).toBe(22050);
        expectChannels(decoded.channels, expected(spec.frames, scale));
      });
    }
  }

  it('keeps every sample in [-1, 1) for integer PCM', () => {
    const { channels } = decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: int16Frames }));
    for (const channel of channels) for (const v of channel) expect(v >= -1 && v < 1).toBe(true);
  });

  it('decodes 6 channels, extensible 24-bit, in file order', () => {
    const frames = Array.from({ length: 7 }, (_, i) => Array.from({ length: 6 }, (_, c) => (c - 3) * 100000 + i));
    const { channels } = decodeWav(writeWav({ kind: 'pcm', bits: 24, sampleRate: 48000, frames, extensible: true }));
    expectChannels(channels, expected(frames, (v) => v / 8388608));
  });
});

describe('decodeWav: chunk walk', () => {
  const frames = [[100], [-200], [300]];
  const want = expected(frames, (v) => v / 32768);

  it('skips LIST and odd-sized chunks before, between and after fmt/data', () => {
    const odd = { id: 'junk', body: new Uint8Array([1, 2, 3]) };
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames, before: [odd], between: [listChunk(), odd], after: [listChunk('x')] });
    expectChannels(decodeWav(bytes).channels, want);
  });

  it('decodes a subarray of a larger buffer (non-zero byteOffset)', () => {
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames });
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    expectChannels(decodeWav(padded.subarray(3, 3 + bytes.length)).channels, want);
  });

  it('ignores a trailing partial frame', () => {
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames: [[1, 2], [3, 4]] });
    // Declare 6 data bytes (1.5 stereo frames) and cut the file there.
    const view = new DataView(bytes.buffer);
    const dataAt = bytes.length - 16;
    view.setUint32(dataAt + 4, 6, true);
    const { channels } = decodeWav(bytes.subarray(0, dataAt + 8 + 6));
    expectChannels(channels, expected([[1, 2]], (v) => v / 32768));
  });
});

describe('decodeWav: cross-check against wav-decoder', () => {
  it('agrees on plain PCM16 stereo, with LIST chunks', () => {
    const frames = Array.from({ length: 500 }, (_, i) => [Math.round(32767 * Math.sin(i / 7)), Math.round(-32768 * Math.cos(i / 3))]);
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 44100, frames, between: [listChunk()] });
    const ours = decodeWav(bytes);
    const theirs = wavDecoder.decode.sync(bytes.slice().buffer);
    expect(ours.sampleRate).toBe(theirs.sampleRate);
    expect(ours.channels.length).toBe(theirs.channelData.length);
    // wav-decoder divides positive codes by 32767 (we use 32768 throughout), so allow up to 1/32768.
    ours.channels.forEach((channel, c) => {
      channel.forEach((v, i) => expect(Math.abs(v - theirs.channelData[c]![i]!)).toBeLessThanOrEqual(1 / 32768));
    });
  });

  it('reads an extensible file that wav-decoder rejects', () => {
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 44100, frames: int16Frames, extensible: true });
    expect(() => wavDecoder.decode.sync(bytes.slice().buffer)).toThrow();
    expectChannels(decodeWav(bytes).channels, expected(int16Frames, (v) => v / 32768));
  });
});

describe('decodeWav: errors', () => {
  const good = (): Uint8Array => writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames: [[1], [2], [3], [4]] });

  it('rejects non-RIFF/WAVE bytes', () => {
    expect(formatMessage(() => decodeWav(new TextEncoder().encode('ID3\x04 this is an mp3 file')))).toMatch(/expected a RIFF\/WAVE file, received .*"ID3/);
    const avi = good();
    avi.set(new TextEncoder().encode('AVI '), 8);
    expect(formatMessage(() => decodeWav(avi))).toMatch(/expected a RIFF\/WAVE file.*"AVI "/);
  });

  it('reports a truncated header with the byte counts', () => {
    expect(formatMessage(() => decodeWav(good().subarray(0, 8)))).toBe('truncated WAV header: expected at least 12 bytes, received 8');
    expect(formatMessage(() => decodeWav(good().subarray(0, 30)))).toBe('truncated fmt chunk: expected 16 bytes, received 10');
    expect(formatMessage(() => decodeWav(good().subarray(0, 12)))).toMatch(/expected a fmt chunk/);
    expect(formatMessage(() => decodeWav(good().subarray(0, 36)))).toMatch(/expected a data chunk, found none/);
  });

  it('reports truncated data with the byte counts', () => {
    const bytes = good();
    expect(formatMessage(() => decodeWav(bytes.subarray(0, bytes.length - 3)))).toBe('truncated data chunk: expected 8 bytes, received 5');
  });

  it('names unsupported codecs', () => {
    const mulaw = writeWav({ kind: 'pcm', bits: 8, sampleRate: 8000, frames: [[1]], formatCode: 7 });
    expect(formatMessage(() => decodeWav(mulaw))).toBe('unsupported codec: mu-law (format 7); expected PCM (format 1) or IEEE float (format 3)');
    const adpcm = writeWav({ kind: 'pcm', bits: 8, sampleRate: 8000, frames: [[1]], formatCode: 2, extensible: true });
    expect(formatMessage(() => decodeWav(adpcm))).toMatch(/unsupported codec: Microsoft ADPCM \(format 2\)/);
    const odd = writeWav({ kind: 'pcm', bits: 8, sampleRate: 8000, frames: [[1]], formatCode: 0x1234 });
    expect(formatMessage(() => decodeWav(odd))).toMatch(/unsupported codec: format 4660 \(0x1234\)/);
    const guid = writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: [[1]], extensible: true });
    guid[12 + 8 + 24 + 15] = 0; // break the GUID's last byte
    expect(formatMessage(() => decodeWav(guid))).toMatch(/not a KSDATAFORMAT subtype/);
  });

  it('rejects unsupported bit depths', () => {
    const bytes = writeWav({ kind: 'float', bits: 16, sampleRate: 8000, frames: [[1]] });
    expect(formatMessage(() => decodeWav(bytes))).toBe('expected IEEE float samples of 32, 64 bits, received 16 bits');
  });

  it('rejects zero channels and a zero sample rate', () => {
    expect(formatMessage(() => decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: [[1]], channels: 0 })))).toBe(
      'expected at least 1 channel, received 0',
    );
    expect(formatMessage(() => decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: 0, frames: [[1]] })))).toBe(
      'expected a positive sample rate, received 0',
    );
  });

  it('rejects sample rates outside [1000, 768000] Hz and channel counts above 256, naming the field', () => {
    // 0xF1003E80 and 2^31 − 1 hung the resampler (a filter of 10^11 taps); 1e9 Hz decoded to no samples.
    for (const rate of [0xf1003e80, 2 ** 31 - 1, 1e9, 768001, 999]) {
      expect(formatMessage(() => decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: rate, frames: [[1]] })))).toBe(
        `unsupported sample rate (fmt field sampleRate): expected an integer in [1000, 768000] Hz, received ${rate}`,
      );
    }
    for (const rate of [1000, 768000]) expect(decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: rate, frames: [[1]] })).sampleRate).toBe(rate);
    expect(formatMessage(() => decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: [[1]], channels: 257 })))).toBe(
      'expected at most 256 channels (fmt field channels), received 257',
    );
  });

  it('rejects NaN and infinite float samples, naming frame and channel', () => {
    for (const [bits, bad] of [[32, Number.NaN], [64, Infinity], [64, 1e300]] as const) {
      const bytes = writeWav({ kind: 'float', bits, sampleRate: 8000, frames: [[0.5, 0.25], [0.5, bad]] });
      const shown = bits === 64 && bad === 1e300 ? 'Infinity' : String(bad); // float64 1e300 is Infinity as float32
      expect(formatMessage(() => decodeWav(bytes))).toBe(`expected finite float samples, received ${shown} at frame 1 of channel 1`);
    }
  });

  it('rejects audio longer than maxSeconds before decoding it', () => {
    const bytes = writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: Array.from({ length: 8000 }, () => [1]) });
    expect(decodeWav(bytes, undefined, { maxSeconds: 1 }).channels[0]!.length).toBe(8000);
    expect(formatMessage(() => decodeWav(bytes, undefined, { maxSeconds: 0.25 }))).toBe(
      'decodes to 1.0 s of audio, more than the 0.25-second limit; pass maxSeconds to raise the limit (or cut the file)',
    );
  });

  it('rejects empty data', () => {
    expect(formatMessage(() => decodeWav(writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: [] })))).toBe('contains no audio samples');
  });

  it('rejects a short fmt chunk', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('RIFF\0\0\0\0WAVE'), ...chunk('fmt ', new Uint8Array(14))]);
    expect(formatMessage(() => decodeWav(bytes))).toBe('expected the fmt chunk to hold at least 16 bytes, received 14');
  });
});

describe('readWav', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ggt-wav-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and prefixes errors with its path', async () => {
    const path = join(dir, 'a.wav');
    await writeFile(path, writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames: int16Frames }));
    expectChannels((await readWav(path)).channels, expected(int16Frames, (v) => v / 32768));

    const bad = join(dir, 'bad.wav');
    await writeFile(bad, 'not a wav file at all');
    const error = await readWav(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).path).toBe(bad);
    expect((error as FormatError).message).toMatch(new RegExp(`^${bad.replace(/[.\\/]/g, '\\$&')}: expected a RIFF/WAVE file`));
  });

  it('reads regular files only and names a missing one', async () => {
    const missing = await readWav(join(dir, 'missing.wav')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FileSystemError);
    expect((missing as Error).message).toBe(`${join(dir, 'missing.wav')}: could not read it: no such file or folder (ENOENT)`);
    const folder = await readWav(dir).catch((e: unknown) => e);
    expect(folder).toBeInstanceOf(FormatError);
    expect((folder as Error).message).toMatch(/expected a regular file, received a directory/);
  });
});
