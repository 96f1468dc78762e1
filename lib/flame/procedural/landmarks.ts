/**
 * The 68 iBUG facial landmarks embedded in the canonical head as barycentric points of faces
 * (FLAME's static landmark embedding): jaw line 0-16 (from the subject's right ear to the
 * left), brows 17-26, nose 27-35, eyes 36-47, lips 48-67 (outer then inner contour). The
 * subject's right is -x. Points are found by casting rays from in front of the face onto the
 * skin (the jaw line from inside the head outwards); eye and mouth corners are their
 * vertices, and the inner lip points sit on the lips' edges of the lip they belong to.
 *
 * @module
 */

import { shellFaceIds, type Assembled } from './assemble.js';
import type { FlameLandmarks } from '../model.js';
import { lowerBorderY, noseHeight, upperBorderY } from './features.js';
import { normalize, type Vec3 } from './math.js';
import { raycast, type Hit } from './raycast.js';
import { EYE_ROW } from './shell.js';
import { SPEC } from './spec.js';

const M = SPEC.mouth;

/** A landmark's definition: how to find it. */
type Locator = { front: [number, number] } | { out: Vec3; from: Vec3 } | { vertex: number; near?: [number, number] };

/** Jaw contour seen from the front, chin first, left side (x > 0). */
const JAW_CONTOUR: readonly [number, number][] = [
  [0, -0.097],
  [0.0175, -0.0945],
  [0.033, -0.087],
  [0.0445, -0.0755],
  [0.053, -0.061],
  [0.0595, -0.044],
  [0.0635, -0.026],
  [0.066, -0.008],
  [0.0675, 0.01],
];

/** Brow points (left side, medial to lateral) along the brows' centre line. */
const BROW: readonly [number, number][] = [
  [0.0135, 0.0445],
  [0.0235, 0.0495],
  [0.034, 0.0515],
  [0.045, 0.05],
  [0.0555, 0.0455],
];

