// device: 'auto' resolves to CUDA when the binary has the CUDA kernels and a GPU is visible,
// else to the CPU, wherever a device is validated (requireDevice: the API's device options and
// the CLI's --device). The resolution with fake backends for the CUDA cases; on this machine
// the real one, which must give exactly what 'cpu' gives and hand 'cpu' to the native calls.
import { afterEach, describe, expect, it, vi } from 'vitest';

import { AudioExpressionModel, backends, rasterize, requireDevice, ValidationError } from '../lib/index.js';
import { resolveAutoDevice } from '../lib/backends.js';
import { parseBenchArgs } from '../lib/bench/run.js';
import { native } from '../lib/native.js';
import { TINY } from './helpers/a2e.js';
import { randomScene } from './helpers/scene.js';

const b = backends();
const hasGpu = b.cuda && b.cudaDevices > 0;

afterEach(() => vi.restoreAllMocks());

describe('resolveAutoDevice', () => {
  it("is 'cuda' only with CUDA kernels and a visible GPU", () => {
    expect(resolveAutoDevice({ cuda: true, cudaDevices: 1 })).toBe('cuda');
    expect(resolveAutoDevice({ cuda: true, cudaDevices: 4 })).toBe('cuda');
    expect(resolveAutoDevice({ cuda: true, cudaDevices: 0 })).toBe('cpu');
    expect(resolveAutoDevice({ cuda: false, cudaDevices: 0 })).toBe('cpu');
  });
});

describe("requireDevice('auto')", () => {
  it('asks the loaded binary: with CUDA kernels and GPUs it is cuda, else cpu', () => {
    const spy = vi.spyOn(native(), 'backends').mockReturnValue({ ...b, cuda: true, cudaDevices: 2, cudaDeviceNames: ['A', 'B'] });
    expect(requireDevice('auto')).toBe('cuda');
    spy.mockReturnValue({ ...b, cuda: true, cudaDevices: 0, cudaDeviceNames: [] });
    expect(requireDevice('auto')).toBe('cpu');
    spy.mockReturnValue({ ...b, cuda: false, cudaDevices: 0, cudaDeviceNames: [] });
    expect(requireDevice('auto')).toBe('cpu');
  });

  it.runIf(!hasGpu)("is 'cpu' on this machine (no CUDA binary or no GPU)", () => {
    expect(requireDevice('auto')).toBe('cpu');
  });

  it.runIf(hasGpu)("is 'cuda' on this machine (CUDA binary and a GPU)", () => {
    expect(requireDevice('auto')).toBe('cuda');
  });

  it("names 'auto' among the accepted devices, and accepts no other spelling", () => {
    expect(() => requireDevice('AUTO')).toThrow(ValidationError);
    expect(() => requireDevice('auto:0')).toThrow(/expected device to be 'cpu', 'cuda' or 'cuda:N' \(or 'auto'\), received "auto:0"/);
  });

  it("the CLI's --device takes it (bench's argument parser)", () => {
    expect(parseBenchArgs(['rasterize', '--device', 'auto']).args.device).toBe(hasGpu ? 'cuda' : 'cpu');
  });
});

describe.runIf(!hasGpu)("device: 'auto' on this CPU machine", () => {
  it("rasterizes bit-identically to 'cpu', and the native call receives 'cpu'", async () => {
    const scene = randomScene(5, { n: 200 });
    const calls = vi.spyOn(native(), 'rasterize');
    const cpu = await rasterize(scene.gaussians, { camera: scene.camera, device: 'cpu' });
    const auto = await rasterize(scene.gaussians, { camera: scene.camera, device: 'auto' });
    expect(calls.mock.calls.map(([o]) => o.device)).toEqual(['cpu', 'cpu']);
    expect(Buffer.from(auto.image.data.buffer).equals(Buffer.from(cpu.image.data.buffer))).toBe(true);
    // Not a trivial equality: something was drawn.
    expect(cpu.image.data.some((v) => v > 0.05)).toBe(true);
  });

  it("samples expressions bit-identically to 'cpu'", async () => {
    const model = await AudioExpressionModel.create({ config: { ...TINY, expressionCount: 17 }, seed: 3 });
    const x = { data: Float32Array.from({ length: 20 * model.config.featureDim }, (_, i) => Math.sin(i * 0.37)), shape: [20, model.config.featureDim] };
    const calls = vi.spyOn(native(), 'a2eSample');
    const cpu = await model.sample(x, { steps: 3, seed: 2, device: 'cpu' });
    const auto = await model.sample(x, { steps: 3, seed: 2, device: 'auto' });
    expect(calls.mock.calls.map(([o]) => o.device)).toEqual(['cpu', 'cpu']);
    expect(Array.from(auto.data)).toEqual(Array.from(cpu.data));
  });
});

describe.runIf(!hasGpu)("device: 'auto' for Tensor and Flame on this CPU machine", () => {
  it("Tensor.from and Tensor.to resolve it to 'cpu'; an unknown device is a ValidationError", async () => {
    const { Tensor } = await import('../lib/tensor.js');
    const t = Tensor.from({ data: new Float32Array([1, 2, 3]), shape: [3] }, { device: 'auto' });
    expect(t.device).toBe('cpu');
    expect(t.to('auto').device).toBe('cpu');
    expect(() => Tensor.from({ data: new Float32Array([1]), shape: [1] }, { device: 'gpu0' })).toThrow(ValidationError);
  });
});
