// The procedural FLAME-format head (lib/flame/procedural): determinism, array shapes, mesh
// validity (no degenerate faces, outward orientation), skinning and joint regression, UV
// layout without overlaps, expressions (blink, jaw opening, smile, lip rounding), rigid parts
// under shape changes, and landmark placement. Checks read the public outputs only.
import { describe, expect, it } from 'vitest';

import { makeProceduralHead, type ProceduralHead } from '../lib/flame/procedural/index.js';
import { flameReference } from './helpers/flame-reference.js';

type V3 = [number, number, number];

const head = makeProceduralHead({ seed: 7 });
const m = head.model;
const V = m.vertexCount;
const F = m.faces.length / 3;
const E = m.exprCount;
const S = m.shapeCount;

const vertex = (pos: ArrayLike<number>, i: number): V3 => [pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const dist = (a: V3, b: V3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Faces (ids) whose region name satisfies `pred`. */
function facesWhere(h: ProceduralHead, pred: (name: string) => boolean): number[] {
  const out: number[] = [];
  h.regions.face.forEach((r, f) => {
    if (pred(h.regions.names[r]!)) out.push(f);
  });
  return out;
}
/** Vertices of the given faces. */
function verticesOf(faces: number[], tris: Int32Array = m.faces): number[] {
  const s = new Set<number>();
  for (const f of faces) for (let k = 0; k < 3; k++) s.add(tris[3 * f + k]!);
  return [...s];
}
/** vTemplate + sum_k exprdirs[:, :, k] * coeffs[k]. */
function withExpression(coeffs: Record<string, number>, base: Float32Array = m.vTemplate): Float64Array {
  const out = Float64Array.from(base);
  for (const [name, c] of Object.entries(coeffs)) {
    const k = head.expressionNames.indexOf(name);
    if (k < 0) throw new Error(`no expression ${name}`);
    for (let i = 0; i < V * 3; i++) out[i] += m.exprdirs[i * E + k]! * c;
  }
  return out;
}
/** vTemplate + shapedirs . beta. */
function withShape(beta: number[]): Float64Array {
  const out = Float64Array.from(m.vTemplate);
  for (let i = 0; i < V * 3; i++) for (let k = 0; k < S; k++) out[i] += m.shapedirs[i * S + k]! * beta[k]!;
  return out;
}
/** A landmark's position on a mesh. */
function landmark(pos: ArrayLike<number>, n: number): V3 {
  const f = m.landmarks!.faceIdx[n]!;
  const out: V3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const p = vertex(pos, m.faces[3 * f + k]!);
    for (let a = 0; a < 3; a++) out[a] += m.landmarks!.bary[3 * n + k]! * p[a]!;
  }
  return out;
}
/** Connected components of the mesh (by shared vertices), as face lists. */
function components(): number[][] {
  const parent = Array.from({ length: V }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let f = 0; f < F; f++) {
    const [a, b, c] = [find(m.faces[3 * f]!), find(m.faces[3 * f + 1]!), find(m.faces[3 * f + 2]!)];
    parent[b] = a;
    parent[find(c)] = a;
  }
  const groups = new Map<number, number[]>();
  for (let f = 0; f < F; f++) {
    const r = find(m.faces[3 * f]!);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(f);
  }
  return [...groups.values()];
}
/** Directed edges of faces, counted. */
function directedEdges(faces: number[]): Map<string, number> {
  const e = new Map<string, number>();
  for (const f of faces) {
    for (let k = 0; k < 3; k++) {
      const key = `${m.faces[3 * f + k]},${m.faces[3 * f + ((k + 1) % 3)]}`;
      e.set(key, (e.get(key) ?? 0) + 1);
    }
  }
  return e;
}
describe('procedural head: determinism', () => {
  it('gives bit-identical arrays for the same seed, different but valid ones for another', () => {
    const a = makeProceduralHead({ seed: 11 });
    const b = makeProceduralHead({ seed: 11 });
    const c = makeProceduralHead({ seed: 12 });
    const arrays = (h: ProceduralHead): ArrayBufferView[] => [
      h.model.vTemplate, h.model.faces, h.model.shapedirs, h.model.exprdirs, h.model.posedirs, h.model.jRegressor, h.model.lbsWeights,
      h.model.parents, h.model.uv!.vt, h.model.uv!.ft, h.model.landmarks!.faceIdx, h.model.landmarks!.bary, h.regions.face, h.vertexColors, h.joints,
    ];
    const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    arrays(a).forEach((x, i) => expect(bytes(x).equals(bytes(arrays(b)[i]!))).toBe(true));
    expect(bytes(a.model.vTemplate).equals(bytes(c.model.vTemplate))).toBe(false);
    // The other seed is still a head of the right size with eyes where eyes go.
    for (const h of [a, c]) {
      let [minY, maxY] = [Infinity, -Infinity];
      for (let i = 0; i < V; i++) [minY, maxY] = [Math.min(minY, h.model.vTemplate[3 * i + 1]!), Math.max(maxY, h.model.vTemplate[3 * i + 1]!)];
      expect(maxY).toBeGreaterThan(0.11);
      expect(maxY).toBeLessThan(0.14);
      expect(minY).toBeLessThan(-0.12);
      expect(h.joints[3 * 3]).toBeGreaterThan(0.025);
      expect(h.joints[3 * 4]).toBeLessThan(-0.025);
    }
  });

  it('rejects a non-integer seed', () => {
    expect(() => makeProceduralHead({ seed: 1.5 })).toThrow(/integer/);
  });
});

describe('procedural head: arrays', () => {
  it('has FLAME shapes and sizes', () => {
    expect(V).toBeGreaterThanOrEqual(3000);
    expect(V).toBeLessThanOrEqual(8000);
    expect(F).toBeGreaterThan(1.8 * V);
    expect(S).toBeGreaterThanOrEqual(20);
    expect(S).toBeLessThanOrEqual(50);
    expect(E).toBeGreaterThanOrEqual(10);
    expect(E).toBeLessThanOrEqual(20);
    expect(m.vTemplate.length).toBe(V * 3);
    expect(m.faces.length % 3).toBe(0);
    expect(m.shapedirs.length).toBe(V * 3 * S);
    expect(m.exprdirs.length).toBe(V * 3 * E);
    expect(m.posedirs.length).toBe(V * 3 * 36);
    expect(m.jRegressor.length).toBe(5 * V);
    expect(m.lbsWeights.length).toBe(V * 5);
    expect(Array.from(m.parents)).toEqual([-1, 0, 1, 1, 1]);
    expect(m.uv!.ft.length).toBe(F * 3);
    expect(m.uv!.vt.length % 2).toBe(0);
    expect(m.landmarks!.faceIdx.length).toBe(68);
    expect(m.landmarks!.bary.length).toBe(68 * 3);
    expect(head.regions.face.length).toBe(F);
    expect(head.vertexColors.length).toBe(V * 3);
    expect(head.shapeNames).toHaveLength(S);
    expect(head.expressionNames).toHaveLength(E);
    expect(head.joints.length).toBe(15);
    for (const name of ['jaw_open', 'lip_round', 'lip_press', 'smile', 'blink_left', 'blink_right']) expect(head.expressionNames).toContain(name);
    for (const name of ['head_width', 'jaw_width', 'nose_length', 'eye_spacing', 'lip_fullness']) expect(head.shapeNames).toContain(name);
    for (const a of [m.vTemplate, m.shapedirs, m.exprdirs, m.posedirs, m.jRegressor, m.lbsWeights, head.vertexColors]) {
      expect(a.every(Number.isFinite)).toBe(true);
    }
    expect(head.vertexColors.every((c) => c >= 0 && c <= 1)).toBe(true);
    expect(m.faces.every((i) => i >= 0 && i < V)).toBe(true);
  });

  it('is head-sized, in FLAME axes (face towards +z, crown up)', () => {
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) [lo[a], hi[a]] = [Math.min(lo[a]!, m.vTemplate[3 * i + a]!), Math.max(hi[a]!, m.vTemplate[3 * i + a]!)];
    expect(hi[0]! - lo[0]!).toBeGreaterThan(0.14); // with the ears
    expect(hi[0]! - lo[0]!).toBeLessThan(0.2);
    expect(hi[2]! - lo[2]!).toBeGreaterThan(0.17);
    expect(hi[2]! - lo[2]!).toBeLessThan(0.22);
    const tip = landmark(m.vTemplate, 30);
    expect(tip[2]).toBeGreaterThan(0.09); // nose in front
    expect(landmark(m.vTemplate, 8)[1]).toBeLessThan(-0.08); // chin below
  });
});

