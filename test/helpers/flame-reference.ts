// Independent float64 references for the FLAME forward and the rigging maths, written from
// the definitions (FLAME / SMPL-X linear blend skinning; DESIGN.md §3 rigging) in plain JS.
import type { FlameModel } from '../../lib/index.js';
import { rng } from './scene.js';

type M3 = number[][]; // 3x3
type V3 = [number, number, number];

export function rodrigues(r: ArrayLike<number>): M3 {
  const angle = Math.hypot(r[0]! + 1e-8, r[1]! + 1e-8, r[2]! + 1e-8);
  const [x, y, z] = [r[0]! / angle, r[1]! / angle, r[2]! / angle];
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  return [
    [c + t * x * x, t * x * y - s * z, t * x * z + s * y],
    [t * x * y + s * z, c + t * y * y, t * y * z - s * x],
    [t * x * z - s * y, t * y * z + s * x, c + t * z * z],
  ];
}

const mul = (a: M3, b: M3): M3 => a.map((row) => [0, 1, 2].map((j) => row[0]! * b[0]![j]! + row[1]! * b[1]![j]! + row[2]! * b[2]![j]!));
const apply = (a: M3, v: V3): V3 => [0, 1, 2].map((i) => a[i]![0]! * v[0] + a[i]![1]! * v[1] + a[i]![2]! * v[2]) as V3;

export interface RefParams {
  shape: number[];
  expr: number[];
  pose: number[]; // 15: global, neck, jaw, left eye, right eye
  translation: number[];
}

/** FLAME forward in float64: returns vertices [V][3] and posed joints [5][3]. */
export function flameReference(m: FlameModel, p: RefParams): { vertices: V3[]; joints: V3[] } {
  const { vertexCount: V, shapeCount: S, exprCount: E } = m;
  const shaped: V3[] = [];
  for (let v = 0; v < V; v++) {
    const out: V3 = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      let x = m.vTemplate[3 * v + c]!;
      for (let k = 0; k < S; k++) x += m.shapedirs[(v * 3 + c) * S + k]! * p.shape[k]!;
      for (let k = 0; k < E; k++) x += m.exprdirs[(v * 3 + c) * E + k]! * p.expr[k]!;
      out[c] = x;
    }
    shaped.push(out);
  }
  const joints: V3[] = [];
  for (let j = 0; j < 5; j++) {
    const out: V3 = [0, 0, 0];
    for (let v = 0; v < V; v++) for (let c = 0; c < 3; c++) out[c] += m.jRegressor[j * V + v]! * shaped[v]![c]!;
    joints.push(out);
  }
  const rots = [0, 1, 2, 3, 4].map((j) => rodrigues(p.pose.slice(3 * j, 3 * j + 3)));
  const feature: number[] = [];
  for (let j = 1; j < 5; j++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) feature.push(rots[j]![a]![b]! - (a === b ? 1 : 0));
  const posedRest = shaped.map((s, v) => s.map((x, c) => {
    let y = x;
    for (let k = 0; k < 36; k++) y += m.posedirs[(v * 3 + c) * 36 + k]! * feature[k]!;
    return y;
  }) as V3);
  // World transforms G_j = G_parent * [R_j | J_j - J_parent].
  const worldR: M3[] = [];
  const worldT: V3[] = [];
  for (let j = 0; j < 5; j++) {
    const parent = m.parents[j]!;
    const offset: V3 = parent < 0 ? joints[j]! : [0, 1, 2].map((c) => joints[j]![c]! - joints[parent]![c]!) as V3;
    if (parent < 0) {
      worldR.push(rots[j]!);
      worldT.push(offset);
    } else {
      worldR.push(mul(worldR[parent]!, rots[j]!));
      const t = apply(worldR[parent]!, offset);
      worldT.push([0, 1, 2].map((c) => t[c]! + worldT[parent]![c]!) as V3);
    }
  }
  const vertices = posedRest.map((x, v) => {
    const out: V3 = [0, 0, 0];
    for (let j = 0; j < 5; j++) {
      const w = m.lbsWeights[v * 5 + j]!;
      if (w === 0) continue;
      // Skinning transform applied to the rest point: G_j (x - J_j).
      const local: V3 = [0, 1, 2].map((c) => x[c]! - joints[j]![c]!) as V3;
      const moved = apply(worldR[j]!, local);
      for (let c = 0; c < 3; c++) out[c] += w * (moved[c]! + worldT[j]![c]!);
    }
    return out.map((x, c) => x + p.translation[c]!) as V3;
  });
  return { vertices, joints: worldT.map((t) => t.map((x, c) => x + p.translation[c]!) as V3) };
}

