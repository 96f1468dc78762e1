// Audio features at the video frame rate: interpolation at frame centres, frame counts, time
// alignment of a tone onset, accepted audio forms, and which encoder a model needs.
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';

import { AudioExpressionModel, encodeAudio, predictExpressions, resampleFeatures, ValidationError, videoFrameCount, Wav2Vec2Encoder } from '../lib/index.js';
import { TINY } from './helpers/a2e.js';

const ramp = (T: number, F: number) => ndarray(Float32Array.from({ length: T * F }, (_, i) => Math.floor(i / F) + (i % F) * 1000), [T, F]);

describe('resampleFeatures', () => {
  it('interpolates linearly at each output frame centre (50 Hz -> 25 fps: frame i at input 2i + 1 - offset·50)', () => {
    const out = resampleFeatures(ramp(100, 2), { frames: 50, fps: 25 });
    for (let i = 0; i < 49; i++) {
      expect(out.get(i, 0)).toBeCloseTo(2 * i + 1, 5);
      expect(out.get(i, 1)).toBeCloseTo(2 * i + 1 + 1000, 3);
    }
    const shifted = resampleFeatures(ramp(100, 1), { frames: 50, fps: 25, offsetSeconds: 0.0125 });
    expect(shifted.get(10, 0)).toBeCloseTo(21 - 0.625, 5);
  });

  it('handles other frame rates and clamps at both ends', () => {
    const out = resampleFeatures(ramp(10, 1), { frames: 8, fps: 30 });
    expect(out.get(0, 0)).toBeCloseTo((0.5 / 30) * 50, 5);
    const past = resampleFeatures(ramp(10, 1), { frames: 40, fps: 25 });
    expect(past.get(39, 0)).toBe(9);
    expect(() => resampleFeatures(ramp(0, 3), { frames: 2 })).toThrow(/at least one feature frame/);
  });
});

describe('encodeAudio', () => {
  it('gives round(duration · fps) log-mel frames aligned in time with the audio', async () => {
    // 1.5 s: silence, then a 440 Hz tone from 1.0 s.
    const samples = Float32Array.from({ length: 24000 }, (_, i) => (i >= 16000 ? 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000) : 0));
    const f = await encodeAudio(samples, { fps: 25 });
    expect(f.shape).toEqual([videoFrameCount(24000, 16000, 25), 80]);
    expect(f.shape[0]).toBe(38);
    const energy = (t: number) => Math.max(...Array.from({ length: 80 }, (_, k) => f.get(t, k)));
    expect(energy(22)).toBeLessThan(-10); // before the onset (frame 22 ends at 0.92 s)
    expect(energy(27)).toBeGreaterThan(0); // after it
  });

  it('accepts samples at other rates and WAV paths, and rejects anything else', async () => {
    const tone = Float32Array.from({ length: 8000 }, (_, i) => Math.sin((2 * Math.PI * 300 * i) / 8000));
    const f = await encodeAudio({ samples: tone, sampleRate: 8000 }, { fps: 25 });
    expect(f.shape).toEqual([25, 80]);
    await expect(encodeAudio(42 as never)).rejects.toThrow(ValidationError);
    await expect(encodeAudio(new Float32Array(100), { encoder: 'mfcc' as never })).rejects.toThrow(/log-mel.*Wav2Vec2Encoder/);
  });

  it('uses a wav2vec2 encoder and pads clips shorter than its receptive field', async () => {
    const encoder = await Wav2Vec2Encoder.load(new URL('./fixtures/wav2vec2/base_like.safetensors', import.meta.url).pathname, { numHeads: 2 });
    const f = await encodeAudio(new Float32Array(16000).map((_, i) => Math.sin(i / 7)), { encoder, fps: 25 });
    expect(f.shape).toEqual([25, encoder.config.hidden]);
    const short = await encodeAudio(new Float32Array(350).fill(0.1), { encoder, fps: 25 }); // < 400 samples
    expect(short.shape).toEqual([1, encoder.config.hidden]);
    expect(Array.from(short.data).every(Number.isFinite)).toBe(true);
  });
});

describe('which encoder a model needs', () => {
  it('names the mismatch', async () => {
    const logMel = await AudioExpressionModel.create({ config: TINY });
    const encoder = await Wav2Vec2Encoder.load(new URL('./fixtures/wav2vec2/base_like.safetensors', import.meta.url).pathname, { numHeads: 2 });
    await expect(predictExpressions(new Float32Array(1600), { model: logMel, encoder })).rejects.toThrow(/reads log-mel/);
    const w2v = await AudioExpressionModel.create({ config: TINY, features: { encoder: 'wav2vec2', dim: 768 } });
    await expect(predictExpressions(new Float32Array(1600), { model: w2v })).rejects.toThrow(/wav2vec2 features of width 768: pass encoder/);
    await expect(predictExpressions(new Float32Array(1600), { model: w2v, encoder })).rejects.toThrow(new RegExp(`width 768, but the encoder given is ${encoder.config.hidden} wide`));
    await expect(predictExpressions(new Float32Array(1600), {} as never)).rejects.toThrow(/options.model/);
  });
});
