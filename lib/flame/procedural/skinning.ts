/**
 * Skinning weights and the joint regressor. Joints (FLAME order): 0 root (base of the neck),
 * 1 neck (top of the neck), 2 jaw (between the temporomandibular joints), 3 / 4 the eyeballs.
 *
 * Weights are smooth functions of the canonical position: the neck blends from the root to
 * the neck joint going up; below the lips' line (and forward of the jaw's ramus) the skin
 * follows the jaw, with a transition that is sharp between the lips and widens towards the
 * corners of the mouth and across the cheeks. The lips' edges and the mouth's cavity use
 * their side (upper / lower) and angle across the mouth instead of their height, since at
 * rest the two lips' edges coincide.
 *
 * @module
 */

import { PART, shellFaceIds, type Assembled } from './assemble.js';
import { neckAxisDistance, neckColumn } from './masks.js';
import { smoothstep, type Vec3 } from './math.js';
import { raycast } from './raycast.js';
import { SPEC } from './spec.js';

export const JOINT_COUNT = 5;
export const PARENTS = [-1, 0, 1, 1, 1] as const;

const M = SPEC.mouth;

/** Share of the jaw (before the neck's root share) for a point of the face by its position. */
function jawShareByPosition(p: Vec3): number {
  const [x, y, z] = p;
  const ax = Math.abs(x);
  // The boundary runs along the lips' line, then from the corners up and back towards the
  // jaw joint in front of the ears; it widens from 4 mm at the lips to 16 mm on the cheeks.
  const out = Math.max(ax - M.cornerX, 0);
  const line = M.y + out * 0.9;
  const width = 0.004 + 0.012 * smoothstep(M.cornerX - 0.012, M.cornerX + 0.015, ax);
  const below = smoothstep(line + width, line - width, y);
  // Nothing behind the jaw's ramus follows the jaw (the nape, the back of the neck).
  return below * smoothstep(-0.04, -0.012, z);
}

/** Share of the jaw for the lips' edges and the cavity, by side and angle across the mouth. */
function jawShareBySide(side: number, angle: number): number {
  const centre = smoothstep(1, 0.72, Math.abs(Math.sin(angle))); // 0 at the corners
  return 0.5 + 0.5 * (side > 0 ? -1 : side < 0 ? 1 : 0) * centre;
}

/** Root share on the neck: 1 at the cut, 0 at the top of the neck. */
function rootShare(p: Vec3): number {
  return smoothstep(-0.07, -0.125, p[1]) * smoothstep(0.075, 0.062, neckAxisDistance(p));
}

/** LBS weights [V, 5] of the canonical head (rows sum to 1). */
export function skinningWeights(asm: Assembled): Float64Array {
  const W = new Float64Array(asm.vertexCount * JOINT_COUNT);
  const { lipSide, mouthAngle } = asm.surface;
  for (let i = 0; i < asm.vertexCount; i++) {
    const p: Vec3 = [asm.positions[3 * i]!, asm.positions[3 * i + 1]!, asm.positions[3 * i + 2]!];
    const part = asm.vertexPart[i]!;
    const row = W.subarray(i * JOINT_COUNT, (i + 1) * JOINT_COUNT);
    if (part === PART.eye_left) row[3] = 1;
    else if (part === PART.eye_right) row[4] = 1;
    else if (part === PART.teeth_lower || part === PART.tongue) row[2] = 1;
    else if (part !== PART.head) row[1] = 1; // upper teeth, ears: rigid with the head
    else {
      const root = rootShare(p);
      const onMouth = !Number.isNaN(mouthAngle[i]!);
      const jawShare = (onMouth ? jawShareBySide(lipSide[i]!, mouthAngle[i]!) : jawShareByPosition(p)) * (1 - 0.75 * neckColumn(p));
      row[0] = root;
      row[2] = (1 - root) * jawShare;
      row[1] = 1 - row[0] - row[2];
    }
  }
  return W;
}

/** Where each joint should be on the canonical head. */
export function intendedJoints(): Vec3[] {
  const J = SPEC.joints;
  const e = SPEC.eye.centre;
  return [J.root, J.neck, J.jaw, e, [-e[0], e[1], e[2]]];
}

/**
 * The joint regressor [5, V] (dense, rows non-negative, summing to 1). The eyes regress from
 * their eyeballs' equator rings (whose mean is the centre); the root, neck and jaw from two
 * surface points straight left and right of the joint (the same height and depth on both
 * sides of the head, so their midpoint is the joint), each a barycentric point of a shell
 * face. When the head changes shape the joints move with the sides of the head around them.
 */
export function jointRegressor(asm: Assembled): Float64Array {
  const V = asm.vertexCount;
  const R = new Float64Array(JOINT_COUNT * V);
  const shellFaces = shellFaceIds(asm);
  intendedJoints()
    .slice(0, 3)
    .forEach((joint, j) => {
      for (const dir of [1, -1]) {
        const hit = raycast(asm.positions, asm.faces, shellFaces, joint, [dir, 0, 0]);
        if (!hit) throw new Error(`procedural head: no surface beside joint ${j}`);
        for (let k = 0; k < 3; k++) R[j * V + asm.faces[3 * hit.face + k]!] += 0.5 * hit.bary[k]!;
      }
    });
  for (const [j, ring] of [
    [3, asm.eyeEquator.left],
    [4, asm.eyeEquator.right],
  ] as const) {
    for (const i of ring) R[j * V + i] = 1 / ring.length;
  }
  return R;
}
