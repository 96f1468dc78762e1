/**
 * Turns a coloured triangle mesh into flat 3D Gaussians for debug renders with the project's
 * rasterizer: four splats per triangle (at the centres of its midpoint subdivision), each
 * with the triangle's in-plane covariance (so neighbours overlap) and a thin normal axis,
 * coloured by the interpolated vertex colours with a simple lambertian term. Not a
 * reconstruction method: a way to look at the mesh.
 *
 * @module
 */

import { cross, dot, normalize, sub, type Vec3 } from './math.js';
import { vertexNormals } from './mesh.js';

/** Flat arrays ready for `rasterize` (activated values). */
export interface SplatCloud {
  means: Float32Array; // [N, 3]
  quats: Float32Array; // [N, 4] wxyz
  scales: Float32Array; // [N, 3]
  opacities: Float32Array; // [N]
  colors: Float32Array; // [N, 3]
  count: number;
}

export interface SplatOptions {
  /** Unit direction towards the light, world frame. Default: from the front, above, left. */
  light?: Vec3;
  /** Ambient share of the shading, 0..1. Default 0.45. */
  ambient?: number;
  /** Opacity of every splat. Default 0.95. */
  opacity?: number;
  /**
   * Splat size relative to its triangle's spread (each splat gets the whole triangle's
   * covariance times spread squared). Default 1.3: neighbours overlap enough that one layer
   * of surface is opaque and smooth.
   */
  spread?: number;
  /**
   * Camera position: when given, splats of faces seen from behind or edge-on are left out
   * (on a closed surface they are hidden anyway, and at grazing angles they interleave in
   * depth with their neighbours and speckle).
   */
  viewpoint?: Vec3;
}

/** Rotation matrix with columns a, b, c (right-handed, orthonormal) as a wxyz quaternion. */
function quatFromColumns(a: Vec3, b: Vec3, c: Vec3): [number, number, number, number] {
  const [m00, m10, m20] = a;
  const [m01, m11, m21] = b;
  const [m02, m12, m22] = c;
  const tr = m00 + m11 + m22;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    return [0.25 * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  }
  if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    return [(m21 - m12) / s, 0.25 * s, (m01 + m10) / s, (m02 + m20) / s];
  }
  if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    return [(m02 - m20) / s, (m01 + m10) / s, 0.25 * s, (m12 + m21) / s];
  }
  const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
  return [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, 0.25 * s];
}

/** Barycentric centres of the 4 midpoint-subdivision triangles. */
const SUB_CENTRES: readonly Vec3[] = [
  [4 / 6, 1 / 6, 1 / 6],
  [1 / 6, 4 / 6, 1 / 6],
  [1 / 6, 1 / 6, 4 / 6],
  [1 / 3, 1 / 3, 1 / 3],
];

/** Gaussians covering a mesh, coloured by `colors` [V, 3] and shaded by the light. */
export function splatMesh(
  positions: ArrayLike<number>,
  faces: ArrayLike<number>,
  colors: ArrayLike<number>,
  options: SplatOptions = {},
): SplatCloud {
  const light = normalize(options.light ?? [0.35, 0.45, 0.8]);
  const ambient = options.ambient ?? 0.45;
  const opacity = options.opacity ?? 0.95;
  const normals = vertexNormals(positions, faces);
  const p = (i: number): Vec3 => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
  const visible: number[] = [];
  for (let f = 0; f < faces.length / 3; f++) {
    if (!options.viewpoint) {
      visible.push(f);
      continue;
    }
    const [a, b, c] = [p(faces[3 * f]!), p(faces[3 * f + 1]!), p(faces[3 * f + 2]!)];
    const n = normalize(cross(sub(b, a), sub(c, a)));
    const toEye = normalize(sub(options.viewpoint, [(a[0] + b[0] + c[0]) / 3, (a[1] + b[1] + c[1]) / 3, (a[2] + b[2] + c[2]) / 3]));
    if (dot(n, toEye) > 0.02) visible.push(f);
  }
  const N = visible.length * SUB_CENTRES.length;
  const out: SplatCloud = {
    means: new Float32Array(N * 3),
    quats: new Float32Array(N * 4),
    scales: new Float32Array(N * 3),
    opacities: new Float32Array(N).fill(opacity),
    colors: new Float32Array(N * 3),
    count: N,
  };
  let g = 0;
  for (const f of visible) {
    const ids = [faces[3 * f]!, faces[3 * f + 1]!, faces[3 * f + 2]!];
    const v = ids.map(p) as [Vec3, Vec3, Vec3];
    const n = normalize(cross(sub(v[1], v[0]), sub(v[2], v[0])));
    // In-plane frame and the triangle's covariance there (uniform density: sum of outer
    // products of the centred vertices / 12); a sub-triangle has a quarter of it.
    const e1 = normalize(sub(v[1], v[0]));
    const e2 = cross(n, e1);
    const m: Vec3 = [(v[0][0] + v[1][0] + v[2][0]) / 3, (v[0][1] + v[1][1] + v[2][1]) / 3, (v[0][2] + v[1][2] + v[2][2]) / 3];
    let cxx = 0;
    let cxy = 0;
    let cyy = 0;
    for (const q of v) {
      const d = sub(q, m);
      const [x, y] = [dot(d, e1), dot(d, e2)];
      cxx += (x * x) / 12;
      cxy += (x * y) / 12;
      cyy += (y * y) / 12;
    }
    const tr = (cxx + cyy) / 2;
    const det = Math.sqrt(Math.max(0, ((cxx - cyy) / 2) ** 2 + cxy * cxy));
    const l1 = tr + det;
    // Limit the anisotropy: long thin splats leave their triangulation's pattern in the image.
    const l2 = Math.max(tr - det, l1 * 0.15);
    const ang = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
    const a1: Vec3 = normalize([
      e1[0] * Math.cos(ang) + e2[0] * Math.sin(ang),
      e1[1] * Math.cos(ang) + e2[1] * Math.sin(ang),
      e1[2] * Math.cos(ang) + e2[2] * Math.sin(ang),
    ]);
    const a2 = cross(n, a1);
    const q = quatFromColumns(a1, a2, n);
    const inflate = options.spread ?? 1.3;
    for (const b of SUB_CENTRES) {
      for (let k = 0; k < 3; k++) out.means[3 * g + k] = b[0] * v[0][k] + b[1] * v[1][k] + b[2] * v[2][k];
      out.quats.set(q, 4 * g);
      out.scales.set([inflate * Math.sqrt(l1), inflate * Math.sqrt(l2), 1e-4], 3 * g);
      const nn = normalize([0, 1, 2].map((k) => b[0] * normals[3 * ids[0]! + k]! + b[1] * normals[3 * ids[1]! + k]! + b[2] * normals[3 * ids[2]! + k]!) as Vec3);
      const shade = ambient + (1 - ambient) * Math.max(0, dot(nn, light));
      for (let k = 0; k < 3; k++) {
        const c = b[0] * colors[3 * ids[0]! + k]! + b[1] * colors[3 * ids[1]! + k]! + b[2] * colors[3 * ids[2]! + k]!;
        out.colors[3 * g + k] = c * shade;
      }
      g++;
    }
  }
  return out;
}
