// Triangle frames and rigging against float64 references, gradients by finite differences
// of the reference, and the UV layout / map sampling against hand-computed expectations.
import { describe, expect, it } from 'vitest';

import { rigGaussians, rigGaussiansWithGradients, sampleUvGaussians, triangleFrames, uvLayout, ValidationError } from '../lib/index.js';
import { frameReference, rigReference, type RefLocal } from './helpers/flame-reference.js';
import { native } from '../lib/native.js';
import { rng } from './helpers/scene.js';

type V3 = [number, number, number];
const r = rng(11);
const V = 12, F = 10, N = 16;
const verts: V3[] = Array.from({ length: V }, () => [r() - 0.5, r() - 0.5, r() - 0.5]);
const faces = Int32Array.from({ length: F * 3 }, (_, i) => (Math.floor(i / 3) + (i % 3) * 3 + 1) % V);
const locals: RefLocal[] = Array.from({ length: N }, (_, n) => ({
  face: n % F,
  ...(n % 2 ? { bary: ((b: number[]) => b.map((x) => x / (b[0]! + b[1]! + b[2]!)) as V3)([r(), r(), r()]) } : {}),
  offset: [r() - 0.5, r() - 0.5, r() - 0.5],
  logScale: [r() - 2, r() - 2, r() - 2],
  quat: [r() + 0.5, r() - 0.5, r() - 0.5, r() - 0.5],
}));
const f32 = (values: number[], shape: number[]) => ({ data: Float32Array.from(values), shape });
const vertsInput = (vs: V3[]) => f32(vs.flat(), [1, V, 3]);
const gaussians = (ls: RefLocal[], withBary = true) => ({
  face: { data: Int32Array.from(ls.map((l) => l.face)), shape: [ls.length] },
  ...(withBary ? { bary: f32(ls.flatMap((l) => l.bary ?? [1 / 3, 1 / 3, 1 / 3]), [ls.length, 3]) } : {}),
  offset: f32(ls.flatMap((l) => l.offset), [ls.length, 3]),
  logScale: f32(ls.flatMap((l) => l.logScale), [ls.length, 3]),
  quat: f32(ls.flatMap((l) => l.quat), [ls.length, 4]),
});
const facesInput = { data: faces, shape: [F, 3] };

describe('triangle frames', () => {
  it('match the float64 definition (origin, rotation columns, k)', async () => {
    const out = await triangleFrames(vertsInput(verts), facesInput);
    for (let f = 0; f < F; f++) {
      const ref = frameReference(verts[faces[3 * f]!]!, verts[faces[3 * f + 1]!]!, verts[faces[3 * f + 2]!]!);
      for (let i = 0; i < 3; i++) {
        expect(out.origin.get(0, f, i)).toBeCloseTo(ref.origin[i]!, 6);
        for (let j = 0; j < 3; j++) expect(out.rotation.get(0, f, i, j)).toBeCloseTo(ref.r[i]![j]!, 5);
      }
      expect(out.scale.get(0, f)).toBeCloseTo(ref.k, 6);
      // A proper rotation: det = +1.
      const m = (i: number, j: number) => out.rotation.get(0, f, i, j);
      const det = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
      expect(det).toBeCloseTo(1, 5);
    }
  });
});

