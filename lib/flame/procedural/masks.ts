/**
 * Smooth spatial weights over the canonical head, shared by skinning, shape components and
 * expressions: which part of the face a point belongs to, as a number in [0, 1] that falls
 * off gently, so that everything built from them deforms smoothly.
 *
 * @module
 */

import { gauss, smoothstep, type Vec3 } from './math.js';
import { eyeCentre, SPEC } from './spec.js';

const E = SPEC.eye;
const M = SPEC.mouth;

/** Elliptic distance from an eye's centre in the face plane, in socket radii (1 = the socket's rim). */
function eyeRadius(p: Vec3, side: 1 | -1): number {
  const c = eyeCentre(side);
  const dx = (p[0] - c[0]) * side;
  const dy = p[1] - c[1];
  const S = E.socket;
  return Math.hypot(dx / (dx < 0 ? S.medial : S.lateral), dy / (dy > 0 ? S.up : S.down));
}

/**
 * 1 over an eye's lids and socket (everything whose shape is tied to the eyeball), falling to 0
 * a little outside the socket. Points behind the face (z below the eyeball's centre) are out.
 */
export function eyeZone(p: Vec3, side: 1 | -1): number {
  const front = smoothstep(eyeCentre(side)[2] - 0.02, eyeCentre(side)[2] - 0.008, p[2]);
  return smoothstep(1.85, 1.25, eyeRadius(p, side)) * front;
}

/** Either eye's zone. */
export const eyesZone = (p: Vec3): number => Math.max(eyeZone(p, 1), eyeZone(p, -1));

/** 1 around the mouth (lips, the skin around them, the lips' inner faces), not behind the teeth. */
export function mouthMask(p: Vec3, sx = 0.021, sy = 0.017): number {
  const front = smoothstep(SPEC.teeth.upperFrontZ - 0.015, SPEC.teeth.upperFrontZ - 0.004, p[2]);
  return gauss((p[0] / sx) ** 2 + ((p[1] - M.y) / sy) ** 2) * front;
}

/** How close a point is to a mouth corner (1 at the corner), per side. */
export function cornerMask(p: Vec3, side: 1 | -1, sigma = 0.011): number {
  return gauss(((p[0] - side * M.cornerX) / sigma) ** 2 + ((p[1] - M.y) / sigma) ** 2) * smoothstep(0.05, 0.07, p[2]);
}

/** Horizontal distance from the neck's axis. */
export const neckAxisDistance = (p: Vec3): number => Math.hypot(p[0], p[2] - SPEC.neckAxisZ);

/** 1 inside the neck's column (below the head, within the neck's radius), 0 on the chin and face. */
export function neckColumn(p: Vec3): number {
  return smoothstep(0.072, 0.06, neckAxisDistance(p)) * smoothstep(-0.055, -0.085, p[1]);
}

/** 1 on the front of the face, 0 from the ears back. */
export const faceFront = (p: Vec3): number => smoothstep(0.0, 0.04, p[2]);

/** 1 on the cheeks (below the cheekbones, beside the mouth), per side. */
export function cheekMask(p: Vec3, side: 1 | -1): number {
  return gauss(((p[0] - side * 0.045) / 0.015) ** 2 + ((p[1] + 0.03) / 0.017) ** 2) * smoothstep(0.0, 0.03, p[2]);
}

/** 1 around the brows and the lower forehead, 0 over the eyes (their lids are left alone). */
export function browMask(p: Vec3): number {
  const ax = Math.abs(p[0]);
  const band = smoothstep(0.02, 0.036, p[1]) * smoothstep(0.1, 0.06, p[1]);
  return band * smoothstep(0.07, 0.05, ax) * faceFront(p) * (1 - eyesZone(p));
}

/** A symmetric weight centred on a point with per-axis spreads. */
export function blob(p: Vec3, c: Vec3, s: Vec3): number {
  return gauss(((p[0] - c[0]) / s[0]) ** 2 + ((p[1] - c[1]) / s[1]) ** 2 + ((p[2] - c[2]) / s[2]) ** 2);
}

/** The same blob on both sides (mirrored in x). */
export function blob2(p: Vec3, c: Vec3, s: Vec3): number {
  return blob([Math.abs(p[0]), p[1], p[2]], c, s);
}
