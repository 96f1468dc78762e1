/**
 * Channel mixing and band-limited sample-rate conversion.
 *
 * The resampler is a polyphase windowed-sinc (Kaiser) filter: output sample n sits at input
 * position n·from/to, and is the input convolved with a low-pass kernel shifted to that position.
 * The cutoff is 95% of the lower of the two Nyquist frequencies, the passband ends at 90% and the
 * stopband starts at 100%, with a design attenuation of {@link STOPBAND_DB} dB, so nothing above
 * the output's Nyquist frequency folds back (aliases) audibly.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, requirePositiveInt } from '../validate.js';

/** Design stopband attenuation of the anti-aliasing filter, in dB. */
export const STOPBAND_DB = 70;

/** Fraction of the lower Nyquist frequency where the passband ends (flat to < 0.01 dB below it). */
const PASSBAND_END = 0.9;

/**
 * Most kernel phases stored; ratios with a larger numerator (e.g. 44100→44101) interpolate
 * linearly between adjacent phases, whose error (~1e-6) is far below the stopband.
 */
const MAX_PHASES = 1024;

/**
 * Averages channels into one.
 *
 * @param channels - At least one channel; all of the same length.
 * @returns A new array (a copy, also for a single channel).
 * @throws {@link ValidationError} when there are no channels or their lengths differ.
 */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  if (!Array.isArray(channels)) throw new ValidationError(`expected channels to be an array of Float32Arrays, received ${describeValue(channels)}`);
  if (channels.length === 0) throw new ValidationError('expected channels to hold at least 1 channel, received 0');
  const length = channels[0]!.length;
  channels.forEach((channel, c) => {
    if (!(channel instanceof Float32Array)) {
      throw new ValidationError(`expected channels[${c}] to be a Float32Array, received ${describeValue(channel)}`);
    }
    if (channel.length !== length) {
      throw new ValidationError(`expected every channel to hold ${length} samples like channels[0], received ${channel.length} in channels[${c}]`);
    }
  });
  const mono = Float32Array.from(channels[0]!);
  if (channels.length === 1) return mono;
  for (let c = 1; c < channels.length; c++) {
    const channel = channels[c]!;
    for (let i = 0; i < length; i++) mono[i]! += channel[i]!;
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < length; i++) mono[i]! *= scale;
  return mono;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x < 30). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** A bank of kernels: phase p (0..phases) holds the taps for a fractional offset p/phases. */
interface FilterBank {
  phases: number;
  /** Taps per phase; tap j multiplies input sample base − halfTaps + 1 + j. */
  taps: number;
  halfTaps: number;
  /** `(phases + 1) × taps` coefficients, phase-major (the extra phase eases interpolation). */
  kernels: Float64Array;
}

const bankCache = new Map<string, FilterBank>();

/**
 * Most filter coefficients designed (2^24: 128 MiB of float64). Common conversions need far
 * fewer (44.1→16 kHz: ~0.4 M; 768→16 kHz: ~0.1 M); a ratio beyond ~1:10000 would need more,
 * and such rates come from corrupt headers (a 4 GHz "WAV" asked for 10^11).
 */
export const MAX_FILTER_COEFFICIENTS = 2 ** 24;

/** Most samples {@link resample} returns (2^30: 4 GiB of float32, 18 hours at 16 kHz). */
export const MAX_RESAMPLED_LENGTH = 2 ** 30;

/** The filter's length for a conversion by `up/down` (Kaiser's formula from the attenuation and transition width). */
function filterSize(up: number, down: number): { nyquist: number; halfWidth: number; halfTaps: number; taps: number; phases: number } {
  const nyquist = 0.5 * Math.min(1, up / down); // lower Nyquist, in cycles per input sample
  const transition = nyquist * (1 - PASSBAND_END);
  const length = (STOPBAND_DB - 8) / (2.285 * 2 * Math.PI * transition);
  const halfWidth = length / 2;
  const halfTaps = Math.ceil(halfWidth);
  return { nyquist, halfWidth, halfTaps, taps: 2 * halfTaps, phases: Math.min(up, MAX_PHASES) };
}

/**
 * Designs the Kaiser-windowed sinc for a conversion by `up/down` (reduced), in input samples.
 * Kaiser's formulas give the window's β and length from the attenuation and transition width.
 */
