/**
 * Drawing an identity from a seed: shape coefficients (mild, so every seed stays a plausible
 * head), small asymmetries, and colours (skin, hair, eyes, lips). The same seed always gives
 * the same identity; seed 0 is the mean head.
 *
 * @module
 */

import { DEFAULT_PALETTE, type Palette } from './colors.js';
import { clamp, Random } from './math.js';
import { drawPalette } from './palettes.js';
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

/**
 * The identity of a seed. Seed 0 is the mean head (all coefficients 0, no asymmetry, the
 * default colours): the demo's avatar and the natural reference; every other seed draws.
 */
export function drawIdentity(seed: number): Identity {
  if (seed === 0) return { shape: SHAPE_COMPONENTS.map(() => 0), asymmetry: ASYMMETRIES.map(() => 0), palette: DEFAULT_PALETTE };
  const rng = new Random(seed);
  const shape = SHAPE_COMPONENTS.map(() => clamp(SHAPE_SPREAD * rng.normal(), -SHAPE_LIMIT, SHAPE_LIMIT));
  const asymmetry = ASYMMETRIES.map(() => clamp(rng.normal(), -1.5, 1.5));
  const { skin, hair, iris, lip } = drawPalette(rng);
  return { shape, asymmetry, palette: { skin, hair, iris, lip } };
}
