// Progress of the speech-to-expressions stage, with the shipped demo model (a real, small
// Audio-Expression model): the native sampler reports every denoising step, the wav2vec2
// encoder every layer, predictExpressions moves through features then steps, synthesize's fraction moves during the expressions stage
// (it used to sit at 0) and rendering reports only after it; aborting and a throwing callback
// still end the call.
import { setTimeout as sleep } from 'node:timers/promises';

import { beforeAll, describe, expect, it } from 'vitest';

import { AudioExpressionModel } from '../lib/a2e/model.js';
import { predictExpressions, type PredictProgress } from '../lib/a2e/predict.js';
import { Wav2Vec2Encoder } from '../lib/audio/wav2vec2.js';
import { TINY } from './helpers/a2e.js';
import { encodeAudio } from '../lib/a2e/features.js';
import { audioSamples16k } from '../lib/a2e/features.js';
import { proceduralAvatar } from '../lib/avatar/procedural-avatar.js';
import { demoAssets } from '../lib/demo-assets.js';
import { AbortError, ValidationError } from '../lib/errors.js';
import { synthesize, type SynthesizeProgress } from '../lib/synthesize/synthesize.js';

/**
 * Runs `work` while counting event-loop turns; `turn()` tells the current one. Reports that
 * the native work delivers while it runs come in other turns than its completion, so reports
 * in at least two turns show they were not all made up at the end.
 */
async function countingTurns<T>(work: (turn: () => number) => Promise<T>): Promise<T> {
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return await work(() => turn);
  } finally {
    ticking = false;
  }
}

let model: AudioExpressionModel;
let speech: Float32Array;

beforeAll(async () => {
  const assets = demoAssets();
  model = await AudioExpressionModel.load(assets.speechModel);
  // 1.5 s of the demo clip: 38 frames, several windows of the demo model.
  speech = (await audioSamples16k(assets.voiceClip)).subarray(0, 24000);
});

describe('AudioExpressionModel.sample onProgress', () => {
  it('reports every denoising step once, in order', async () => {
    const features = await encodeAudio(speech, { fps: model.features.fps });
    const steps: [number, number][] = [];
    const turns = new Set<number>();
    await countingTurns((turn) =>
      model.sample(features, {
        steps: 7,
        onProgress: (p) => {
          steps.push([p.step, p.steps]);
          turns.add(turn());
        },
      }),
    );
    expect(steps).toEqual(Array.from({ length: 7 }, (_, i) => [i + 1, 7]));
    expect(turns.size, `loop turns of the reports: ${[...turns].join(', ')}`).toBeGreaterThan(1); // reported while sampling, not only at the end
  });

  it('rejects with the callback\'s own error', async () => {
    const features = await encodeAudio(speech, { fps: model.features.fps });
    const boom = new Error('boom');
    const error = await model
      .sample(features, {
        steps: 5,
        onProgress: () => {
          throw boom;
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBe(boom);
  });

  it('refuses an onProgress that is not a function', async () => {
    const features = await encodeAudio(speech, { fps: model.features.fps });
    await expect(model.sample(features, { onProgress: 3 as never })).rejects.toThrow(ValidationError);
    await expect(model.sample(features, { onProgress: 3 as never })).rejects.toThrow(/expected onProgress to be a function, received 3/);
  });

  it('stops when aborted from a progress report, and reports nothing after', async () => {
    const features = await encodeAudio(speech, { fps: model.features.fps });
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await model
      .sample(features, {
        steps: 200,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.step);
          if (p.step === 3) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    const atRejection = seen.length;
    await sleep(200);
    expect(seen.length).toBe(atRejection);
    expect(Math.max(...seen)).toBeLessThan(200);
  });
});

describe('predictExpressions onProgress', () => {
  it('moves from the features through each step to 1, never backwards', async () => {
    const reports: { stage: string; step: number; fraction: number }[] = [];
    await predictExpressions(speech, { model, steps: 12, onProgress: (p) => reports.push({ stage: p.stage, step: p.step, fraction: p.fraction }) });
    expect(reports[0]!.stage).toBe('features');
    expect(reports[0]!.fraction).toBeGreaterThan(0);
    const sampling = reports.filter((r) => r.stage === 'sampling');
    expect(sampling.map((r) => r.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.fraction).toBeGreaterThan(reports[i - 1]!.fraction);
    expect(reports.at(-1)!.fraction).toBe(1);
  });
});

describe('wav2vec2 progress', () => {
  const fixture = new URL('./fixtures/wav2vec2/base_like.safetensors', import.meta.url).pathname;

  it('reports the feature extractor and each layer, in order', async () => {
    const encoder = await Wav2Vec2Encoder.load(fixture, { numHeads: 2 });
    const L = encoder.config.numLayers;
    const steps: [number, number][] = [];
    const turns = new Set<number>();
    // 20 s of audio: long enough that the layers take several loop turns.
    const long = new Float32Array(320000).map((_, i) => Math.sin(i / 7) * 0.3);
    await countingTurns((turn) =>
      encoder.features(long, {
        onProgress: (p) => {
          steps.push([p.step, p.steps]);
          turns.add(turn());
        },
      }),
    );
    expect(steps).toEqual(Array.from({ length: L + 1 }, (_, i) => [i + 1, L + 1]));
    expect(turns.size, `loop turns of the reports: ${[...turns].join(', ')}`).toBeGreaterThan(1); // reported while encoding, not only at the end
    // A lower layer runs fewer layers, and says so.
    const lower: number[] = [];
    await encoder.features(speech, { layer: 1, onProgress: (p) => lower.push(p.steps) });
    expect(lower).toEqual([2, 2]);
  });

  it('moves predictExpressions through the encoder before the denoising steps', async () => {
    const encoder = await Wav2Vec2Encoder.load(fixture, { numHeads: 2 });
    const w2v = await AudioExpressionModel.create({ config: TINY, features: { encoder: 'wav2vec2', dim: encoder.config.hidden } });
    const reports: PredictProgress[] = [];
    await predictExpressions(speech, { model: w2v, encoder, steps: 4, onProgress: (p) => reports.push(p) });
    const features = reports.filter((r) => r.stage === 'features');
    expect(features).toHaveLength(encoder.config.numLayers + 1);
    expect(features[0]!.fraction).toBeGreaterThan(0);
    expect(reports.filter((r) => r.stage === 'sampling').map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.fraction).toBeGreaterThan(reports[i - 1]!.fraction);
  });
});

describe('synthesize onProgress', () => {
  it('reports the expressions stage step by step before the first rendered frame', async () => {
    const avatar = await proceduralAvatar({ size: 32, uvSize: 32, a2e: model });
    const reports: SynthesizeProgress[] = [];
    const steps = 10;
    await synthesize({ avatar, audio: speech, headPose: 'still', steps, batch: 16, onProgress: (p) => reports.push({ ...p }) });
    const expressions = reports.filter((p) => p.stage === 'expressions');
    // Moving, not sitting at 0 for the whole stage: at least one report per denoising step.
    expect(expressions.filter((p) => p.fraction > 0).length).toBeGreaterThanOrEqual(steps);
    expect(expressions.at(-1)!.step).toBe(steps);
    const lastExpressions = reports.map((p) => p.stage).lastIndexOf('expressions');
    const firstRender = reports.findIndex((p) => p.stage === 'render');
    expect(firstRender).toBeGreaterThan(lastExpressions);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.fraction).toBeGreaterThanOrEqual(reports[i - 1]!.fraction);
    expect(reports.at(-1)!.fraction).toBe(1);
  });
});
