// Edge cases of the rasterizer, each against the float64 reference or an exact expectation.
import { describe, expect, it } from 'vitest';

import { rasterize, rasterizeWithGradients, referenceRasterize, setThreads, type Camera } from '../lib/index.js';
import { maxAbsDiff, randomScene, randomWeights, relativeError } from './helpers/scene.js';

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

  it('gives bit-identical images and gradients with 1 and 2 threads', async () => {
    const scene = randomScene(51, { n: 300 });
    const options = { camera: scene.camera, outputGrads: { image: randomWeights(4, [scene.camera.height, scene.camera.width, 3]) } };
    setThreads(1);
    const one = await rasterizeWithGradients(scene.gaussians, options);
    setThreads(2);
    const two = await rasterizeWithGradients(scene.gaussians, options);
    expect(maxAbsDiff(one.image, two.image)).toBe(0);
    for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) expect(maxAbsDiff(one.grads[key], two.grads[key])).toBe(0);
  });

  it('expected depth is the weighted mean camera z where drawn', async () => {
    const cam = camera(9, 9);
    const out = await rasterize(single([0, 0, 2.5], 0.2, 0.99), { camera: { ...cam, view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, 1] } });
    expect(out.depth.get(4, 4)).toBeCloseTo(3, 5); // z = 2.5 + 0.5 translation
    expect(relativeError(out.depth, out.depth)).toBe(0);
  });
});