describe('rigGaussians', () => {
  it('matches the float64 reference (means, scales, quaternions)', async () => {
    const out = await rigGaussians(vertsInput(verts), facesInput, gaussians(locals));
    locals.forEach((l, n) => {
      const ref = rigReference(verts, faces, l);
      for (let c = 0; c < 3; c++) {
        expect(out.means.get(0, n, c)).toBeCloseTo(ref.mean[c]!, 5);
        expect(out.scales.get(0, n, c) / ref.scale[c]!).toBeCloseTo(1, 5);
      }
      const sign = Math.sign(out.quats.get(0, n, 0) * ref.quat[0]!) || 1;
      for (let c = 0; c < 4; c++) expect(out.quats.get(0, n, c)).toBeCloseTo(sign * ref.quat[c]!, 5);
    });
  });

  it('follows the mesh: a rigid motion of the mesh moves the Gaussians rigidly', async () => {
    const angle = 0.8;
    const rot = (v: V3): V3 => [Math.cos(angle) * v[0] - Math.sin(angle) * v[2], v[1] + 0.3, Math.sin(angle) * v[0] + Math.cos(angle) * v[2]];
    const a = await rigGaussians(vertsInput(verts), facesInput, gaussians(locals));
    const b = await rigGaussians(vertsInput(verts.map(rot)), facesInput, gaussians(locals));
    for (let n = 0; n < N; n++) {
      const moved = rot([a.means.get(0, n, 0), a.means.get(0, n, 1), a.means.get(0, n, 2)]);
      for (let c = 0; c < 3; c++) expect(b.means.get(0, n, c)).toBeCloseTo(moved[c]!, 5);
      for (let c = 0; c < 3; c++) expect(b.scales.get(0, n, c)).toBeCloseTo(a.scales.get(0, n, c), 6);
    }
  });

  it('gradients to vertices and local attributes match central differences of the reference', async () => {
    const wr = rng(12);
    const wm = Float32Array.from({ length: N * 3 }, () => wr() - 0.5);
    const ws = Float32Array.from({ length: N * 3 }, () => wr() - 0.5);
    const wq = Float32Array.from({ length: N * 4 }, () => wr() - 0.5);
    const loss = (vs: V3[], ls: RefLocal[]) =>
      ls.reduce((sum, l, n) => {
        const o = rigReference(vs, faces, l);
        return sum + [0, 1, 2].reduce((s, c) => s + o.mean[c]! * wm[3 * n + c]! + o.scale[c]! * ws[3 * n + c]!, 0) + [0, 1, 2, 3].reduce((s, c) => s + o.quat[c]! * wq[4 * n + c]!, 0);
      }, 0);
    const { grads } = await rigGaussiansWithGradients(vertsInput(verts), facesInput, gaussians(locals), {
      means: f32(Array.from(wm), [1, N, 3]),
      scales: f32(Array.from(ws), [1, N, 3]),
      quats: f32(Array.from(wq), [1, N, 4]),
    });
    const h = 1e-6;
    const tol = (fd: number) => 2e-4 * Math.max(1, Math.abs(fd));
    for (const [v, c] of [[0, 0], [3, 1], [7, 2], [11, 0]] as const) {
      const plus = verts.map((x) => [...x] as V3), minus = verts.map((x) => [...x] as V3);
      plus[v]![c] += h;
      minus[v]![c] -= h;
      const fd = (loss(plus, locals) - loss(minus, locals)) / (2 * h);
      expect(Math.abs(grads.vertices.get(0, v, c) - fd), `vertex ${v}.${c}`).toBeLessThan(tol(fd));
    }
    for (const [n, key, c] of [[0, 'offset', 0], [3, 'offset', 2], [5, 'logScale', 1], [8, 'quat', 0], [9, 'quat', 3]] as const) {
      const plus = structuredClone(locals), minus = structuredClone(locals);
      (plus[n]![key] as number[])[c]! += h;
      (minus[n]![key] as number[])[c]! -= h;
      const fd = (loss(verts, plus) - loss(verts, minus)) / (2 * h);
      expect(Math.abs(grads[key].get(n, c) - fd), `${key}[${n}].${c}`).toBeLessThan(tol(fd));
    }
  });

  it('rejects face indices out of range', async () => {
    const bad = gaussians(locals);
    bad.face.data[3] = F;
    await expect(rigGaussians(vertsInput(verts), facesInput, bad)).rejects.toThrow(/gaussians\.face.*in \[0, 10\)/);
    await expect(rigGaussians(vertsInput(verts), facesInput, bad)).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses outputs beyond maxOutputElements before native work, saying how many frames fit', async () => {
    const T = 5;
    const many = f32(Array.from({ length: T }, () => verts.flat()).flat(), [T, V, 3]);
    // Rotations [T, F, 3, 3] = 5 x 10 x 9 = 450 values; quaternions [T, N, 4] = 5 x 16 x 4 = 320.
    await expect(triangleFrames(many, facesInput, { maxOutputElements: 449 })).rejects.toThrow(
      'expected triangleFrames rotation [T, F, 3, 3] to hold at most maxOutputElements = 449 values, received [5, 10, 3, 3] = 450; split the call into at most 4 frames each',
    );
    expect((await triangleFrames(many, facesInput, { maxOutputElements: 450 })).rotation.shape).toEqual([T, F, 3, 3]);
    await expect(rigGaussians(many, facesInput, gaussians(locals), { maxOutputElements: 319 })).rejects.toThrow(/rigGaussians quats \[T, N, 4\] .* received \[5, 16, 4\] = 320; split the call into at most 4 frames/);
    expect((await rigGaussians(many, facesInput, gaussians(locals), { maxOutputElements: 320 })).quats.shape).toEqual([T, N, 4]);
  });
});

