// Bad input: every mistake is rejected with a ValidationError (or NativeError from the native
// checks) whose message names the argument, the expectation and what was received. Nothing
// crashes the process.
import { describe, expect, it } from 'vitest';

import { NativeError, rasterize, rasterizeTensors, rasterizeWithGradients, Tensor, ValidationError } from '../lib/index.js';
import { native } from '../lib/native.js';
import { nativeAsync } from '../lib/tensor.js';
import { randomScene } from './helpers/scene.js';

const scene = randomScene(61, { n: 10, width: 16, height: 16 });
const good = scene.gaussians;
const camera = scene.camera;

async function rejects(promise: Promise<unknown>, type: typeof ValidationError | typeof NativeError, message: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a rejection').toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
}

describe('rasterize rejects bad input with clear errors', () => {
  it('wrong dtype', async () => {
    await rejects(rasterize({ ...good, means: { data: new Float64Array(30), shape: [10, 3] } }, { camera }), ValidationError,
      /expected means to be a float32 array of shape \[N, 3\], received float64 data/);
  });

  it('wrong shape', async () => {
    await rejects(rasterize({ ...good, quats: { data: new Float32Array(30), shape: [10, 3] } }, { camera }), ValidationError,
      /expected quats to be a float32 array of shape \[N, 4\].*received shape \[10, 3\]/);
  });

  it('disagreeing N between arguments, naming both', async () => {
    await rejects(rasterize({ ...good, opacities: { data: new Float32Array(9), shape: [9] } }, { camera }), ValidationError,
      /expected opacities .*\(N = 10 from means\), received shape \[9\]/);
  });

  it('NaN and infinity in the Gaussians', async () => {
    const means = Float32Array.from(good.means.data);
    means[7] = Number.NaN;
    await rejects(rasterize({ ...good, means: { data: means, shape: [10, 3] } }, { camera }), ValidationError, /means.*finite.*NaN at index \[2, 1\]/);
    const colors = Float32Array.from(good.colors!.data);
    colors[0] = Infinity;
    await rejects(rasterize({ ...good, colors: { data: colors, shape: [10, 3] } }, { camera }), ValidationError, /colors.*finite/);
  });

  it('values out of range: negative scales, opacities outside [0, 1], zero quaternions', async () => {
    const scales = Float32Array.from(good.scales.data);
    scales[4] = -0.1;
    await rejects(rasterize({ ...good, scales: { data: scales, shape: [10, 3] } }, { camera }), ValidationError, /scales.*non-negative.*not log-scales/);
    const opacities = Float32Array.from(good.opacities.data);
    opacities[2] = 1.5;
    await rejects(rasterize({ ...good, opacities: { data: opacities, shape: [10] } }, { camera }), ValidationError, /opacities.*in \[0, 1\]/);
    const quats = Float32Array.from(good.quats.data);
    quats.fill(0, 12, 16);
    await rejects(rasterize({ ...good, quats: { data: quats, shape: [10, 4] } }, { camera }), ValidationError, /zero quaternion at row 3/);
  });

  it('colours: neither or both of colors and sh, bad SH size', async () => {
    const { colors: _colors, ...noColor } = good;
    await rejects(rasterize(noColor, { camera }), ValidationError, /exactly one of colors \[N, 3\] or sh \[N, K, 3\], received neither/);
    await rejects(rasterize({ ...good, sh: { data: new Float32Array(10 * 4 * 3), shape: [10, 4, 3] } }, { camera }), ValidationError, /received both/);
    await rejects(rasterize({ ...noColor, sh: { data: new Float32Array(10 * 5 * 3), shape: [10, 5, 3] } }, { camera }), ValidationError, /K = 1, 4, 9 or 16.*received K = 5/);
  });

  it('non-finite or malformed cameras', async () => {
    await rejects(rasterize(good, { camera: { ...camera, fx: Number.NaN } }), ValidationError, /camera\.fx/);
    await rejects(rasterize(good, { camera: { ...camera, width: 0 } }), ValidationError, /camera\.width.*positive integer.*received 0/);
    const view = [1, 0, 0, Infinity, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    await rejects(rasterize(good, { camera: { ...camera, view } }), ValidationError, /camera\.view/);
    await rejects(rasterize(good, { camera: { ...camera, view: [1, 2, 3] } }), ValidationError, /camera\.view/);
    const projective = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    await rejects(rasterize(good, { camera: { ...camera, view: projective } }), ValidationError, /last row to be \[0, 0, 0, 1\]/);
    await rejects(rasterize(good, { camera: { ...camera, near: 1, far: 0.5 } }), ValidationError, /far to be greater than camera\.near/);
  });

  it('bad options: mode, background, device, output gradient shapes', async () => {
    await rejects(rasterize(good, { camera, mode: 'fancy' as 'classic' }), ValidationError, /mode/);
    await rejects(rasterize(good, { camera, background: [1, 2] as unknown as [number, number, number] }), ValidationError, /background to be 3 finite numbers/);
    await rejects(rasterize(good, { camera, device: 'tpu' }), ValidationError, /device to be 'cpu', 'cuda' or 'cuda:N'/);
    await rejects(rasterizeWithGradients(good, { camera, outputGrads: { image: { data: new Float32Array(16 * 16), shape: [16, 16] } } }), ValidationError,
      /outputGrads\.image.*\[16, 16, 3\].*received shape \[16, 16\]/);
  });

  it('cuda on a binary without CUDA kernels (or without a GPU) is a clear error, not a crash', async () => {
    await rejects(rasterize(good, { camera, device: 'cuda' }), ValidationError, /no CUDA kernels|no CUDA device/);
  });

  it('an already-aborted signal rejects before any work', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await rasterize(good, { camera, signal: controller.signal }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
  });

  it('native checks reject what skipped the TypeScript checks (the process survives)', async () => {
    // Straight to the addon, as values computed natively would arrive: a native rejection.
    const means = Float32Array.from(good.means.data);
    means[0] = Number.NaN;
    const raw = {
      ...good,
      colors: good.colors!,
      means: { data: means, shape: [10, 3] },
      camera: { ...camera, view: Float32Array.from(camera.view as number[]), near: 0.01, far: Infinity },
      background: [0, 0, 0] as [number, number, number],
      mode: 'classic' as const,
    };
    const call = (options: Parameters<ReturnType<typeof native>['rasterize']>[0]) => nativeAsync((async () => native().rasterize(options))());
    await rejects(call(raw), NativeError, /expected means to be finite/);
    await rejects(call({ ...raw, means: good.means, camera: { ...raw.camera, fx: -1 } }), NativeError, /focal lengths fx, fy to be positive/);
    const t = (a: { data: Float32Array; shape: number[] }) => Tensor.from(a);
    const negative = Float32Array.from(good.scales.data).map((v) => -v);
    await rejects(
      rasterizeTensors({ means: t(good.means), quats: t(good.quats), scales: t({ data: negative, shape: [10, 3] }), opacities: t(good.opacities), colors: t(good.colors!) }, { camera }),
      NativeError,
      /scales to be non-negative/,
    );
    await rejects(
      rasterizeTensors({ means: t(good.means), quats: t(good.means), scales: t(good.scales), opacities: t(good.opacities), colors: t(good.colors!) }, { camera }),
      ValidationError,
      /expected quats to be a float32 Tensor of shape \[N, 4\]/,
    );
  });
});
