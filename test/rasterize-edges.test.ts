// Edge cases of the rasterizer, each against the float64 reference or an exact expectation.
import { describe, expect, it } from 'vitest';

import { backends, rasterize, rasterizeWithGradients, referenceRasterize, setThreads, type Camera } from '../lib/index.js';
import { native } from '../lib/native.js';
import { maxAbsDiff, randomScene, randomWeights, relativeError, rng, thinGaussiansScene } from './helpers/scene.js';

type Arr = { data: Float32Array; shape: number[] };
const arr = (values: number[], shape: number[]): Arr => ({ data: Float32Array.from(values), shape });

function single(mean: [number, number, number], scale: number, opacity = 0.9, color: [number, number, number] = [1, 0.5, 0.25]) {
  return {
    means: arr(mean, [1, 3]),
    quats: arr([1, 0, 0, 0], [1, 4]),
    scales: arr([scale, scale, scale], [1, 3]),
    opacities: arr([opacity], [1]),
    colors: arr(color, [1, 3]),
  };
}

const camera = (width: number, height: number): Camera => ({
  view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  fx: 30,
  fy: 30,
  cx: width / 2,
  cy: height / 2,
  width,
  height,
});

async function expectMatchesReference(gaussians: Parameters<typeof rasterize>[0], cam: Camera, mode: 'classic' | 'antialiased' = 'classic') {
  const outputGrads = { image: randomWeights(3, [cam.height, cam.width, 3]) };
  const kernel = await rasterizeWithGradients(gaussians, { camera: cam, mode, outputGrads, background: [0.1, 0.2, 0.3] });
  const reference = await referenceRasterize(gaussians, { camera: cam, mode, outputGrads, background: [0.1, 0.2, 0.3] });
  expect(maxAbsDiff(kernel.image, reference.image)).toBeLessThan(1e-5);
  expect(maxAbsDiff(kernel.alpha, reference.alpha)).toBeLessThan(1e-5);
  for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) {
    expect(maxAbsDiff(kernel.grads[key], reference.grads![key]), key).toBeLessThan(1e-4 * Math.max(1, ...Array.from(reference.grads![key].data as Float64Array).map(Math.abs)));
  }
  return kernel;
}