/** A small random FLAME-format model (V vertices on a blob, F faces), seeded. */
export function randomFlameModel(seed: number, V = 40, S = 4, E = 3): FlameModel {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const vTemplate = Float32Array.from({ length: V * 3 }, () => 0.1 * gauss());
  const faces = Int32Array.from({ length: 2 * V * 3 }, () => Math.floor(r() * V));
  for (let f = 0; f < 2 * V; f++) {
    // Three distinct corners.
    faces[3 * f] = f % V;
    faces[3 * f + 1] = (f + 1 + Math.floor(r() * (V - 2))) % V;
    faces[3 * f + 2] = faces[3 * f + 1] === (f + V - 1) % V ? (f + 2) % V : (f + V - 1) % V;
  }
  const lbsWeights = new Float32Array(V * 5);
  for (let v = 0; v < V; v++) {
    let sum = 0;
    for (let j = 0; j < 5; j++) sum += lbsWeights[v * 5 + j] = r() < 0.5 ? r() : 0;
    if (sum === 0) lbsWeights[v * 5] = sum = 1;
    for (let j = 0; j < 5; j++) lbsWeights[v * 5 + j]! /= sum;
  }
  const jRegressor = new Float32Array(5 * V);
  for (let j = 0; j < 5; j++) {
    let sum = 0;
    for (let v = 0; v < V; v++) sum += jRegressor[j * V + v] = r() < 0.3 ? r() : 0;
    for (let v = 0; v < V; v++) jRegressor[j * V + v]! /= sum || 1;
  }
  return {
    vertexCount: V,
    shapeCount: S,
    exprCount: E,
    vTemplate,
    faces,
    shapedirs: Float32Array.from({ length: V * 3 * S }, () => 0.01 * gauss()),
    exprdirs: Float32Array.from({ length: V * 3 * E }, () => 0.01 * gauss()),
    posedirs: Float32Array.from({ length: V * 3 * 36 }, () => 0.005 * gauss()),
    jRegressor,
    lbsWeights,
    parents: Int32Array.from([-1, 0, 1, 1, 1]),
    landmarks: { faceIdx: Int32Array.from([0, 5, 9]), bary: Float32Array.from([0.2, 0.3, 0.5, 1, 0, 0, 0.1, 0.1, 0.8]) },
  };
}

// ---- Rigging (DESIGN.md §3), float64 -------------------------------------------------------

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: V3): V3 => {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
};

export interface RefFrame {
  origin: V3;
  r: M3; // columns a0, a1, a2
  k: number;
}

export function frameReference(v0: V3, v1: V3, v2: V3): RefFrame {
  const a0 = unit(sub(v1, v0));
  const a1 = unit(cross(a0, sub(v2, v0)));
  const a2n = unit(cross(a1, a0));
  const a2: V3 = [-a2n[0], -a2n[1], -a2n[2]];
  const origin: V3 = [0, 1, 2].map((c) => (v0[c]! + v1[c]! + v2[c]!) / 3) as V3;
  const r = [0, 1, 2].map((i) => [a0[i]!, a1[i]!, a2[i]!]);
  const k = 0.5 * (Math.hypot(...sub(v1, v0)) + Math.abs(dot(a2, sub(v2, v0))));
  return { origin, r, k };
}

/** Quaternion (w, x, y, z), w >= 0, of a rotation matrix (classic trace / largest-diagonal branches). */
export function quatOfMatrix(m: M3): number[] {
  const tr = m[0]![0]! + m[1]![1]! + m[2]![2]!;
  let q: number[];
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    q = [s / 4, (m[2]![1]! - m[1]![2]!) / s, (m[0]![2]! - m[2]![0]!) / s, (m[1]![0]! - m[0]![1]!) / s];
  } else if (m[0]![0]! > m[1]![1]! && m[0]![0]! > m[2]![2]!) {
    const s = 2 * Math.sqrt(1 + m[0]![0]! - m[1]![1]! - m[2]![2]!);
    q = [(m[2]![1]! - m[1]![2]!) / s, s / 4, (m[0]![1]! + m[1]![0]!) / s, (m[0]![2]! + m[2]![0]!) / s];
  } else if (m[1]![1]! > m[2]![2]!) {
    const s = 2 * Math.sqrt(1 + m[1]![1]! - m[0]![0]! - m[2]![2]!);
    q = [(m[0]![2]! - m[2]![0]!) / s, (m[0]![1]! + m[1]![0]!) / s, s / 4, (m[1]![2]! + m[2]![1]!) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m[2]![2]! - m[0]![0]! - m[1]![1]!);
    q = [(m[1]![0]! - m[0]![1]!) / s, (m[0]![2]! + m[2]![0]!) / s, (m[1]![2]! + m[2]![1]!) / s, s / 4];
  }
  return q[0]! < 0 ? q.map((x) => -x) : q;
}

export function quatMultiply(a: number[], b: number[]): number[] {
  const [aw, ax, ay, az] = a as [number, number, number, number];
  const [bw, bx, by, bz] = b as [number, number, number, number];
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}

export interface RefLocal {
  face: number;
  bary?: V3;
  offset: V3;
  logScale: V3;
  quat: number[];
}

/** Rigs one Gaussian on a mesh (vertices [V][3], faces flat [F*3]). */
export function rigReference(vertices: V3[], faces: ArrayLike<number>, g: RefLocal): { mean: V3; scale: V3; quat: number[] } {
  const [i0, i1, i2] = [faces[3 * g.face]!, faces[3 * g.face + 1]!, faces[3 * g.face + 2]!];
  const f = frameReference(vertices[i0]!, vertices[i1]!, vertices[i2]!);
  const anchor = g.bary
    ? ([0, 1, 2].map((c) => g.bary![0] * vertices[i0]![c]! + g.bary![1] * vertices[i1]![c]! + g.bary![2] * vertices[i2]![c]!) as V3)
    : f.origin;
  const ro = apply(f.r, g.offset);
  return {
    mean: [0, 1, 2].map((c) => anchor[c]! + f.k * ro[c]!) as V3,
    scale: g.logScale.map((s) => f.k * Math.exp(s)) as V3,
    quat: quatMultiply(quatOfMatrix(f.r), g.quat),
  };
}
