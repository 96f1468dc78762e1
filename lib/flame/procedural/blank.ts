/**
 * The head "blank": a smooth, featureless head-and-neck solid (an implicit surface built from
 * ellipsoids and a neck cylinder joined by smooth unions), and its meridian curves. The shell
 * is laid out on the meridians (one mesh column per meridian) and the face's features are
 * added on top as displacements, so the blank only has to get the masses right: cranium,
 * midface, mandible and chin, neck.
 *
 * @module
 */

import { monotoneSpline, normalize, type Vec3 } from './math.js';

/**
 * The blank as a stack of horizontal cross-sections: at height y the section is a closed
 * curve made of two superellipse halves (front and back) with half-width `a`, front depth
 * `f`, back depth `b` around the centre depth `zc`, and squareness exponents `nf`, `nb`.
 * Tables give the silhouettes directly (front view: a(y); profile: zc + f, zc - b), which is
 * what makes a blank read as a head. Below the cranium's dome they are interpolated by
 * monotone splines; the dome is a superellipsoid cap so the crown is smooth.
 */
const SECTIONS = {
  // y, a, f, b, zc, nf, nb (metres; y increasing). The last two rows are equal so the
  // dome starts with zero slope.
  rows: [
    [-0.16, 0.049, 0.056, 0.058, -0.012, 2.1, 2.1],
    [-0.112, 0.049, 0.056, 0.058, -0.012, 2.1, 2.1],
    [-0.103, 0.049, 0.06, 0.059, -0.011, 2.0, 2.1],
    [-0.096, 0.05, 0.085, 0.06, -0.009, 1.6, 2.1],
    [-0.085, 0.0515, 0.097, 0.059, -0.008, 1.75, 2.1],
    [-0.07, 0.0525, 0.092, 0.06, -0.007, 2.0, 2.1],
    [-0.055, 0.0555, 0.092, 0.062, -0.006, 2.05, 2.1],
    [-0.04, 0.06, 0.094, 0.069, -0.005, 2.15, 2.2],
    [-0.02, 0.0665, 0.093, 0.08, -0.005, 2.25, 2.25],
    [0.0, 0.071, 0.089, 0.086, -0.005, 2.4, 2.2],
    [0.018, 0.0745, 0.085, 0.09, -0.005, 2.3, 2.2],
    [0.03, 0.0745, 0.085, 0.09, -0.005, 2.3, 2.2],
  ],
  /** The dome above the last row: a superellipsoid cap of exponent q from `base` up to `top`. */
  dome: { base: 0.03, top: 0.125, q: 2.6 },
} as const;

type Section = { a: number; f: number; b: number; zc: number; nf: number; nb: number };

const sectionSplines = (() => {
  const ys = SECTIONS.rows.map((r) => r[0]);
  const col = (k: number) => monotoneSpline(ys, SECTIONS.rows.map((r) => r[k]!));
  return { a: col(1), f: col(2), b: col(3), zc: col(4), nf: col(5), nb: col(6) };
})();

/** The cross-section parameters at height y (the dome keeps its base's section). */
export function sectionAt(y: number): Section {
  const s = sectionSplines;
  const yy = Math.min(y, SECTIONS.dome.base);
  return { a: s.a(yy), f: s.f(yy), b: s.b(yy), zc: s.zc(yy), nf: s.nf(yy), nb: s.nb(yy) };
}

/** Rough metric scale of the implicit function, so that its values read as metres near the surface. */
const SCALE = 0.08;

/** Implicit function of the blank: negative inside, zero on the surface, about metres nearby. */
function blankSdf(p: Vec3): number {
  const s = sectionAt(p[1]);
  const dz = p[2] - s.zc;
  const depth = dz > 0 ? s.f : s.b;
  const n = dz > 0 ? s.nf : s.nb;
  const rho = (Math.abs(p[0] / s.a) ** n + Math.abs(dz / depth) ** n) ** (1 / n);
  const { base, top, q } = SECTIONS.dome;
  if (p[1] <= base) return (rho - 1) * SCALE;
  const t = (p[1] - base) / (top - base);
  return ((rho ** q + t ** q) ** (1 / q) - 1) * SCALE;
}

/** Outward unit normal of the blank at p (central differences of the SDF). */
export function blankNormal(p: Vec3): Vec3 {
  const h = 1e-5;
  return normalize([
    blankSdf([p[0] + h, p[1], p[2]]) - blankSdf([p[0] - h, p[1], p[2]]),
    blankSdf([p[0], p[1] + h, p[2]]) - blankSdf([p[0], p[1] - h, p[2]]),
    blankSdf([p[0], p[1], p[2] + h]) - blankSdf([p[0], p[1], p[2] - h]),
  ]);
}

