// Training and fine-tuning the Audio-Expression model on synthetic clips whose targets are
// smooth functions of their features: overfitting, each speaker's style on clips not trained
// on, seamless long sequences, deterministic resume after an abort, checkpoints, and what
// fine-tuning may and may not change.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AbortError, AudioExpressionModel, fineTuneAudioExpression, FormatError, trainAudioExpressionPrior, type A2eTrainProgress, type ExpressionClip } from '../lib/index.js';
import { column, correlation, syntheticClips, TINY } from './helpers/a2e.js';

const K = 7;
let dir: string;
let clips: ExpressionClip[];
let trained: Awaited<ReturnType<typeof trainAudioExpressionPrior>>;
/** Speaker B's style: the same mapping from the same kind of audio, 1.6x the amplitude (A's is 1). */
const STYLE_B = 1.6;
const scaled = (c: ExpressionClip, by: number): ExpressionClip => ({ ...c, targets: ndarray(c.targets.data.map((v) => v * by), c.targets.shape) });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-a2e-'));
  clips = syntheticClips(6, 60, 1).map((c) => (c.speaker === 'B' ? scaled(c, STYLE_B) : c));
  trained = await trainAudioExpressionPrior({ clips, steps: 600, batch: 32, lr: 1e-3, config: TINY, validationFraction: 0, seed: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('trainAudioExpressionPrior', () => {
  it('overfits a tiny set: the loss falls at least 10x and samples track the targets (r >= 0.9)', async () => {
    const losses = trained.history.losses.map((l) => l.loss);
    expect(losses).toHaveLength(600);
    const ratio = mean(losses.slice(0, 10)) / mean(losses.slice(-20));
    expect(ratio).toBeGreaterThanOrEqual(10);
    for (const clip of clips.slice(0, 2)) {
      const out = await trained.model.sample(clip.features, { steps: 25, seed: 1 });
      for (let k = 0; k < 4; k++) {
        expect(correlation(column(clip.targets.data, K, k), column(out.data, K, k)), `${clip.id} channel ${k}`).toBeGreaterThanOrEqual(0.9);
      }
    }
  });

  it("samples each speaker's style on clips it was not trained on (B / A amplitude >= 1.3; ignoring the speaker gives 1)", async () => {
    // Amplitude: RMS about each channel's mean over the 4 moving channels, averaged over the clips.
    const amplitude = (data: ArrayLike<number>) => {
      let sum = 0;
      let n = 0;
      for (let k = 0; k < 4; k++) {
        const c = column(data, K, k);
        const m = mean(Array.from(c));
        for (const v of c) sum += (v - m) ** 2;
        n += c.length;
      }
      return Math.sqrt(sum / n);
    };
    const heldOut = syntheticClips(3, 60, 77); // other phases and rates than the training clips
    const amp = { A: 0, B: 0, truth: 0 };
    for (const clip of heldOut) {
      for (const speaker of ['A', 'B'] as const) {
        const out = await trained.model.sample(clip.features, { steps: 25, seed: 1, speaker });
        amp[speaker] += amplitude(out.data) / heldOut.length;
        if (speaker === 'B') expect(correlation(column(clip.targets.data, K, 0), column(out.data, K, 0)), `${clip.id} B channel 0`).toBeGreaterThanOrEqual(0.8);
      }
      amp.truth += amplitude(clip.targets.data) / heldOut.length;
    }
    console.log(`held-out amplitude: A ${(amp.A / amp.truth).toFixed(3)}x, B ${(amp.B / amp.truth).toFixed(3)}x the unstyled truth, B / A ${(amp.B / amp.A).toFixed(3)}`);
    expect(amp.B / amp.A).toBeGreaterThanOrEqual(1.3);
    expect(Math.abs(amp.A / amp.truth - 1)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(amp.B / amp.truth - STYLE_B) / STYLE_B).toBeLessThanOrEqual(0.2);
  });

  it('joins the windows of a long sequence as smoothly as the inside of a window', async () => {
    const long = syntheticClips(1, 240, 9)[0]!;
    const window = 10;
    const overlap = 4;
    const out = await trained.model.sample(long.features, { steps: 25, seed: 2, window, overlap });
    // Window k covers [6k, 6k + 10): the blend regions (the joints) are the overlaps.
    const joint = new Set<number>();
    for (let s = window - overlap; s + overlap < 240; s += window - overlap) for (let t = s; t < s + overlap; t++) joint.add(t);
    const jerk = (t: number, k: number) => Math.abs(out.data[(t + 1) * K + k]! - 2 * out.data[t * K + k]! + out.data[(t - 1) * K + k]!);
    const atJoints: number[] = [];
    const inside: number[] = [];
    for (let t = 1; t < 239; t++) for (let k = 0; k < 4; k++) (joint.has(t) ? atJoints : inside).push(jerk(t, k));
    expect(mean(atJoints) / mean(inside)).toBeLessThan(1.5);
    expect(correlation(column(long.targets.data, K, 0), column(out.data, K, 0))).toBeGreaterThan(0.8);
  });

  it('reports progress up to the last step and validates on held-out clips', async () => {
    const events: A2eTrainProgress[] = [];
    const r = await trainAudioExpressionPrior({ clips, steps: 20, batch: 4, config: TINY, validationFraction: 0.34, validateEvery: 5, onProgress: (p) => events.push(p) });
    expect(r.validationClips).toHaveLength(2);
    expect(r.trainClips.filter((id) => r.validationClips.includes(id))).toEqual([]);
    expect(events.at(-1)!.step).toBe(20);
    expect(events.at(-1)!.fraction).toBe(1);
    expect(events.map((e) => e.step)).toEqual([...events.map((e) => e.step)].sort((a, b) => a - b));
    expect(r.history.validation.map((v) => v.step)).toEqual([5, 10, 15, 20]);
  });

  it('resumes after an abort exactly as if never interrupted', async () => {
    const settings = { clips, steps: 30, batch: 4, config: TINY, validationFraction: 0, seed: 3, validateEvery: 4 };
    const straight = await trainAudioExpressionPrior(settings);
    const ck = join(dir, 'resume');
    const controller = new AbortController();
    const err = await trainAudioExpressionPrior({
      ...settings,
      checkpoint: ck,
      onProgress: (p) => {
        if (p.step >= 12) controller.abort();
      },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    const saved = JSON.parse(await readFile(`${ck}.json`, 'utf8'));
    expect(saved.train.step).toBeGreaterThanOrEqual(12);
    expect(saved.train.step).toBeLessThan(30);
    const resumed = await trainAudioExpressionPrior({ ...settings, checkpoint: ck });
    expect(resumed.history.losses).toHaveLength(30);
    for (const name of ['dec.out_proj.weight', 'cond.in_proj.weight', 'speaker.embedding']) {
      expect(Array.from(resumed.model.parameter(name).data), name).toEqual(Array.from(straight.model.parameter(name).data));
    }
  });

  it('rejects clips of the wrong width and speakers the model does not know', async () => {
    const bad = [{ ...clips[0]!, features: ndarray(new Float32Array(60 * 79), [60, 79]) }];
    await expect(trainAudioExpressionPrior({ clips: bad, steps: 1, model: trained.model })).rejects.toThrow(/width 80, received 79/);
    const stranger = [{ ...clips[0]!, speaker: 'Z' }];
    await expect(trainAudioExpressionPrior({ clips: stranger, steps: 1, model: trained.model })).rejects.toThrow(/"Z".*fine-tune/);
    await expect(trainAudioExpressionPrior({ clips, steps: 0 })).rejects.toThrow(/steps/);
    const short = syntheticClips(1, 5, 2);
    await expect(trainAudioExpressionPrior({ clips: short, steps: 1, config: TINY, validationFraction: 0 })).rejects.toThrow(/at least one clip of 10 frames/);
  });
});

describe('checkpoints', () => {
  it('save and load give a model that samples identically', async () => {
    const path = join(dir, 'prior');
    await trained.model.save(path);
    const loaded = await AudioExpressionModel.load(path);
    expect(loaded.speakers).toEqual(trained.model.speakers);
    const f = clips[1]!.features;
    const a = await trained.model.sample(f, { seed: 7, steps: 10 });
    const b = await loaded.sample(f, { seed: 7, steps: 10 });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('a torn pair (weights from another save) is detected', async () => {
    const a = join(dir, 'torn-a');
    const b = join(dir, 'torn-b');
    await trained.model.save(a);
    const other = await AudioExpressionModel.create({ config: TINY, speakers: ['A', 'B'], seed: 9 });
    await other.save(b);
    await writeFile(`${a}.safetensors`, await readFile(`${b}.safetensors`));
    await expect(AudioExpressionModel.load(a)).rejects.toThrow(FormatError);
    await expect(AudioExpressionModel.load(a)).rejects.toThrow(/CRC-32/);
    await expect(AudioExpressionModel.load(join(dir, 'missing'))).rejects.toThrow(/missing\.json.*no such checkpoint/);
  });
});

describe('fineTuneAudioExpression', () => {
  // A new speaker who opens wider: the same mapping, 1.6x the amplitude.
  const style = () => syntheticClips(5, 60, 21, ['C']).map((c) => scaled(c, 1.6));

  it('fits a new speaker: only its embedding row and the unfrozen layers change, the prior is untouched', async () => {
    const prior = trained.model;
    const before = (name: string) => Array.from(prior.parameter(name).data);
    const embedding = before('speaker.embedding');
    const decoder = before('dec.layers.0.self_attn.q.weight');
    const r = await fineTuneAudioExpression({ model: prior, speaker: 'C', clips: style(), steps: 150, lr: 1e-3, batch: 16, validateEvery: 25, patience: 10, freeze: ['dec.layers.0.'] });
    expect(r.model.speakers).toEqual(['A', 'B', 'C']);
    expect(before('speaker.embedding')).toEqual(embedding); // the prior is not modified
    const tuned = Array.from(r.model.parameter('speaker.embedding').data);
    const width = TINY.speakerDim!;
    expect(tuned.slice(0, 2 * width)).toEqual(embedding); // rows A and B unchanged
    expect(Array.from(r.model.parameter('dec.layers.0.self_attn.q.weight').data)).toEqual(decoder); // frozen
    expect(Array.from(r.model.parameter('dec.layers.1.self_attn.q.weight').data)).not.toEqual(before('dec.layers.1.self_attn.q.weight'));
    expect(r.bestValidationLoss).toBeLessThan(0.8 * r.initialValidationLoss);
  });

  it('stops early when validation stops improving and keeps the best weights', async () => {
    const r = await fineTuneAudioExpression({ model: trained.model, speaker: 'A', clips: syntheticClips(4, 60, 31, ['A']), steps: 400, lr: 5e-2, batch: 8, validateEvery: 10, patience: 2 });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.losses.length).toBeLessThan(400);
    expect(r.bestValidationLoss).toBe(Math.min(...r.history.validation.map((v) => v.loss)));
  });

  it('uses lr 1e-5 by default and needs two clips', async () => {
    const r = await fineTuneAudioExpression({ model: trained.model, speaker: 'A', clips: syntheticClips(2, 40, 41, ['A']), steps: 30, validateEvery: 10, batch: 4 });
    expect(r.model.trainState!.lr).toBe(1e-5);
    await expect(fineTuneAudioExpression({ model: trained.model, speaker: 'A', clips: syntheticClips(1, 40, 41, ['A']) })).rejects.toThrow(/two clips/);
  });
});
