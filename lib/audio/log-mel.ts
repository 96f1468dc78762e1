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
import { requirePositiveInt, requirePositiveNumber, requireFiniteNumber, toFloat32Tensor, type ArrayLike } from '../validate.js';

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
  for (const key of ['sampleRate', 'nFft', 'hopLength', 'nMels'] as const) {
    if (options[key] !== undefined) settings[key] = requirePositiveInt(key, options[key]);
  }
  if (options.fMin !== undefined) settings.fMin = requireFiniteNumber('fMin', options.fMin, { min: 0 });
  if (options.fMax !== undefined) settings.fMax = requirePositiveNumber('fMax', options.fMax);
  if (options.logFloor !== undefined) settings.logFloor = requirePositiveNumber('logFloor', options.logFloor);
  const raw = await awaitNative(native().logMel({ samples: s, ...settings }), options.signal);
  return toNdarray(raw.features);
}
