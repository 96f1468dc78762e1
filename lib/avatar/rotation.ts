/**
 * Axis-angle to rotation matrix (Rodrigues), row-major 3×3, in float64 for the few
 * per-frame computations done in TypeScript.
 *
 * @module
 */

/** R = I + sin θ K + (1 − cos θ) K², K the cross-product matrix of the unit axis; θ = |aa|. */
export function axisAngleToMatrix(aa: ArrayLike<number>): Float64Array {
  const [x, y, z] = [aa[0] ?? 0, aa[1] ?? 0, aa[2] ?? 0];
  const theta = Math.hypot(x, y, z);
  if (theta < 1e-12) return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  const [kx, ky, kz] = [x / theta, y / theta, z / theta];
  const s = Math.sin(theta);
  const c = 1 - Math.cos(theta);
  return Float64Array.of(
    1 - c * (ky * ky + kz * kz), -s * kz + c * kx * ky, s * ky + c * kx * kz,
    s * kz + c * kx * ky, 1 - c * (kx * kx + kz * kz), -s * kx + c * ky * kz,
    -s * ky + c * kx * kz, s * kx + c * ky * kz, 1 - c * (kx * kx + ky * ky),
  );
}
