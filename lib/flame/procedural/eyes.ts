/**
 * Eyeballs: closed spheres looking along +z, with rings placed exactly on the pupil's and the
 * iris's edges so that pupil, iris and sclera are clean face regions. One ring lies on the
 * equator: its mean is the eyeball's centre, which is what the eye joints regress from.
 *
 * @module
 */

import { PartBuilder, polarSurface, type Part } from './mesh.js';
import type { Vec3 } from './math.js';
import { eyeCentre, SPEC } from './spec.js';

const E = SPEC.eye;
const SEGMENTS = 20;
const PUPIL = Math.asin(E.pupilRadius / E.radius);
const IRIS = Math.asin(E.irisRadius / E.radius);
/** Polar angles of the rings from the front pole; index of the equator ring below. */
const ALPHAS = [PUPIL * 0.55, PUPIL, (PUPIL + IRIS) / 2, IRIS, IRIS + 0.12, 0.95, 1.25, Math.PI / 2, 1.95, 2.35, 2.75];
const EQUATOR_RING = ALPHAS.indexOf(Math.PI / 2);

export interface Eyeball {
  part: Part;
  /** Local ids of the equator ring's vertices. */
  equator: number[];
}

/** The eyeball of one side (+1 left, -1 right), in place. */
export function makeEyeball(side: 1 | -1): Eyeball {
  const name = side > 0 ? 'eye_left' : 'eye_right';
  const c = eyeCentre(side);
  const b = new PartBuilder(name);
  const point = (alpha: number, phi: number): Vec3 => [
    c[0] + E.radius * Math.sin(alpha) * Math.cos(phi),
    c[1] + E.radius * Math.sin(alpha) * Math.sin(phi),
    c[2] + E.radius * Math.cos(alpha),
  ];
  // Faces between ring r - 1 and r (ring 0: the pole fan) get region(r).
  const region = (r: number): string => (r <= ALPHAS.indexOf(PUPIL) ? `${name}_pupil` : r <= ALPHAS.indexOf(IRIS) ? `${name}_iris` : name);
  const { rings } = polarSurface(b, point, ALPHAS, SEGMENTS, region, name, E.radius);
  return { part: b.part, equator: rings[EQUATOR_RING]! };
}
