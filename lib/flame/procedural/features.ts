/**
 * The face's features as a height field over the blank: how far (metres) the skin stands out
 * of the featureless head at a blank point. Each feature is an analytic bump or ridge in face
 * coordinates (x across, y up), faded out behind the face so nothing leaks onto the back of
 * the head; the shell applies these heights horizontally (so rows keep their heights), and
 * the jaw line's along the blank's normal (it sits where the surface turns under the jaw).
 * Eye sockets and eyelids are not here: they depend on the eyeball and live in eyelids.ts.
 *
 * @module
 */

import { bump, clamp, gauss, monotoneSpline, segmentDistance, smax, smoothstep, type Vec3 } from './math.js';
import { SPEC } from './spec.js';

const { nose: N, mouth: M, brow: B } = SPEC;

/** Front-of-the-face mask: 1 on the face, 0 from the ears back. */
const frontMask = (p: Vec3): number => smoothstep(0.015, 0.05, p[2]);

// ---------------------------------------------------------------------------------- nose

/** Height of the nose's midline ridge over the blank, by y (nasion -> tip -> subnasale). */
const noseRidge = monotoneSpline(
  [N.subnasaleY - 0.002, N.subnasaleY, -0.0255, -0.021, -0.016, N.tipY, -0.006, 0.0, 0.012, N.nasionY, 0.034],
  [0, 0.0005, 0.009, 0.016, 0.0205, N.tipHeight, 0.0212, 0.0185, 0.011, 0.0042, 0],
);
/** Half-width of the ridge's cross-section, by y. */
const noseWidth = monotoneSpline([N.subnasaleY, -0.02, N.tipY, -0.002, 0.01, N.nasionY, 0.036], [0.0058, 0.0072, 0.0078, 0.006, 0.0048, 0.0052, 0.0075]);

/** Height of the nose over the blank at face coordinates (x, y). */
export function noseHeight(x: number, y: number): number {
  const w = noseWidth(y);
  const ridge = noseRidge(y) * Math.exp(-0.5 * Math.abs(x / w) ** 2.8);
  // The tip's rounded lobule sits on the ridge.
  const tip = 0.0022 * bump(((x / 0.0068) ** 2) + ((y - N.tipY) / 0.0058) ** 2);
  // Alae: rounded wings on either side of the tip, with a soft crease around them.
  const ar2 = ((Math.abs(x) - N.alaX) / 0.0058) ** 2 + ((y - N.alaY) / 0.0055) ** 2;
  const ala = N.alaHeight * (ar2 < 1 ? (1 - ar2) ** 0.55 : 0) - 0.0007 * gauss(((Math.sqrt(ar2) - 1.05) / 0.12) ** 2);
  return smax(ridge + tip, ala, 0.0025);
}

// ---------------------------------------------------------------------------------- lips

/** Upper vermilion border (with Cupid's bow) above the contact line, by |x|. */
export function upperBorderY(ax: number): number {
  const t = clamp(ax / M.cornerX, 0, 1);
  const base = M.upperHeight * (1 - t ** 2.2) ** 0.75;
  const bow = 0.0011 * gauss(((ax - 0.0056) / 0.0024) ** 2) - 0.0005 * gauss((ax / 0.0018) ** 2);
  return M.y + base + bow * (1 - t);
}

/** Lower vermilion border below the contact line, by |x|. */
export function lowerBorderY(ax: number): number {
  const t = clamp(ax / M.cornerX, 0, 1);
  return M.y - M.lowerHeight * (1 - t ** 2) ** 0.7;
}

/**
 * Lip profiles: height over the blank along a normalised coordinate w that is 0 at the
 * contact line, 1 at the vermilion border and 2 at the subnasale (upper) or the
 * labiomental fold (lower). Both start at the same height at w = 0, so the lips meet.
 */
const upperProfile = monotoneSpline([0, 0.2, 0.42, 0.7, 1.0, 1.12, 1.5, 2.0], [0.0024, 0.0046, 0.0055, 0.0051, 0.0042, 0.0041, 0.0027, 0.0]);
// The lower lip turns under at its border into the labiomental sulcus, whose floor (w = 1.75)
// is flat, so the profile meets the chin's skin (w >= 2, held at the sulcus' depth) with zero
// slope: a kink there drew a second, ghost contour under the lower lip.
const lowerProfile = monotoneSpline([0, 0.3, 0.55, 0.85, 1.0, 1.35, 1.75, 2.0], [0.0024, 0.0051, 0.0056, 0.0045, 0.0034, 0.0011, -0.0008, -0.0008]);

/** Normalised lip coordinate of (|x|, y): > 0 above the contact line, < 0 below. */
export function lipCoordinate(ax: number, y: number): number {
  if (y >= M.y) {
    const border = upperBorderY(ax);
    if (y <= border) return (y - M.y) / Math.max(border - M.y, 1e-6);
    return 1 + Math.min((y - border) / (N.subnasaleY - border), 1);
  }
  const border = lowerBorderY(ax);
  if (y >= border) return -(M.y - y) / Math.max(M.y - border, 1e-6);
  return -1 - Math.min((border - y) / (border - M.foldY), 1);
}

