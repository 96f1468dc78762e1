/**
 * The head's outer surface as a part: the shell (shell.ts) with the mouth's cavity joined to
 * the lips' inner edges (mouth.ts), each face named (scalp, skin, nose, eyelids, lips, neck,
 * mouth interior) and unwrapped from the shell's chart (azimuth across, rows down, the face
 * in the middle and given more room than the back of the head).
 *
 * @module
 */

import { addMouthCavity, lipAngle, type LipLoop } from './mouth.js';
import { hairlineY, lipCoordinate, noseHeight } from './features.js';
import { PartBuilder, type Part } from './mesh.js';
import { interpLinear, type Vec2, type Vec3 } from './math.js';
import { LIDS_AT_REST, type LidState } from './eyelids.js';
import { BAND_TOP, EYE_ROW, JAW_ROW, MOUTH_ROW, shellPositions, shellTopology, type Shell, type ShellLayout } from './shell.js';

export interface HeadSurface {
  part: Part;
  shell: Shell;
  /** Number of shell vertices (they come first); the cavity's follow. */
  shellVertexCount: number;
  /** Per vertex: +1 on the upper lip's inner edge or the cavity's roof side, -1 lower, 0 elsewhere. */
  lipSide: Int8Array;
  /** Per vertex of the lips' edge and the cavity: angle across the mouth (see lipAngle); NaN elsewhere. */
  mouthAngle: Float64Array;
  /** The lips' inner edge loop (shell vertex ids). */
  lipLoop: LipLoop;
}

/** Raw unwrap of the shell's chart: azimuth widened at the front (1.65x) and narrowed at the back (0.35x). */
const chartU = (theta: number): number => 0.085 * (theta + 0.65 * Math.sin(theta));

/** Texel emphasis of a row span in the unwrap: the face band gets more room than the scalp and neck. */
const rowEmphasis = (j: number): number => (j > BAND_TOP && j <= JAW_ROW ? 1.3 : 0.75);

/**
 * Rows to raw v: the mean arc length of the face's columns (so the face is unwrapped at
 * about its true shape), stretched over the face band.
 */
function chartV(layout: ShellLayout, shell: Shell, positions: Float64Array): (b: number) => number {
  const rows = layout.rows;
  const acc = new Float64Array(rows + 1);
  const count = new Float64Array(rows + 1);
  const at = new Map<string, number>();
  shell.vertices.forEach((v, i) => {
    if (v.side >= 0) at.set(`${v.c},${v.j}`, i);
  });
  for (let c = -12; c <= 12; c++) {
    let s = 0;
    let prev = 0; // the pole
    for (let j = 1; j <= rows; j++) {
      const i = at.get(`${c},${j}`)!;
      s += rowEmphasis(j) * Math.hypot(positions[3 * i]! - positions[3 * prev]!, positions[3 * i + 1]! - positions[3 * prev + 1]!, positions[3 * i + 2]! - positions[3 * prev + 2]!);
      acc[j] += s;
      count[j] += 1;
      prev = i;
    }
  }
  const js = Array.from({ length: rows + 1 }, (_, j) => j);
  const vs = js.map((j) => (j === 0 ? 0 : -acc[j]! / count[j]!));
  return (b: number) => interpLinear(js, vs, b);
}

/** Region of a shell face from its grid cell and its centroid. */
function shellRegion(layout: ShellLayout, cell: { c: number; j: number }, centroid: Vec3, theta: number): string {
  const { c, j } = cell;
  if (j >= JAW_ROW) return 'neck';
  for (const [kind, name] of [
    ['eye_left', 'eyelid_left'],
    ['eye_right', 'eyelid_right'],
  ] as const) {
    const s = layout.slits[kind];
    if (c >= s.first && c < s.last && j >= EYE_ROW - 3 && j < EYE_ROW + 3) return name;
  }
  // Lips: the cells on either side of the contact line, out to the vermilion's border.
  const m = layout.slits.mouth;
  if (c >= m.first && c < m.last && Math.abs(j - MOUTH_ROW) < 6) {
    const w = lipCoordinate(Math.abs(centroid[0]), centroid[1]);
    if (j < MOUTH_ROW && w < 1) return 'lip_upper';
    if (j >= MOUTH_ROW && w > -1) return 'lip_lower';
  }
  if (centroid[2] > 0.04 && noseHeight(centroid[0], centroid[1]) > 0.0016) return 'nose';
  if (centroid[1] > hairlineY(theta)) return 'scalp';
  return 'skin';
}

