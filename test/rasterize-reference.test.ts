// The rasterizer's kernels against the independent float64 reference (plain tensor maths,
// every pixel against every Gaussian, LibTorch autograd): images and gradients, on seeded
// random scenes with colours and SH, both modes, non-zero background.
import { describe, expect, it } from 'vitest';

import { rasterizeWithGradients, referenceRasterize } from '../lib/index.js';
import { randomScene, randomWeights, relativeError } from './helpers/scene.js';

// Tolerances, relative to the largest magnitude of the reference tensor (float32 kernels vs
// float64 maths): images 1e-5, gradients 1e-4. Measured errors are ~1e-6 and ~1e-5.
const IMAGE_TOL = 1e-5;
const GRAD_TOL = 1e-4;

const cases = [
  { name: 'colours, classic', seed: 1, mode: 'classic' as const },
  { name: 'colours, antialiased', seed: 2, mode: 'antialiased' as const },
  { name: 'SH degree 1, classic', seed: 3, mode: 'classic' as const, shDegree: 1 },
  { name: 'SH degree 3, antialiased', seed: 4, mode: 'antialiased' as const, shDegree: 3 },
  // Dense enough that pixels reach the T < 1e-4 early stop.
  { name: 'dense scene, classic', seed: 5, mode: 'classic' as const, n: 2000, saturates: true },
];

describe('rasterizer kernels vs the float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const scene = randomScene(c.seed, { n: c.n ?? 150, shDegree: c.shDegree });
      const { width, height } = scene.camera;
      const outputGrads = {
        image: randomWeights(c.seed + 100, [height, width, 3]),
        alpha: randomWeights(c.seed + 200, [height, width]),
        depth: randomWeights(c.seed + 300, [height, width]),
      };
      const options = { camera: scene.camera, mode: c.mode, background: [0.2, 0.5, 0.9] as const, outputGrads };
      const kernel = await rasterizeWithGradients(scene.gaussians, options);
      const reference = await referenceRasterize(scene.gaussians, options);

      // The scene must exercise the interesting paths: partly covered, partly saturated.
      const alpha = Array.from(reference.alpha.data as Float64Array);
      expect(alpha.some((a) => a < 0.05)).toBe(true);
      expect(alpha.some((a) => a > 0.9)).toBe(true);
      if (c.saturates) expect(alpha.filter((a) => a > 1 - 2e-4).length).toBeGreaterThan(100);

      expect(relativeError(kernel.image, reference.image)).toBeLessThan(IMAGE_TOL);
      expect(relativeError(kernel.alpha, reference.alpha)).toBeLessThan(IMAGE_TOL);
      expect(relativeError(kernel.depth, reference.depth)).toBeLessThan(IMAGE_TOL);
      for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) {
        const err = relativeError(kernel.grads[key], reference.grads![key]);
        expect(err, `d/d${key}`).toBeLessThan(GRAD_TOL);
      }
    });
  }

  it('agrees when only one output has a gradient weight', async () => {
    const scene = randomScene(9);
    const { width, height } = scene.camera;
    const options = { camera: scene.camera, outputGrads: { depth: randomWeights(9, [height, width]) } };
    const kernel = await rasterizeWithGradients(scene.gaussians, options);
    const reference = await referenceRasterize(scene.gaussians, options);
    expect(relativeError(kernel.grads.means, reference.grads!.means)).toBeLessThan(GRAD_TOL);
    // Colours do not affect depth.
    expect(Math.max(...Array.from(kernel.grads.colors.data).map(Math.abs))).toBe(0);
  });
});
