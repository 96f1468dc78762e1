// Sampling the Audio-Expression model: determinism, guidance, held (known) frames, long
// sequences as blended windows, and a TorchScript export of the same network.
import ndarray from 'ndarray';
import { beforeAll, describe, expect, it } from 'vitest';

import { AudioExpressionModel, ExpressionStream, NativeError, PAPER_A2E_CONFIG, resolveA2eConfig, ValidationError } from '../lib/index.js';
import { FIXTURE_DIR } from './helpers/a2e.js';
import { rng } from './helpers/scene.js';

let model: AudioExpressionModel;
const F = 12;
const K = 7;

function features(T: number, seed: number) {
  const r = rng(seed);
  return ndarray(Float32Array.from({ length: T * F }, () => r() * 2 - 1), [T, F]);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

beforeAll(async () => {
  model = await AudioExpressionModel.load(`${FIXTURE_DIR}dit_tiny`);
});

describe('sampling', () => {
  it('is deterministic for a seed (DDIM and DDPM) and differs across seeds', async () => {
    const cond = features(12, 1);
    for (const method of ['ddim', 'ddpm'] as const) {
      const a = await model.sample(cond, { method, steps: 10, seed: 5 });
      const b = await model.sample(cond, { method, steps: 10, seed: 5 });
      const c = await model.sample(cond, { method, steps: 10, seed: 6 });
      expect(a.shape).toEqual([12, K]);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(maxAbsDiff(a.data, c.data), method).toBeGreaterThan(1e-3);
    }
  });

  it('uses the full DDPM chain when steps equal the diffusion steps', async () => {
    const out = await model.sample(features(8, 2), { method: 'ddpm', steps: 50, seed: 1 });
    expect(out.data.every(Number.isFinite)).toBe(true);
  });

  it('guidance 0 ignores the audio (the unconditional model); guidance 1 and 2 follow it', async () => {
    const a = features(10, 3);
    const b = features(10, 4);
    const u1 = await model.sample(a, { guidance: 0, seed: 2, steps: 8 });
    const u2 = await model.sample(b, { guidance: 0, seed: 2, steps: 8 });
    expect(maxAbsDiff(u1.data, u2.data)).toBeLessThan(1e-6);
    const c1 = await model.sample(a, { guidance: 1, seed: 2, steps: 8 });
    const c2 = await model.sample(b, { guidance: 1, seed: 2, steps: 8 });
    expect(maxAbsDiff(c1.data, c2.data)).toBeGreaterThan(1e-3);
    const g2 = await model.sample(a, { guidance: 2, seed: 2, steps: 8 });
    expect(maxAbsDiff(c1.data, g2.data)).toBeGreaterThan(1e-3);
  });

  it('conditions on the speaker: each speaker row samples its own sequence, the name and the row the same', async () => {
    const cond = features(12, 8);
    const s0 = await model.sample(cond, { seed: 2, steps: 8, speaker: 0 });
    const s1 = await model.sample(cond, { seed: 2, steps: 8, speaker: 1 });
    const byName = await model.sample(cond, { seed: 2, steps: 8, speaker: 'speaker1' });
    expect(maxAbsDiff(s0.data, s1.data)).toBeGreaterThan(1e-3);
    expect(Array.from(byName.data)).toEqual(Array.from(s1.data));
  });

  it('returns known frames exactly where the mask is set', async () => {
    const T = 14;
    const known = new Float32Array(T * K);
    const mask = new Float32Array(T);
    for (let t = 0; t < 5; t++) {
      mask[t] = 1;
      for (let k = 0; k < K; k++) known[t * K + k] = Math.sin(t + k);
    }
    const out = await model.sample(features(T, 5), { seed: 3, steps: 10, window: 8, overlap: 3, known: ndarray(known, [T, K]), knownMask: ndarray(mask, [T]) });
    expect(maxAbsDiff(out.data.subarray(0, 5 * K), known.subarray(0, 5 * K))).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.data.subarray(5 * K), known.subarray(5 * K))).toBeGreaterThan(1e-3);
  });

  it('dpm-solver++: deterministic for a seed, known frames held exactly, guided and windowed', async () => {
    const T = 30;
    const known = new Float32Array(T * K);
    const mask = new Float32Array(T);
    for (let t = 0; t < 6; t++) {
      mask[t] = 1;
      for (let k = 0; k < K; k++) known[t * K + k] = Math.cos(t + 2 * k);
    }
    const opts = { method: 'dpm-solver++', steps: 4, seed: 3, window: 12, overlap: 4, guidance: 1.5, known: ndarray(known, [T, K]), knownMask: ndarray(mask, [T]) } as const;
    const a = await model.sample(features(T, 9), opts);
    const b = await model.sample(features(T, 9), opts);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(maxAbsDiff(a.data.subarray(0, 6 * K), known.subarray(0, 6 * K))).toBeLessThan(1e-5);
    expect(maxAbsDiff(a.data.subarray(6 * K), known.subarray(6 * K))).toBeGreaterThan(1e-3);
    // Its steps are its own: not the DDIM sample of the same seed and step count.
    const ddim = await model.sample(features(T, 9), { ...opts, method: 'ddim' });
    expect(maxAbsDiff(a.data.subarray(6 * K), ddim.data.subarray(6 * K))).toBeGreaterThan(1e-3);
  });

  it('caching the cross-attention keys and values changes nothing beyond float32 round-off', async () => {
    // One network evaluation on three rows (kept and dropped audio, timesteps 0 .. N − 1), through
    // the sampler's path (condition and per-layer keys/values computed first) and the plain one.
    const c = model.config;
    const [B, T] = [3, 9];
    const r = rng(21);
    const input = {
      x_t: ndarray(Float32Array.from({ length: B * T * K }, () => r() * 2 - 1), [B, T, K]),
      cond: ndarray(Float32Array.from({ length: B * T * F }, () => r() * 2 - 1), [B, T, F]),
      n: ndarray(Int32Array.from([0, 17, c.diffusionSteps - 1]), [B]),
      speaker: ndarray(Int32Array.from([0, 1, 0]), [B]),
      keep: ndarray(Float32Array.from([1, 1, 0]), [B]),
    };
    const plain = await model.forward(input);
    const cached = await model.forward({ ...input, crossAttentionCache: true });
    const scale = Math.max(...Array.from(plain.data, Math.abs));
    expect(maxAbsDiff(plain.data, cached.data)).toBeLessThanOrEqual(1e-5 * scale);
    // Whole samples (25 steps, guided, 3 windows) too: the error does not grow beyond round-off.
    const cond = features(28, 10);
    const on = await model.sample(cond, { seed: 2, guidance: 2, window: 12, overlap: 4 });
    const off = await model.sample(cond, { seed: 2, guidance: 2, window: 12, overlap: 4, crossAttentionCache: false });
    expect(maxAbsDiff(on.data, off.data)).toBeLessThanOrEqual(1e-5 * Math.max(...Array.from(on.data, Math.abs)));
  });

  it('samples sequences longer than maxFrames as blended windows', async () => {
    const out = await model.sample(features(100, 6), { seed: 1, steps: 5, window: 16, overlap: 6 });
    expect(out.shape).toEqual([100, K]);
    expect(out.data.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad options in the user terms', async () => {
    const cond = features(4, 1);
    await expect(model.sample(cond, { steps: 0 })).rejects.toThrow(/steps.*\[1, 50\]/);
    await expect(model.sample(cond, { method: 'dpm-solver++', steps: 50 })).rejects.toThrow(/steps.*\[1, 49\].*dpm-solver\+\+/);
    await expect(model.sample(cond, { method: 'dpm-solver++', steps: 2.5 })).rejects.toThrow(ValidationError);
    await expect(model.sample(cond, { method: 'euler' as 'ddim' })).rejects.toThrow(/method to be one of "ddim", "ddpm", "dpm-solver\+\+", received "euler"/);
    await expect(model.sample(cond, { crossAttentionCache: 1 as unknown as boolean })).rejects.toThrow(/crossAttentionCache to be a boolean/);
    expect(() => new ExpressionStream({ model, method: 'dpm-solver' as 'ddim' })).toThrow(ValidationError);
    expect(() => new ExpressionStream({ model, steps: 0 })).toThrow(/steps.*\[1, 49\]/);
    await expect(model.sample(cond, { window: 17 })).rejects.toThrow(/window.*maxFrames/);
    await expect(model.sample(cond, { overlap: 10, window: 10 })).rejects.toThrow(ValidationError);
    await expect(model.sample(cond, { speaker: 'nobody' })).rejects.toThrow(/unknown speaker "nobody".*speaker0/);
    await expect(model.sample(ndarray(new Float32Array(4 * 5), [4, 5]))).rejects.toThrow(/features.*\[T, 12\]/);
  });
});

