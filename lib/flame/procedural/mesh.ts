/**
 * Parts of the procedural head (shell, eyeballs, mouth, ears...) are built as independent
 * meshes with per-face region names and per-corner raw unwrap coordinates, then assembled.
 * This module holds that shared representation and the builders used by several parts:
 * strips between rings of vertices, fans, and ellipsoids with a pole facing a given axis.
 *
 * @module
 */

import { cross, normalize, sub, type Vec2, type Vec3 } from './math.js';

/** A part: vertices, triangles (counter-clockwise seen from outside), what each face is, and its unwrap. */
export interface Part {
  name: string;
  positions: Vec3[];
  faces: [number, number, number][];
  /** Region name of each face (see REGION_NAMES in index.ts). */
  faceRegion: string[];
  /** UV island of each face, and the raw (unscaled, metres-like) unwrap coordinates of its corners. */
  faceIsland: string[];
  faceUv: [Vec2, Vec2, Vec2][];
}

/** Accumulates a part. */
export class PartBuilder {
  readonly part: Part;

  constructor(name: string) {
    this.part = { name, positions: [], faces: [], faceRegion: [], faceIsland: [], faceUv: [] };
  }

  vertex(p: Vec3): number {
    this.part.positions.push(p);
    return this.part.positions.length - 1;
  }

  face(ids: [number, number, number], region: string, island: string, uv: [Vec2, Vec2, Vec2]): void {
    this.part.faces.push(ids);
    this.part.faceRegion.push(region);
    this.part.faceIsland.push(island);
    this.part.faceUv.push(uv);
  }
}

/** Where a grid vertex sits in its island's raw unwrap. */
export type UvOf = (ring: number, k: number) => Vec2;

/**
 * Triangles between consecutive rings of vertex ids (each ring the same length, closed
 * around), two per quad. `flip` reverses the winding. `region(r, k)` names the faces of the
 * quad between rings r and r + 1 at position k; `uv(r, k)` gives a grid vertex's raw
 * unwrap coordinate, called with k = ring length for the seam's second copy.
 */
export function ringStrips(
  b: PartBuilder,
  rings: number[][],
  region: (r: number, k: number) => string,
  island: string,
  uv: UvOf,
  flip = false,
): void {
  for (let r = 0; r + 1 < rings.length; r++) {
    const [A, B] = [rings[r]!, rings[r + 1]!];
    const n = A.length;
    for (let k = 0; k < n; k++) {
      const k1 = (k + 1) % n;
      const quad: [number, number, number, number] = [A[k]!, A[k1]!, B[k1]!, B[k]!];
      const quv: [Vec2, Vec2, Vec2, Vec2] = [uv(r, k), uv(r, k + 1), uv(r + 1, k + 1), uv(r + 1, k)];
      const reg = region(r, k);
      const tri = (i: number, j: number, l: number): void => {
        if (flip) b.face([quad[i]!, quad[l]!, quad[j]!], reg, island, [quv[i]!, quv[l]!, quv[j]!]);
        else b.face([quad[i]!, quad[j]!, quad[l]!], reg, island, [quv[i]!, quv[j]!, quv[l]!]);
      };
      tri(0, 1, 2);
      tri(0, 2, 3);
    }
  }
}

/** A fan from `apex` to a closed ring; apexUv(k) places the apex for the face at position k. */
export function fan(
  b: PartBuilder,
  apex: number,
  ring: number[],
  region: string,
  island: string,
  apexUv: (k: number) => Vec2,
  ringUv: (k: number) => Vec2,
  flip = false,
): void {
  const n = ring.length;
  for (let k = 0; k < n; k++) {
    const k1 = (k + 1) % n;
    if (flip) b.face([apex, ring[k1]!, ring[k]!], region, island, [apexUv(k), ringUv(k + 1), ringUv(k)]);
    else b.face([apex, ring[k]!, ring[k1]!], region, island, [apexUv(k), ringUv(k), ringUv(k + 1)]);
  }
}

