/**
 * The activations between stored and used Gaussian parameters (as 3D Gaussian Splatting stores
 * them): opacity is stored as a logit, scale as a natural log.
 *
 * @module
 */

/**
 * Opacities are clamped into `[OPACITY_EPSILON, 1 - OPACITY_EPSILON]` before {@link logit}, so
 * that 0 and 1 map to finite logits (about ∓16.12) instead of ∓Infinity.
 */
export const OPACITY_EPSILON = 1e-7;

/**
 * The logistic function, `1 / (1 + e^-x)`: stored logit → opacity in [0, 1].
 * Saturates to exactly 0 or 1 for large |x| without producing NaN (NaN stays NaN).
 *
 * @param x - A logit.
 * @returns The probability it stands for.
 */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The inverse of {@link sigmoid}, `ln(p / (1 - p))`: opacity → stored logit.
 * `p` is first clamped into `[OPACITY_EPSILON, 1 - OPACITY_EPSILON]`, so the result is always
 * finite for p in [0, 1] (±16.118 at the ends).
 *
 * @param p - A probability in [0, 1].
 * @returns Its logit.
 */
export function logit(p: number): number {
  const q = Math.min(Math.max(p, OPACITY_EPSILON), 1 - OPACITY_EPSILON);
  return Math.log(q) - Math.log1p(-q);
}