export function embedLandmarks(asm: Assembled): FlameLandmarks {
  const faces = shellFaceIds(asm, false);
  const shell = asm.surface.shell;
  const pos = asm.positions;
  const vertexAt = (c: number, j: number, side: number): number => shell.vertices.findIndex((v) => v.c === c && v.j === j && v.side === side);
  const P = (i: number): Vec3 => [pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!];

  // Points on a lid margin, a fraction u (0 medial, 1 lateral) along the fissure.
  const lid = (side: 1 | -1, upper: boolean, u: number): Locator => {
    const s = shell.layout.slits[side > 0 ? 'eye_left' : 'eye_right'];
    const cols: number[] = [];
    for (let c = s.first; c <= s.last; c++) cols.push(c);
    if (side < 0) cols.reverse(); // medial first
    const t = u * (cols.length - 1);
    const k = Math.min(Math.floor(t), cols.length - 2);
    const f = t - k;
    const ids = [cols[k]!, cols[k + 1]!].map((c) => {
      const corner = c === s.first || c === s.last;
      return vertexAt(c, EYE_ROW, corner ? 0 : upper ? 1 : -1);
    });
    const [a, b] = [P(ids[0]!), P(ids[1]!)];
    const y = a[1] + (b[1] - a[1]) * f + (upper ? 0.0004 : -0.0004);
    return { front: [a[0] + (b[0] - a[0]) * f, y] };
  };
  const corner = (side: 1 | -1, lateral: boolean): Locator => {
    const s = shell.layout.slits[side > 0 ? 'eye_left' : 'eye_right'];
    const c = (side > 0) === lateral ? s.last : s.first;
    return { vertex: vertexAt(c, EYE_ROW, 0) };
  };
  const mouthCorner = (side: 1 | -1): Locator => {
    const s = shell.layout.slits.mouth;
    return { vertex: vertexAt(side > 0 ? s.last : s.first, s.row, 0) };
  };
  // Nose tip: the nose's most protruding vertex.
  let tip = 0;
  for (let i = 0; i < asm.surface.shellVertexCount; i++) {
    if (noseHeight(pos[3 * i]!, pos[3 * i + 1]!) > 0.0016 && pos[3 * i + 2]! > pos[3 * tip + 2]!) tip = i;
  }
  const jaw = (k: number): Locator => {
    const [x, y] = k < 8 ? [-JAW_CONTOUR[8 - k]![0], JAW_CONTOUR[8 - k]![1]] : JAW_CONTOUR[k - 8]!;
    // From inside the head straight out through the contour point (seen from the front).
    const from: Vec3 = [0, y, 0.02];
    return { from, out: normalize([x, 0, Math.sqrt(Math.max(0.075 ** 2 - x * x, 1e-6)) * 0.9]) };
  };
  const mirror = ([x, y]: [number, number]): [number, number] => [-x, y];
  const L: Locator[] = [];
  for (let k = 0; k < 17; k++) L.push(jaw(k));
  for (let k = 4; k >= 0; k--) L.push({ front: mirror(BROW[k]!) }); // 17-21: right brow, outer to inner
  for (let k = 0; k < 5; k++) L.push({ front: BROW[k]! }); // 22-26: left brow, inner to outer
  for (const y of [0.022, 0.0125, 0.003]) L.push({ front: [0, y] }); // 27-29: bridge
  L.push({ vertex: tip }); // 30
  for (const x of [-0.0112, -0.0062, 0, 0.0062, 0.0112]) L.push({ front: [x, SPEC.nose.subnasaleY + 0.0012 + 0.0022 * (Math.abs(x) / 0.0112) ** 2] }); // 31-35
  // 36-41 right eye: outer corner, upper lid (outer to inner), inner corner, lower lid (inner to outer).
  L.push(corner(-1, true), lid(-1, true, 2 / 3), lid(-1, true, 1 / 3), corner(-1, false), lid(-1, false, 1 / 3), lid(-1, false, 2 / 3));
  // 42-47 left eye: inner corner, upper lid (inner to outer), outer corner, lower lid (outer to inner).
  L.push(corner(1, false), lid(1, true, 1 / 3), lid(1, true, 2 / 3), corner(1, true), lid(1, false, 2 / 3), lid(1, false, 1 / 3));
  // 48-59 outer lips: right corner, upper border right to left, left corner, lower border left to right.
  const inset = 0.0006;
  L.push(mouthCorner(-1));
  for (const x of [-0.0155, -0.0058, 0, 0.0058, 0.0155]) L.push({ front: [x, upperBorderY(Math.abs(x)) - inset] });
  L.push(mouthCorner(1));
  for (const x of [0.0155, 0.0075, 0, -0.0075, -0.0155]) L.push({ front: [x, lowerBorderY(Math.abs(x)) + inset] });
  // 60-67 inner lips: right corner, upper edge right to left, left corner, lower edge left to right.
  L.push(mouthCorner(-1));
  for (const x of [-0.0085, 0, 0.0085]) L.push({ front: [x, M.y + 0.0004] });
  L.push(mouthCorner(1));
  for (const x of [0.0085, 0, -0.0085]) L.push({ front: [x, M.y - 0.0004] });

  const faceIdx = new Int32Array(L.length);
  const bary = new Float32Array(L.length * 3);
  L.forEach((loc, n) => {
    let hit: Hit | undefined;
    if ('vertex' in loc) hit = vertexHit(asm, loc.vertex);
    else if ('front' in loc) hit = raycast(pos, asm.faces, faces, [loc.front[0], loc.front[1], 0.5], [0, 0, -1]);
    else hit = raycast(pos, asm.faces, faces, loc.from, loc.out);
    if (!hit) throw new Error(`procedural head: landmark ${n} is not on the surface`);
    faceIdx[n] = hit.face;
    bary.set(hit.bary, 3 * n);
  });
  return { faceIdx, bary };
}

/** A face around vertex v (a shell face), with v's corner weight 1. */
function vertexHit(asm: Assembled, v: number): Hit {
  for (let f = 0; f < asm.faceCount; f++) {
    for (let k = 0; k < 3; k++) {
      if (asm.faces[3 * f + k] === v) {
        const bary: Vec3 = [0, 0, 0];
        bary[k] = 1;
        return { face: f, bary, t: 0 };
      }
    }
  }
  throw new Error(`procedural head: vertex ${v} has no face`);
}
