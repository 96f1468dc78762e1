// The fused CPU rig (native/rig/rig.cpp, used for inference: float32 on the CPU, no gradients)
// against the float64 definition (helpers/flame-reference) and against the op-by-op LibTorch
// path (taken when the vertices need gradients), over several frames, with and without
// barycentric anchors, with every branch of the matrix -> quaternion conversion (frames
// rotated by 180° about x, y and z make x, y, z the largest quaternion component), and with a
// degenerate (zero-area) triangle. Tolerance: 2e-5 absolute on values of magnitude <= ~3,
// float32 round-off of the ~10 operations per output.
import { describe, expect, it } from 'vitest';

import { rasterize, rasterizeTensors, rigGaussians, rigGaussiansTensors, Tensor, ValidationError } from '../lib/index.js';
import { rigReference, type RefLocal } from './helpers/flame-reference.js';
import { rng } from './helpers/scene.js';

type V3 = [number, number, number];
const r = rng(5);
const V = 40, F = 60, N = 3000, T = 4;
const TOL = 2e-5;

// Frame t: the base mesh turned by 180° about axis t - 1 (t = 0: as is), so each frame's
// rotations sit near a different Shepperd branch; plus a little noise per frame.
const base: V3[] = Array.from({ length: V }, () => [r() - 0.5, r() - 0.5, r() - 0.5]);
const turn = (p: V3, t: number): V3 => (t === 0 ? p : t === 1 ? [p[0], -p[1], -p[2]] : t === 2 ? [-p[0], p[1], -p[2]] : [-p[0], -p[1], p[2]]);
const frames: V3[][] = Array.from({ length: T }, (_, t) => base.map((p) => turn(p, t).map((x) => x + 0.01 * (r() - 0.5)) as V3));
// Three distinct corners per face (a random pick would make some faces degenerate).
const faces = Int32Array.from(Array.from({ length: F }, () => {
  const a = Math.floor(r() * V), b = (a + 1 + Math.floor(r() * (V - 1))) % V;
  let c = Math.floor(r() * V);
  while (c === a || c === b) c = (c + 1) % V;
  return [a, b, c];
}).flat());
// Face 0 degenerate: two equal corners (its frame falls back on the 1e-12 clamps).
faces[1] = faces[0]!;
const locals: RefLocal[] = Array.from({ length: N }, (_, n) => ({
  face: n % F,
  ...(n % 3 ? { bary: ((b: number[]) => b.map((x) => x / (b[0]! + b[1]! + b[2]!)) as V3)([r(), r(), r()]) } : {}),
  offset: [2 * r() - 1, 2 * r() - 1, 2 * r() - 1],
  logScale: [r() - 2, r() - 2, r() - 2],
  quat: [r() + 0.5, r() - 0.5, r() - 0.5, r() - 0.5],
}));
const f32 = (values: number[], shape: number[]) => ({ data: Float32Array.from(values), shape });
const vertices = f32(frames.flat(2), [T, V, 3]);
const facesInput = { data: faces, shape: [F, 3] };
const gaussians = (withBary: boolean) => ({
  face: { data: Int32Array.from(locals.map((l) => l.face)), shape: [N] },
  ...(withBary ? { bary: f32(locals.flatMap((l) => l.bary ?? [1 / 3, 1 / 3, 1 / 3]), [N, 3]) } : {}),
  offset: f32(locals.flatMap((l) => l.offset), [N, 3]),
  logScale: f32(locals.flatMap((l) => l.logScale), [N, 3]),
  quat: f32(locals.flatMap((l) => l.quat), [N, 4]),
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('fused CPU rig', () => {
  for (const withBary of [true, false]) {
    it(`matches the float64 definition on ${T} frames (${withBary ? 'barycentric anchors' : 'centroids'})`, async () => {
      const out = await rigGaussians(vertices, facesInput, gaussians(withBary));
      let worst = 0;
      for (let t = 0; t < T; t++) {
        for (let n = 0; n < N; n++) {
          const l = locals[n]!;
          if (l.face === 0) continue;  // degenerate: compared with the op-by-op path below
          const ref = rigReference(frames[t]!, faces, withBary ? l : { ...l, bary: undefined });
          for (let c = 0; c < 3; c++) {
            worst = Math.max(worst, Math.abs(out.means.get(t, n, c) - ref.mean[c]!), Math.abs(out.scales.get(t, n, c) - ref.scale[c]!));
          }
          for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(out.quats.get(t, n, c) - ref.quat[c]!));
        }
      }
      expect(worst).toBeLessThan(TOL);
    });
  }

  it('matches the op-by-op LibTorch path (autograd) everywhere, degenerate face included', async () => {
    for (const withBary of [true, false]) {
      const fused = await rigGaussians(vertices, facesInput, gaussians(withBary));
      const graph = await rigGaussiansTensors(Tensor.from(vertices, { requiresGrad: true }), facesInput, gaussians(withBary));
      expect(graph.means.requiresGrad).toBe(true);  // it really took the autograd path
      for (const k of ['means', 'scales', 'quats'] as const) {
        expect(maxAbsDiff(fused[k].data, graph[k].toNdarray().data)).toBeLessThan(TOL);
      }
    }
  });

  it('rigGaussiansTensors stays native: frame views render as the copied arrays do', async () => {
    const g = gaussians(true);
    const rigged = await rigGaussiansTensors(vertices, facesInput, g);
    expect(rigged.means.shape).toEqual([T, N, 3]);
    expect(rigged.means.requiresGrad).toBe(false);
    const arrays = await rigGaussians(vertices, facesInput, g);
    const camera = { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2.5, 0, 0, 0, 1], fx: 60, fy: 60, cx: 32, cy: 32, width: 64, height: 64 };
    const t = 2;
    const colors = f32(Array.from({ length: N * 3 }, (_, i) => (i % 7) / 7), [N, 3]);
    const opacities = f32(Array.from({ length: N }, () => 0.5), [N]);
    const fromViews = await rasterizeTensors(
      { means: rigged.means.select(0, t), quats: rigged.quats.select(0, t), scales: rigged.scales.select(0, t), opacities: Tensor.from(opacities), colors: Tensor.from(colors) },
      { camera },
    );
    const frame = (a: typeof arrays.means, c: number) => f32(Array.from({ length: N * c }, (_, i) => a.get(t, Math.floor(i / c), i % c)), [N, c]);
    const fromArrays = await rasterize({ means: frame(arrays.means, 3), quats: frame(arrays.quats, 4), scales: frame(arrays.scales, 3), opacities, colors }, { camera });
    const img = fromViews.image.toNdarray().data;
    expect(maxAbsDiff(img, fromArrays.image.data)).toBe(0);
    expect(Math.max(...img)).toBeGreaterThan(0.05);  // something was drawn
  });

  it('Tensor.select checks its arguments in the user terms', () => {
    const t = Tensor.from(f32([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(t.select(1, 2).toNdarray().data).toEqual(Float32Array.from([3, 6]));
    expect(() => t.select(2, 0)).toThrow(ValidationError);
    expect(() => t.select(0, 2)).toThrow(/expected index to be an integer in \[0, 2\) along dim 0 of shape \[2, 3\], received 2/);
    expect(() => t.select(0, 0.5)).toThrow(ValidationError);
  });

  it('refuses out-of-range corner indices before the kernel reads memory', async () => {
    const bad = { data: Int32Array.from(faces).fill(V + 5, 0, 1), shape: [F, 3] };
    await expect(rigGaussiansTensors(vertices, bad, gaussians(false))).rejects.toBeInstanceOf(ValidationError);
  });
});
