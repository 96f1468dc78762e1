// Spherical harmonics: rendering SH coefficients must equal rendering the colours that an
// independent float64 evaluation of the real SH basis (constants derived from their closed
// forms here) gives for each Gaussian's view direction; and the SH gradients must be the
// colour gradients times the basis.
import { describe, expect, it } from 'vitest';

import { rasterizeWithGradients } from '../lib/index.js';
import { maxAbsDiff, randomScene, randomWeights } from './helpers/scene.js';

const PI = Math.PI;
/** Real SH basis (3DGS sign convention) at unit direction (x, y, z), degree <= 3. */
function basis(x: number, y: number, z: number): number[] {
  const c0 = 1 / (2 * Math.sqrt(PI));
  const c1 = Math.sqrt(3 / (4 * PI));
  const xx = x * x, yy = y * y, zz = z * z;
  return [
    c0,
    -c1 * y, c1 * z, -c1 * x,
    0.5 * Math.sqrt(15 / PI) * x * y,
    -0.5 * Math.sqrt(15 / PI) * y * z,
    0.25 * Math.sqrt(5 / PI) * (2 * zz - xx - yy),
    -0.5 * Math.sqrt(15 / PI) * x * z,
    0.25 * Math.sqrt(15 / PI) * (xx - yy),
    -0.25 * Math.sqrt(35 / (2 * PI)) * y * (3 * xx - yy),
    0.5 * Math.sqrt(105 / PI) * x * y * z,
    -0.25 * Math.sqrt(21 / (2 * PI)) * y * (4 * zz - xx - yy),
    0.25 * Math.sqrt(7 / PI) * z * (2 * zz - 3 * xx - 3 * yy),
    -0.25 * Math.sqrt(21 / (2 * PI)) * x * (4 * zz - xx - yy),
    0.25 * Math.sqrt(105 / PI) * z * (xx - yy),
    -0.25 * Math.sqrt(35 / (2 * PI)) * x * (xx - 3 * yy),
  ];
}

describe('spherical harmonics', () => {
  for (const degree of [0, 1, 2, 3]) {
    it(`degree ${degree}: same image as the independently evaluated colours, and chained gradients`, async () => {
      const scene = randomScene(70 + degree, { n: 80, shDegree: degree });
      const { n } = scene;
      const k = (degree + 1) ** 2;
      const view = scene.camera.view as number[];
      // Camera centre -R^T t.
      const centre = [0, 1, 2].map((j) => -(view[j]! * view[3]! + view[4 + j]! * view[7]! + view[8 + j]! * view[11]!));
      const sh = scene.gaussians.sh!.data;
      const m = scene.gaussians.means.data;
      const colors = new Float32Array(n * 3);
      const bases: number[][] = [];
      for (let i = 0; i < n; i++) {
        const d = [m[3 * i]! - centre[0]!, m[3 * i + 1]! - centre[1]!, m[3 * i + 2]! - centre[2]!];
        const len = Math.hypot(d[0]!, d[1]!, d[2]!);
        const b = basis(d[0]! / len, d[1]! / len, d[2]! / len).slice(0, k);
        bases.push(b);
        for (let c = 0; c < 3; c++) {
          let v = 0.5;
          for (let j = 0; j < k; j++) v += b[j]! * sh[(i * k + j) * 3 + c]!;
          colors[3 * i + c] = Math.max(0, v);
        }
      }
      const { sh: _, ...rest } = scene.gaussians;
      const weights = randomWeights(degree, [scene.camera.height, scene.camera.width, 3]);
      const options = { camera: scene.camera, outputGrads: { image: weights } };
      const withSh = await rasterizeWithGradients(scene.gaussians, options);
      const withColors = await rasterizeWithGradients({ ...rest, colors: { data: colors, shape: [n, 3] } }, options);
      expect(maxAbsDiff(withSh.image, withColors.image)).toBeLessThan(2e-6);
      expect(withSh.grads.colors.shape).toEqual([n, k, 3]);
      // dL/dsh[i, j, c] = basis_j(i) dL/dcolor[i, c] (zero where the colour was clamped at 0).
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          const clamped = colors[3 * i + c] === 0;
          for (let j = 0; j < k; j++) {
            const expected = clamped ? 0 : bases[i]![j]! * withColors.grads.colors.data[3 * i + c]!;
            worst = Math.max(worst, Math.abs(withSh.grads.colors.data[(i * k + j) * 3 + c]! - expected));
          }
        }
      }
      expect(worst).toBeLessThan(1e-5);
      // Means get an extra gradient through the view direction only for degree > 0.
      const meanDiff = maxAbsDiff(withSh.grads.means, withColors.grads.means);
      if (degree === 0) expect(meanDiff).toBeLessThan(1e-5);
      else expect(meanDiff).toBeGreaterThan(1e-4);
    });
  }
});