describe('TorchScript models', () => {
  it('a torch.jit.script export of the same weights samples what the native model samples', async () => {
    const ts = await AudioExpressionModel.load(`${FIXTURE_DIR}dit_tiny_torchscript.json`, { weights: `${FIXTURE_DIR}dit_tiny.pt` });
    expect(ts.kind).toBe('torchscript');
    expect(ts.parameterNames()).toContain('dec.pos');
    const cond = features(20, 7);
    const a = await ts.sample(cond, { seed: 4, steps: 12, guidance: 1.5, speaker: 1, window: 12, overlap: 4 });
    const b = await model.sample(cond, { seed: 4, steps: 12, guidance: 1.5, speaker: 1, window: 12, overlap: 4 });
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
    expect(() => ts.parameter('dec.pos')).toThrow(/TorchScript/);
  });

  it('a file that is not TorchScript is a clear error', async () => {
    await expect(AudioExpressionModel.load(`${FIXTURE_DIR}dit_tiny_torchscript.json`, { weights: `${FIXTURE_DIR}dit_tiny.safetensors` })).rejects.toThrow(NativeError);
    await expect(AudioExpressionModel.load(`${FIXTURE_DIR}dit_tiny_torchscript.json`, { weights: `${FIXTURE_DIR}dit_tiny.safetensors` })).rejects.toThrow(/could not load the TorchScript model/);
  });
});

