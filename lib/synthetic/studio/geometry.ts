/**
 * Small geometry helpers of the studio's scene: area-weighted vertex normals, the rigid motion
 * that best maps one point set onto another (Horn's quaternion method), and applying it. The
 * scene attaches hair, glasses and the body to the posed head with these, so that nothing
 * depends on FLAME's joint conventions or on fixed vertex indices.
 *
 * @module
 */

/** A rigid motion x ↦ R x + t; R row-major [3, 3]. */
export interface Rigid {
  R: Float64Array;
  t: Float64Array;
}

export const IDENTITY_RIGID: Rigid = { R: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), t: new Float64Array(3) };

/** Area-weighted vertex normals (unit; zero for unused vertices), [V, 3], of positions [V, 3] and faces [F, 3]. */
export function vertexNormals(positions: ArrayLike<number>, faces: ArrayLike<number>): Float32Array {
  const n = new Float64Array(positions.length);
  for (let f = 0; f < faces.length; f += 3) {
    const a = 3 * faces[f]!;
    const b = 3 * faces[f + 1]!;
    const c = 3 * faces[f + 2]!;
    const ux = positions[b]! - positions[a]!;
    const uy = positions[b + 1]! - positions[a + 1]!;
    const uz = positions[b + 2]! - positions[a + 2]!;
    const vx = positions[c]! - positions[a]!;
    const vy = positions[c + 1]! - positions[a + 1]!;
    const vz = positions[c + 2]! - positions[a + 2]!;
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    for (const i of [a, b, c]) {
      n[i]! += nx;
      n[i + 1]! += ny;
      n[i + 2]! += nz;
    }
  }
  const out = new Float32Array(positions.length);
  for (let i = 0; i < n.length; i += 3) {
    const l = Math.hypot(n[i]!, n[i + 1]!, n[i + 2]!);
    if (l > 0) for (let k = 0; k < 3; k++) out[i + k] = n[i + k]! / l;
  }
  return out;
}

/** Eigenvector of the largest eigenvalue of a symmetric 4×4 (row-major), by Jacobi rotations. */
function topEigenvector4(m: Float64Array): Float64Array {
  const a = Float64Array.from(m);
  const v = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += a[4 * p + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < 4; p++) {
      for (let q = p + 1; q < 4; q++) {
        const apq = a[4 * p + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[4 * q + q]! - a[4 * p + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k++) {
          const akp = a[4 * k + p]!;
          const akq = a[4 * k + q]!;
          a[4 * k + p] = c * akp - s * akq;
          a[4 * k + q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k++) {
          const apk = a[4 * p + k]!;
          const aqk = a[4 * q + k]!;
          a[4 * p + k] = c * apk - s * aqk;
          a[4 * q + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[4 * k + p]!;
          const vkq = v[4 * k + q]!;
          v[4 * k + p] = c * vkp - s * vkq;
          v[4 * k + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let k = 1; k < 4; k++) if (a[5 * k]! > a[5 * best]!) best = k;
  return Float64Array.of(v[best]!, v[4 + best]!, v[8 + best]!, v[12 + best]!);
}

/**
 * The rigid motion minimising Σ |R src_i + t − dst_i|² over the given vertex indices (Horn
 * 1987, closed form by quaternions). src, dst: [V, 3].
 */
export function rigidFit(src: ArrayLike<number>, dst: ArrayLike<number>, indices: ArrayLike<number>): Rigid {
  const n = indices.length;
  const cs = [0, 0, 0];
  const cd = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const v = 3 * indices[i]!;
    for (let k = 0; k < 3; k++) {
      cs[k]! += src[v + k]! / n;
      cd[k]! += dst[v + k]! / n;
    }
  }
  // Cross-covariance S[a][b] = Σ (src_a)(dst_b), centred.
  const S = new Float64Array(9);
  for (let i = 0; i < n; i++) {
    const v = 3 * indices[i]!;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) S[3 * a + b]! += (src[v + a]! - cs[a]!) * (dst[v + b]! - cd[b]!);
  }
  const [xx, xy, xz, yx, yy, yz, zx, zy, zz] = S as unknown as number[];
  const N = Float64Array.of(
    xx! + yy! + zz!, yz! - zy!, zx! - xz!, xy! - yx!,
    yz! - zy!, xx! - yy! - zz!, xy! + yx!, zx! + xz!,
    zx! - xz!, xy! + yx!, -xx! + yy! - zz!, yz! + zy!,
    xy! - yx!, zx! + xz!, yz! + zy!, -xx! - yy! + zz!,
  );
  const [w, x, y, z] = topEigenvector4(N) as unknown as [number, number, number, number];
  const R = Float64Array.of(
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  );
  const t = new Float64Array(3);
  for (let a = 0; a < 3; a++) t[a] = cd[a]! - (R[3 * a]! * cs[0]! + R[3 * a + 1]! * cs[1]! + R[3 * a + 2]! * cs[2]!);
  return { R, t };
}

/** Applies a rigid motion to points [N, 3] (and, without translation, to normals). */
export function applyRigid(m: Rigid, points: ArrayLike<number>, translate = true): Float32Array {
  const out = new Float32Array(points.length);
  const { R, t } = m;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i]!;
    const y = points[i + 1]!;
    const z = points[i + 2]!;
    for (let a = 0; a < 3; a++) out[i + a] = R[3 * a]! * x + R[3 * a + 1]! * y + R[3 * a + 2]! * z + (translate ? t[a]! : 0);
  }
  return out;
}
