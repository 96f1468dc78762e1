/**
 * Ablation 1, the Audio-Expression prior (paper Table 3, "A2E"): on a held-out language's speaker
 * and on a held-out voice of a training language, lip metrics on the studio head's mesh of
 *   - an untrained model (the prior's sizes, random weights, the training targets' normalisation);
 *   - the loudness baseline (jaw ∝ RMS, fitted on the prior's clips);
 *   - the prior zero-shot (the speaker's embedding: the mean of the known speakers');
 *   - a model trained from scratch on the speaker's small fine-tune set only;
 *   - the prior fine-tuned on that set (fineTuneAudioExpression, early stopping).
 * Metrics per test clip, then the mean over clips: lip vertex error (max over lip vertices per
 * frame, mean over frames; mm) and the correlation of mouth opening with the truth.
 *
 * @module
 */

import type { ExpressionClip } from '../../a2e/dataset.js';
import { AudioExpressionModel } from '../../a2e/model.js';
import { fineTuneAudioExpression, trainAudioExpressionPrior } from '../../a2e/train.js';
import { targetStatistics } from '../../a2e/train-loop.js';
import { lipVertexError, mouthOpeningCorrelation } from '../lip-metrics.js';
import { lipVertices, tracksToVertices } from './lip-mesh.js';
import { fitLoudnessBaseline } from './loudness.js';
import type { AblationPreset } from './preset.js';
import type { A2eData, AudioClip, SpeakerSplit } from './speech-data.js';

export type A2eMethod = 'untrained' | 'loudness' | 'prior' | 'scratch' | 'prior+fine-tune';

/** One row of the lip table. */
export interface LipRow {
  split: SpeakerSplit['name'];
  method: A2eMethod;
  /** Mean over test clips. */
  lipVertexErrorMm: number;
  mouthOpeningR: number;
  clips: number;
}

export interface A2eAblation {
  rows: LipRow[];
  prior: { clips: number; speakers: number; languages: string[]; steps: number; finalLoss: number };
  fineTunes: { split: string; speaker: string; fineTuneClips: number; testClips: number; bestStep: number; stoppedEarly: boolean; initialValidationLoss: number; bestValidationLoss: number }[];
  loudness: { slope: number; intercept: number };
  seconds: { prior: number; perSpeaker: number[] };
}

type Predict = (clip: AudioClip) => Promise<Float32Array>;

async function score(split: SpeakerSplit, method: A2eMethod, predict: Predict, signal?: AbortSignal): Promise<LipRow> {
  const { vertexCount, lips, upper, lower } = lipVertices();
  let err = 0;
  let r = 0;
  for (const clip of split.test) {
    const pred = await tracksToVertices(await predict(clip), signal);
    const truth = await tracksToVertices(clip.targets.data, signal);
    err += lipVertexError(pred, truth, lips, { vertexCount });
    r += mouthOpeningCorrelation(pred, truth, upper, lower, { vertexCount });
  }
  const n = split.test.length;
  return { split: split.name, method, lipVertexErrorMm: (1000 * err) / n, mouthOpeningR: r / n, clips: n };
}

const sampler = (model: AudioExpressionModel, speaker: string | number, steps: number): Predict => async (clip) => (await model.sample(clip.features, { steps, seed: 1, speaker })).data;

/** Runs the A2E ablation on prepared data. */
export async function runA2eAblation(data: A2eData, preset: AblationPreset['a2e'], log: (m: string) => void, signal?: AbortSignal): Promise<A2eAblation> {
  const t0 = performance.now();
  const common = { batch: preset.batch, seed: 0, ...(signal ? { signal } : {}) };
  log(`a2e: training the prior on ${data.train.length} clips (${preset.priorSteps} steps)`);
  const prior = await trainAudioExpressionPrior({
    clips: data.train,
    steps: preset.priorSteps,
    lr: preset.priorLr,
    config: preset.config,
    validationFraction: 0,
    ...common,
    onProgress: (p) => p.step % 100 === 0 && log(`a2e prior: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}`),
  });
  const priorSeconds = (performance.now() - t0) / 1000;
  const K = data.train[0]!.targets.shape[1]!;
  const stats = targetStatistics(data.train as ExpressionClip[], K);
  const untrained = await AudioExpressionModel.create({ config: prior.model.config, features: prior.model.features, speakers: [...prior.model.speakers], seed: 7, normalisation: stats });
  const loudness = await fitLoudnessBaseline(data.train);
  const rows: LipRow[] = [];
  const fineTunes: A2eAblation['fineTunes'] = [];
  const perSpeaker: number[] = [];
  for (const split of data.speakers) {
    const t1 = performance.now();
    const steps = preset.sampleSteps;
    // Zero-shot: the speaker is new to the prior; its row starts at the mean embedding, as fine-tuning's does.
    const zeroShot = await prior.model.clone({ addSpeakers: [split.speaker] });
    log(`a2e ${split.name}: from scratch on ${split.fineTune.length} clips (${preset.scratchSteps} steps)`);
    const scratch = await trainAudioExpressionPrior({ clips: split.fineTune, steps: preset.scratchSteps, lr: preset.scratchLr, config: preset.config, validationFraction: 0, ...common });
    log(`a2e ${split.name}: fine-tuning the prior (at most ${preset.fineTuneSteps} steps)`);
    const tuned = await fineTuneAudioExpression({ model: prior.model, speaker: split.speaker, clips: split.fineTune, steps: preset.fineTuneSteps, lr: preset.fineTuneLr, validateEvery: 10, patience: 4, ...common });
    fineTunes.push({
      split: split.name,
      speaker: split.speaker,
      fineTuneClips: split.fineTune.length,
      testClips: split.test.length,
      bestStep: tuned.bestStep,
      stoppedEarly: tuned.stoppedEarly,
      initialValidationLoss: tuned.initialValidationLoss,
      bestValidationLoss: tuned.bestValidationLoss,
    });
    const methods: [A2eMethod, Predict][] = [
      ['untrained', sampler(untrained, 0, steps)],
      ['loudness', (c) => loudness.predict(c)],
      ['prior', sampler(zeroShot, split.speaker, steps)],
      ['scratch', sampler(scratch.model, split.speaker, steps)],
      ['prior+fine-tune', sampler(tuned.model, split.speaker, steps)],
    ];
    for (const [method, predict] of methods) rows.push(await score(split, method, predict, signal));
    perSpeaker.push((performance.now() - t1) / 1000);
    log(`a2e ${split.name}: ${rows.slice(-5).map((r) => `${r.method} ${r.lipVertexErrorMm.toFixed(2)} mm r ${r.mouthOpeningR.toFixed(3)}`).join('; ')}`);
  }
  return {
    rows,
    prior: { clips: data.train.length, speakers: prior.model.speakers.length, languages: data.languages, steps: preset.priorSteps, finalLoss: prior.history.losses.at(-1)?.loss ?? NaN },
    fineTunes,
    loudness: { slope: loudness.slope, intercept: loudness.intercept },
    seconds: { prior: priorSeconds, perSpeaker },
  };
}
