// The `device` option of sampling, rendering and synthesis: names are validated against the
// loaded binary before any native work (a CPU-only build refuses CUDA with a clear error, in
// the API and on the command line); an explicit 'cpu' reaches every native call (which acts
// on the device it is given) and gives bit-identical results to the default, which reaches
// it with none; and where the binary has CUDA and a GPU is visible, CUDA matches the CPU.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AudioExpressionModel, backends, NativeError, proceduralAvatar, requireDevice, synthesize, SynthesisStream, ValidationError, type Avatar } from '../lib/index.js';
import { main } from '../lib/cli/main.js';
import { native } from '../lib/native.js';
import { nativeAsync } from '../lib/tensor.js';
import { encodeWav16 } from '../lib/synthetic/studio/speech.js';
import { TINY } from './helpers/a2e.js';

const b = backends();
const hasGpu = b.cuda && b.cudaDevices > 0;
let dir: string;
let avatar: Avatar;
// 1.2 s of a tone whose loudness swells, so the tracks are not constant.
const audio = Float32Array.from({ length: 19200 }, (_, i) => 0.3 * Math.sin(i / 7) * Math.sin(i / 3000) ** 2);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-device-'));
  const a2e = await AudioExpressionModel.create({ config: { ...TINY, expressionCount: 17 }, seed: 3 });
  avatar = await proceduralAvatar({ size: 64, uvSize: 32, a2e });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('requireDevice', () => {
  it('accepts cpu and rejects names that are not devices', () => {
    expect(requireDevice('cpu')).toBe('cpu');
    for (const bad of ['gpu', 'CUDA', 'cuda:', 'cuda:x', 'cuda:-1', '', 3, undefined]) {
      expect(() => requireDevice(bad)).toThrow(/expected device to be 'cpu', 'cuda' or 'cuda:N'/);
    }
  });

  it.runIf(!b.cuda)('refuses CUDA on a binary built without it, and says how to get it', () => {
    expect(() => requireDevice('cuda')).toThrow(ValidationError);
    expect(() => requireDevice('cuda:0')).toThrow(/no CUDA kernels.*docs\/gpu-build\.md/);
  });

  it.runIf(hasGpu)('refuses a CUDA device index that is not visible', () => {
    expect(() => requireDevice(`cuda:${b.cudaDevices}`)).toThrow(/only \d+ CUDA device/);
  });
});

describe("device: 'cpu'", () => {
  // The default and an explicit 'cpu' both compute on the CPU, so equal results alone would
  // hold even if the option were dropped on its way. The spies make the two runs distinct
  // native paths: the default reaches the addon with no device (its CPU default), the
  // explicit one with device 'cpu' at every native call (the tensors are moved there).
  it('samples, renders and synthesizes bit-identically to the default, passing the device to every native call', async () => {
    const addon = native();
    const sampleCalls = vi.spyOn(addon, 'a2eSample');
    const renderCalls = vi.spyOn(addon, 'avatarRender');
    const devices = () => {
      const seen = [...sampleCalls.mock.calls, ...renderCalls.mock.calls].map(([o]) => (o as { device?: string }).device);
      sampleCalls.mockClear();
      renderCalls.mockClear();
      return seen;
    };
    try {
      const model = avatar.a2e!;
      const features = Float32Array.from({ length: 30 * model.config.featureDim }, (_, i) => Math.sin(i * 0.37));
      const x = { data: features, shape: [30, model.config.featureDim] };
      const a = await model.sample(x, { steps: 4, seed: 2 });
      expect(devices()).toEqual([undefined]);
      const c = await model.sample(x, { steps: 4, seed: 2, device: 'cpu' });
      expect(devices()).toEqual(['cpu']);
      expect(Array.from(c.data)).toEqual(Array.from(a.data));

      const r1 = await synthesize({ avatar, audio, steps: 3, seed: 1 });
      const byDefault = devices();
      expect(byDefault.length).toBeGreaterThanOrEqual(2); // sampling, then rendering in batches
      expect(byDefault.every((d) => d === undefined)).toBe(true);
      const r2 = await synthesize({ avatar, audio, steps: 3, seed: 1, device: 'cpu' });
      expect(devices()).toEqual(byDefault.map(() => 'cpu'));
      expect(r2.frameCount).toBe(30);
      expect(Buffer.from(r2.frames!.data.buffer).equals(Buffer.from(r1.frames!.data.buffer))).toBe(true);
      // Not a trivial equality: the head is drawn and the frames differ over time.
      expect(r1.frames!.data.reduce((m, v) => Math.max(m, v), 0)).toBeGreaterThan(0.2);
      const frame = 64 * 64 * 3;
      expect(r1.frames!.data.subarray(0, frame).some((v, i) => v !== r1.frames!.data[29 * frame + i])).toBe(true);
    } finally {
      sampleCalls.mockRestore();
      renderCalls.mockRestore();
    }
  });

  // ...and the addon acts on the device it receives: the same call with 'cuda', past the
  // TypeScript checks, fails natively on this CPU-only binary instead of rendering on the CPU.
  it.runIf(!b.cuda)('the addon honours the device it is given (a CUDA device fails natively here)', async () => {
    const addon = native();
    const renderCalls = vi.spyOn(addon, 'avatarRender');
    try {
      const flame = [{ expr: new Float32Array(17), jaw: new Float32Array(3), rotation: new Float32Array(3), neck: new Float32Array(3), eyes: new Float32Array(6), translation: new Float32Array(3) }];
      await avatar.render({ frames: flame, device: 'cpu' });
      const [options] = renderCalls.mock.calls[0]!;
      expect((options as { device?: string }).device).toBe('cpu');
      const replay = (device: string) => nativeAsync(Promise.resolve().then(() => addon.avatarRender({ ...(options as object), device } as typeof options)));
      // The control: the very same call with 'cpu' renders.
      expect(((await replay('cpu')) as { frames: { shape: number[] } }).frames.shape).toEqual([1, 64, 64, 3]);
      const err = await replay('cuda').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(NativeError);
      expect((err as Error).message).toMatch(/avatarRender: .*cuda/i);
    } finally {
      renderCalls.mockRestore();
    }
  });
});

