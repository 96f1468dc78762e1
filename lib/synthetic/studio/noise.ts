/**
 * Smooth seeded noise for the synthetic studio: 3D fields (textures on the head's surface) and
 * 1D signals (head motion, gaze), each a normalised sum of random sinusoids, so they are
 * smooth at every scale below their shortest wavelength and reproducible from a seed.
 *
 * @module
 */

import type { Random } from '../../flame/procedural/math.js';

/** A smooth scalar field in [-1, 1] over 3D points (metres). */
export type NoiseField = (x: number, y: number, z: number) => number;

/**
 * A sum of `waves` plane waves with random directions, wavelengths in [min, max] (log-uniform)
 * and phases, scaled so its values stay in [-1, 1] (typically within ±0.5).
 */
export function smoothNoise(rng: Random, options: { waves: number; minWavelength: number; maxWavelength: number }): NoiseField {
  const { waves, minWavelength, maxWavelength } = options;
  const kx: number[] = [];
  const ky: number[] = [];
  const kz: number[] = [];
  const phase: number[] = [];
  const amp: number[] = [];
  for (let i = 0; i < waves; i++) {
    // Uniform direction on the sphere.
    const u = 2 * rng.uniform() - 1;
    const t = 2 * Math.PI * rng.uniform();
    const r = Math.sqrt(1 - u * u);
    const wavelength = minWavelength * (maxWavelength / minWavelength) ** rng.uniform();
    const k = (2 * Math.PI) / wavelength;
    kx.push(k * r * Math.cos(t));
    ky.push(k * r * Math.sin(t));
    kz.push(k * u);
    phase.push(2 * Math.PI * rng.uniform());
    amp.push(0.5 + rng.uniform());
  }
  const total = amp.reduce((a, b) => a + b, 0);
  return (x, y, z) => {
    let s = 0;
    for (let i = 0; i < waves; i++) s += amp[i]! * Math.sin(kx[i]! * x + ky[i]! * y + kz[i]! * z + phase[i]!);
    return s / total;
  };
}

/**
 * A smooth signal of time in [-1, 1]: `waves` sinusoids with frequencies in [minHz, maxHz]
 * and random phases, weighted to sum to at most 1 in magnitude.
 */
export function smoothSignal(rng: Random, options: { waves: number; minHz: number; maxHz: number }): (seconds: number) => number {
  const freq: number[] = [];
  const phase: number[] = [];
  const amp: number[] = [];
  for (let i = 0; i < options.waves; i++) {
    freq.push(options.minHz + (options.maxHz - options.minHz) * rng.uniform());
    phase.push(2 * Math.PI * rng.uniform());
    amp.push(0.5 + rng.uniform());
  }
  const total = amp.reduce((a, b) => a + b, 0);
  return (t) => {
    let s = 0;
    for (let i = 0; i < freq.length; i++) s += amp[i]! * Math.sin(2 * Math.PI * freq[i]! * t + phase[i]!);
    return s / total;
  };
}
