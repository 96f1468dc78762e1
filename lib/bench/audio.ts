// Audio front end (`npm run bench -- audio`): resampling 10 minutes of audio to 16 kHz and
// log-mel features of 10 s, as JSON lines with real-time factors (audio seconds per second).
import { logMelFeatures, resample, Wav2Vec2Encoder, WAV2VEC2_BASE, type NdArrayData } from '../index.js';
import type { BenchArgs } from './run.js';
import { median } from './stats.js';


function tone(rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: rate * seconds }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
}

export async function audioBench(args: BenchArgs): Promise<void> {
  const reps = args.reps ?? 3;
  for (const from of [48000, 44100]) {
    const x = tone(from, 600);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      resample(x, from, 16000);
      times.push((performance.now() - t0) / 1000);
    }
    const s = median(times);
    console.log(JSON.stringify({ case: 'resample', from_hz: from, to_hz: 16000, audio_s: 600, seconds: Math.round(s * 1000) / 1000, realtime_factor: Math.round(600 / s) }));
  }
  const speech = tone(16000, 10);
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    await logMelFeatures(speech);
    if (r > 0) times.push((performance.now() - t0) / 1000);
  }
  const s = median(times);
  console.log(JSON.stringify({ case: 'log-mel', audio_s: 10, seconds: Math.round(s * 10000) / 10000, realtime_factor: Math.round(10 / s) }));

  // wav2vec2-base with random weights (timing does not depend on their values).
  const encoder = Wav2Vec2Encoder.fromTensors(randomBaseWeights());
  const w2v: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    await encoder.features(speech);
    if (r > 0) w2v.push((performance.now() - t0) / 1000);
  }
  const sw = median(w2v);
  console.log(JSON.stringify({ case: 'wav2vec2-base', audio_s: 10, seconds: Math.round(sw * 1000) / 1000, realtime_factor: Math.round((10 / sw) * 10) / 10 }));
}

/** wav2vec2-base-shaped weights with HuggingFace names: small random values, unit norms. */
export function randomBaseWeights(): Record<string, NdArrayData> {
  let seed = 1;
  const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.04;
  const out: Record<string, NdArrayData> = {};
  const put = (name: string, shape: number[], fill?: number): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = { dtype: 'float32', shape, data: fill === undefined ? Float32Array.from({ length: n }, rand) : new Float32Array(n).fill(fill) };
  };
  const c = WAV2VEC2_BASE;
  const H = c.hidden, F = c.intermediate, K = c.posConvKernel;
  let inDim = 1;
  c.convDim.forEach((dim, i) => {
    put(`feature_extractor.conv_layers.${i}.conv.weight`, [dim, inDim, c.convKernel[i]!]);
    if (i === 0) {
      put('feature_extractor.conv_layers.0.layer_norm.weight', [dim], 1);
      put('feature_extractor.conv_layers.0.layer_norm.bias', [dim], 0);
    }
    inDim = dim;
  });
  put('feature_projection.layer_norm.weight', [inDim], 1);
  put('feature_projection.layer_norm.bias', [inDim], 0);
  put('feature_projection.projection.weight', [H, inDim]);
  put('feature_projection.projection.bias', [H], 0);
  put('encoder.pos_conv_embed.conv.weight_g', [1, 1, K], 1);
  put('encoder.pos_conv_embed.conv.weight_v', [H, H / c.posConvGroups, K]);
  put('encoder.pos_conv_embed.conv.bias', [H], 0);
  put('encoder.layer_norm.weight', [H], 1);
  put('encoder.layer_norm.bias', [H], 0);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layers.${l}.`;
    for (const proj of ['q', 'k', 'v', 'out']) {
      put(`${p}attention.${proj}_proj.weight`, [H, H]);
      put(`${p}attention.${proj}_proj.bias`, [H], 0);
    }
    for (const ln of ['layer_norm', 'final_layer_norm']) {
      put(`${p}${ln}.weight`, [H], 1);
      put(`${p}${ln}.bias`, [H], 0);
    }
    put(`${p}feed_forward.intermediate_dense.weight`, [F, H]);
    put(`${p}feed_forward.intermediate_dense.bias`, [F], 0);
    put(`${p}feed_forward.output_dense.weight`, [H, F]);
    put(`${p}feed_forward.output_dense.bias`, [H], 0);
  }
  return out;
}
