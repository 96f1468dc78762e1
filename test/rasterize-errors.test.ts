// Bad input: every mistake is rejected with a ValidationError (or NativeError from the native
// checks) whose message names the argument, the expectation and what was received. Nothing
// crashes the process.
import { describe, expect, it } from 'vitest';

import { AbortError, lookAt, NativeError, rasterize, rasterizeTensors, rasterizeWithGradients, referenceRasterize, Tensor, ValidationError } from '../lib/index.js';
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

  it('values finite as doubles but not in float32 (the native precision) are refused in JS, naming the field', async () => {
    // 1e300 is Infinity in float32 and 1e-300 is 0: both passed the double-precision checks
    // before and reached the native checks as an untyped error.
    await rejects(rasterize(good, { camera: { ...camera, near: 1e-300 } }), ValidationError, /camera\.near to be a positive float32 number.*received 1e-300/);
    await rejects(rasterize(good, { camera: { ...camera, fx: 1e300 } }), ValidationError, /camera\.fx .*float32.*received 1e\+300/);
    await rejects(rasterize(good, { camera: { ...camera, fy: 1e-300 } }), ValidationError, /camera\.fy .*float32/);
    await rejects(rasterize(good, { camera: { ...camera, cx: -1e300 } }), ValidationError, /camera\.cx .*float32/);
    await rejects(rasterize(good, { camera: { ...camera, cy: 4e38 } }), ValidationError, /camera\.cy .*float32/);
    const view = [1, 0, 0, 1e300, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    await rejects(rasterize(good, { camera: { ...camera, view } }), ValidationError, /camera\.view to be finite in float32.*1e\+300 at index \[0, 3\]/);
    // Still accepted: the float32 extremes themselves, and a far plane beyond float32 (= none).
    await expect(rasterize(good, { camera: { ...camera, far: 1e300 } })).resolves.toBeDefined();
    await expect(rasterize(good, { camera: { ...camera, cx: 3.4e38 } })).resolves.toBeDefined();
  });

  it('images beyond maxPixels are refused before any native allocation (overridable)', async () => {
    const big = { ...camera, width: 16384, height: 16384 };
    await rejects(rasterize(good, { camera: big }), ValidationError, /at most maxPixels = 16777216 pixels, received 16384 x 16384 = 268435456.*larger maxPixels/);
    await rejects(rasterize(good, { camera: { ...camera, width: 64, height: 64 }, maxPixels: 1000 }), ValidationError, /maxPixels = 1000/);
    await rejects(rasterize(good, { camera, maxPixels: -1 }), ValidationError, /maxPixels to be a positive integer/);
    const r = await rasterize(good, { camera: { ...camera, width: 64, height: 64 }, maxPixels: 4096 });
    expect(r.image.shape).toEqual([64, 64, 3]);
  });

  it('scenes binning more (Gaussian, tile) pairs than maxTilePairs are refused natively before the pairs are allocated', async () => {
    // 10 Gaussians over a 16x16 image (one tile): at most 10 pairs; a limit of 1 refuses, 10 renders.
    const big = Float32Array.from(good.scales.data, () => 50);
    const covering = { ...good, scales: { data: big, shape: [10, 3] } };
    await rejects(rasterize(covering, { camera, maxTilePairs: 1 }), NativeError, /\(Gaussian, \d+x\d+ tile\) pairs, more than maxTilePairs = 1.*raise maxTilePairs/);
    await expect(rasterize(covering, { camera, maxTilePairs: 10 })).resolves.toBeDefined();
    await rejects(rasterize(good, { camera, maxTilePairs: 0 }), ValidationError, /maxTilePairs to be a positive integer/);
  });

  it('bad options: mode, background, device, output gradient shapes', async () => {
    await rejects(rasterize(good, { camera, mode: 'fancy' as 'classic' }), ValidationError, /mode/);
    await rejects(rasterize(good, { camera, background: [1, 2] as unknown as [number, number, number] }), ValidationError, /background to be 3 finite float32 numbers/);
    await rejects(rasterize(good, { camera, background: [0, 1e300, 0] }), ValidationError, /background to be 3 finite float32 numbers.*received \[0, 1e\+300, 0\]/);
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
    // Ours, not the signal's DOMException, and the reason kept as the cause.
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).cause).toBe(controller.signal.reason);
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

// Careless calls (nothing, null, a string for the options, no outputGrads) are ValidationErrors
// naming the function, never TypeErrors from inside.
describe('careless calls to the rasterizers and lookAt', () => {
  it('rasterize, rasterizeWithGradients and referenceRasterize name themselves and the argument', async () => {
    await rejects(rasterize(undefined as never, { camera }), ValidationError, /^rasterize: expected gaussians to be an object, received undefined/);
    await rejects(rasterizeWithGradients(good, undefined as never), ValidationError, /^rasterizeWithGradients: expected options to be an object, received undefined/);
    await rejects(rasterizeWithGradients(null as never, { camera } as never), ValidationError, /^rasterizeWithGradients: expected gaussians to be an object, received null/);
    await rejects(rasterizeWithGradients(good, { camera } as never), ValidationError, /^rasterizeWithGradients: expected options\.outputGrads to be an object, received undefined/);
    await rejects(referenceRasterize('scene.ply' as never, { camera }), ValidationError, /^referenceRasterize: expected gaussians to be an object, received "scene\.ply"/);
    await rejects(referenceRasterize(good, 42 as never), ValidationError, /^referenceRasterize: expected options to be an object, received 42/);
  });

  it('a signal that is not an AbortSignal is a ValidationError before any native work (was a TypeError from the wait)', async () => {
    for (const signal of [42, {}, { aborted: true }, null]) {
      await rejects(rasterize(good, { camera, signal: signal as never }), ValidationError, /^expected options\.signal to be an AbortSignal/);
    }
    await rejects(referenceRasterize(good, { camera, signal: 'stop' as never }), ValidationError, /options\.signal to be an AbortSignal .*received "stop"/);
    const ok = await rasterize(good, { camera, signal: new AbortController().signal });
    expect(ok.image.shape).toEqual([16, 16, 3]);
  });

  it('lookAt wants three finite numbers per point', () => {
    expect(() => lookAt(undefined as never, [0, 0, 0])).toThrow(/^lookAt: expected eye to be 3 finite numbers \[x, y, z\], received undefined/);
    expect(() => lookAt([0, 0, -1], [0, Number.NaN, 0])).toThrow(ValidationError);
    expect(() => lookAt([0, 0, -1], [0, 0, 0], 'up' as never)).toThrow(/^lookAt: expected up to be 3 finite numbers/);
    expect(lookAt([0, 0, -1], [0, 0, 0])).toHaveLength(16);
  });
});
