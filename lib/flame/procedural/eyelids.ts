/**
 * Eyelids and eye sockets. The eye fissure is a slit in one mesh row between the two eye
 * corners; its upper copy is the upper lid's margin, its lower copy the lower lid's. Opening,
 * closing (blink) and squinting move the lid rows vertically (a warp of the rows' target
 * heights that compresses or stretches the rows above and below the slit), and wherever the
 * skin lies over the eyeball it is placed on a sphere slightly larger than the eyeball, so a
 * lid can slide over the eye without ever entering it.
 *
 * @module
 */

import { gauss, smax, smin, type Vec3 } from './math.js';
import { SPEC } from './spec.js';

const E = SPEC.eye;

/** How far the lids are moved from rest: 1 closes, negative opens wider. Per eye. */
export interface LidState {
  /** Upper lid closure: 0 rest, 1 shut onto the lower lid, < 0 raised (eyes wide). */
  close: number;
  /** Lower lid raise in metres (squint, cheek push), 0 at rest. */
  lowerRaise: number;
}

export const LIDS_AT_REST: LidState = { close: 0, lowerRaise: 0 };

/** Arch shape along the fissure (u = 0 medial corner, 1 lateral), peaking at `peak`, 0 at both ends. */
function arch(u: number, peak: number): number {
  if (u <= 0 || u >= 1) return 0;
  const gamma = Math.log(0.5) / Math.log(peak);
  return Math.sin(Math.PI * u ** gamma) ** 0.85;
}

/** Rest heights of the lid margins over the corners' line, by u along the fissure. */
const upperMarginRest = (u: number): number => E.upperLid * arch(u, E.upperPeak);
const lowerMarginRest = (u: number): number => -E.lowerLid * arch(u, E.lowerPeak);

/** How far the lids close: the upper margin meets the lower one this far above it. */
const SHUT_GAP = 0.0002;
/** Extra upper-lid lift at close = -1 (wide eyes), metres at the lid's peak. */
const WIDE_LIFT = 0.0024;

/** Heights of the two margins over the corners' line for a lid state. */
function marginHeights(u: number, s: LidState): { upper: number; lower: number } {
  const lower = lowerMarginRest(u) + s.lowerRaise * arch(u, E.lowerPeak);
  const rest = upperMarginRest(u);
  const upper = s.close >= 0 ? rest + (lower + SHUT_GAP * arch(u, 0.5) - rest) * s.close : rest - s.close * WIDE_LIFT * arch(u, E.upperPeak);
  return { upper, lower };
}

/** Rows over which a margin's displacement fades out: 1 at the margin, 0 this many rows away. */
const UPPER_FADE_ROWS = 6;
const LOWER_FADE_ROWS = 5;

/**
 * Vertical displacement of a lid-region vertex `k` rows away from the slit (k = 0 is the
 * margin) on the upper (side = 1) or lower (side = -1) side, at fraction u of the fissure.
 * Quadratic fade: the rows nearest the margin follow it, farther rows are compressed.
 */
export function lidRowOffset(u: number, k: number, side: 1 | -1, s: LidState): number {
  const m = marginHeights(u, s);
  const rows = side > 0 ? UPPER_FADE_ROWS : LOWER_FADE_ROWS;
  const fade = k >= rows ? 0 : (1 - k / rows) ** 2;
  return (side > 0 ? m.upper : m.lower) * fade;
}

/** Extra lid thickness at the eye's corners, where the fissure reaches past the eyeball's rim. */
const CORNER_THICKENING = 0.0016;

/**
 * Skin thickness over the eyeball `k` rows from the lid margin, at fraction u along the
 * fissure: thin at the margin, thicker towards the corners (which lie beyond the eyeball's
 * silhouette, so the skin there has to stand off the eyeball to reach them).
 */
export function lidThickness(k: number, u: number): number {
  const rows = E.marginGap + ((E.lidThickness - E.marginGap) * Math.min(k, 2)) / 2;
  return rows + CORNER_THICKENING * (1 - arch(u, 0.5)) ** 3;
}

/**
 * Places skin around one eye: inside the bony socket the face sinks to a floor behind the
 * eyeball, and wherever the lid sphere (eyeball radius + thickness) is in front of that, the
 * skin lies on the sphere. Smooth min / max keep the folds (the upper lid crease, the lower
 * lid's junction with the cheek) soft. Only z changes: the eye looks along +z.
 *
 * @param p      the face point (blank + features)
 * @param centre this eye's eyeball centre
 * @param side   +1 left eye, -1 right eye (mirrors medial / lateral)
 * @param thickness skin thickness over the eyeball here (see {@link lidThickness})
 */
export function applyEyeSocket(p: Vec3, centre: Vec3, side: 1 | -1, thickness: number): Vec3 {
  const dx = (p[0] - centre[0]) * side; // > 0 lateral
  const dy = p[1] - centre[1];
  const S = E.socket;
  const ex = dx / (dx < 0 ? S.medial : S.lateral);
  const ey = dy / (dy > 0 ? S.up : S.down);
  const rho = Math.hypot(ex, ey);
  if (rho > 2.2) return p;
  const floor = centre[2] + S.floor + S.rise * Math.max(rho - 1, 0) ** 2;
  let z = smin(p[2], floor, 0.004);
  const rl = E.radius + thickness;
  const r2 = dx * dx + dy * dy;
  if (r2 < rl * rl) z = smax(z, centre[2] + Math.sqrt(rl * rl - r2), 0.003);
  // A faint tear trough under the lower lid.
  z -= 0.0006 * gauss(((dy + 0.0125) / 0.0025) ** 2 + (dx / 0.012) ** 2);
  return [p[0], p[1], z];
}