describe('rasterizer edge cases', () => {
  it('culls Gaussians behind the camera or nearer than near: same image, zero gradients, radius 0', async () => {
    const scene = randomScene(31, { n: 60 });
    const g = scene.gaussians;
    // Camera z = world z + 0.1: one behind the camera, one between 0 and near (0.01), one past far.
    const extra = 3;
    const cat = (a: Arr, rows: number[][]): Arr => ({
      data: Float32Array.from([...a.data, ...rows.flat()]),
      shape: [a.shape[0]! + rows.length, ...a.shape.slice(1)],
    });
    const more = {
      means: cat(g.means, [[0, 0, -1], [0, 0, -0.095], [0, 0, 60]]),
      quats: cat(g.quats, [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]),
      scales: cat(g.scales, [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [5, 5, 5]]),
      opacities: cat(g.opacities, [[1], [1], [1]]),
      colors: cat(g.colors!, [[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    };
    const cam = { ...scene.camera, far: 50 };
    const weights = randomWeights(1, [cam.height, cam.width, 3]);
    const base = await rasterize(g, { camera: cam });
    const withExtra = await rasterizeWithGradients(more, { camera: cam, outputGrads: { image: weights } });
    expect(maxAbsDiff(withExtra.image, base.image)).toBe(0);
    const n = scene.n;
    expect(Array.from(withExtra.radii.data.slice(n))).toEqual(new Array(extra).fill(0));
    expect(Array.from(withExtra.grads.means.data.slice(3 * n)).every((v) => v === 0)).toBe(true);
    expect(Array.from(withExtra.grads.opacities.data.slice(n)).every((v) => v === 0)).toBe(true);
  });

  it('renders Gaussians straddling the image border like the reference', async () => {
    const cam = camera(37, 29);
    // Centres just outside each border, in pixels: x = fx * X / Z + cx.
    const pts = [[-3, 14], [40, 10], [18, -2.5], [20, 31], [-1, -1]];
    const g = {
      means: arr(pts.flatMap(([u, v]) => [((u! - cam.cx) / cam.fx) * 2, ((v! - cam.cy) / cam.fy) * 2, 2]), [5, 3]),
      quats: arr([1, 0, 0, 0, 0.9, 0.3, 0.1, 0.2, 1, 1, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 0, 0, 1], [5, 4]),
      scales: arr([0.2, 0.1, 0.05, 0.15, 0.15, 0.1, 0.1, 0.3, 0.1, 0.2, 0.2, 0.2, 0.25, 0.05, 0.1], [5, 3]),
      opacities: arr([0.9, 0.8, 0.7, 0.95, 0.6], [5]),
      colors: arr([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1], [5, 3]),
    };
    const out = await expectMatchesReference(g, cam);
    // Something was drawn near each border.
    const alphaAt = (x: number, y: number) => out.alpha.get(y, x);
    expect(alphaAt(0, 14)).toBeGreaterThan(0.1);
    expect(alphaAt(36, 10)).toBeGreaterThan(0.1);
    expect(alphaAt(18, 0)).toBeGreaterThan(0.1);
    expect(alphaAt(20, 28)).toBeGreaterThan(0.1);
  });

  it('handles degenerate (zero) scales: a 0.3-pixel blur in classic mode, invisible when antialiased', async () => {
    const cam = camera(16, 16);
    const g = single([0.01, -0.02, 1], 0);
    const classic = await expectMatchesReference(g, cam, 'classic');
    expect(Math.max(...Array.from(classic.alpha.data))).toBeGreaterThan(0.5);
    const aa = await expectMatchesReference(g, cam, 'antialiased');
    expect(Math.max(...Array.from(aa.alpha.data))).toBe(0);
  });

  it('draws nothing for zero opacity: the image is the background, gradients are zero', async () => {
    const cam = camera(20, 12);
    const out = await rasterizeWithGradients(single([0, 0, 1], 0.1, 0), {
      camera: cam,
      background: [0.25, 0.5, 0.75],
      outputGrads: { image: randomWeights(2, [12, 20, 3]) },
    });
    for (let i = 0; i < 20 * 12; i++) expect([out.image.data[3 * i], out.image.data[3 * i + 1], out.image.data[3 * i + 2]]).toEqual([0.25, 0.5, 0.75]);
    expect(Array.from(out.alpha.data).every((a) => a === 0)).toBe(true);
    expect(Array.from(out.grads.means.data).every((v) => v === 0)).toBe(true);
  });

  it('renders N = 0 as the background, with empty gradients', async () => {
    const empty = { means: arr([], [0, 3]), quats: arr([], [0, 4]), scales: arr([], [0, 3]), opacities: arr([], [0]), colors: arr([], [0, 3]) };
    const out = await rasterizeWithGradients(empty, {
      camera: camera(5, 3),
      background: [1, 0, 0.5],
      outputGrads: { image: randomWeights(1, [3, 5, 3]) },
    });
    expect(out.image.shape).toEqual([3, 5, 3]);
    expect(Array.from(out.image.data)).toEqual(new Array(15).fill([1, 0, 0.5]).flat());
    expect(Array.from(out.depth.data).every((d) => d === 0)).toBe(true);
    expect(out.grads.means.shape).toEqual([0, 3]);
  });

  it('renders a 1x1 image like the reference', async () => {
    const cam = { ...camera(1, 1), fx: 2, fy: 2 };
    const out = await expectMatchesReference(single([0.05, 0.02, 1], 0.3), cam);
    expect(out.alpha.get(0, 0)).toBeGreaterThan(0.5);
  });

  it('renders image sizes that are not multiples of 16 like the reference', async () => {
    const scene = randomScene(41, { n: 120, width: 33, height: 17 });
    await expectMatchesReference(scene.gaussians, scene.camera);
  });

  // The CPU binning lists a (tile, Gaussian) pair only where the Gaussian's alpha >= 1/255
  // ellipse reaches the tile, not for every tile of its rectangle: thin, rotated, faint
  // Gaussians miss many tiles of their rectangles and graze many tile corners. Shrinking the
  // ellipse the masks are made from by a tenth moved pixels by 3e-3 here.
  it('lists only the tiles a Gaussian\'s ellipse reaches, and renders like the reference', async () => {
    for (const seed of [1, 2]) {
      const scene = thinGaussiansScene(seed, 120, 2);
      await expectMatchesReference(scene.gaussians, scene.camera);
      const { rectTilePairs, tilePairs } = native().rasterizerStageTimes();
      expect(rectTilePairs).toBeGreaterThan(600);
      expect(tilePairs).toBeLessThan(0.85 * rectTilePairs);
    }
  });

  it('gives bit-identical images and gradients with 1 and 2 threads', async () => {
    const scene = randomScene(51, { n: 300 });
    const options = { camera: scene.camera, outputGrads: { image: randomWeights(4, [scene.camera.height, scene.camera.width, 3]) } };
    const before = backends().threads;
    try {
      // The setting must reach LibTorch, or both runs would be the same single-thread code.
      setThreads(1);
      expect(backends().threads).toBe(1);
      const one = await rasterizeWithGradients(scene.gaussians, options);
      setThreads(2);
      expect(backends().threads).toBe(2);
      const two = await rasterizeWithGradients(scene.gaussians, options);
      expect(maxAbsDiff(one.image, two.image)).toBe(0);
      for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) expect(maxAbsDiff(one.grads[key], two.grads[key])).toBe(0);
    } finally {
      setThreads(before);
    }
  });

  // Above 32768 Gaussians the CPU's depth sort runs on two threads, each scattering its range
  // of every radix pass from its own offsets; it must keep the reference's order (depth, then
  // id) through many exact depth ties, which decide the blending order of overlapping
  // Gaussians. (Giving the second thread's ties the first slots fails this test.)
  it('orders 40 000 Gaussians with many tied depths like the reference (the parallel radix sort)', async () => {
    const n = 40_000;
    const r = rng(61);
    const means = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      means[3 * i] = (r() - 0.5) * 0.4;
      means[3 * i + 1] = (r() - 0.5) * 0.4;
      means[3 * i + 2] = 2 + 0.25 * Math.floor(r() * 16); // 16 depths: ~2500 Gaussians each
    }
    const gaussians = {
      means: arr(Array.from(means), [n, 3]),
      quats: arr(Array.from({ length: 4 * n }, (_, k) => (k % 4 === 0 ? 1 : 0)), [n, 4]),
      scales: arr(Array.from({ length: 3 * n }, () => 0.08 + 0.1 * r()), [n, 3]),
      opacities: arr(Array.from({ length: n }, () => 0.01 + 0.02 * r()), [n]),
      colors: arr(Array.from({ length: 3 * n }, () => r()), [n, 3]),
    };
    const cam = { ...camera(8, 8), fx: 10, fy: 10 };
    const before = backends().threads;
    try {
      setThreads(2);
      const kernel = await rasterize(gaussians, { camera: cam });
      const reference = await referenceRasterize(gaussians, { camera: cam });
      // Taking the upper half first on ties moved pixels by 0.04 here.
      expect(maxAbsDiff(kernel.image, reference.image)).toBeLessThan(1e-5);
      setThreads(1);
      const one = await rasterize(gaussians, { camera: cam });
      expect(maxAbsDiff(one.image, kernel.image)).toBe(0);
    } finally {
      setThreads(before);
    }
  });

  // Depth against expectations computed apart from the depth output: a lone Gaussian's camera
  // z, the front-to-back blend sum(w z) / alpha of two Gaussians from each one's own alpha,
  // and the float64 reference (float32 kernels: 1e-5 of the largest depth, plus the rounding
  // of 1 - T divided by alpha at faint pixels).
  it('expected depth is the weighted mean camera z where drawn, 0 elsewhere', async () => {
    const view = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, 1]; // camera z = world z + 0.5
    const cam = { ...camera(21, 21), view };

    // One Gaussian: depth is its camera z (2.5 + 0.5) at every drawn pixel, faint ones included.
    const lone = await rasterize(single([0, 0, 2.5], 0.2, 0.99), { camera: cam });
    let faint = 0;
    let empty = 0;
    for (let i = 0; i < 21 * 21; i++) {
      const a = lone.alpha.data[i]!;
      const d = lone.depth.data[i]!;
      // Float32: alpha = 1 - T carries T's rounding (~6e-8), which the division by alpha
      // amplifies where alpha is small; hence the 1/alpha term.
      if (a > 0) expect(Math.abs(d - 3), `pixel ${i}: alpha ${a}, depth ${d}`).toBeLessThan(3 * (1e-6 + 2e-7 / a));
      else expect(d, `pixel ${i}`).toBe(0);
      if (a > 0 && a < 0.1) faint++;
      if (a === 0) empty++;
    }
    expect(faint).toBeGreaterThan(10);
    expect(empty).toBeGreaterThan(10);

    // Two overlapping Gaussians at camera z 3 and 5: T = (1 - a1)(1 - a2) behind both, and the
    // expected depth (a1 z1 + (1 - a1) a2 z2) / (1 - T), with a1, a2 each rendered alone.
    const front = single([-0.1, 0, 2.5], 0.15, 0.7);
    const back = single([0.15, 0.05, 4.5], 0.3, 0.6, [0, 1, 0]);
    const both = {
      means: arr([...front.means.data, ...back.means.data], [2, 3]),
      quats: arr([1, 0, 0, 0, 1, 0, 0, 0], [2, 4]),
      scales: arr([...front.scales.data, ...back.scales.data], [2, 3]),
      opacities: arr([0.7, 0.6], [2]),
      colors: arr([1, 0.5, 0.25, 0, 1, 0], [2, 3]),
    };
    const [a1, a2, out] = await Promise.all([rasterize(front, { camera: cam }), rasterize(back, { camera: cam }), rasterize(both, { camera: cam })]);
    const expected = new Float64Array(21 * 21);
    let blended = 0;
    for (let i = 0; i < 21 * 21; i++) {
      const p = a1.alpha.data[i]!;
      const q = a2.alpha.data[i]!;
      const alpha = 1 - (1 - p) * (1 - q);
      expected[i] = alpha > 0 ? (p * 3 + (1 - p) * q * 5) / alpha : 0;
      if (p > 0.1 && q > 0.1) {
        blended++;
        expect(out.depth.data[i]!).toBeGreaterThan(3.1);
        expect(out.depth.data[i]!).toBeLessThan(4.9);
      }
    }
    expect(blended).toBeGreaterThan(20);
    expect(relativeError(out.depth, expected)).toBeLessThan(1e-5);
    const reference = await referenceRasterize(both, { camera: cam });
    expect(relativeError(out.depth, reference.depth)).toBeLessThan(1e-5);
  });
});
