// Local Gaussians + FLAME parameters + camera -> image: the procedural head rendered through
// FLAME, rigging and the rasterizer. Opening the jaw must change the mouth's pixels and leave
// the forehead's alone.
import { describe, expect, it } from 'vitest';

import { Flame, gaussiansOnMesh, lookAt, renderHead } from '../lib/index.js';
import { makeProceduralHead } from '../lib/flame/procedural/index.js';

const head = makeProceduralHead({ seed: 0 });
const flame = Flame.from(head.model);
const gaussians = gaussiansOnMesh(head.model, head.vertexColors);
const view = lookAt([0, 0.02, 0.55], [0, 0.0, 0], [0, 1, 0]);
const camera = { view, fx: 700, fy: 700, cx: 128, cy: 128, width: 256, height: 256 };

/** Pixel of a world point seen by `camera`. */
function project(p: number[]): [number, number] {
  const c = [0, 1, 2].map((i) => view[4 * i]! * p[0]! + view[4 * i + 1]! * p[1]! + view[4 * i + 2]! * p[2]! + view[4 * i + 3]!);
  return [(camera.fx * c[0]!) / c[2]! + camera.cx, (camera.fy * c[1]!) / c[2]! + camera.cy];
}

describe('renderHead', () => {
  it('opening the jaw changes the mouth region and not the forehead', async () => {
    const jawOpen = { jaw: { data: Float32Array.from([0.35, 0, 0]), shape: [3] } };
    const [neutral, open, pose] = await Promise.all([
      renderHead({ flame, params: {}, gaussians }, { camera, background: [0, 0, 0] }),
      renderHead({ flame, params: jawOpen, gaussians }, { camera, background: [0, 0, 0] }),
      flame.forward({}),
    ]);
    // The head covers the middle of the image.
    expect(neutral.alpha.get(128, 128)).toBeGreaterThan(0.99);
    const lm = (i: number) => [0, 1, 2].map((c) => pose.landmarks!.get(0, i, c));
    // Mouth box: around the 20 mouth landmarks (48-67), padded; forehead box: above the brows (17-26).
    const mouth = Array.from({ length: 20 }, (_, i) => project(lm(48 + i)));
    const brows = Array.from({ length: 10 }, (_, i) => project(lm(17 + i)));
    const box = (pts: [number, number][], pad: number) => ({
      x0: Math.floor(Math.min(...pts.map((p) => p[0])) - pad), x1: Math.ceil(Math.max(...pts.map((p) => p[0])) + pad),
      y0: Math.floor(Math.min(...pts.map((p) => p[1])) - pad), y1: Math.ceil(Math.max(...pts.map((p) => p[1])) + pad),
    });
    const m = box(mouth, 4);
    const browTop = Math.min(...brows.map((p) => p[1]));
    const f = { ...box(brows, 0), y0: Math.floor(browTop - 30), y1: Math.floor(browTop - 8) };
    const meanDiff = (b: { x0: number; x1: number; y0: number; y1: number }) => {
      let sum = 0, count = 0;
      for (let y = b.y0; y <= b.y1; y++) for (let x = b.x0; x <= b.x1; x++) for (let c = 0; c < 3; c++, count++) sum += Math.abs(open.image.get(y, x, c) - neutral.image.get(y, x, c));
      return sum / count;
    };
    expect(m.y1 - m.y0).toBeGreaterThan(8);
    expect(f.y1).toBeLessThan(m.y0);
    // A good part of the mouth box changes visibly (the lips part, teeth and cavity appear).
    let changed = 0, total = 0;
    for (let y = m.y0; y <= m.y1; y++) {
      for (let x = m.x0; x <= m.x1; x++, total++) {
        const d = Math.max(...[0, 1, 2].map((c) => Math.abs(open.image.get(y, x, c) - neutral.image.get(y, x, c))));
        if (d > 0.1) changed++;
      }
    }
    expect(changed / total).toBeGreaterThan(0.08);
    expect(meanDiff(m)).toBeGreaterThan(0.01);
    expect(meanDiff(f)).toBeLessThan(1e-3);
    // And the chin moved down in the posed vertices.
    expect(open.vertices.shape).toEqual([head.model.vertexCount, 3]);
  });

  it('gives the same image as rasterizing the rigged Gaussians by hand', async () => {
    const { rigGaussians, rasterize, SH_C0 } = await import('../lib/index.js');
    const params = { expr: { data: Float32Array.from({ length: head.model.exprCount }, (_, i) => (i === 0 ? 0.6 : 0)), shape: [head.model.exprCount] } };
    const viaHead = await renderHead({ flame, params, gaussians }, { camera });
    const { vertices } = await flame.forward(params);
    const rigged = await rigGaussians(vertices, { data: head.model.faces, shape: [head.model.faces.length / 3, 3] }, gaussians);
    const n = gaussians.face.shape[0]!;
    const colors = Float32Array.from(gaussians.sh0.data as Float32Array, (s) => Math.max(0, SH_C0 * s + 0.5));
    const opacities = Float32Array.from(gaussians.opacityLogit.data as Float32Array, (l) => 1 / (1 + Math.exp(-l)));
    const byHand = await rasterize(
      { means: { data: rigged.means.data, shape: [n, 3] }, quats: { data: rigged.quats.data, shape: [n, 4] }, scales: { data: rigged.scales.data, shape: [n, 3] }, opacities: { data: opacities, shape: [n] }, colors: { data: colors, shape: [n, 3] } },
      { camera },
    );
    let worst = 0;
    for (let i = 0; i < byHand.image.data.length; i++) worst = Math.max(worst, Math.abs(byHand.image.data[i]! - viaHead.image.data[i]!));
    expect(worst).toBeLessThan(1e-4);
  });
});