describe('procedural head: mesh validity', () => {
  it('has no degenerate or repeated-vertex faces', () => {
    let minArea = Infinity;
    for (let f = 0; f < F; f++) {
      const [a, b, c] = [m.faces[3 * f]!, m.faces[3 * f + 1]!, m.faces[3 * f + 2]!];
      expect(a !== b && b !== c && a !== c).toBe(true);
      const n = cross(sub(vertex(m.vTemplate, b), vertex(m.vTemplate, a)), sub(vertex(m.vTemplate, c), vertex(m.vTemplate, a)));
      minArea = Math.min(minArea, Math.hypot(...n) / 2);
    }
    expect(minArea).toBeGreaterThan(1e-9); // 0.001 mm^2
  });

  it('orients every part consistently and outwards', () => {
    const parts = components();
    // Head surface (with the mouth's cavity), 2 eyeballs, 2 teeth, tongue, 2 ears.
    expect(parts.length).toBe(8);
    for (const faces of parts) {
      // An edge used twice in one direction means two neighbours wind oppositely.
      const edges = directedEdges(faces);
      expect([...edges.values()].filter((n) => n !== 1)).toEqual([]);
      // Signed volume about the part's centroid: for an open part this is the volume closed
      // by a cone from the centroid over its boundary (the cone's faces add nothing).
      const ids = verticesOf(faces);
      const c: V3 = [0, 0, 0];
      for (const i of ids) for (let a = 0; a < 3; a++) c[a] += m.vTemplate[3 * i + a]! / ids.length;
      let vol = 0;
      for (const f of faces) {
        const [a, b, d] = [0, 1, 2].map((k) => sub(vertex(m.vTemplate, m.faces[3 * f + k]!), c)) as [V3, V3, V3];
        vol += dot(a, cross(b, d)) / 6;
      }
      expect(vol).toBeGreaterThan(0);
    }
    // The head surface is open only at the neck's cut and the eye fissures.
    const headFaces = parts.reduce((a, b) => (a.length > b.length ? a : b));
    const edges = directedEdges(headFaces);
    const boundary = [...edges.keys()].filter((k) => {
      const [i, j] = k.split(',');
      return !edges.has(`${j},${i}`);
    });
    const lowY = boundary.filter((k) => m.vTemplate[3 * Number(k.split(',')[0]) + 1]! < -0.11).length;
    const eyeY = boundary.filter((k) => Math.abs(m.vTemplate[3 * Number(k.split(',')[0]) + 1]! - head.joints[10]!) < 0.01).length;
    expect(lowY + eyeY).toBe(boundary.length);
    expect(lowY).toBeGreaterThan(50);
    expect(eyeY).toBeGreaterThan(20);
  });

  it('has per-face regions covering every name', () => {
    const counts = new Array(head.regions.names.length).fill(0);
    head.regions.face.forEach((r) => counts[r]++);
    head.regions.names.forEach((name, i) => expect(counts[i], name).toBeGreaterThan(0));
  });
});

