import { describe, expect, it } from 'vitest';

import { resample, toMono } from '../lib/audio/resample.js';
import { ValidationError } from '../lib/errors.js';
import { thrownMessage } from './helpers/errors.js';

function sine(freq: number, rate: number, length: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length }, (_, n) => amplitude * Math.sin((2 * Math.PI * freq * n) / rate));
}

/**
 * Amplitude of the component of `x` at `freq`: a single-bin DFT over the middle half of the
 * signal (away from the zero-padded edges) under a Hann window, normalised by the window's sum.
 */
function amplitudeAt(x: Float32Array, rate: number, freq: number): number {
  const start = Math.floor(x.length / 4);
  const length = Math.floor(x.length / 2);
  let re = 0;
  let im = 0;
  let windowSum = 0;
  for (let i = 0; i < length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1));
    const phase = (2 * Math.PI * freq * (start + i)) / rate;
    re += w * x[start + i]! * Math.cos(phase);
    im -= w * x[start + i]! * Math.sin(phase);
    windowSum += w;
  }
  return (2 * Math.hypot(re, im)) / windowSum;
}

const dB = (ratio: number): number => 20 * Math.log10(ratio);

/** Where a tone at `freq` folds to when sampled at `rate`. */
function aliasOf(freq: number, rate: number): number {
  const folded = freq % rate;
  return folded > rate / 2 ? rate - folded : folded;
}