/**
 * A closed ellipsoid-like surface with its poles on the local +z (front) and -z (back) axis,
 * rings at polar angles `alphas` (radians from the front pole, increasing, excluding 0 and
 * pi) with `segments` vertices each. `point(alpha, phi)` gives a surface point (phi the
 * angle around the axis, 0 towards local +x, counter-clockwise seen from the front). The
 * unwrap is azimuthal around the front pole (the back pole is spread over the rim), with the
 * radius growing as alpha^0.75 so the front gets more room than the back, scaled by
 * `uvScale`. Returns the front pole's id, ring ids and the back pole's id.
 */
export function polarSurface(
  b: PartBuilder,
  point: (alpha: number, phi: number) => Vec3,
  alphas: readonly number[],
  segments: number,
  region: (ring: number) => string,
  island: string,
  uvScale: number,
): { front: number; rings: number[][]; back: number } {
  const phiOf = (k: number): number => (2 * Math.PI * k) / segments;
  const uvAt = (alpha: number, phi: number): Vec2 => [uvScale * alpha ** 0.75 * Math.cos(phi), uvScale * alpha ** 0.75 * Math.sin(phi)];
  const front = b.vertex(point(0, 0));
  const rings = alphas.map((a) => Array.from({ length: segments }, (_, k) => b.vertex(point(a, phiOf(k)))));
  const back = b.vertex(point(Math.PI, 0));
  // Faces wind counter-clockwise seen from outside: around the front pole phi grows
  // counter-clockwise, so (pole, k, k + 1) faces out.
  fan(b, front, rings[0]!, region(0), island, (k) => uvAt(0, phiOf(k + 0.5)), (k) => uvAt(alphas[0]!, phiOf(k)));
  ringStrips(b, rings, (r) => region(r + 1), island, (r, k) => uvAt(alphas[r]!, phiOf(k)), true);
  const last = alphas.length - 1;
  fan(b, back, rings[last]!, region(alphas.length), island, (k) => uvAt(Math.PI, phiOf(k + 0.5)), (k) => uvAt(alphas[last]!, phiOf(k)), true);
  return { front, rings, back };
}

/**
 * The mirror image of a part across x = 0, renamed (regions and islands named after the
 * part are renamed with it). Mirroring turns a surface inside out, so each face's winding is
 * reversed, and its unwrap is mirrored too so that UV triangles keep the faces' orientation.
 */
export function mirrorPart(part: Part, name: string): Part {
  const rename = (s: string): string => (s.startsWith(part.name) ? name + s.slice(part.name.length) : s);
  return {
    name,
    positions: part.positions.map((p) => [-p[0], p[1], p[2]] as Vec3),
    faces: part.faces.map(([a, b, c]) => [a, c, b]),
    faceRegion: part.faceRegion.map(rename),
    faceIsland: part.faceIsland.map(rename),
    faceUv: part.faceUv.map(([a, b, c]) => [[-a[0], a[1]], [-c[0], c[1]], [-b[0], b[1]]]),
  };
}

/** Per-vertex unit normals: area-weighted sums of the incident faces' normals. */
export function vertexNormals(positions: ArrayLike<number>, faces: ArrayLike<number>): Float32Array {
  const n = new Float32Array(positions.length);
  const p = (i: number): Vec3 => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
  for (let f = 0; f < faces.length; f += 3) {
    const [a, b, c] = [faces[f]!, faces[f + 1]!, faces[f + 2]!];
    const fn = cross(sub(p(b), p(a)), sub(p(c), p(a)));
    for (const v of [a, b, c]) for (let k = 0; k < 3; k++) n[3 * v + k] += fn[k]!;
  }
  for (let v = 0; v < n.length; v += 3) {
    const u = normalize([n[v]!, n[v + 1]!, n[v + 2]!]);
    n.set(u, v);
  }
  return n;
}
