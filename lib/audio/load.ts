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
import { FormatError, ValidationError } from '../errors.js';
import { ffmpegOutput } from '../io/ffmpeg.js';
import { describeValue, requirePositiveInt } from '../validate.js';
import { resample, toMono } from './resample.js';
import { readWav } from './wav.js';

/** Options of {@link loadAudio}. */
export interface LoadAudioOptions {
  /** Rate of the returned samples, in Hz; 16000 (the speech encoder's rate) by default. */
  sampleRate?: number;
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
 * @param options - The output rate and the ffmpeg executable.
 * @returns The mono samples and their rate.
 * @throws {@link ValidationError} for invalid options.
 * @throws {@link FormatError} when the file cannot be decoded, holds no samples, or needs ffmpeg
 *   and none is installed; file-system errors are passed through.
 */
export async function loadAudio(path: string, options: LoadAudioOptions = {}): Promise<LoadedAudio> {
  if (typeof path !== 'string' || path === '') {
    throw new ValidationError(`expected path to be a non-empty string, received ${describeValue(path)}`);
  }
  const sampleRate = requirePositiveInt('sampleRate', options.sampleRate ?? 16000);
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  if (typeof ffmpeg !== 'string' || ffmpeg === '') {
    throw new ValidationError(`expected ffmpeg to be a non-empty string, received ${describeValue(ffmpeg)}`);
  }

  if (extname(path).toLowerCase() === '.wav') {
    const wav = await readWav(path);
    return { samples: resample(toMono(wav.channels), wav.sampleRate, sampleRate), sampleRate };
  }
  return { samples: await decodeWithFfmpeg(path, sampleRate, ffmpeg), sampleRate };
}

/** Runs ffmpeg to decode `path` to mono 32-bit float at `sampleRate` on its stdout. */
async function decodeWithFfmpeg(path: string, sampleRate: number, ffmpeg: string): Promise<Float32Array> {
  const bytes = await ffmpegOutput(path, ['-f', 'f32le', '-ac', '1', '-ar', String(sampleRate), '-'], ffmpeg, { noun: 'file', fix: 'convert to WAV' });
  const count = Math.floor(bytes.length / 4);
  if (count === 0) throw new FormatError('contains no audio samples', { path });
  // Copy into a fresh, aligned buffer: Buffer.concat may return a slice at any byte offset.
  const samples = new Float32Array(count);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, count * 4));
  return samples;
}