describe('procedural head: skinning and joints', () => {
  const W = m.lbsWeights;
  it('has weights that sum to 1, eyeballs on their eye joints, lids on the neck', () => {
    for (let i = 0; i < V; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) {
        expect(W[i * 5 + j]).toBeGreaterThanOrEqual(0);
        s += W[i * 5 + j]!;
      }
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
    for (const [prefix, j] of [['eye_left', 3], ['eye_right', 4]] as const) {
      for (const i of verticesOf(facesWhere(head, (n) => n.startsWith(prefix)))) expect(W[i * 5 + j]).toBe(1);
    }
    for (const i of verticesOf(facesWhere(head, (n) => n.startsWith('eyelid')))) expect(W[i * 5 + 1]).toBeCloseTo(1, 5);
    for (const i of verticesOf(facesWhere(head, (n) => n === 'teeth_lower' || n === 'tongue'))) expect(W[i * 5 + 2]).toBe(1);
    for (const i of verticesOf(facesWhere(head, (n) => n === 'teeth_upper'))) expect(W[i * 5 + 1]).toBe(1);
    // The chin follows the jaw, the forehead the neck joint, the neck's cut the root.
    expect(W[0 * 5 + 1]).toBeCloseTo(1, 5); // vertex 0: the crown
    const chin = m.faces[3 * m.landmarks!.faceIdx[8]!]!;
    expect(W[chin * 5 + 2]).toBeGreaterThan(0.9);
    let low = 0;
    for (let i = 1; i < V; i++) if (m.vTemplate[3 * i + 1]! < m.vTemplate[3 * low + 1]!) low = i;
    expect(W[low * 5 + 0]).toBeGreaterThan(0.95);
  });

  it('blends the jaw smoothly across the cheeks (neighbouring vertices differ little)', () => {
    let worst = 0;
    const faces = facesWhere(head, (n) => n === 'skin');
    for (const f of faces) {
      for (let k = 0; k < 3; k++) {
        const [a, b] = [m.faces[3 * f + k]!, m.faces[3 * f + ((k + 1) % 3)]!];
        worst = Math.max(worst, Math.abs(W[a * 5 + 2]! - W[b * 5 + 2]!));
      }
    }
    expect(worst).toBeLessThan(0.5);
  });

  it('regresses joints where they belong, also after shape changes', () => {
    const R = m.jRegressor;
    const regress = (pos: ArrayLike<number>): V3[] =>
      [0, 1, 2, 3, 4].map((j) => {
        const out: V3 = [0, 0, 0];
        for (let v = 0; v < V; v++) if (R[j * V + v]) for (let a = 0; a < 3; a++) out[a] += R[j * V + v]! * pos[3 * v + a]!;
        return out;
      });
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let v = 0; v < V; v++) {
        expect(R[j * V + v]).toBeGreaterThanOrEqual(0);
        s += R[j * V + v]!;
      }
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
    const J = regress(m.vTemplate);
    J.forEach((p, j) => expect(dist(p, [head.joints[3 * j]!, head.joints[3 * j + 1]!, head.joints[3 * j + 2]!]), `joint ${j}`).toBeLessThan(0.005));
    // Anatomy: root below neck below jaw level; jaw on the mid-plane, behind the face; eyes apart.
    expect(J[0]![1]).toBeLessThan(J[1]![1]);
    expect(Math.abs(J[2]![0])).toBeLessThan(0.002);
    expect(J[2]![2]).toBeLessThan(J[3]![2] - 0.03);
    expect(J[3]![0] - J[4]![0]).toBeGreaterThan(0.05);
    // Eye joints are their eyeballs' centres: every eyeball vertex is as far from it.
    for (const [prefix, j] of [['eye_left', 3], ['eye_right', 4]] as const) {
      const d = verticesOf(facesWhere(head, (n) => n.startsWith(prefix))).map((i) => dist(vertex(m.vTemplate, i), J[j]!));
      expect(Math.max(...d) - Math.min(...d)).toBeLessThan(1e-5);
      expect(Math.min(...d)).toBeGreaterThan(0.01);
    }
    // Under a strong identity change the joints stay sensible.
    const beta = Array.from({ length: S }, (_, k) => (k % 2 ? 2 : -2));
    const J2 = regress(withShape(beta));
    expect(Math.abs(J2[2]![0])).toBeLessThan(0.003);
    J2.forEach((p, j) => expect(dist(p, J[j]!), `joint ${j}`).toBeLessThan(0.012));
  });

  it('has pose correctives that make skinning turn blended skin like a partial rotation', () => {
    // With posedirs, LBS (the float64 reference forward) moves a vertex with jaw share w
    // where a rotation by w times the jaw angle about the jaw joint would (exactly on the mean
    // head, where they are fitted; nearly on another identity); without, it lands on the
    // chord, up to a millimetre or two off.
    const angle = 0.35;
    const params = { shape: new Array(S).fill(0), expr: new Array(E).fill(0), pose: [0, 0, 0, 0, 0, 0, angle, 0, 0, 0, 0, 0, 0, 0, 0], translation: [0, 0, 0] };
    const withCorrectives = flameReference(m, params);
    const without = flameReference({ ...m, posedirs: new Float32Array(m.posedirs.length) }, params).vertices;
    const J = withCorrectives.joints[2]!;
    let [errWith, errWithout] = [0, 0];
    for (let v = 0; v < V; v++) {
      const a = angle * m.lbsWeights[v * 5 + 2]!;
      const [y, z] = [m.vTemplate[3 * v + 1]! - J[1], m.vTemplate[3 * v + 2]! - J[2]];
      const target: V3 = [m.vTemplate[3 * v]!, J[1] + y * Math.cos(a) - z * Math.sin(a), J[2] + y * Math.sin(a) + z * Math.cos(a)];
      errWith = Math.max(errWith, dist(withCorrectives.vertices[v]!, target));
      errWithout = Math.max(errWithout, dist(without[v]!, target));
    }
    expect(errWithout).toBeGreaterThan(5e-4);
    expect(errWith).toBeLessThan(2e-4);
  });

  it('has pose correctives only for the neck and jaw, small', () => {
    let eyes = 0;
    let jaw = 0;
    for (let i = 0; i < V * 3; i++) {
      for (let k = 18; k < 36; k++) eyes = Math.max(eyes, Math.abs(m.posedirs[i * 36 + k]!));
      for (let k = 9; k < 18; k++) jaw = Math.max(jaw, Math.abs(m.posedirs[i * 36 + k]!));
    }
    expect(eyes).toBe(0);
    expect(jaw).toBeGreaterThan(0);
    // At a 20 degree jaw opening the correction stays under 3 mm.
    const k = Math.cos(0.35) - 1;
    let worst = 0;
    for (let i = 0; i < V; i++) {
      const d = [0, 1, 2].map((c) => (m.posedirs[(i * 3 + c) * 36 + 13]! + m.posedirs[(i * 3 + c) * 36 + 17]!) * k);
      worst = Math.max(worst, Math.hypot(...d));
    }
    expect(worst).toBeGreaterThan(1e-5);
    expect(worst).toBeLessThan(0.003);
  });
});

