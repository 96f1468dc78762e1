// Run by rasterize-simd.test.ts in a child process (GGT_CPU_SIMD is read once per process):
// renders a seeded scene with the kernels and the float64 reference, prints the kernel variant
// that ran and the relative errors as JSON.
import { backends, rasterizeWithGradients, referenceRasterize } from '../../lib/index.js';
import { randomScene, randomWeights, relativeError } from './scene.js';

const errors: Record<string, number> = {};
for (const mode of ['classic', 'antialiased'] as const) {
  const scene = randomScene(mode === 'classic' ? 91 : 92, { n: 400, width: 70, height: 45 });
  const { width, height } = scene.camera;
  const options = { camera: scene.camera, mode, background: [0.3, 0.1, 0.2] as const, outputGrads: { image: randomWeights(93, [height, width, 3]), alpha: randomWeights(94, [height, width]) } };
  const kernel = await rasterizeWithGradients(scene.gaussians, options);
  const reference = await referenceRasterize(scene.gaussians, options);
  errors[`${mode}.image`] = relativeError(kernel.image, reference.image);
  errors[`${mode}.alpha`] = relativeError(kernel.alpha, reference.alpha);
  for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) {
    errors[`${mode}.${key}`] = relativeError(kernel.grads[key], reference.grads![key]);
  }
}
console.log(JSON.stringify({ kernels: backends().cpuKernels, errors }));