describe('resample: passband', () => {
  for (const from of [44100, 48000, 22050]) {
    for (const freq of [100, 1000, 3000, 5000, 6900]) {
      it(`${from}→16000 keeps a ${freq} Hz sine within 0.1 dB`, () => {
        const out = resample(sine(freq, from, from / 2), from, 16000);
        expect(Math.abs(dB(amplitudeAt(out, 16000, freq) / 0.5))).toBeLessThan(0.1);
      });
    }
  }

  it('8000→16000 keeps a 1 kHz sine (amplitude, waveform, no image at 7 kHz)', () => {
    const out = resample(sine(1000, 8000, 8000), 8000, 16000);
    expect(out.length).toBe(16000);
    expect(Math.abs(dB(amplitudeAt(out, 16000, 1000) / 0.5))).toBeLessThan(0.1);
    expect(dB(amplitudeAt(out, 16000, 7000) / 0.5)).toBeLessThan(-60);
    const ideal = sine(1000, 16000, 16000);
    for (let n = 4000; n < 12000; n++) expect(Math.abs(out[n]! - ideal[n]!)).toBeLessThan(1e-3);
  });

  it('44100→44101 (a ratio with more phases than stored) keeps a 1 kHz sine sample by sample', () => {
    const out = resample(sine(1000, 44100, 44100), 44100, 44101);
    expect(out.length).toBe(44101);
    const ideal = sine(1000, 44101, 44101);
    let worst = 0;
    for (let n = 11000; n < 33000; n++) worst = Math.max(worst, Math.abs(out[n]! - ideal[n]!));
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('resample: stopband (no aliasing)', () => {
  const cases: [number, number][] = [
    [44100, 8500],
    [44100, 10000],
    [44100, 15000],
    [44100, 20000],
    [48000, 9000],
    [48000, 10000],
    [48000, 15000],
    [48000, 23000],
  ];
  for (const [from, freq] of cases) {
    const alias = aliasOf(freq, 16000);
    it(`${from}→16000 attenuates ${freq} Hz (alias at ${alias} Hz) by ≥ 60 dB`, () => {
      const out = resample(sine(freq, from, from / 2), from, 16000);
      const level = dB(amplitudeAt(out, 16000, alias) / 0.5);
      expect(level).toBeLessThan(-60);
    });
  }

  it('reports the worst stopband level over 8.1–22 kHz at 44100→16000', () => {
    let worst = -Infinity;
    for (let freq = 8100; freq <= 22000; freq += 100) {
      const out = resample(sine(freq, 44100, 22050), 44100, 16000);
      worst = Math.max(worst, dB(amplitudeAt(out, 16000, aliasOf(freq, 16000)) / 0.5));
    }
    console.log(`worst stopband level 44100→16000 over 8.1–22 kHz: ${worst.toFixed(1)} dB`);
    expect(worst).toBeLessThan(-60);
  });
});

describe('resample: lengths and identity', () => {
  it('returns exactly round(length · to / from) samples, halves rounding up', () => {
    const cases: [number, number, number, number][] = [
      // [length, from, to, expected]
      [44100, 44100, 16000, 16000],
      [1000, 44100, 16000, 363], // 362.81
      [1001, 48000, 16000, 334], // 333.67
      [1000, 22050, 16000, 726], // 725.62
      [7, 8000, 16000, 14],
      [1, 2, 1, 1], // 0.5 rounds up
      [3, 2, 1, 2], // 1.5 rounds up
      [5, 4, 1, 1], // 1.25 rounds down
      [1, 44100, 16000, 0],
      [0, 48000, 16000, 0],
    ];
    for (const [length, from, to, want] of cases) {
      expect(resample(new Float32Array(length), from, to).length, `${length} @ ${from}→${to}`).toBe(want);
    }
  });

  it('returns a copy of the input when the rates are equal', () => {
    const x = sine(440, 16000, 100);
    const y = resample(x, 16000, 16000);
    expect(y).not.toBe(x);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('keeps a constant signal constant away from the edges', () => {
    const out = resample(new Float32Array(4410).fill(0.25), 44100, 16000);
    for (let n = 200; n < out.length - 200; n++) expect(Math.abs(out[n]! - 0.25)).toBeLessThan(1e-5);
  });

  it('rejects invalid arguments', () => {
    const x = new Float32Array(4);
    expect(thrownMessage(() => resample(x, 0, 16000), ValidationError)).toBe('expected fromRate to be a positive integer, received 0');
    expect(thrownMessage(() => resample(x, 44100, 16000.5), ValidationError)).toMatch(/expected toRate to be a positive integer, received 16000\.5/);
    expect(thrownMessage(() => resample([1, 2] as unknown as Float32Array, 1, 2), ValidationError)).toMatch(/expected x to be a Float32Array/);
    // A 4 GHz "rate" from a corrupt header: the filter would need ~10^11 coefficients (this hung, then threw RangeError).
    expect(thrownMessage(() => resample(x, 0xf1003e80, 16000), ValidationError)).toMatch(/^resampling from 4043325056 Hz to 16000 Hz needs a filter of \d+ coefficients, more than the 16777216 limit/);
    // 10^6 samples at 1 Hz to 768 kHz: 7.7·10^11 samples.
    expect(thrownMessage(() => resample(new Float32Array(1e6), 1, 768000), ValidationError)).toBe(
      'resampling 1000000 samples from 1 Hz to 768000 Hz would give 768000000000 samples, more than the 1073741824 limit (4 GiB of float32): resample shorter parts',
    );
  });
});

describe('toMono', () => {
  it('averages channels into a new array', () => {
    const left = Float32Array.from([1, 0.5, -1]);
    const right = Float32Array.from([0, 0.5, 1]);
    expect(Array.from(toMono([left, right]))).toEqual([0.5, 0.5, 0]);
    const single = toMono([left]);
    expect(single).not.toBe(left);
    expect(Array.from(single)).toEqual(Array.from(left));
  });

  it('rejects no channels, mismatched lengths and non-Float32Array channels', () => {
    expect(thrownMessage(() => toMono([]), ValidationError)).toBe('expected channels to hold at least 1 channel, received 0');
    expect(thrownMessage(() => toMono([new Float32Array(3), new Float32Array(2)]), ValidationError)).toBe(
      'expected every channel to hold 3 samples like channels[0], received 2 in channels[1]',
    );
    expect(thrownMessage(() => toMono([new Float64Array(3) as unknown as Float32Array]), ValidationError)).toMatch(
      /expected channels\[0\] to be a Float32Array/,
    );
  });
});
