// Shared pieces of the Audio-Expression tests: the PyTorch fixture, tiny sizes, and
// synthetic clips whose targets are a smooth function of their features.
import { readFileSync } from 'node:fs';

import ndarray from 'ndarray';

import { readNpz } from '../../lib/io/npy.js';
import type { NdArrayData } from '../../lib/io/ndarray-data.js';
import type { AudioExpressionConfig, ExpressionClip } from '../../lib/index.js';
import { rng } from './scene.js';

export const FIXTURE_DIR = new URL('../fixtures/a2e/', import.meta.url).pathname;

/** The fixture's config (docs/audio-expression-model.md keys). */
export const fixtureConfig = (): AudioExpressionConfig => JSON.parse(readFileSync(`${FIXTURE_DIR}dit_tiny.json`, 'utf8')).config;

/** The fixture's inputs and reference outputs; int64 arrays as Int32Array. */
export async function fixtureIo(): Promise<Record<string, { data: Float32Array | Int32Array | Float64Array; shape: number[] }>> {
  const io = await readNpz(`${FIXTURE_DIR}dit_tiny_io.npz`);
  const out: Record<string, { data: Float32Array | Int32Array | Float64Array; shape: number[] }> = {};
  for (const [k, v] of io as Map<string, NdArrayData>) {
    out[k] = { data: v.dtype === 'int64' ? Int32Array.from(v.data as BigInt64Array, Number) : (v.data as Float32Array | Float64Array), shape: v.shape };
  }
  return out;
}

/** Small sizes that train in seconds on 2 cores. */
export const TINY: Partial<AudioExpressionConfig> = {
  dModel: 64,
  heads: 4,
  ffDim: 128,
  condLayers: 1,
  decoderLayers: 2,
  speakerDim: 16,
  timeTokens: 2,
  maxFrames: 32,
  diffusionSteps: 100,
};

/**
 * Clips of 80-wide "features" (two slow oscillations spread over the bands, plus noise) and 7
 * targets (4 expressions + jaw) that are smooth functions of them, so a model can learn them.
 */
export function syntheticClips(count: number, frames: number, seed = 1, speakers = ['A', 'B']): ExpressionClip[] {
  const r = rng(seed);
  const F = 80;
  const K = 7;
  const clips: ExpressionClip[] = [];
  for (let c = 0; c < count; c++) {
    const f = new Float32Array(frames * F);
    const y = new Float32Array(frames * K);
    const phase = r() * 6;
    const rate = 0.2 + 0.2 * r();
    for (let t = 0; t < frames; t++) {
      const a = Math.sin(phase + t * rate);
      const b = Math.cos(phase * 0.5 + t * rate * 0.6);
      for (let j = 0; j < F; j++) f[t * F + j] = (j % 2 ? a : b) * (j / F) + 0.1 * (r() - 0.5) - 5;
      y.set([a, b, a * b, 0.5 * a, 0.2 * Math.max(0, a), 0.05 * b, 0], t * K);
    }
    clips.push({ id: `clip${c}`, speaker: speakers[c % speakers.length]!, features: ndarray(f, [frames, F]), targets: ndarray(y, [frames, K]) });
  }
  return clips;
}

/** Pearson correlation, and column `k` of a row-major [T, K] array. */
export { pearson as correlation, trackColumn as column } from '../../lib/a2e/track-metrics.js';
