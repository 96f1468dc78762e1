// Native tensor handles: round trips, autograd through rasterizeTensors, errors.
import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';

import { backends, GgtalkerError, rasterizeTensors, rasterizeWithGradients, Tensor, ValidationError } from '../lib/index.js';
import { maxAbsDiff, randomScene, randomWeights } from './helpers/scene.js';

describe('Tensor', () => {
  it('copies strided ndarrays in and row-major data out', () => {
    // A transposed view: logical [[0, 2, 4], [1, 3, 5]].
    const view = ndarray(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 2], 0);
    const t = Tensor.from(view);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(Array.from(t.toNdarray().data)).toEqual([0, 2, 4, 1, 3, 5]);
  });

  it('rasterizeTensors + backward give the same gradients as rasterizeWithGradients', async () => {
    const scene = randomScene(81, { n: 100 });
    const weights = randomWeights(8, [scene.camera.height, scene.camera.width, 3]);
    const g = scene.gaussians;
    const t = (a: { data: Float32Array; shape: number[] }) => Tensor.from(a, { requiresGrad: true });
    const inputs = { means: t(g.means), quats: t(g.quats), scales: t(g.scales), opacities: t(g.opacities), colors: t(g.colors!) };
    const out = await rasterizeTensors(inputs, { camera: scene.camera });
    expect(out.image.requiresGrad).toBe(true);
    await out.image.backward(weights);
    const expected = await rasterizeWithGradients(g, { camera: scene.camera, outputGrads: { image: weights } });
    expect(maxAbsDiff(out.image.toNdarray(), expected.image)).toBe(0);
    for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) {
      expect(maxAbsDiff(inputs[key].grad!.toNdarray(), expected.grads[key]), key).toBeLessThan(1e-6);
    }
  });

  it('explains misuse: backward without a gradient on a non-scalar, wrong gradient shape', async () => {
    const scene = randomScene(82, { n: 5, width: 8, height: 8 });
    const g = scene.gaussians;
    const t = (a: { data: Float32Array; shape: number[] }) => Tensor.from(a, { requiresGrad: true });
    const out = await rasterizeTensors({ means: t(g.means), quats: t(g.quats), scales: t(g.scales), opacities: t(g.opacities), colors: t(g.colors!) }, { camera: scene.camera });
    await expect(out.image.backward()).rejects.toThrow(ValidationError);
    await expect(out.image.backward({ data: new Float32Array(8), shape: [8] })).rejects.toThrow(/expected grad to be a float32 array of shape \[8, 8, 3\]/);
    expect(() => Tensor.from({ data: new Int8Array(3), shape: [3] })).toThrow(/int8/);
  });

  it('SharedArrayBuffer-backed data is copied in (was "Error: Invalid argument"); detached data and bad devices are typed errors', () => {
    const shared = new Float32Array(new SharedArrayBuffer(16));
    shared.set([1, 2, 3, 4]);
    const t = Tensor.from({ data: shared, shape: [2, 2] });
    expect(Array.from(t.toNdarray().data)).toEqual([1, 2, 3, 4]);
    shared[0] = 9; // a copy: later writes by another thread do not reach the tensor
    expect(t.toNdarray().data[0]).toBe(1);
    const gone = new Float32Array(4);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    expect(() => Tensor.from({ data: gone, shape: [2, 2] })).toThrow(/detached/);
    expect(() => Tensor.from(null as never)).toThrow(ValidationError);
    expect(() => Tensor.from({ data: Float32Array.of(1), shape: [1] }, { device: 'tpu' })).toThrow(GgtalkerError);
    expect(() => Tensor.from({ data: Float32Array.of(1), shape: [1] }, null as never)).toThrow(/^Tensor\.from: expected options to be an object, received null/);
  });

  it('dispose() hands the memory back at once (no garbage collection), leaves views and autograd working, and makes later use a typed error', async () => {
    // 8 MiB of float32: a block the CPU cache keeps. With the cache off (GGT_CPU_CACHE_MB=0)
    // the memory goes straight back to the system and the cache stays empty.
    const n = 2 << 20;
    const big = Tensor.from({ data: new Float32Array(n).fill(1.5), shape: [2, n / 2] });
    const row = big.select(0, 1);  // a view: shares the block
    const cached = (): number => backends().cpuCache.cachedBytes;
    const before = cached();
    big.dispose();
    expect(big.disposed).toBe(true);
    expect(cached()).toBe(before);  // the view still holds the block
    expect(row.toNdarray().get(7)).toBe(1.5);
    row.dispose();
    if (backends().cpuCache.limitBytes > 4 * n) expect(cached()).toBeGreaterThanOrEqual(before + 4 * n);
    big.dispose();  // twice: nothing happens
    // Every later use is a ValidationError naming what was disposed.
    expect(() => big.shape).toThrow(/expected this tensor to be a live tensor, received one that was disposed/);
    expect(() => big.toNdarray()).toThrow(ValidationError);
    expect(() => big.select(0, 0)).toThrow(ValidationError);
    await expect(big.backward()).rejects.toThrow(ValidationError);

    // Disposing an input after the forward: the graph saved it, so the backward still runs;
    // passing a disposed tensor to a render is refused, naming the field.
    const scene = randomScene(83, { n: 20, width: 16, height: 16 });
    const g = scene.gaussians;
    const t = (a: { data: Float32Array; shape: number[] }) => Tensor.from(a, { requiresGrad: true });
    const inputs = { means: t(g.means), quats: t(g.quats), scales: t(g.scales), opacities: t(g.opacities), colors: t(g.colors!) };
    const out = await rasterizeTensors(inputs, { camera: scene.camera });
    inputs.scales.dispose();
    out.alpha.dispose();
    await out.image.backward(randomWeights(84, [16, 16, 3]));
    expect(inputs.means.grad!.shape).toEqual([20, 3]);
    await expect(rasterizeTensors(inputs, { camera: scene.camera })).rejects.toThrow(/expected scales to be a live tensor, received one that was disposed/);
    await expect(out.image.backward(big)).rejects.toThrow(/expected grad to be a live tensor/);
  });
});