function lipHeight(x: number, y: number): number {
  const ax = Math.abs(x);
  // Lateral taper: the vermilion thins to nothing at the corners; the skin above and
  // below the lips fades a little further out, into the cheeks.
  const t = clamp(ax / M.cornerX, 0, 1.5);
  const taper = t < 1 ? Math.sqrt(1 - t * t) : 0;
  const skinTaper = smoothstep(1.45, 0.55, t);
  const w = lipCoordinate(ax, y);
  let h: number;
  if (w >= 0) h = w <= 1 ? taper * upperProfile(w) : lerpTaper(upperProfile(w), taper, skinTaper, w - 1);
  else h = w >= -1 ? taper * lowerProfile(-w) : lerpTaper(lowerProfile(-w), taper, skinTaper, -w - 1);
  // Philtrum: a shallow groove between two ridges, from the bow up to the nose.
  const philtrum = smoothstep(0.9, 1.2, w) * smoothstep(2.0, 1.6, w) * (0.0005 * gauss(((ax - 0.0052) / 0.0018) ** 2) - 0.0005 * gauss((ax / 0.0022) ** 2));
  // The corners sink into the cheeks (the modiolus).
  const corner = -0.0016 * gauss(((ax - M.cornerX) / 0.0038) ** 2 + ((y - M.y) / 0.0045) ** 2);
  return h + philtrum + corner;
}

/** Skin heights outside the vermilion blend from the lip's taper to the wider skin taper. */
function lerpTaper(h: number, taper: number, skinTaper: number, s: number): number {
  const k = smoothstep(0, 0.35, s);
  return h * (taper + (skinTaper - taper) * k);
}

// ---------------------------------------------------------------------------- the rest

/** Brow ridge: arches up laterally, joins across the glabella. */
function browHeight(x: number, y: number): number {
  const ax = Math.abs(x);
  const yc = B.y + 0.004 * (ax / 0.05) ** 2;
  return B.height * gauss(((y - yc) / B.width) ** 2) * smoothstep(B.lateralEnd, B.lateralEnd - 0.015, ax);
}

function faceHeight(x: number, y: number): number {
  const ax = Math.abs(x);
  const cheekbone = 0.0036 * gauss(((ax - 0.05) / 0.013) ** 2 + ((y - 0.001) / 0.0085) ** 2);
  const cheek = 0.001 * gauss(((ax - 0.034) / 0.014) ** 2 + ((y + 0.02) / 0.012) ** 2);
  const hollow = -0.0018 * gauss(((ax - 0.047) / 0.012) ** 2 + ((y + 0.043) / 0.014) ** 2);
  // Nasolabial fold: a groove from beside the ala to beside the mouth corner.
  const nl = segmentDistance([ax, y, 0], [0.0205, -0.021, 0], [0.0325, -0.057, 0]);
  const fold = (-0.0011 * gauss((nl.d / 0.0022) ** 2) + 0.0007 * gauss(((nl.d - 0.004) / 0.003) ** 2)) * smoothstep(1.15, 0.9, nl.t) * smoothstep(-0.15, 0.1, nl.t);
  const chin = 0.004 * gauss((x / 0.012) ** 2 + ((y - SPEC.chin.y) / 0.0085) ** 2);
  const temple = -0.0022 * gauss(((ax - 0.066) / 0.012) ** 2 + ((y - 0.035) / 0.016) ** 2);
  const boss = 0.0016 * gauss(((ax - 0.023) / 0.016) ** 2 + ((y - 0.075) / 0.014) ** 2);
  return cheekbone + cheek + hollow + fold + chin + temple + boss;
}

/** The mandible's lower border (left side): chin, along the jaw to its angle, up the ramus. */
const JAW_BORDER: readonly Vec3[] = [
  [0, -0.1, 0.07],
  [0.024, -0.095, 0.055],
  [0.043, -0.085, 0.022],
  [0.052, -0.075, -0.008],
  [0.057, -0.052, -0.013],
  [0.061, -0.025, -0.007],
];

/**
 * The jaw line: skin stands out a little above the mandible's border and sinks below it
 * (towards the neck), which draws the jaw in profile. Which side of the border a point is on
 * comes from the blank's normal: the underside of the jaw faces down.
 */
function jawLineHeight(p: Vec3, n: Vec3): number {
  const q: Vec3 = [Math.abs(p[0]), p[1], p[2]];
  let best = Infinity;
  let along = 0;
  for (let i = 0; i + 1 < JAW_BORDER.length; i++) {
    const { d, t } = segmentDistance(q, JAW_BORDER[i]!, JAW_BORDER[i + 1]!);
    if (d < best) {
      best = d;
      along = (i + clamp(t, 0, 1)) / (JAW_BORDER.length - 1);
    }
  }
  const faceSide = smoothstep(-0.65, 0.05, n[1]);
  const fade = smoothstep(1, 0.75, along); // dies out up the ramus
  return gauss((best / 0.0058) ** 2) * (0.0032 * faceSide - 0.003 * (1 - faceSide)) * fade;
}

/**
 * Height of the skin over the blank point p (blank normal n), for the canonical face: the
 * face's features (to be applied horizontally, so they do not shift rows up or down) and the
 * jaw line (along the normal: it sits where the surface turns under the jaw).
 */
export function featureHeight(p: Vec3, n: Vec3): { face: number; normal: number } {
  const [x, y] = [p[0], p[1]];
  const front = frontMask(p);
  const face = front > 0 ? front * (noseHeight(x, y) + lipHeight(x, y) + browHeight(x, y) + faceHeight(x, y)) : 0;
  return { face, normal: jawLineHeight(p, n) };
}

/**
 * The hairline's height around the head by azimuth (0 = the face's midline): high on the
 * forehead, receding at the temples, down in front of the ears (sideburns), over the ears,
 * and low at the nape.
 */
export const hairlineY = (() => {
  const spline = monotoneSpline(
    [0, 0.35, 0.75, 1.0, 1.2, 1.35, 1.62, 1.95, 2.4, Math.PI],
    [0.075, 0.074, 0.058, 0.045, 0.012, 0.0, 0.036, 0.014, -0.03, -0.05],
  );
  return (theta: number): number => spline(Math.abs(theta));
})();