describe('procedural head: UV layout', () => {
  const { vt, ft } = m.uv!;
  it('keeps every coordinate in [0, 1]', () => {
    expect(vt.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(ft.every((i) => i >= 0 && i < vt.length / 2)).toBe(true);
  });

  it('has no two faces overlapping (1024^2 coverage count)', () => {
    const N = 1024;
    const count = new Uint8Array(N * N);
    let overlaps = 0;
    let zeroArea = 0;
    for (let f = 0; f < F; f++) {
      const p = [0, 1, 2].map((k) => [vt[2 * ft[3 * f + k]!]! * N, vt[2 * ft[3 * f + k]! + 1]! * N]) as [number, number][];
      const area = (p[1]![0] - p[0]![0]) * (p[2]![1] - p[0]![1]) - (p[2]![0] - p[0]![0]) * (p[1]![1] - p[0]![1]);
      if (Math.abs(area) < 1e-12) {
        zeroArea++;
        continue;
      }
      const [x0, x1] = [Math.floor(Math.min(p[0]![0], p[1]![0], p[2]![0])), Math.ceil(Math.max(p[0]![0], p[1]![0], p[2]![0]))];
      const [y0, y1] = [Math.floor(Math.min(p[0]![1], p[1]![1], p[2]![1])), Math.ceil(Math.max(p[0]![1], p[1]![1], p[2]![1]))];
      for (let y = Math.max(y0, 0); y <= Math.min(y1, N - 1); y++) {
        for (let x = Math.max(x0, 0); x <= Math.min(x1, N - 1); x++) {
          const [px, py] = [x + 0.5, y + 0.5];
          // Barycentrics; strictly inside only, so texels on a shared edge count once.
          const w0 = ((p[1]![0] - px) * (p[2]![1] - py) - (p[2]![0] - px) * (p[1]![1] - py)) / area;
          const w1 = ((p[2]![0] - px) * (p[0]![1] - py) - (p[0]![0] - px) * (p[2]![1] - py)) / area;
          const w2 = 1 - w0 - w1;
          const eps = 1e-6;
          if (w0 > eps && w1 > eps && w2 > eps) {
            if (count[y * N + x]) overlaps++;
            count[y * N + x]++;
          }
        }
      }
    }
    expect(zeroArea).toBe(0);
    expect(overlaps).toBe(0);
    // The face gets a good share of the map: the nose-to-chin area covers many texels.
    const covered = count.reduce((a, b) => a + (b ? 1 : 0), 0);
    expect(covered / (N * N)).toBeGreaterThan(0.35);
  });
});

describe('procedural head: expressions', () => {
  const lidLoop = (side: 1 | -1) => {
    // The eye fissure: the head surface's boundary edges around the eye joint.
    const j = side > 0 ? 3 : 4;
    const eye: V3 = [head.joints[3 * j]!, head.joints[3 * j + 1]!, head.joints[3 * j + 2]!];
    const edges = directedEdges(facesWhere(head, (n) => !n.startsWith('eye_')));
    const ids = new Set<number>();
    for (const key of edges.keys()) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      if (!edges.has(`${b},${a}`) && dist(vertex(m.vTemplate, a), eye) < 0.02) ids.add(a);
    }
    const all = [...ids];
    const upper = all.filter((i) => m.vTemplate[3 * i + 1]! > eye[1] + 0.001);
    const lower = all.filter((i) => m.vTemplate[3 * i + 1]! < eye[1] - 0.001);
    return { eye, upper, lower };
  };

  it('closes each eye with its blink, the upper lid meeting the lower, never entering the eyeball', () => {
    for (const [name, side, j] of [['blink_left', 1, 3], ['blink_right', -1, 4]] as const) {
      const { eye, upper, lower } = lidLoop(side);
      expect(upper.length).toBeGreaterThan(4);
      expect(lower.length).toBeGreaterThan(4);
      const shut = withExpression({ [name]: 1 });
      for (const u of upper) {
        // Its partner on the lower lid: the lower-lid vertex closest in x at rest.
        const partner = lower.reduce((a, b) => (Math.abs(m.vTemplate[3 * b]! - m.vTemplate[3 * u]!) < Math.abs(m.vTemplate[3 * a]! - m.vTemplate[3 * u]!) ? b : a));
        expect(dist(vertex(shut, u), vertex(shut, partner))).toBeLessThan(0.001);
      }
      const eyeball = verticesOf(facesWhere(head, (n) => n.startsWith(side > 0 ? 'eye_left' : 'eye_right')));
      const r = Math.max(...eyeball.map((i) => dist(vertex(m.vTemplate, i), eye)));
      const lids = verticesOf(facesWhere(head, (n) => n === (side > 0 ? 'eyelid_left' : 'eyelid_right')));
      for (const i of lids) expect(dist(vertex(shut, i), eye)).toBeGreaterThan(r + 2e-4);
      // The other eye stays open.
      const other = lidLoop(side > 0 ? -1 : 1);
      for (const u of other.upper) expect(dist(vertex(shut, u), vertex(m.vTemplate, u))).toBeLessThan(1e-9);
      void j;
    }
  });

  it('opens the mouth with jaw_open by at least 1 cm at the centre', () => {
    const gap = (pos: ArrayLike<number>): number => landmark(pos, 62)[1] - landmark(pos, 66)[1];
    expect(gap(m.vTemplate)).toBeLessThan(0.002);
    expect(gap(withExpression({ jaw_open: 1 })) - gap(m.vTemplate)).toBeGreaterThan(0.01);
  });

  it('smiles: corners up and apart', () => {
    const s = withExpression({ smile: 1 });
    for (const n of [48, 54]) expect(landmark(s, n)[1] - landmark(m.vTemplate, n)[1]).toBeGreaterThan(0.003);
    expect(dist(landmark(s, 48), landmark(s, 54)) - dist(landmark(m.vTemplate, 48), landmark(m.vTemplate, 54))).toBeGreaterThan(0.006);
  });

  it('rounds the lips: narrower mouth, lips forward', () => {
    const s = withExpression({ lip_round: 1 });
    expect(dist(landmark(s, 48), landmark(s, 54))).toBeLessThan(dist(landmark(m.vTemplate, 48), landmark(m.vTemplate, 54)) - 0.008);
    for (const n of [51, 57, 62, 66]) expect(landmark(s, n)[2] - landmark(m.vTemplate, n)[2]).toBeGreaterThan(0.003);
  });

  it('presses the lips: thinner vermilion, mouth still closed', () => {
    const s = withExpression({ lip_press: 1 });
    const height = (pos: ArrayLike<number>): number => landmark(pos, 51)[1] - landmark(pos, 57)[1];
    expect(height(s)).toBeLessThan(height(m.vTemplate) * 0.75);
    expect(landmark(s, 62)[1] - landmark(s, 66)[1]).toBeLessThan(0.002);
  });

  it('keeps eyeballs and upper teeth still under every expression, moves lower teeth only with the jaw', () => {
    const still = verticesOf(facesWhere(head, (n) => n.startsWith('eye_left') || n.startsWith('eye_right') || n === 'teeth_upper'));
    const lower = verticesOf(facesWhere(head, (n) => n === 'teeth_lower'));
    head.expressionNames.forEach((name, k) => {
      for (const i of still) for (let c = 0; c < 3; c++) expect(m.exprdirs[(i * 3 + c) * E + k]).toBe(0);
      const moves = lower.some((i) => [0, 1, 2].some((c) => m.exprdirs[(i * 3 + c) * E + k] !== 0));
      expect(moves, name).toBe(name === 'jaw_open');
    });
  });
});