function filterBank(up: number, down: number): FilterBank {
  const key = `${up}/${down}`;
  const cached = bankCache.get(key);
  if (cached !== undefined) return cached;

  const { nyquist, halfWidth, halfTaps, taps, phases } = filterSize(up, down);
  const cutoff = nyquist * (1 + PASSBAND_END) / 2;
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const i0Beta = besselI0(beta);

  const kernels = new Float64Array((phases + 1) * taps);
  for (let p = 0; p <= phases; p++) {
    const frac = p / phases;
    const row = new Float64Array(taps);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const t = frac + halfTaps - 1 - j; // distance from input sample to output position
      const r = t / halfWidth;
      if (Math.abs(r) >= 1) continue;
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      row[j] = 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
      sum += row[j]!;
    }
    // Unit DC gain at every phase, so phase-to-phase gain differences cannot add spurious tones.
    for (let j = 0; j < taps; j++) kernels[p * taps + j] = row[j]! / sum;
  }
  const bank = { phases, taps, halfTaps, kernels };
  bankCache.set(key, bank);
  return bank;
}

/** Dot product of `taps` kernel coefficients with input samples from `first`, zero outside `x`. */
function dot(x: Float32Array, first: number, kernels: Float64Array, k0: number, taps: number): number {
  let acc = 0;
  if (first >= 0 && first + taps <= x.length) {
    for (let j = 0; j < taps; j++) acc += x[first + j]! * kernels[k0 + j]!;
  } else {
    const lo = Math.max(0, -first);
    const hi = Math.min(taps, x.length - first);
    for (let j = lo; j < hi; j++) acc += x[first + j]! * kernels[k0 + j]!;
  }
  return acc;
}

/**
 * Converts a signal's sample rate with a band-limited (anti-aliased) polyphase filter.
 *
 * Output sample n is the signal at time n / toRate, so the first samples of input and output
 * coincide. The signal is taken as zero outside its ends.
 *
 * @param x - The samples.
 * @param fromRate - The input's rate, a positive integer (Hz).
 * @param toRate - The output's rate, a positive integer (Hz).
 * @returns A new array of exactly `round(x.length · toRate / fromRate)` samples (halves round
 *   up), or a copy of `x` when the rates are equal.
 * @throws {@link ValidationError} when `x` is not a Float32Array, a rate is not a positive
 *   integer, or the rates are so far apart that the filter would need more than
 *   {@link MAX_FILTER_COEFFICIENTS} coefficients, or the output would exceed
 *   {@link MAX_RESAMPLED_LENGTH} samples.
 */
export function resample(x: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(x instanceof Float32Array)) throw new ValidationError(`expected x to be a Float32Array, received ${describeValue(x)}`);
  requirePositiveInt('fromRate', fromRate);
  requirePositiveInt('toRate', toRate);
  if (fromRate === toRate) return Float32Array.from(x);

  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const size = filterSize(up, down);
  const coefficients = (size.phases + 1) * size.taps;
  if (coefficients > MAX_FILTER_COEFFICIENTS) {
    throw new ValidationError(`resampling from ${fromRate} Hz to ${toRate} Hz needs a filter of ${coefficients} coefficients, more than the ${MAX_FILTER_COEFFICIENTS} limit: choose rates closer together, or resample in stages`);
  }
  // Exact integer arithmetic for round-half-up of x.length·up/down (below 2^53 for any real audio).
  const outLength = Math.floor((2 * x.length * up + down) / (2 * down));
  if (outLength > MAX_RESAMPLED_LENGTH) {
    throw new ValidationError(`resampling ${x.length} samples from ${fromRate} Hz to ${toRate} Hz would give ${outLength} samples, more than the ${MAX_RESAMPLED_LENGTH} limit (4 GiB of float32): resample shorter parts`);
  }
  const { phases, taps, halfTaps, kernels } = filterBank(up, down);
  const out = new Float32Array(outLength);

  let base = 0; // floor(n·down/up), advanced incrementally
  let rem = 0; // (n·down) mod up
  const step = Math.floor(down / up);
  const stepRem = down % up;
  for (let n = 0; n < outLength; n++) {
    const first = base - halfTaps + 1;
    if (up === phases && first >= 0 && first + taps <= x.length) {
      // The common case (exact phase, away from the edges) inlined: this loop is the hot spot.
      const k0 = rem * taps;
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += x[first + j]! * kernels[k0 + j]!;
      out[n] = acc;
    } else if (up === phases) {
      out[n] = dot(x, first, kernels, rem * taps, taps);
    } else {
      const position = (rem * phases) / up;
      const p = Math.floor(position);
      const w = position - p;
      const a = dot(x, first, kernels, p * taps, taps);
      out[n] = w === 0 ? a : a + w * (dot(x, first, kernels, (p + 1) * taps, taps) - a);
    }
    base += step;
    rem += stepRem;
    if (rem >= up) {
      rem -= up;
      base += 1;
    }
  }
  return out;
}
