/**
 * Pose correctives (FLAME's posedirs): displacements added before skinning, linear in the
 * pose feature flatten(R_j - I) of joints 1..4 (neck, jaw, left eye, right eye; 9 values
 * each, row-major). Linear blend skinning shortens the skin where it blends between two
 * joints (a blended vertex moves along a chord instead of an arc, towards the axis); these
 * correctives move such vertices so that skinning lands them where a rotation by their share
 * of the joint's angle would: under the jaw and across the cheeks as the mouth opens, along
 * the neck as the head turns. The effect is second order in the angle, so it lives on the
 * diagonal features (cos a - 1 for a rotation by a); the eyes need none.
 *
 * @module
 */

import type { Assembled } from './assemble.js';
import type { Vec3 } from './math.js';
import { JOINT_COUNT, skinningWeights } from './skinning.js';

export const POSE_FEATURES = 36;
/** The angle at which the correctives are exact (radians). */
const REFERENCE_ANGLE = 0.35;

type M3 = number[][];

function axisRotation(axis: number, a: number): M3 {
  const [c, s] = [Math.cos(a), Math.sin(a)];
  if (axis === 0) return [[1, 0, 0], [0, c, -s], [0, s, c]];
  if (axis === 1) return [[c, 0, s], [0, 1, 0], [-s, 0, c]];
  return [[c, -s, 0], [s, c, 0], [0, 0, 1]];
}

const apply = (m: M3, v: Vec3): Vec3 => [0, 1, 2].map((i) => m[i]![0]! * v[0] + m[i]![1]! * v[1] + m[i]![2]! * v[2]) as Vec3;

function invert3(m: M3): M3 {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, k] = m[2]!;
  const A = e * k - f * h;
  const B = -(d * k - f * g);
  const C = d * h - e * g;
  const det = a! * A + b! * B + c! * C;
  return [
    [A / det, -(b! * k! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * k! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

/**
 * Rest-space correction that makes LBS with share w of a rotation about `axis` by `angle`
 * (around the joint at origin-relative r) land on the rotation by w * angle.
 */
function correction(r: Vec3, w: number, axis: number, angle: number): Vec3 {
  const R = axisRotation(axis, angle);
  const blend = R.map((row, i) => row.map((x, j) => (i === j ? 1 : 0) + w * (x - (i === j ? 1 : 0))));
  const target = apply(axisRotation(axis, w * angle), r);
  const rest = apply(invert3(blend), target);
  return [rest[0] - r[0], rest[1] - r[1], rest[2] - r[2]];
}

/**
 * Pose correctives [V, 3, 36] for joint positions `joints` [5][3]. The neck's share of a
 * vertex is everything but the root's (the jaw and the eyes are its children); the jaw's is
 * its own weight.
 */
export function poseDirs(asm: Assembled, joints: Vec3[]): Float64Array {
  const V = asm.vertexCount;
  const W = skinningWeights(asm);
  const out = new Float64Array(V * 3 * POSE_FEATURES);
  const k = Math.cos(REFERENCE_ANGLE) - 1;
  for (const joint of [1, 2]) {
    const base = 9 * (joint - 1);
    for (let i = 0; i < V; i++) {
      const w = joint === 1 ? 1 - W[i * JOINT_COUNT]! : W[i * JOINT_COUNT + 2]!;
      if (w <= 1e-6 || w >= 1 - 1e-6) continue;
      const r: Vec3 = [0, 1, 2].map((c) => asm.positions[3 * i + c]! - joints[joint]![c]!) as Vec3;
      const [cx, cy, cz] = [0, 1, 2].map((axis) => correction(r, w, axis, REFERENCE_ANGLE)) as [Vec3, Vec3, Vec3];
      for (let c = 0; c < 3; c++) {
        // Diagonal features of rotations about x, y, z: (0, k, k), (k, 0, k), (k, k, 0).
        const p00 = (cy[c] + cz[c] - cx[c]) / (2 * k);
        const p11 = (cx[c] + cz[c] - cy[c]) / (2 * k);
        const p22 = (cx[c] + cy[c] - cz[c]) / (2 * k);
        const row = (i * 3 + c) * POSE_FEATURES + base;
        out[row + 0] = p00;
        out[row + 4] = p11;
        out[row + 8] = p22;
      }
    }
  }
  return out;
}
