import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAudio } from '../lib/audio/load.js';
import { AbortError, FileSystemError, FormatError, ValidationError } from '../lib/errors.js';
import { writeWav } from './fixtures/audio/wav-writer.js';
import { hasFfmpeg } from './helpers/ffmpeg.js';

const ffmpegInstalled = hasFfmpeg();

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes an executable shell script standing in for ffmpeg. */
async function fakeFfmpeg(name: string, script: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('loadAudio: WAV', () => {
  it('mixes stereo to mono and resamples 48 kHz to 16 kHz', async () => {
    const frames = Array.from({ length: 48000 }, (_, n) => {
      const v = Math.round(16384 * Math.sin((2 * Math.PI * 1000 * n) / 48000));
      return [v, v];
    });
    const path = join(dir, 'stereo.WAV');
    await writeFile(path, writeWav({ kind: 'pcm', bits: 16, sampleRate: 48000, frames }));
    const { samples, sampleRate } = await loadAudio(path);
    expect(sampleRate).toBe(16000);
    expect(samples.length).toBe(16000);
    for (let n = 4000; n < 12000; n++) expect(Math.abs(samples[n]! - 0.5 * Math.sin((2 * Math.PI * 1000 * n) / 16000))).toBeLessThan(2e-3);
  });

  it('honours sampleRate and validates options', async () => {
    const path = join(dir, 'mono.wav');
    await writeFile(path, writeWav({ kind: 'float', bits: 32, sampleRate: 8000, frames: Array.from({ length: 800 }, () => [0.25]) }));
    expect((await loadAudio(path, { sampleRate: 24000 })).samples.length).toBe(2400);
    const error = await rejection(loadAudio(path, { sampleRate: 0 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('expected sampleRate to be an integer in [1000, 768000] Hz, received 0');
    expect((await rejection(loadAudio(path, { sampleRate: 2 ** 31 - 1 }))).message).toBe('expected sampleRate to be an integer in [1000, 768000] Hz, received 2147483647');
    expect((await rejection(loadAudio(path, { maxSeconds: Number.NaN }))).message).toBe('expected maxSeconds to be a positive finite number of seconds, received NaN');
  });

  it('refuses a WAV longer than maxSeconds from its header, naming the option', async () => {
    const path = join(dir, 'long.wav');
    await writeFile(path, writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: Array.from({ length: 8000 }, () => [1]) }));
    expect((await loadAudio(path, { maxSeconds: 1 })).samples.length).toBe(16000);
    const error = await rejection(loadAudio(path, { maxSeconds: 0.5 }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(`${path}: decodes to 1.0 s of audio, more than the 0.5-second limit; pass maxSeconds to raise the limit (or cut the file)`);
  });

  it('names a missing file in a FileSystemError, whatever the format', async () => {
    for (const name of ['missing.wav', 'missing.mp3']) {
      const error = await rejection(loadAudio(join(dir, name)));
      expect(error).toBeInstanceOf(FileSystemError);
      expect(error.message).toBe(`${join(dir, name)}: could not read it: no such file or folder (ENOENT)`);
    }
  });

  it('reports a malformed WAV with its path', async () => {
    const path = join(dir, 'empty.wav');
    await writeFile(path, writeWav({ kind: 'pcm', bits: 16, sampleRate: 8000, frames: [] }));
    const error = await rejection(loadAudio(path));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(`${path}: contains no audio samples`);
  });
});

describe('loadAudio: other formats through ffmpeg', () => {
  // The fake ffmpegs below ignore their input, but loadAudio checks that it is a regular file.
  beforeAll(async () => {
    for (const name of ['speech.mp3', 'speech.ogg', 'clip.m4a', 'empty.flac', 'endless.flac', 'nan.flac']) await writeFile(join(dir, name), 'not decoded');
  });

  it('names the fix when ffmpeg is missing', async () => {
    const error = await rejection(loadAudio(join(dir, 'speech.mp3'), { ffmpeg: join(dir, 'no-such-ffmpeg') }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/decoding \.mp3 file needs ffmpeg, but .* was not found on PATH; install ffmpeg \(apt-get install ffmpeg\) or convert to WAV/);
  });

  it("puts ffmpeg's stderr in the error when it fails", async () => {
    const ffmpeg = await fakeFfmpeg('failing-ffmpeg', 'echo "speech.ogg: Invalid data found when processing input" >&2; exit 1');
    const error = await rejection(loadAudio(join(dir, 'speech.ogg'), { ffmpeg }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/ffmpeg could not decode the file \(exit code 1\): speech\.ogg: Invalid data found when processing input/);
  });

  it('passes the decode arguments and reads f32le samples from stdout', async () => {
    // Records its arguments, then prints two little-endian float32 samples: 0.5 and -0.25.
    const ffmpeg = await fakeFfmpeg('echo-ffmpeg', `echo "$@" > "${join(dir, 'args.txt')}"; printf '\\000\\000\\000\\077\\000\\000\\200\\276'`);
    const path = join(dir, 'clip.m4a');
    const { samples, sampleRate } = await loadAudio(path, { ffmpeg, sampleRate: 22050 });
    expect(sampleRate).toBe(22050);
    expect(Array.from(samples)).toEqual([0.5, -0.25]);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(join(dir, 'args.txt'), 'utf8')).trim()).toBe(`-v error -nostdin -i ${path} -f f32le -ac 1 -ar 22050 -`);
  });

  it('reports a file that decodes to no samples', async () => {
    const ffmpeg = await fakeFfmpeg('silent-ffmpeg', 'exit 0');
    const error = await rejection(loadAudio(join(dir, 'empty.flac'), { ffmpeg }));
    expect(error.message).toMatch(/empty\.flac: contains no audio samples$/);
  });

  it('stops ffmpeg once its output passes maxSeconds (an endless decode ends in a FormatError naming the option)', async () => {
    // Writes 64 MB of zeros (17 minutes of silence at 16 kHz): far past the 2 s allowed. Bounded,
    // so that a broken cap fails this test instead of filling the memory.
    const ffmpeg = await fakeFfmpeg('endless-ffmpeg', 'exec head -c 64000000 /dev/zero');
    const path = join(dir, 'endless.flac');
    const error = await rejection(loadAudio(path, { ffmpeg, maxSeconds: 2 }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(`${path}: decodes to more than 2 s of audio, more than the 2-second limit; pass maxSeconds to raise the limit (or cut the file)`);
  });

  it('an abort stops ffmpeg at once and rejects with an AbortError', async () => {
    // A decoder that would take 30 s.
    const ffmpeg = await fakeFfmpeg('slow-ffmpeg', 'exec sleep 30');
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(loadAudio(join(dir, 'endless.flac'), { ffmpeg, signal: controller.signal }));
    expect(error).toBeInstanceOf(AbortError);
    expect(performance.now() - started).toBeLessThan(5000);
    // Already aborted: nothing starts.
    expect(await rejection(loadAudio(join(dir, 'endless.flac'), { ffmpeg, signal: controller.signal }))).toBeInstanceOf(AbortError);
  });

  it('refuses NaN samples from ffmpeg', async () => {
    // One little-endian float32 NaN (0x7fc00000).
    const ffmpeg = await fakeFfmpeg('nan-ffmpeg', `printf '\\000\\000\\300\\177'`);
    const error = await rejection(loadAudio(join(dir, 'nan.flac'), { ffmpeg }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/nan\.flac: expected finite samples, ffmpeg decoded NaN at sample 0$/);
  });

  it('refuses a FIFO before ffmpeg opens it (it would wait for a writer forever)', async () => {
    const fifo = join(dir, 'pipe.mp3');
    execFileSync('mkfifo', [fifo]);
    const error = await rejection(loadAudio(fifo));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/pipe\.mp3: expected a regular file, received a FIFO/);
  });

  it.skipIf(!ffmpegInstalled)('decodes a real file with the installed ffmpeg (skipped: ffmpeg is not on PATH)', async () => {
    const wav = join(dir, 'tone.wav');
    await writeFile(wav, writeWav({ kind: 'pcm', bits: 16, sampleRate: 44100, frames: Array.from({ length: 44100 }, (_, n) => [Math.round(8192 * Math.sin((2 * Math.PI * 440 * n) / 44100))]) }));
    const flac = join(dir, 'tone.flac');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', wav, flac]);
    const { samples } = await loadAudio(flac);
    expect(Math.abs(samples.length - 16000)).toBeLessThanOrEqual(2);
    const peak = samples.slice(4000, 12000).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(Math.abs(peak - 0.25)).toBeLessThan(0.01);
  });
});