describe('UV layout and map sampling', () => {
  // A unit square of two triangles, and a third face in the corner of another island.
  const uv = {
    vt: Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1]),
    ft: Int32Array.from([0, 1, 2, 0, 2, 3]),
  };

  it('covers every texel of a full square; barycentrics reproduce each texel centre', async () => {
    const layout = await uvLayout(uv, { height: 6, width: 8 });
    expect(layout.count).toBe(48);
    for (let row = 0; row < 6; row++) {
      for (let col = 0; col < 8; col++) {
        const f = layout.face.get(row, col);
        expect(f === 0 || f === 1).toBe(true);
        let u = 0, v = 0;
        for (let k = 0; k < 3; k++) {
          const corner = uv.ft[3 * f + k]!;
          u += layout.bary.get(row, col, k) * uv.vt[2 * corner]!;
          v += layout.bary.get(row, col, k) * uv.vt[2 * corner + 1]!;
        }
        expect(u).toBeCloseTo((col + 0.5) / 8, 6);
        expect(v).toBeCloseTo(1 - (row + 0.5) / 6, 6);
        // Lower triangle (face 0) is below the diagonal v = u; ties go to face 0.
        expect(f).toBe((col + 0.5) / 8 >= 1 - (row + 0.5) / 6 ? 0 : 1);
      }
    }
  });

  it('refuses grids beyond maxTexels (default 4096²) and layouts that do not match their map', async () => {
    await expect(uvLayout(uv, { height: 16384, width: 16384 })).rejects.toThrow(/at most maxTexels = 16777216, received 16384 x 16384 = 268435456/);
    await expect(uvLayout(uv, { height: 4, width: 4, maxTexels: 15 })).rejects.toBeInstanceOf(ValidationError);
    expect((await uvLayout(uv, { height: 4, width: 4, maxTexels: 16 })).count).toBe(16);
    const layout = await uvLayout(uv, { height: 4, width: 4 });
    const map = { data: new Float32Array(4 * 4 * 14), shape: [4, 4, 14] };
    await expect(sampleUvGaussians(map, { ...layout, face: { ...layout.face, data: layout.face.data.subarray(0, 8) } as never })).rejects.toThrow(/layout\.face/);
    await expect(sampleUvGaussians({ data: new Float32Array(2 * 2 * 14), shape: [2, 2, 14] }, layout)).rejects.toThrow(/expected map .*\[H, W, 14\].*\(H = 4 from layout\.face\)/);
  });

  it('leaves uncovered texels empty', async () => {
    const half = { vt: uv.vt, ft: Int32Array.from([0, 1, 2]) };
    const layout = await uvLayout(half, { height: 4, width: 4 });
    expect(layout.count).toBe(10); // texel centres with u >= v: 4 + 3 + 2 + 1
    expect(layout.face.get(0, 0)).toBe(-1);
  });

  it('samples one Gaussian per covered texel, channels in order, differentiable layout order', async () => {
    const layout = await uvLayout({ vt: uv.vt, ft: Int32Array.from([0, 1, 2]) }, { height: 4, width: 4 });
    const map = Float32Array.from({ length: 4 * 4 * 14 }, (_, i) => i);
    const g = await sampleUvGaussians({ data: map, shape: [4, 4, 14] }, layout);
    expect(g.face.shape).toEqual([10]);
    let m = 0;
    for (let t = 0; t < 16; t++) {
      if (layout.face.data[t]! < 0) continue;
      expect(g.offset.get(m, 0)).toBe(t * 14);
      expect(g.logScale.get(m, 2)).toBe(t * 14 + 5);
      expect(g.quat.get(m, 3)).toBe(t * 14 + 9);
      expect(g.sh0.get(m, 0)).toBe(t * 14 + 10);
      expect(g.opacityLogit.get(m)).toBe(t * 14 + 13);
      for (let k = 0; k < 3; k++) expect(g.bary.get(m, k)).toBe(layout.bary.data[3 * t + k]);
      m++;
    }
  });

  it('is differentiable with respect to the map: gradients land on the covered texels', async () => {
    const layout = await uvLayout({ vt: uv.vt, ft: Int32Array.from([0, 1, 2]) }, { height: 4, width: 4 });
    const map = { data: Float32Array.from({ length: 4 * 4 * 14 }, (_, i) => i / 100), shape: [4, 4, 14] };
    const w = { data: Float32Array.from({ length: 10 * 3 }, (_, i) => i + 1), shape: [10, 3] };
    const raw = await native().sampleUvGaussians({
      map,
      layout: { face: { data: layout.face.data, shape: [4, 4] }, bary: { data: layout.bary.data, shape: [4, 4, 3] } },
      outputGrads: { offset: w },
    });
    const g = raw.grads.map.data as Float32Array;
    let m = 0;
    for (let t = 0; t < 16; t++) {
      for (let c = 0; c < 14; c++) {
        const expected = layout.face.data[t]! >= 0 && c < 3 ? w.data[3 * m + c]! : 0;
        expect(g[t * 14 + c]).toBe(expected);
      }
      if (layout.face.data[t]! >= 0) m++;
    }
  });
});