/** The lips' inner edge, counter-clockwise seen from the front: right corner, lower lip, left corner, upper lip. */
function lipLoopOf(shell: Shell, positions: Float64Array): LipLoop {
  const m = shell.layout.slits.mouth;
  const find = (c: number, side: number): number => shell.vertices.findIndex((v) => v.j === m.row && v.c === c && v.side === side);
  const ids: number[] = [find(m.first, 0)];
  const sides: (1 | -1 | 0)[] = [0];
  for (let c = m.first + 1; c < m.last; c++) {
    ids.push(find(c, -1));
    sides.push(-1);
  }
  ids.push(find(m.last, 0));
  sides.push(0);
  for (let c = m.last - 1; c > m.first; c--) {
    ids.push(find(c, 1));
    sides.push(1);
  }
  const pos = ids.map((i) => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!] as Vec3);
  return { ids, positions: pos, sides };
}

let cached: HeadSurface | undefined;

/** The head's surface part at rest (computed once). */
export function headSurface(): HeadSurface {
  if (cached) return cached;
  const shell = shellTopology();
  const { layout, vertices } = shell;
  const { positions, chart } = shellPositions(shell);
  const b = new PartBuilder('head');
  vertices.forEach((_, i) => b.vertex([positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!]));
  const V = chartV(layout, shell, positions);
  const uvOf = (i: number, thetaOverride?: number): Vec2 => [chartU(thetaOverride ?? chart[2 * i]!), V(chart[2 * i + 1]!)];
  shell.faces.forEach((f, k) => {
    const cell = shell.faceCells[k]!;
    const centroid: Vec3 = [0, 1, 2].map((a) => (positions[3 * f[0] + a]! + positions[3 * f[1] + a]! + positions[3 * f[2] + a]!) / 3) as Vec3;
    const t0 = layout.theta(cell.c);
    // Faces across the back seam unwrap with the second column's azimuth continued past pi.
    const fix = (i: number): number | undefined => {
      if (i === 0) return undefined;
      const th = chart[2 * i]!;
      return th < t0 - 1e-9 ? th + 2 * Math.PI : th;
    };
    const uv = f.map((i) => (i === 0 ? ([chartU(t0 + 0.5 * angleStep(layout, cell.c)), V(0)] as Vec2) : uvOf(i, fix(i)))) as [Vec2, Vec2, Vec2];
    b.face(f, shellRegion(layout, cell, centroid, t0), 'head', uv);
  });
  const lipLoop = lipLoopOf(shell, positions);
  const shellVertexCount = vertices.length;
  const cavity = addMouthCavity(b, lipLoop);
  const lipSide = new Int8Array(b.part.positions.length);
  const mouthAngle = new Float64Array(b.part.positions.length).fill(NaN);
  lipLoop.ids.forEach((id, q) => {
    lipSide[id] = lipLoop.sides[q]!;
    mouthAngle[id] = lipAngle(lipLoop.positions[q]!);
  });
  for (const v of cavity) {
    lipSide[v.id] = v.side;
    mouthAngle[v.id] = v.psi;
  }
  cached = { part: b.part, shell, shellVertexCount, lipSide, mouthAngle, lipLoop };
  return cached;
}

/** Azimuth step from column c to the next (wrapping at the back). */
function angleStep(layout: ShellLayout, c: number): number {
  const next = c === layout.columns / 2 ? -layout.columns / 2 + 1 : c + 1;
  let d = layout.theta(next) - layout.theta(c);
  if (d < 0) d += 2 * Math.PI;
  return d;
}

/** Shell positions for a lid state (the cavity does not depend on the lids). */
export function surfacePositionsWithLids(lids: { left: LidState; right: LidState } = { left: LIDS_AT_REST, right: LIDS_AT_REST }): Float64Array {
  const s = headSurface();
  const out = new Float64Array(s.part.positions.length * 3);
  s.part.positions.forEach((p, i) => out.set(p, 3 * i));
  out.set(shellPositions(s.shell, lids).positions);
  return out;
}
