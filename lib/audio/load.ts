/**
 * Loading any audio file as mono samples at a chosen rate.
 *
 * `.wav` files are decoded in-process ({@link decodeWav}); everything else (mp3, m4a, ogg,
 * flac, the audio track of mp4/mov/mkv...) is decoded by an `ffmpeg` executable, when one is
 * installed, which also mixes down to mono and resamples.
 *
 * @module
 */

import { extname } from 'node:path';
import { AbortError, FormatError, ValidationError } from '../errors.js';
import { ffmpegOutput } from '../io/ffmpeg.js';
import { describeValue } from '../validate.js';
import { requireMaxSeconds, requireSampleRate, tooLongMessage } from './limits.js';
import { resample, toMono } from './resample.js';
import { readWav } from './wav.js';

/** Options of {@link loadAudio}. */
export interface LoadAudioOptions {
  /** Rate of the returned samples, in Hz (an integer in [1000, 768000]); 16000 (the speech encoder's rate) by default. */
  sampleRate?: number;
  /**
   * Longest audio decoded, seconds; 3600 (1 hour) by default. A longer file is refused with a
   * {@link FormatError}: a WAV from its header, before decoding; anything else while ffmpeg's
   * output streams in (ffmpeg is stopped there), so a small file that decodes to hours of
   * silence cannot take gigabytes.
   */
  maxSeconds?: number;
  /** Stops the decode (ffmpeg is killed) and rejects with an {@link AbortError}. */
  signal?: AbortSignal;
  /** The ffmpeg executable used for non-WAV files; `'ffmpeg'` (looked up on PATH) by default. */
  ffmpeg?: string;
}

/** Mono audio at a known rate. */
export interface LoadedAudio {
  /** The samples, mixed down to one channel. */
  samples: Float32Array;
  /** Frames per second of `samples`. */
  sampleRate: number;
}

/**
 * Loads an audio file as mono samples at `sampleRate`.
 *
 * @param path - A `.wav` file, or any file ffmpeg can read (mp3, m4a, ogg, flac, mp4, mov, mkv...).
 * @param options - The output rate, the duration limit and the ffmpeg executable.
 * @returns The mono samples and their rate.
 * @throws {@link ValidationError} for invalid options.
 * @throws {@link FormatError} when the file cannot be decoded, is not a regular file, holds no
 *   samples or a NaN / infinite one, lasts longer than `maxSeconds`, or needs ffmpeg and none is
 *   installed (messages quote ffmpeg's own); {@link FileSystemError} when it cannot be read;
 *   {@link AbortError} when `signal` aborts.
 */
export async function loadAudio(path: string, options: LoadAudioOptions = {}): Promise<LoadedAudio> {
  if (typeof path !== 'string' || path === '') {
    throw new ValidationError(`expected path to be a non-empty string, received ${describeValue(path)}`);
  }
  const sampleRate = requireSampleRate('sampleRate', options.sampleRate ?? 16000);
  const maxSeconds = requireMaxSeconds(options.maxSeconds);
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  if (typeof ffmpeg !== 'string' || ffmpeg === '') {
    throw new ValidationError(`expected ffmpeg to be a non-empty string, received ${describeValue(ffmpeg)}`);
  }

  if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  if (extname(path).toLowerCase() === '.wav') {
    const wav = await readWav(path, { maxSeconds });
    return { samples: resample(toMono(wav.channels), wav.sampleRate, sampleRate), sampleRate };
  }
  return { samples: await decodeWithFfmpeg(path, sampleRate, maxSeconds, ffmpeg, options.signal), sampleRate };
}

/** Runs ffmpeg to decode `path` to mono 32-bit float at `sampleRate` on its stdout, at most `maxSeconds` of it. */
async function decodeWithFfmpeg(path: string, sampleRate: number, maxSeconds: number, ffmpeg: string, signal: AbortSignal | undefined): Promise<Float32Array> {
  // 4 bytes per mono float32 sample; one sample of slack for ffmpeg's rounding of the end.
  const maxBytes = 4 * (Math.ceil(maxSeconds * sampleRate) + 1);
  const limit = { maxBytes, error: () => new FormatError(tooLongMessage(undefined, maxSeconds), { path }) };
  const bytes = await ffmpegOutput(path, ['-f', 'f32le', '-ac', '1', '-ar', String(sampleRate), '-'], ffmpeg, { noun: 'file', fix: 'convert to WAV' }, limit, signal);
  const count = Math.floor(bytes.length / 4);
  if (count === 0) throw new FormatError('contains no audio samples', { path });
  // Copy into a fresh, aligned buffer: Buffer.concat may return a slice at any byte offset.
  const samples = new Float32Array(count);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, count * 4));
  for (let i = 0; i < count; i++) {
    const v = samples[i]!;
    if (v - v !== 0) throw new FormatError(`expected finite samples, ffmpeg decoded ${v} at sample ${i}`, { path });
  }
  return samples;
}