describe.runIf(!b.cuda)('CUDA requested from a CPU-only binary', () => {
  it('is refused before any native work, in every entry point', async () => {
    const model = avatar.a2e!;
    const x = { data: new Float32Array(10 * model.config.featureDim), shape: [10, model.config.featureDim] };
    await expect(model.sample(x, { device: 'cuda' })).rejects.toThrow(/no CUDA kernels/);
    const flame = [{ expr: new Float32Array(17), jaw: new Float32Array(3), rotation: new Float32Array(3), neck: new Float32Array(3), eyes: new Float32Array(6), translation: new Float32Array(3) }];
    await expect(avatar.render({ frames: flame, device: 'cuda' })).rejects.toThrow(ValidationError);
    const started = performance.now();
    await expect(synthesize({ avatar, audio, device: 'cuda' })).rejects.toThrow(/device 'cuda' was requested/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(() => new SynthesisStream({ avatar, device: 'cuda:1' })).toThrow(ValidationError);
  });

  it('makes the command exit with a usage error (2)', async () => {
    const file = join(dir, 'p.ggtavatar');
    await avatar.save(file);
    const wav = join(dir, 'a.wav');
    await writeFile(wav, encodeWav16(audio, 16000));
    expect(await main(['synthesize', '--avatar', file, '--audio', wav, '--out', join(dir, 'o.mp4'), '--device', 'cuda', '--quiet'])).toBe(2);
    expect(await main(['synthesize', '--avatar', file, '--audio', wav, '--out', join(dir, 'o.mp4'), '--device', 'tpu', '--quiet'])).toBe(2);
    expect(await main(['bench', 'synthesize', '--device', 'cuda'])).toBe(2);
  });
});

describe.runIf(hasGpu)('CUDA against the CPU', () => {
  it('samples expressions and renders frames within 1e-3 of the CPU', async () => {
    const model = avatar.a2e!;
    const features = Float32Array.from({ length: 40 * model.config.featureDim }, (_, i) => Math.sin(i * 0.37));
    const x = { data: features, shape: [40, model.config.featureDim] };
    const cpu = await model.sample(x, { steps: 6, seed: 2, guidance: 2 });
    const gpu = await model.sample(x, { steps: 6, seed: 2, guidance: 2, device: 'cuda' });
    const scale = Math.max(...cpu.data.map(Math.abs));
    expect(Math.max(...gpu.data.map((v, i) => Math.abs(v - cpu.data[i]!))) / scale).toBeLessThan(1e-3);

    const r1 = await synthesize({ avatar, audio, steps: 3, seed: 1 });
    const r2 = await synthesize({ avatar, audio, steps: 3, seed: 1, device: 'cuda' });
    let err = 0;
    for (let i = 0; i < r1.frames!.data.length; i++) err = Math.max(err, Math.abs(r1.frames!.data[i]! - r2.frames!.data[i]!));
    expect(err).toBeLessThan(1e-3);
  });
});
