// Finite-difference checks: the kernels' analytic gradients against central differences of
// the kernels' own forward (for a loss on the image, and for one on alpha and depth with
// distinct weights), and the float64 reference's autograd against central differences of the
// reference (which validates the reference itself), all through the public API, so that the
// weights' way from the caller to the backward pass is checked too.
import { describe, expect, it } from 'vitest';

import { rasterize, rasterizeWithGradients, referenceRasterize, type Gaussians } from '../lib/index.js';
import { randomScene, randomWeights, weightedSum, type Scene } from './helpers/scene.js';

type Key = 'means' | 'quats' | 'scales' | 'opacities' | 'colors';
type Arrays = Scene['gaussians'];

// Parameters probed: (tensor, flat index, step). 3DGS skips splats whose alpha is below
// 1/255, so the loss jumps by ~1/255 of a pixel wherever a pixel crosses that threshold; the
// analytic gradient (3DGS's, like every 3DGS implementation) ignores those jumps. Steps are
// therefore small enough that few pixels cross, yet large against float32 rounding.
const probes: [Key, number, number][] = [
  ['means', 3 * 7 + 0, 1e-4],
  ['means', 3 * 7 + 1, 1e-4],
  ['means', 3 * 11 + 2, 1e-4],
  ['quats', 4 * 5 + 0, 1e-4],
  ['quats', 4 * 5 + 2, 1e-4],
  ['scales', 3 * 9 + 1, 1e-5],
  ['scales', 3 * 13 + 0, 1e-5],
  ['opacities', 4, 1e-4],
  ['colors', 3 * 6 + 2, 1e-3],
];

function perturbed(g: Arrays, key: Key, index: number, delta: number): Arrays {
  const src = g[key]!;
  const data = Float32Array.from(src.data);
  data[index] = data[index]! + delta;
  return { ...g, [key]: { data, shape: src.shape } };
}

/** Enlarges a few Gaussians so every probed one covers pixels (non-zero gradients). */
function probeScene(): Scene {
  const scene = randomScene(21, { n: 40, width: 40, height: 32 });
  const scales = scene.gaussians.scales.data;
  for (let i = 0; i < scales.length; i++) scales[i] = Math.max(scales[i]!, 0.08);
  return scene;
}

describe('finite differences', () => {
  const scene = probeScene();
  const { width, height } = scene.camera;
  const weights = randomWeights(5, [height, width, 3]);
  const options = { camera: scene.camera, background: [0.3, 0.3, 0.3] as const, outputGrads: { image: weights } };
  // Distinct, non-zero weights for alpha and depth.
  const alphaWeights = randomWeights(6, [height, width]);
  const depthWeights = randomWeights(7, [height, width]);

  it('kernel gradients match central differences of the kernel (float32: 3% + 3e-3 of the largest)', async () => {
    const { grads } = await rasterizeWithGradients(scene.gaussians, options);
    const loss = async (g: Gaussians): Promise<number> => weightedSum((await rasterize(g, options)).image, weights);
    const step = (key: Key, index: number, h: number): number =>
      perturbed(scene.gaussians, key, index, h)[key]!.data[index]! - perturbed(scene.gaussians, key, index, -h)[key]!.data[index]!;
    const scale = Math.max(...probes.map(([k, i]) => Math.abs(grads[k].data[i]!)));
    let nonZero = 0;
    for (const [key, index, h] of probes) {
      const diff = (await loss(perturbed(scene.gaussians, key, index, h))) - (await loss(perturbed(scene.gaussians, key, index, -h)));
      const fd = diff / step(key, index, h); // the exact float32 step
      const analytic = grads[key].data[index]!;
      if (Math.abs(analytic) > 1e-3 * scale) nonZero++;
      expect(Math.abs(fd - analytic), `${key}[${index}]: fd ${fd} vs analytic ${analytic}`).toBeLessThan(0.03 * Math.abs(analytic) + 3e-3 * scale);
    }
    expect(nonZero).toBeGreaterThanOrEqual(7);
  });

  // L = sum(alpha * W_a) + sum(depth * W_d) with W_a != W_d, both non-zero: catches the
  // alpha and depth weights being mixed up on their way to the backward pass (the image-only
  // check above cannot, and the kernel-vs-reference comparison cannot either, since both
  // receive the weights through the same wrapper). Steps are 3e-4: depth is a ratio of
  // float32 sums of size ~3, and smaller steps drown the difference in its rounding (at 1e-5
  // the scales' quotient is off by 5%); larger ones (1e-3) make pixels cross the 1/255 cut.
  it('kernel gradients of alpha and depth weights match central differences of the kernel (float32: 3% + 3e-3 of the largest)', async () => {
    const opts = { camera: scene.camera, background: [0.3, 0.3, 0.3] as const };
    const { grads } = await rasterizeWithGradients(scene.gaussians, { ...opts, outputGrads: { alpha: alphaWeights, depth: depthWeights } });
    const loss = async (g: Gaussians): Promise<number> => {
      const out = await rasterize(g, opts);
      return weightedSum(out.alpha, alphaWeights) + weightedSum(out.depth, depthWeights);
    };
    const scale = Math.max(...probes.map(([k, i]) => Math.abs(grads[k].data[i]!)));
    let nonZero = 0;
    for (const [key, index] of probes) {
      if (key === 'colors') continue; // colours affect neither alpha nor depth
      const h = 3e-4;
      const plus = perturbed(scene.gaussians, key, index, h);
      const minus = perturbed(scene.gaussians, key, index, -h);
      const fd = ((await loss(plus)) - (await loss(minus))) / (plus[key]!.data[index]! - minus[key]!.data[index]!);
      const analytic = grads[key].data[index]!;
      if (Math.abs(analytic) > 1e-3 * scale) nonZero++;
      expect(Math.abs(fd - analytic), `${key}[${index}]: fd ${fd} vs analytic ${analytic}`).toBeLessThan(0.03 * Math.abs(analytic) + 3e-3 * scale);
    }
    expect(nonZero).toBeGreaterThanOrEqual(6);
  });

  it('reference autograd matches central differences of the reference, image, alpha and depth weighted (float64: 1e-5 relative)', async () => {
    const ref = await referenceRasterize(scene.gaussians, { ...options, outputGrads: { image: weights, alpha: alphaWeights, depth: depthWeights } });
    const loss = async (g: Gaussians): Promise<number> => {
      const out = await referenceRasterize(g, { camera: scene.camera, background: [0.3, 0.3, 0.3] });
      return weightedSum(out.image, weights) + weightedSum(out.alpha, alphaWeights) + weightedSum(out.depth, depthWeights);
    };
    for (const [key, index] of probes) {
      // Float32 inputs limit the step: 1e-4 is representable around these values.
      const h = 1e-4 * Math.max(1, Math.abs(scene.gaussians[key]!.data[index]!));
      const plus = perturbed(scene.gaussians, key, index, h);
      const minus = perturbed(scene.gaussians, key, index, -h);
      const step = plus[key]!.data[index]! - minus[key]!.data[index]!; // exact float32 step
      const fd = ((await loss(plus)) - (await loss(minus))) / step;
      const analytic = (ref.grads![key].data as Float32Array)[index]!;
      expect(Math.abs(fd - analytic), `${key}[${index}]: fd ${fd} vs autograd ${analytic}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(analytic)) + 1e-4 * Math.abs(analytic));
    }
  });
});
