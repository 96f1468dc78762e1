/**
 * The loudness baseline of the lip metrics: jaw opening (jaw pose x) an affine function of each
 * video frame's RMS loudness, fitted by least squares on the prior's training clips; every other
 * output is its training mean. What a talking head gets without any model of speech.
 *
 * @module
 */

import { audioSamples16k } from '../../a2e/features.js';
import type { AudioClip } from './speech-data.js';

/** RMS of each frame's 1/fps seconds of 16 kHz audio, [T]. */
async function frameLoudness(audio: string, frames: number, fps = 25): Promise<Float64Array> {
  const samples = await audioSamples16k(audio);
  const hop = 16000 / fps;
  return Float64Array.from({ length: frames }, (_, t) => {
    const a = samples.subarray(Math.round(t * hop), Math.round((t + 1) * hop));
    let s = 0;
    for (const v of a) s += v * v;
    return Math.sqrt(s / Math.max(1, a.length));
  });
}

/** A fitted loudness model: `predict(clip)` gives tracks [T, K]. */
export interface LoudnessBaseline {
  slope: number;
  intercept: number;
  predict(clip: AudioClip): Promise<Float32Array>;
}

/** Fits jaw x = slope · rms + intercept on `train` (K = the clips' target width; jaw x is column K − 3). */
export async function fitLoudnessBaseline(train: readonly AudioClip[]): Promise<LoudnessBaseline> {
  const K = train[0]!.targets.shape[1]!;
  const jaw = K - 3;
  const mean = new Float64Array(K);
  let n = 0;
  let [sx, sy, sxx, sxy] = [0, 0, 0, 0];
  for (const clip of train) {
    const T = clip.targets.shape[0]!;
    const rms = await frameLoudness(clip.audio, T);
    for (let t = 0; t < T; t++) {
      const y = clip.targets.data[t * K + jaw]!;
      for (let k = 0; k < K; k++) mean[k]! += clip.targets.data[t * K + k]!;
      sx += rms[t]!;
      sy += y;
      sxx += rms[t]! ** 2;
      sxy += rms[t]! * y;
      n++;
    }
  }
  for (let k = 0; k < K; k++) mean[k]! /= n;
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  return {
    slope,
    intercept,
    async predict(clip) {
      const T = clip.targets.shape[0]!;
      const rms = await frameLoudness(clip.audio, T);
      const out = new Float32Array(T * K);
      for (let t = 0; t < T; t++) {
        out.set(mean, t * K);
        out[t * K + jaw] = slope * rms[t]! + intercept;
      }
      return out;
    },
  };
}
