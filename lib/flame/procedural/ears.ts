/**
 * Ears: a closed, flattened shell per side. The outer (lateral) face is a polar grid around
 * the concha with the ear's relief as a height over the ear's plane (the concha's bowl, the
 * antihelix ridge, the scapha's groove, the helix rolling over at the rim, the tragus in
 * front, a flat lobe); past the rim the grid continues over the back (medial) face to a
 * second pole buried in the head. The plane is tilted back and flared away from the head
 * about the ear's long axis, so the front edge sinks into the head and the rim stands off.
 *
 * @module
 */

import { mirrorPart, PartBuilder, polarSurface, type Part } from './mesh.js';
import { add, gauss, scale, smoothstep, type Vec3 } from './math.js';
import { SPEC } from './spec.js';

const EAR = SPEC.ear;

/** Outline radius from the concha centre by angle phi (0 back, pi/2 up, pi forward, 3pi/2 the lobe). */
function outline(phi: number): number {
  const k = EAR.height / 0.062;
  const w = EAR.width / 0.031;
  // Wider in its upper half, narrowing to the lobe, the front edge straighter than the back.
  return k * (0.02325 - 0.00775 * Math.cos(2 * phi) + 0.003 * Math.sin(phi) + 0.0012 * Math.sin(2 * phi)) + w * 0.0045 * Math.cos(phi);
}

/** Relief of the lateral face over the ear's plane (metres, outward), by radius fraction and angle. */
function lateralRelief(rho: number, phi: number): number {
  // The lobe (below) is a flat flap; the tragus (in front) a knob over the concha.
  const lobe = gauss(((Math.sin(phi) + 1) / 0.45) ** 2) * smoothstep(0.35, 0.6, rho);
  // The antihelix is strongest behind and above the concha, where it forks towards the top.
  const antihelix = 0.0024 * (0.55 + 0.45 * Math.cos(phi - 0.9));
  const relief =
    -0.0064 * Math.max(1 - (rho / 0.47) ** 2, 0) ** 0.8 + // concha
    antihelix * gauss(((rho - 0.63) / 0.085) ** 2) - // antihelix
    0.001 * gauss(((rho - 0.8) / 0.05) ** 2) + // scapha
    0.0042 * gauss(((rho - 0.93) / 0.055) ** 2) + // helix
    0.003 * gauss(((phi - Math.PI) / 0.4) ** 2) * gauss(((rho - 0.58) / 0.17) ** 2); // tragus
  return relief * (1 - lobe) + 0.0009 * lobe;
}

/** Depth of the medial face behind the plane: the ear's back bulges towards the head. */
const medialRelief = (rho: number): number => -(0.0016 + 0.0075 * (1 - rho) ** 0.8);

/** The left ear, in place. */
function makeLeftEar(): Part {
  const b = new PartBuilder('ear_left');
  // Ear frame: back and up in the plane, n out of it; flare about the long axis, then tilt
  // the long axis back. (back, up, n) is right-handed, so the lateral grid faces n.
  const [cf, sf, ct, st] = [Math.cos(EAR.flare), Math.sin(EAR.flare), Math.cos(-EAR.tilt), Math.sin(-EAR.tilt)];
  const rotX = (v: Vec3): Vec3 => [v[0], ct * v[1] - st * v[2], st * v[1] + ct * v[2]];
  const back = rotX([sf, 0, -cf]);
  const up = rotX([0, 1, 0]);
  const n = rotX([cf, 0, sf]);
  const point = (alpha: number, phi: number): Vec3 => {
    const lateral = alpha <= Math.PI / 2;
    const rho = lateral ? alpha / (Math.PI / 2) : (Math.PI - alpha) / (Math.PI / 2);
    const r = rho * outline(phi);
    const h = lateral ? lateralRelief(rho, phi) : medialRelief(rho);
    return add(add(EAR.centre, add(scale(back, r * Math.cos(phi)), scale(up, r * Math.sin(phi)))), scale(n, h));
  };
  const lateralRho = [0.18, 0.38, 0.55, 0.68, 0.8, 0.9, 1.0];
  const medialRho = [0.8, 0.55, 0.28];
  const alphas = [...lateralRho.map((r) => (r * Math.PI) / 2), ...medialRho.map((r) => Math.PI - (r * Math.PI) / 2)];
  polarSurface(b, point, alphas, 18, () => 'ear_left', 'ear_left', 0.02);
  return b.part;
}

/** The ear of one side (+1 left, -1 right), in place: the right one mirrors the left. */
export function makeEar(side: 1 | -1): Part {
  const left = makeLeftEar();
  return side > 0 ? left : mirrorPart(left, 'ear_right');
}
