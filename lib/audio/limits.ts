/**
 * The stated limits of audio input: the sample rates accepted and the longest audio decoded.
 *
 * A rate outside {@link MIN_SAMPLE_RATE}..{@link MAX_SAMPLE_RATE} is either a corrupt header
 * (a WAV claiming 4 GHz made the resampler design a filter of 10^11 taps and never finish) or
 * not audio a speech model can use; a decode longer than the duration limit is refused while it
 * streams in, so a small file that decodes to hours of silence cannot take gigabytes.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Lowest accepted audio rate, Hz: below telephone speech (8 kHz) with room to spare. */
export const MIN_SAMPLE_RATE = 1000;

/** Highest accepted audio rate, Hz: the highest rate common converters offer (768 kHz). */
export const MAX_SAMPLE_RATE = 768_000;

/**
 * Default longest audio decoded, seconds (1 hour: 230 MB of 16 kHz float samples). Raise it
 * with the `maxSeconds` option of {@link loadAudio} / {@link readWav}.
 */
export const DEFAULT_MAX_AUDIO_SECONDS = 3600;

/**
 * Most values one feature array may hold (2^29 float32, 2 GiB: 4.6 hours of 1280-wide
 * features at 25 fps; 37 hours of 80-band log-mel at 50 Hz).
 */
export const MAX_FEATURE_VALUES = 2 ** 29;

/** Why `rate` is not an accepted sample rate, or `undefined` when it is. */
export function sampleRateProblem(rate: number): string | undefined {
  if (Number.isInteger(rate) && rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE) return undefined;
  return `expected an integer in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}] Hz, received ${describeValue(rate)}`;
}

/**
 * Requires an audio sample rate: an integer in [{@link MIN_SAMPLE_RATE}, {@link MAX_SAMPLE_RATE}] Hz.
 *
 * @throws {@link ValidationError} such as `expected audio.sampleRate to be an integer in [1000, 768000] Hz, received 2147483647`.
 */
export function requireSampleRate(name: string, value: unknown): number {
  if (typeof value !== 'number' || sampleRateProblem(value) !== undefined) {
    throw new ValidationError(`expected ${name} to be an integer in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}] Hz, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Requires the `maxSeconds` option: a positive finite number of seconds.
 *
 * @throws {@link ValidationError} naming the option.
 */
export function requireMaxSeconds(value: unknown): number {
  const seconds = value ?? DEFAULT_MAX_AUDIO_SECONDS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new ValidationError(`expected maxSeconds to be a positive finite number of seconds, received ${describeValue(seconds)}`);
  }
  return seconds;
}

/** The message of an audio longer than the limit: names the limit and how to raise it. */
export function tooLongMessage(seconds: number | undefined, maxSeconds: number): string {
  const found = seconds === undefined ? `more than ${maxSeconds} s` : `${seconds.toFixed(1)} s`;
  return `decodes to ${found} of audio, more than the ${maxSeconds}-second limit; pass maxSeconds to raise the limit (or cut the file)`;
}
