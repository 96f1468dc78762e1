// The wav2vec 2.0 encoder against torchaudio's wav2vec2_model (fixtures made by
// test/fixtures/wav2vec2/make_fixture.py with Debian's python3-torchaudio): a tiny group-norm /
// post-LN model (like base) and a tiny layer-norm / pre-LN model (like large), layers 0, 1, 2.
import { describe, expect, it } from 'vitest';

import { readNpz, readSafetensors, ValidationError, Wav2Vec2Encoder, wav2vec2Frames, WAV2VEC2_BASE, type NdArrayData } from '../lib/index.js';
import { relativeError } from './helpers/scene.js';

const dir = new URL('./fixtures/wav2vec2/', import.meta.url).pathname;
const samples = (await readNpz(dir + 'input.npz')).get('samples')!.data as Float32Array;
// torchaudio does not normalise the waveform; the tiny models' heads cannot be read from weights.
const TINY = { numHeads: 2, doNormalize: false };


describe.each(['base_like', 'large_like'])('Wav2Vec2Encoder (%s)', (name) => {
  it('matches torchaudio at layers 0, 1 and 2 (max relative error 1e-4)', async () => {
    const encoder = await Wav2Vec2Encoder.load(dir + name + '.safetensors', TINY);
    expect(encoder.config.layerNormFirst).toBe(name === 'large_like');
    expect(encoder.config.numLayers).toBe(2);
    const expected = await readNpz(dir + name + '.npz');
    for (const layer of [0, 1, 2]) {
      const ref = expected.get(`layer_${layer}`)!;
      const features = await encoder.features(samples, layer === 2 ? {} : { layer });
      expect(features.shape).toEqual(ref.shape);
      const err = relativeError(features.data, ref.data as Float32Array);
      console.log(`${name} layer ${layer}: max relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe('wav2vec2 frames and errors', () => {
  const weights = async (): Promise<Map<string, NdArrayData>> => (await readSafetensors(dir + 'base_like.safetensors')).tensors;

  it('makes floor((T - 400) / 320) + 1 frames with the standard extractor', async () => {
    expect(wav2vec2Frames(16000)).toBe(49);
    expect(wav2vec2Frames(399)).toBe(0);
    expect(wav2vec2Frames(400)).toBe(1);
    for (const n of [400, 719, 720, 8000, 12345]) expect(wav2vec2Frames(n, WAV2VEC2_BASE)).toBe(Math.floor((n - 400) / 320) + 1);
    const encoder = Wav2Vec2Encoder.fromTensors(await weights(), TINY);
    for (const n of [400, 720, 1999]) expect((await encoder.features(samples.subarray(0, n))).shape).toEqual([wav2vec2Frames(n), 32]);
    await expect(encoder.features(samples.subarray(0, 399))).rejects.toThrow(/enough samples for one wav2vec2 frame/);
  });

  it('normalises per utterance when doNormalize is on (scale- and offset-free)', async () => {
    const encoder = Wav2Vec2Encoder.fromTensors(await weights(), { numHeads: 2, doNormalize: true });
    const a = await encoder.features(samples, { layer: 1 });
    const b = await encoder.features(samples.map((x) => 3 * x + 0.25), { layer: 1 });
    expect(relativeError(b.data, a.data)).toBeLessThan(1e-4);
    // The same as HF's (x - mean) / sqrt(var + 1e-7) done here, then no normalisation.
    const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
    const variance = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / samples.length;
    const normalised = samples.map((x) => (x - mean) / Math.sqrt(variance + 1e-7));
    const c = await Wav2Vec2Encoder.fromTensors(await weights(), TINY).features(normalised, { layer: 1 });
    expect(relativeError(c.data, a.data)).toBeLessThan(1e-4);
  });

  it('names a missing key and a wrong shape', async () => {
    const missing = await weights();
    missing.delete('wav2vec2.encoder.layers.1.feed_forward.output_dense.bias');
    await expect(Wav2Vec2Encoder.fromTensors(missing, TINY).features(samples)).rejects.toThrow(
      /wav2vec2 weights lack encoder\.layers\.1\.feed_forward\.output_dense\.bias/,
    );
    const wrong = await weights();
    wrong.set('wav2vec2.encoder.layers.0.attention.k_proj.weight', { dtype: 'float32', shape: [32, 31], data: new Float32Array(32 * 31) });
    await expect(Wav2Vec2Encoder.fromTensors(wrong, TINY).features(samples)).rejects.toThrow(
      /expected wav2vec2 weight encoder\.layers\.0\.attention\.k_proj\.weight of shape \[32, 32\], received shape \[32, 31\]/,
    );
    expect(() => Wav2Vec2Encoder.fromTensors(wrong)).toThrow(/pass config\.numHeads/);
    const encoder = Wav2Vec2Encoder.fromTensors(await weights(), TINY);
    await expect(encoder.features(samples, { layer: 3 })).rejects.toThrow(ValidationError);
    await expect(encoder.features(samples, { layer: 3 })).rejects.toThrow(/at most 2/);
  });
});
