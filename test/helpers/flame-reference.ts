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