describe('procedural head: shape components', () => {
  it('widens the head with head_width', () => {
    const k = head.shapeNames.indexOf('head_width');
    const extent = (pos: ArrayLike<number>): number => {
      let [lo, hi] = [Infinity, -Infinity];
      for (let i = 0; i < V; i++) [lo, hi] = [Math.min(lo, pos[3 * i]!), Math.max(hi, pos[3 * i]!)];
      return hi - lo;
    };
    const beta = (c: number): number[] => Array.from({ length: S }, (_, i) => (i === k ? c : 0));
    expect(extent(withShape(beta(2))) - extent(withShape(beta(-2)))).toBeGreaterThan(0.006);
  });

  it('changes the head with every component, by a plausible amount', () => {
    head.shapeNames.forEach((name, k) => {
      let worst = 0;
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.hypot(...[0, 1, 2].map((c) => m.shapedirs[(i * 3 + c) * S + k]!)));
      expect(worst, name).toBeGreaterThan(0.001);
      expect(worst, name).toBeLessThan(0.01);
    });
  });

  it('keeps eyeballs and teeth rigid under any identity', () => {
    const beta = Array.from({ length: S }, (_, k) => 2 * Math.sin(1.7 * k + 0.3));
    const shaped = withShape(beta);
    for (const pred of [(n: string) => n.startsWith('eye_left'), (n: string) => n.startsWith('eye_right'), (n: string) => n === 'teeth_upper', (n: string) => n === 'teeth_lower']) {
      const ids = verticesOf(facesWhere(head, pred)).filter((_, k) => k % 2 === 0); // spread over the whole part
      let worst = 0;
      for (const a of ids) for (const b of ids) worst = Math.max(worst, Math.abs(dist(vertex(shaped, a), vertex(shaped, b)) - dist(vertex(m.vTemplate, a), vertex(m.vTemplate, b))));
      expect(worst).toBeLessThan(1e-6);
    }
  });
});

