/**
 * Ray-triangle queries on a mesh (brute force: the head has a few thousand faces and these
 * run a few hundred times when a head is built): used to embed joints and landmarks as
 * barycentric points of faces.
 *
 * @module
 */

import { cross, dot, sub, type Vec3 } from './math.js';

export interface Hit {
  face: number;
  /** Barycentric weights of the face's three corners. */
  bary: Vec3;
  /** Distance along the (unit) ray. */
  t: number;
}

/**
 * Nearest hit of the ray origin + t dir (t > 0) among the given faces (Moller-Trumbore),
 * or undefined. Faces are hit from either side.
 */
export function raycast(positions: ArrayLike<number>, faces: ArrayLike<number>, faceIds: Iterable<number>, origin: Vec3, dir: Vec3): Hit | undefined {
  const p = (i: number): Vec3 => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
  let best: Hit | undefined;
  for (const f of faceIds) {
    const a = p(faces[3 * f]!);
    const e1 = sub(p(faces[3 * f + 1]!), a);
    const e2 = sub(p(faces[3 * f + 2]!), a);
    const h = cross(dir, e2);
    const det = dot(e1, h);
    if (Math.abs(det) < 1e-14) continue;
    const s = sub(origin, a);
    const u = dot(s, h) / det;
    if (u < 0 || u > 1) continue;
    const q = cross(s, e1);
    const v = dot(dir, q) / det;
    if (v < 0 || u + v > 1) continue;
    const t = dot(e2, q) / det;
    if (t <= 0 || (best && t >= best.t)) continue;
    best = { face: f, bary: [1 - u - v, u, v], t };
  }
  return best;
}
