// The Audio-Expression model on the project's synthetic speech (espeak-ng audio with jaw and
// lip tracks from its phoneme timings): a tiny model overfits a tiny set, predictExpressions
// runs from a WAV file, and a stream of 40 ms audio chunks yields every frame once, with
// bounded latency and no seams.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { audioSamples16k, ExpressionStream, loadExpressionClips, predictExpressions, readSpeechDataset, trainAudioExpressionPrior, type ExpressionClip, type SpeechDataset } from '../lib/index.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { column, correlation, TINY } from './helpers/a2e.js';

let dir: string;
let dataset: SpeechDataset;
let clips: ExpressionClip[];
let trained: Awaited<ReturnType<typeof trainAudioExpressionPrior>>;
let K: number;
let jaw: number;
let press: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-speech-'));
  await makeSyntheticSpeechDataset({ out: dir, clips: 6, seed: 1, languages: ['en', 'de'] });
  dataset = await readSpeechDataset(dir);
  clips = await loadExpressionClips(dataset);
  K = clips[0]!.targets.shape[1]!;
  jaw = K - 3; // jaw pose x (the mouth-opening rotation)
  press = dataset.expressionNames.indexOf('lip_press');
  trained = await trainAudioExpressionPrior({ clips, steps: 800, batch: 32, lr: 1e-3, config: TINY, validationFraction: 0, seed: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('Audio-Expression model on synthetic speech', () => {
  it('has 20 outputs per frame (17 expressions + jaw pose) and log-mel features at 25 fps', () => {
    expect(K).toBe(20);
    expect(press).toBeGreaterThanOrEqual(0);
    expect(clips[0]!.features.shape).toEqual([dataset.clips[0]!.frames, 80]);
  });

  it('a tiny model overfits: loss falls >= 10x, sampled jaw and lip-press track the targets (r >= 0.9)', async () => {
    const losses = trained.history.losses.map((l) => l.loss);
    expect(mean(losses.slice(0, 10)) / mean(losses.slice(-20))).toBeGreaterThanOrEqual(10);
    for (const clip of clips.slice(0, 3)) {
      const out = await trained.model.sample(clip.features, { steps: 25, seed: 1 });
      expect(correlation(column(clip.targets.data, K, jaw), column(out.data, K, jaw)), `${clip.id} jaw`).toBeGreaterThanOrEqual(0.9);
      expect(correlation(column(clip.targets.data, K, press), column(out.data, K, press)), `${clip.id} lip_press`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('predictExpressions reads the WAV file and returns one row per video frame', async () => {
    const info = dataset.clips[1]!;
    const tracks = await predictExpressions(info.audio, { model: trained.model, seed: 1 });
    expect(tracks.frames).toBe(info.frames);
    expect(tracks.expression.shape).toEqual([info.frames, 17]);
    expect(tracks.jawPose.shape).toEqual([info.frames, 3]);
    const target = clips.find((c) => c.id === info.id)!;
    expect(correlation(column(target.targets.data, K, jaw), column(tracks.jawPose.data, 3, 0))).toBeGreaterThanOrEqual(0.9);
  });

  it('streams 40 ms chunks: every frame once, in order, latency within the window bound, no seams', async () => {
    const info = dataset.clips[0]!;
    const samples = await audioSamples16k(info.audio);
    const stream = new ExpressionStream({ model: trained.model, seed: 1, steps: 25 });
    const chunk = 640; // 40 ms
    const rows: number[][] = [];
    let next = 0;
    const latencies: number[] = [];
    const boundaries = new Set<number>();
    const take = (chunks: Awaited<ReturnType<ExpressionStream['push']>>) => {
      for (const c of chunks) {
        expect(c.startFrame).toBe(next);
        if (c.startFrame > 0) boundaries.add(c.startFrame);
        next += c.frames;
        const bound = c.startFrame === 0 ? stream.maxBufferedSeconds : stream.steadyBufferedSeconds;
        expect(c.bufferedSeconds).toBeLessThanOrEqual(bound + chunk / 16000 + 1e-9);
        latencies.push(c.latencySeconds);
        for (let t = 0; t < c.frames; t++) rows.push([c.jawPose.data[t * 3]!]);
      }
    };
    for (let i = 0; i < samples.length; i += chunk) take(await stream.push(samples.slice(i, i + chunk)));
    take(await stream.end());
    expect(next).toBe(info.frames);
    const streamed = rows.map((r) => r[0]!);
    const target = column(clips[0]!.targets.data, K, jaw);
    expect(correlation(target, streamed)).toBeGreaterThanOrEqual(0.85);
    // Seams: the jump between chunks is no larger than jumps inside chunks (the window continues
    // from the frames already sent, so there is no discontinuity at its start).
    const step = (t: number) => Math.abs(streamed[t]! - streamed[t - 1]!);
    const atSeams = [...boundaries].filter((t) => t < streamed.length).map(step);
    const inside = streamed.map((_, t) => t).filter((t) => t > 0 && !boundaries.has(t)).map(step);
    expect(mean(atSeams)).toBeLessThan(1.5 * mean(inside) + 1e-4);
    expect(Math.max(...latencies)).toBeLessThan(stream.maxBufferedSeconds + chunk / 16000 + 2);
  });

  it('rejects misuse of a stream', async () => {
    const stream = new ExpressionStream({ model: trained.model });
    await expect(stream.push(new Float64Array(10) as unknown as Float32Array)).rejects.toThrow(/Float32Array/);
    await stream.end();
    await expect(stream.push(new Float32Array(10))).rejects.toThrow(/after end/);
  });
});
