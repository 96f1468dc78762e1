/**
 * Drawing a person's colours from a seed: skin along a light-to-dark scale, lips from the skin,
 * hair and irises from tables of natural colours. Shared by the procedural head's identities and
 * the synthetic studio's.
 *
 * @module
 */

import { clamp, lerp3, type Random, type Vec3 } from './math.js';

/** An RGB colour, each channel in [0, 1]. */
export type Rgb = [number, number, number];

/** Colours of a person. */
export interface DrawnPalette {
  /** Skin, drawn along a light-to-dark scale of natural tones. */
  skin: Rgb;
  /** Lips, from the skin. */
  lip: Rgb;
  /** Irises. */
  iris: Rgb;
  /** Hair. */
  hair: Rgb;
  /** The hair's colour, usually a little darker. */
  eyebrow: Rgb;
}

/** Skin tones from light to dark; a draw picks a point along the scale. */
const SKIN_TONES: readonly Vec3[] = [
  [0.95, 0.8, 0.7],
  [0.88, 0.67, 0.55],
  [0.76, 0.54, 0.41],
  [0.6, 0.4, 0.29],
  [0.42, 0.27, 0.19],
  [0.3, 0.19, 0.14],
];
/** Hair colours, with how often each is drawn. */
const HAIR: readonly Vec3[] = [
  [0.04, 0.035, 0.03],
  [0.13, 0.09, 0.06],
  [0.26, 0.16, 0.09],
  [0.5, 0.37, 0.22],
  [0.72, 0.58, 0.36],
  [0.45, 0.18, 0.08],
  [0.55, 0.54, 0.52],
];
const HAIR_WEIGHTS = [0.28, 0.28, 0.18, 0.09, 0.06, 0.06, 0.05];
/** Iris colours, with how often each is drawn. */
const IRIS: readonly Vec3[] = [
  [0.3, 0.18, 0.09],
  [0.16, 0.09, 0.05],
  [0.4, 0.31, 0.14],
  [0.3, 0.4, 0.24],
  [0.28, 0.43, 0.6],
  [0.42, 0.47, 0.52],
];
const IRIS_WEIGHTS = [0.35, 0.25, 0.12, 0.08, 0.14, 0.06];

function pick<T>(rng: Random, items: readonly T[], weights: readonly number[]): T {
  let u = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    u -= weights[i]!;
    if (u < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

const tint = (c: Vec3, s: number): Vec3 => [clamp(c[0] * s, 0, 1), clamp(c[1] * s, 0, 1), clamp(c[2] * s, 0, 1)];

/** A point along the skin tone scale, t in [0, 1] from light to dark. */
export function skinTone(t: number): Vec3 {
  const x = clamp(t, 0, 1) * (SKIN_TONES.length - 1);
  const i = Math.min(Math.floor(x), SKIN_TONES.length - 2);
  return lerp3(SKIN_TONES[i]!, SKIN_TONES[i + 1]!, x - i);
}

/** Draws a person's colours; the same generator state, the same colours. */
export function drawPalette(rng: Random): DrawnPalette {
  const base = skinTone(rng.uniform());
  const warmth = rng.range(-0.04, 0.04);
  const skin: Vec3 = [clamp(base[0] + warmth, 0, 1), base[1], clamp(base[2] - warmth, 0, 1)];
  const redness = rng.range(0.8, 1.15);
  const lip: Vec3 = [clamp(skin[0] * 0.88 * redness, 0, 1), skin[1] * rng.range(0.5, 0.62), skin[2] * rng.range(0.52, 0.65)];
  const iris = tint(pick(rng, IRIS, IRIS_WEIGHTS), rng.range(0.85, 1.15));
  const hair = tint(pick(rng, HAIR, HAIR_WEIGHTS), rng.range(0.85, 1.15));
  const eyebrow = tint(hair, rng.range(0.7, 1.0));
  return { skin, lip, iris, hair, eyebrow };
}
