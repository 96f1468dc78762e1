// Run by rasterize-simd.test.ts in a child process (GGT_CPU_SIMD is read once per process):
// renders seeded scenes with the kernels and the float64 reference, prints the kernel variant
// that ran, the relative errors and the thin-Gaussian scene's tile pairs as JSON.
import { backends, rasterize, rasterizeWithGradients, referenceRasterize } from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { randomScene, randomWeights, relativeError, rng, thinGaussiansScene } from './scene.js';

const errors: Record<string, number> = {};
let pairs = { rect: 0, listed: 0 };

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

// The tile masks (computed per variant in the projection) on thin Gaussians that miss many
// tiles of their rectangles, and how many pairs they leave out. A pair left out wrongly loses
// its pixels' colour; the gradients of these thin Gaussians are ill-conditioned in float32
// (the scalar variant's quaternion gradients are 1.2e-4 off with or without the masks), so
// only the image and alpha are compared here.
{
  const scene = thinGaussiansScene(3, 120, 2);
  const { width, height } = scene.camera;
  const options = { camera: scene.camera, background: [0.3, 0.1, 0.2] as const, outputGrads: { image: randomWeights(97, [height, width, 3]) } };
  const kernel = await rasterizeWithGradients(scene.gaussians, options);
  const { rectTilePairs, tilePairs } = native().rasterizerStageTimes();
  pairs = { rect: rectTilePairs, listed: tilePairs };
  const reference = await referenceRasterize(scene.gaussians, options);
  errors['thin.image'] = relativeError(kernel.image, reference.image);
  errors['thin.alpha'] = relativeError(kernel.alpha, reference.alpha);
}

// The projection's integer outputs on a scene with its edge cases: Gaussians behind the
// camera, at the near plane, far outside the field of view (clamped Jacobian), below 1/255
// opacity, huge and tiny; printed so the test can compare the variants exactly.
const stress = randomScene(95, { n: 1200, width: 70, height: 45 });
const r = rng(96);
const m = stress.gaussians.means.data as Float32Array;
const s = stress.gaussians.scales.data as Float32Array;
const o = stress.gaussians.opacities.data as Float32Array;
for (let i = 0; i < 1200; i++) {
  const kind = i % 8;
  if (kind === 1) m[3 * i + 2] = -m[3 * i + 2];                 // behind the camera
  if (kind === 2) m[3 * i + 2] = 0.0095 + 0.001 * r();          // around near = 0.01
  if (kind === 3) m[3 * i] *= 20;                               // far outside the view
  if (kind === 4) o[i] = 0.006 * r();                           // around alpha 1/255
  if (kind === 5) for (let k = 0; k < 3; k++) s[3 * i + k] *= 100;  // huge
  if (kind === 6) for (let k = 0; k < 3; k++) s[3 * i + k] *= 1e-3; // tiny
}
const radii: Record<string, number[]> = {};
for (const mode of ['classic', 'antialiased'] as const) {
  radii[mode] = Array.from((await rasterize(stress.gaussians, { camera: stress.camera, mode })).radii.data);
  radii[`${mode}.reference`] = Array.from((await referenceRasterize(stress.gaussians, { camera: stress.camera, mode })).radii.data);
}
console.log(JSON.stringify({ kernels: backends().cpuKernels, errors, radii, pairs }));