/** The vertical axis the meridians turn around (x = 0, z = AXIS_Z). */
export const AXIS_Z = -0.005;

/**
 * The blank's intersection with the half-plane at azimuth `theta` (0 = +z, the face; pi/2 =
 * +x, the head's left), from the crown down to height `yCut`, as a polyline in (d, y): d is
 * the distance from the axis. Sampled densely (about 0.5 mm), with cumulative arc length.
 */
export interface Meridian {
  theta: number;
  d: Float64Array;
  y: Float64Array;
  /** Cumulative arc length, metres; s[0] = 0 at the crown. */
  s: Float64Array;
}

/** 3D point of (d, y) on the half-plane at azimuth theta. */
export function meridianPoint(theta: number, d: number, y: number): Vec3 {
  return [d * Math.sin(theta), y, AXIS_Z + d * Math.cos(theta)];
}

/**
 * Traces the blank's contour in one half-plane: predictor steps along the tangent, Newton
 * corrections back onto the surface. The contour is the boundary of a planar region, so the
 * walk handles overhangs (under the chin, the nape) that a height or radius function cannot.
 */
export function traceMeridian(theta: number, yCut: number, step = 0.0005): Meridian {
  const f = (d: number, y: number): number => blankSdf(meridianPoint(theta, d, y));
  const grad = (d: number, y: number): [number, number] => {
    const h = 1e-6;
    return [(f(d + h, y) - f(d - h, y)) / (2 * h), (f(d, y + h) - f(d, y - h)) / (2 * h)];
  };
  const project = (d: number, y: number): [number, number] => {
    for (let it = 0; it < 6; it++) {
      const v = f(d, y);
      const [gd, gy] = grad(d, y);
      const g2 = gd * gd + gy * gy;
      d -= (v * gd) / g2;
      y -= (v * gy) / g2;
      if (Math.abs(v) < 1e-10) break;
    }
    return [d, y];
  };
  // The crown: where the axis leaves the solid, found by bisection.
  let lo = 0;
  let hi = 0.3;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (f(0, mid) < 0) lo = mid;
    else hi = mid;
  }
  const ds = [0];
  const ys = [lo];
  let [d, y] = [0, lo];
  for (let it = 0; it < 20000 && y > yCut; it++) {
    const [gd, gy] = grad(d, y);
    const g = Math.hypot(gd, gy);
    // Clockwise in (d, y): outward along +d at the crown, then down the face or the back.
    [d, y] = project(d + (step * gy) / g, y - (step * gd) / g);
    ds.push(d);
    ys.push(y);
  }
  // End exactly at the cut height.
  const n = ys.length;
  const t = (ys[n - 2]! - yCut) / (ys[n - 2]! - ys[n - 1]!);
  ds[n - 1] = ds[n - 2]! + (ds[n - 1]! - ds[n - 2]!) * t;
  ys[n - 1] = yCut;
  const s = new Float64Array(n);
  for (let i = 1; i < n; i++) s[i] = s[i - 1]! + Math.hypot(ds[i]! - ds[i - 1]!, ys[i]! - ys[i - 1]!);
  return { theta, d: Float64Array.from(ds), y: Float64Array.from(ys), s };
}

/** (d, y) at arc length `s` along the meridian (linear between samples). */
export function meridianAt(m: Meridian, s: number): [number, number] {
  const n = m.s.length;
  if (s <= 0) return [m.d[0]!, m.y[0]!];
  if (s >= m.s[n - 1]!) return [m.d[n - 1]!, m.y[n - 1]!];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (m.s[mid]! <= s) lo = mid;
    else hi = mid;
  }
  const t = (s - m.s[lo]!) / (m.s[hi]! - m.s[lo]!);
  return [m.d[lo]! + (m.d[hi]! - m.d[lo]!) * t, m.y[lo]! + (m.y[hi]! - m.y[lo]!) * t];
}

/**
 * Arc length where the meridian first descends to height `y` (walking from the crown). The
 * face and the back are y-monotone down to the jaw line, so "first" picks the face or the
 * occiput rather than the under-chin or the neck.
 */
export function meridianArcAtY(m: Meridian, y: number): number {
  for (let i = 1; i < m.y.length; i++) {
    if (m.y[i]! <= y) {
      const t = (m.y[i - 1]! - y) / (m.y[i - 1]! - m.y[i]!);
      return m.s[i - 1]! + (m.s[i]! - m.s[i - 1]!) * t;
    }
  }
  return m.s[m.s.length - 1]!;
}