describe('procedural head: landmarks', () => {
  const L = Array.from({ length: 68 }, (_, n) => landmark(m.vTemplate, n));
  it('are barycentric points of faces', () => {
    for (let n = 0; n < 68; n++) {
      expect(m.landmarks!.faceIdx[n]).toBeGreaterThanOrEqual(0);
      expect(m.landmarks!.faceIdx[n]).toBeLessThan(F);
      const b = m.landmarks!.bary.slice(3 * n, 3 * n + 3);
      expect(b.every((x) => x >= -1e-6)).toBe(true);
      expect(Math.abs(b[0]! + b[1]! + b[2]! - 1)).toBeLessThan(1e-5);
    }
  });

  it('sit in the expected places', () => {
    // Nose tip: the nose's most forward point.
    let noseMax = -Infinity;
    for (const i of verticesOf(facesWhere(head, (n) => n === 'nose'))) noseMax = Math.max(noseMax, m.vTemplate[3 * i + 2]!);
    expect(L[30]![2]).toBeGreaterThan(noseMax - 5e-4);
    // Eye corners on their eyeballs' rims; eyes on their sides; the subject's right is -x.
    const eyeR: V3 = [head.joints[12]!, head.joints[13]!, head.joints[14]!];
    const eyeL: V3 = [head.joints[9]!, head.joints[10]!, head.joints[11]!];
    for (const n of [36, 39]) expect(dist(L[n]!, eyeR)).toBeLessThan(0.016);
    for (const n of [42, 45]) expect(dist(L[n]!, eyeL)).toBeLessThan(0.016);
    for (let n = 36; n < 42; n++) expect(L[n]![0]).toBeLessThan(-0.01);
    for (let n = 42; n < 48; n++) expect(L[n]![0]).toBeGreaterThan(0.01);
    expect(L[36]![0]).toBeLessThan(L[39]![0]); // right eye: outer corner further right
    expect(L[45]![0]).toBeGreaterThan(L[42]![0]);
    // Brows above the eyes, nose between eyes and mouth, chin lowest, jaw ends at the sides.
    for (let n = 17; n < 27; n++) expect(L[n]![1]).toBeGreaterThan(eyeL[1] + 0.015);
    expect(L[27]![1]).toBeGreaterThan(L[30]![1]);
    expect(L[33]![1]).toBeGreaterThan(L[51]![1]);
    expect(L[51]![1]).toBeGreaterThan(L[62]![1]);
    expect(L[66]![1]).toBeGreaterThan(L[57]![1]);
    expect(L[57]![1]).toBeGreaterThan(L[8]![1]);
    for (let n = 0; n < 17; n++) expect(L[8]![1]).toBeLessThanOrEqual(L[n]![1] + 1e-9);
    expect(L[0]![0]).toBeLessThan(-0.055);
    expect(L[16]![0]).toBeGreaterThan(0.055);
    // Mouth corners shared by the outer and inner contours.
    expect(dist(L[48]!, L[60]!)).toBeLessThan(1e-9);
    expect(dist(L[54]!, L[64]!)).toBeLessThan(1e-9);
    // Left-right symmetry of the template within a few millimetres.
    const mirror = [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17];
    mirror.forEach((o, n) => expect(Math.abs(L[n]![0] + L[o]![0])).toBeLessThan(0.004));
  });
});
