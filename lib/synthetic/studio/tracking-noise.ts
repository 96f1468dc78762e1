/**
 * Tracking error for the studio's FLAME parameters: what a photometric tracker such as VHAP
 * gets wrong, as smooth, temporally correlated deviations (trackers are regularised over time,
 * so their error drifts rather than jitters) plus a constant shape error per sequence. Each
 * channel is a sum of sinusoids with random phases at 0.1–1.5 Hz whose amplitudes are scaled
 * so the channel's standard deviation (over phases) is the stated magnitude:
 * var(Σ a_i sin(·)) = Σ a_i² / 2.
 *
 * @module
 */

import { ValidationError } from '../../errors.js';
import { Random } from '../../flame/procedural/math.js';

/** Standard deviations of the tracking error per parameter group. */
export interface TrackingNoiseScales {
  /** Global rotation, radians per axis. */
  rotation: number;
  /** Translation, metres per axis. */
  translation: number;
  /** Neck rotation, radians per axis. */
  neck: number;
  /** Jaw rotation, radians (pitch; the other axes get a quarter). */
  jaw: number;
  /** Expression coefficients. */
  expr: number;
  /** Eye rotations, radians. */
  eyes: number;
  /** Shape coefficients (constant over the sequence). */
  shape: number;
}

/** The default magnitudes: rotation 0.7°, translation 1.5 mm, neck 0.4°, jaw 0.01 rad, expression 0.04, eyes 1°, shape 0.1. */
export const TRACKING_NOISE: TrackingNoiseScales = {
  rotation: (0.7 * Math.PI) / 180,
  translation: 0.0015,
  neck: (0.4 * Math.PI) / 180,
  jaw: 0.01,
  expr: 0.04,
  eyes: (1 * Math.PI) / 180,
  shape: 0.1,
};

/** Frequencies of the error's sinusoids, Hz. */
const MIN_HZ = 0.1;
const MAX_HZ = 1.5;
const WAVES = 6;

/** The `trackingNoise` option: a factor on {@link TRACKING_NOISE} (0 disables), or scales per group (missing groups default). */
export type TrackingNoiseOption = number | Partial<TrackingNoiseScales>;

/** Resolves the option to scales; throws ValidationError for a bad one. */
export function trackingNoiseScales(option: TrackingNoiseOption | undefined): TrackingNoiseScales {
  if (option === undefined) return { ...TRACKING_NOISE };
  if (typeof option === 'number') {
    if (!(Number.isFinite(option) && option >= 0)) throw new ValidationError(`expected trackingNoise to be a non-negative number or an object of scales, received ${String(option)}`);
    return Object.fromEntries(Object.entries(TRACKING_NOISE).map(([k, v]) => [k, v * option])) as unknown as TrackingNoiseScales;
  }
  if (typeof option !== 'object' || option === null) throw new ValidationError(`expected trackingNoise to be a non-negative number or an object of scales, received ${String(option)}`);
  const out = { ...TRACKING_NOISE };
  for (const [k, v] of Object.entries(option)) {
    if (!(k in TRACKING_NOISE)) throw new ValidationError(`expected trackingNoise keys among ${Object.keys(TRACKING_NOISE).join(', ')}, received ${k}`);
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new ValidationError(`expected trackingNoise.${k} to be a non-negative number, received ${String(v)}`);
    (out as Record<string, number>)[k] = v;
  }
  return out;
}

/** Per-timestep error tracks, row-major like the parameters they perturb. */
export interface TrackingError {
  rotation: Float32Array; // [T, 3]
  translation: Float32Array; // [T, 3]
  neck: Float32Array; // [T, 3]
  jaw: Float32Array; // [T, 3]
  expr: Float32Array; // [T, E]
  eyes: Float32Array; // [T, 6]
  shape: Float32Array; // [S], constant
}

/** `channels` smooth tracks of T samples at fps, each with standard deviation sigma (per channel scale), [T, channels]. */
function smoothTracks(rng: Random, T: number, fps: number, sigma: (channel: number) => number, channels: number): Float32Array {
  const out = new Float32Array(T * channels);
  for (let c = 0; c < channels; c++) {
    const s = sigma(c);
    const waves = Array.from({ length: WAVES }, () => ({ f: MIN_HZ + (MAX_HZ - MIN_HZ) * rng.uniform(), ph: 2 * Math.PI * rng.uniform(), a: 0.5 + rng.uniform() }));
    const norm = s / Math.sqrt(waves.reduce((acc, w) => acc + (w.a * w.a) / 2, 0));
    for (let t = 0; t < T; t++) {
      let v = 0;
      for (const w of waves) v += w.a * Math.sin(2 * Math.PI * w.f * (t / fps) + w.ph);
      out[t * channels + c] = norm * v;
    }
  }
  return out;
}

/** The tracking error of T timesteps at fps for E expression and S shape coefficients. Deterministic in the seed. */
export function trackingError(T: number, fps: number, E: number, S: number, scales: TrackingNoiseScales, seed: number): TrackingError {
  const rng = new Random(seed * 11 + 0x7bac);
  return {
    rotation: smoothTracks(rng, T, fps, () => scales.rotation, 3),
    translation: smoothTracks(rng, T, fps, () => scales.translation, 3),
    neck: smoothTracks(rng, T, fps, () => scales.neck, 3),
    jaw: smoothTracks(rng, T, fps, (c) => (c === 0 ? scales.jaw : scales.jaw / 4), 3),
    expr: smoothTracks(rng, T, fps, () => scales.expr, E),
    eyes: smoothTracks(rng, T, fps, () => scales.eyes, 6),
    shape: Float32Array.from({ length: S }, () => scales.shape * rng.normal()),
  };
}
