/**
 * The weight-free audio encoder: log-mel features that can stand in for wav2vec 2.0, so every
 * stage runs with no downloaded weights. Framing matches wav2vec2 at 16 kHz (20 ms hop: 50
 * frames a second); the spectrum follows torchaudio's `MelSpectrogram` (centred
 * reflect-padded frames, periodic Hann window, power 2, HTK mel scale, unnormalised filters),
 * then `log(mel + logFloor)`.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { native } from '../native.js';
import { awaitNative, toNdarray } from '../ops.js';
import { ValidationError } from '../errors.js';
import { describeValue, requirePositiveNumber, requireFiniteNumber, toFloat32Tensor, type ArrayLike } from '../validate.js';
import { MAX_FEATURE_VALUES, MAX_SAMPLE_RATE, requireSampleRate } from './limits.js';

/** Ranges of the integer settings: beyond them the window, filter bank or output would not fit in memory. */
export const LOG_MEL_RANGES = Object.freeze({ nFft: [2, 65536], hopLength: [1, 65536], nMels: [1, 1024] } as const);


/** Parameters of {@link logMelFeatures}; the defaults are the documented encoder. */
export interface LogMelOptions {
  /** Sample rate of the input, Hz. Default 16000. */
  sampleRate?: number;
  /** FFT size and window length, samples. Default 400 (25 ms). */
  nFft?: number;
  /** Hop between frames, samples. Default 320 (20 ms: 50 frames a second). */
  hopLength?: number;
  /** Mel bands. Default 80. */
  nMels?: number;
  /** Lowest filter edge, Hz. Default 0. */
  fMin?: number;
  /** Highest filter edge, Hz. Default 8000 (at most sampleRate / 2). */
  fMax?: number;
  /** Added before the log. Default 1e-6. */
  logFloor?: number;
  /** Cancels the call: it rejects with AbortError. */
  signal?: AbortSignal;
}

/**
 * Log-mel features of mono samples.
 *
 * @param samples - [T] mono samples in [-1, 1], at `options.sampleRate`.
 * @returns [1 + floor(T / hopLength), nMels].
 */
export async function logMelFeatures(samples: Float32Array | ArrayLike, options: LogMelOptions = {}): Promise<NdArray<Float32Array>> {
  const input = samples instanceof Float32Array ? { data: samples, shape: [samples.length] } : samples;
  const s = toFloat32Tensor('samples', input, ['T']);
  const settings: Record<string, number> = {};
  if (options.sampleRate !== undefined) settings.sampleRate = requireSampleRate('sampleRate', options.sampleRate);
  for (const key of ['nFft', 'hopLength', 'nMels'] as const) {
    if (options[key] === undefined) continue;
    const [min, max] = LOG_MEL_RANGES[key];
    const value = options[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ValidationError(`expected ${key} to be an integer in [${min}, ${max}], received ${describeValue(value)}`);
    }
    settings[key] = value;
  }
  // Bounded by the highest accepted Nyquist frequency, so every value stays finite in float32.
  if (options.fMin !== undefined) settings.fMin = requireFiniteNumber('fMin', options.fMin, { min: 0, max: MAX_SAMPLE_RATE / 2 });
  if (options.fMax !== undefined) settings.fMax = requireFiniteNumber('fMax', options.fMax, { min: 0, max: MAX_SAMPLE_RATE / 2 });
  if (options.logFloor !== undefined) {
    // The native code adds it in float32: 1e-300 would become 0 there, and log(0) = -Infinity.
    const floor = requirePositiveNumber('logFloor', options.logFloor);
    if (!(Math.fround(floor) > 0) || floor > 1) throw new ValidationError(`expected logFloor to be in [1e-38, 1] (positive in float32), received ${floor}`);
    settings.logFloor = floor;
  }
  // Output [frames, nMels]: refuse what cannot be held (hopLength 1 on an hour of audio: 18 GB).
  const frames = Math.floor(s.shape[0]! / (settings.hopLength ?? 320)) + 1;
  if (frames * (settings.nMels ?? 80) > MAX_FEATURE_VALUES) {
    throw new ValidationError(`expected at most ${MAX_FEATURE_VALUES} feature values, received ${frames} frames × ${settings.nMels ?? 80} bands: a larger hopLength, fewer nMels, or shorter audio`);
  }
  const raw = await awaitNative(native().logMel({ samples: s, ...settings }), options.signal);
  return toNdarray(raw.features);
}
