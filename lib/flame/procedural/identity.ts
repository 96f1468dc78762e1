/**
 * Drawing an identity from a seed: shape coefficients (mild, so every seed stays a plausible
 * head), small asymmetries, and colours (skin, hair, eyes, lips). The same seed always gives
 * the same identity; seed 0 is the mean head.
 *
 * @module
 */

import { DEFAULT_PALETTE, type Palette } from './colors.js';
import { clamp, lerp3, Random, type Vec3 } from './math.js';
import { ASYMMETRIES, SHAPE_COMPONENTS } from './shapes.js';

export interface Identity {
  /** Coefficients of the shape components, [S]. */
  shape: number[];
  /** Amplitudes of the asymmetries. */
  asymmetry: number[];
  palette: Palette;
}

/** Standard deviation of the drawn shape coefficients, and their bound. */
const SHAPE_SPREAD = 0.6;
const SHAPE_LIMIT = 1.6;

const SKIN_TONES: readonly Vec3[] = [
  [0.94, 0.78, 0.68],
  [0.86, 0.64, 0.52],
  [0.74, 0.52, 0.39],
  [0.56, 0.37, 0.26],
  [0.38, 0.24, 0.17],
];
const HAIR: readonly Vec3[] = [
  [0.05, 0.04, 0.04],
  [0.15, 0.1, 0.07],
  [0.27, 0.17, 0.1],
  [0.55, 0.42, 0.26],
  [0.42, 0.19, 0.09],
  [0.5, 0.49, 0.47],
];
const HAIR_WEIGHTS = [0.3, 0.3, 0.2, 0.09, 0.06, 0.05];
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

/** A point along the skin tone scale, t in [0, 1] from light to dark. */
function skinTone(t: number): Vec3 {
  const x = clamp(t, 0, 1) * (SKIN_TONES.length - 1);
  const i = Math.min(Math.floor(x), SKIN_TONES.length - 2);
  return lerp3(SKIN_TONES[i]!, SKIN_TONES[i + 1]!, x - i);
}

/**
 * The identity of a seed. Seed 0 is the mean head (all coefficients 0, no asymmetry, the
 * default colours): the demo's avatar and the natural reference; every other seed draws.
 */
export function drawIdentity(seed: number): Identity {
  if (seed === 0) return { shape: SHAPE_COMPONENTS.map(() => 0), asymmetry: ASYMMETRIES.map(() => 0), palette: DEFAULT_PALETTE };
  const rng = new Random(seed);
  const shape = SHAPE_COMPONENTS.map(() => clamp(SHAPE_SPREAD * rng.normal(), -SHAPE_LIMIT, SHAPE_LIMIT));
  const asymmetry = ASYMMETRIES.map(() => clamp(rng.normal(), -1.5, 1.5));
  const skin = skinTone(rng.uniform());
  const warmth = rng.range(-0.03, 0.03);
  const skinC: Vec3 = [clamp(skin[0] + warmth, 0, 1), skin[1], clamp(skin[2] - warmth, 0, 1)];
  const hair = pick(rng, HAIR, HAIR_WEIGHTS);
  const iris = pick(rng, IRIS, IRIS_WEIGHTS);
  const redness = rng.range(0.85, 1.1);
  const lip: Vec3 = [clamp(skinC[0] * 0.9 * redness, 0, 1), skinC[1] * 0.55, skinC[2] * 0.58];
  return { shape, asymmetry, palette: { skin: skinC, hair, iris, lip } };
}