describe('config ranges', () => {
  // The documented ranges (docs: lib/a2e/config.ts), written out here rather than imported.
  const RANGES: Record<string, [number, number]> = {
    featureDim: [1, 4096],
    expressionCount: [1, 1024],
    dModel: [2, 4096],
    heads: [1, 64],
    ffDim: [1, 16384],
    condLayers: [0, 32],
    decoderLayers: [1, 64],
    speakers: [1, 65536],
    speakerDim: [1, 4096],
    timeTokens: [0, 64],
    maxFrames: [1, 4096],
    alignRadius: [-1, 4096],
    diffusionSteps: [1, 10000],
  };
  // Small sizes, so that one field at its maximum stays under the weight cap.
  const small = { dModel: 8, heads: 1, ffDim: 8, condLayers: 1, decoderLayers: 1, speakerDim: 4, featureDim: 8, expressionCount: 4, maxFrames: 8, diffusionSteps: 10 };

  it("accepts the paper's sizes and each field at both ends of its range", () => {
    expect(resolveA2eConfig()).toEqual(PAPER_A2E_CONFIG);
    for (const [field, [min, max]] of Object.entries(RANGES)) {
      for (const value of [min, max]) {
        // dModel must be even and divisible by heads: keep heads 1 and dModel 8 unless it is the field.
        const c = resolveA2eConfig({ ...small, [field]: value, ...(field === 'heads' ? { dModel: 128 } : {}) });
        expect(c[field as keyof typeof c], `${field} = ${value}`).toBe(value);
      }
    }
  });

  it('refuses each field just outside its range, and non-integers, naming the field', () => {
    for (const [field, [min, max]] of Object.entries(RANGES)) {
      for (const value of [min - 1, max + 1, min + 0.5, Number.NaN]) {
        expect(() => resolveA2eConfig({ ...small, [field]: value }), `${field} = ${value}`).toThrow(ValidationError);
        expect(() => resolveA2eConfig({ ...small, [field]: value }), `${field} = ${value}`).toThrow(new RegExp(`^expected config\\.${field} to be an integer in \\[${min}, ${max}\\]`));
      }
    }
  });

  it('refuses sizes in range that multiply into more than 2^28 weights', () => {
    // 64 decoder layers of width 1024 and FFN 4096: 64 × (8·1024² + 2·1024·4096) ≈ 805 M weights.
    expect(() => resolveA2eConfig({ dModel: 1024, heads: 8, ffDim: 4096, decoderLayers: 64 })).toThrow(/expected a config of at most 268435456 weights, received one of about \d+/);
    // The paper's model (~41 M) is far inside it.
    expect(() => resolveA2eConfig({ decoderLayers: 16 })).not.toThrow();
  });
});
