// Local Gaussians + FLAME parameters + camera -> image: the procedural head rendered through
// FLAME, rigging and the rasterizer. Opening the jaw must change the mouth's pixels and leave
// the forehead's alone, and move the rendered chin down as far as FLAME's chin moves; lip
// expressions with the jaw closed must not move it.
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

describe('gaussiansOnMesh: careless calls', () => {
  it('refuses a missing model or options that are not an object, naming itself', () => {
    expect(() => gaussiansOnMesh(undefined as never, head.vertexColors)).toThrow(/^gaussiansOnMesh: expected model to be an object, received undefined/);
    expect(() => gaussiansOnMesh({ vertexCount: 1 } as never, new Float32Array(3))).toThrow(/^gaussiansOnMesh: expected model\.faces to be an Int32Array/);
    expect(() => gaussiansOnMesh(head.model, head.vertexColors, null as never)).toThrow(/^gaussiansOnMesh: expected options to be an object, received null/);
  });
});

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
    expect(open.vertices.shape).toEqual([head.model.vertexCount, 3]);
  });

  it('opening the jaw moves the rendered chin down as far as the projected FLAME chin; a closed jaw leaves it', async () => {
    // A camera that sees the chin and the neck below it (the chin is nearer than the neck).
    const wideView = lookAt([0, -0.05, 0.6], [0, -0.05, 0], [0, 1, 0]);
    const wide = { view: wideView, fx: 350, fy: 350, cx: 80, cy: 80, width: 160, height: 160 };
    const projectY = (p: number[]) => {
      const c = [1, 2].map((i) => wideView[4 * i]! * p[0]! + wideView[4 * i + 1]! * p[1]! + wideView[4 * i + 2]! * p[2]! + wideView[4 * i + 3]!);
      return (wide.fy * c[0]!) / c[1]! + wide.cy;
    };
    const E = head.model.exprCount;
    const cases = {
      neutral: {},
      open: { jaw: { data: Float32Array.from([0.35, 0, 0]), shape: [3] } },
      // Jaw closed, lips busy: lip_round, lip_press, smile, lower_lip_depress.
      lips: { expr: { data: Float32Array.from({ length: E }, (_, i) => ([1, 2, 3, 13].includes(i) ? 1 : 0)), shape: [E] } },
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    /**
     * The chin's lowest image row in the middle columns: the last row, above the head's lowest
     * opaque row (the neck's cut), whose depth is more than 5 mm nearer than that neck row's.
     */
    const chinRow = (r: Awaited<ReturnType<typeof renderHead>>) => {
      const rows: number[] = [];
      for (let x = wide.cx - 4; x <= wide.cx + 4; x++) {
        let low = -1;
        for (let y = 0; y < wide.height; y++) if (r.alpha.get(y, x) > 0.5) low = y;
        const neck = r.depth.get(low, x);
        let chin = -1;
        for (let y = 0; y < low; y++) if (r.alpha.get(y, x) > 0.5 && r.depth.get(y, x) < neck - 0.005) chin = y;
        rows.push(chin);
      }
      return median(rows);
    };
    const measured: Record<string, { rendered: number; flame: number; image: Awaited<ReturnType<typeof renderHead>>['image'] }> = {};
    for (const [name, params] of Object.entries(cases)) {
      const [r, posed] = await Promise.all([renderHead({ flame, params, gaussians }, { camera: wide, background: [0, 0, 0] }), flame.forward(params)]);
      // FLAME landmark 8: the chin's tip on the jaw line.
      measured[name] = { rendered: chinRow(r), flame: projectY([0, 1, 2].map((c) => posed.landmarks!.get(0, 8, c))), image: r.image };
    }
    const { neutral, open, lips } = measured as Record<keyof typeof cases, (typeof measured)[string]>;
    // The neck's cut is inside the image, the chin above it.
    expect(neutral!.rendered).toBeGreaterThan(wide.cy);
    expect(neutral!.rendered).toBeLessThan(wide.height - 10);
    // Independent expectation: FLAME's chin, projected, drops >= 5 px (downwards: +y).
    const expected = open!.flame - neutral!.flame;
    expect(expected).toBeGreaterThanOrEqual(5);
    const moved = open!.rendered - neutral!.rendered;
    console.log(`chin: FLAME landmark moves ${expected.toFixed(2)} px, rendered chin edge ${moved} px (rows ${neutral!.rendered} -> ${open!.rendered}); lips only: ${lips!.rendered - neutral!.rendered} px`);
    expect(Math.abs(moved - expected)).toBeLessThanOrEqual(2);
    // Closed jaw: the lips change the image but the chin stays within a pixel.
    let lipChange = 0;
    for (let i = 0; i < lips!.image.data.length; i++) lipChange = Math.max(lipChange, Math.abs(lips!.image.data[i]! - neutral!.image.data[i]!));
    expect(lipChange).toBeGreaterThan(0.1);
    expect(Math.abs(lips!.flame - neutral!.flame)).toBeLessThan(0.5);
    expect(Math.abs(lips!.rendered - neutral!.rendered)).toBeLessThanOrEqual(1);
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
