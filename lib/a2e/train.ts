/**
 * Training the Audio-Expression prior on many speakers, and fine-tuning it to one speaker
 * (GGTalker §3.2, §3.4; docs/audio-expression-model.md).
 *
 * @module
 */

import { requireOptions, requirePath } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import { pathExists } from '../io/exists.js';
import { describeValue, requirePositiveInt } from '../validate.js';
import { checkpointPaths } from './checkpoint.js';
import type { AudioExpressionConfig } from './config.js';
import { loadExpressionClips, readSpeechDataset, type ExpressionClip, type ReadSpeechDatasetOptions } from './dataset.js';
import type { AudioEncoder } from './features.js';
import { AudioExpressionModel } from './model.js';
import { cloneParams } from './native-params.js';
import { openTrainingGroup, type DistributedSetting } from '../distributed/training-group.js';
import type { ProcessGroup } from '../distributed/process-group.js';
import { evaluateLoss, packClips, runTraining, targetStatistics, type A2eTrainHistory, type A2eTrainProgress, type A2eTrainSettings } from './train-loop.js';

/** Where training data comes from: a speech dataset folder (encoded here) or prepared clips. */
export interface A2eDataSource {
  /** A speech dataset folder (docs/synthetic-speech.md). */
  dataset?: string;
  /** Clips with features and targets already made. */
  clips?: ExpressionClip[];
  /** Encoder for `dataset` audio. Default `'log-mel'`. */
  encoder?: AudioEncoder;
  /** Accept `dataset` clip files outside its folder (see {@link ReadSpeechDatasetOptions.allowExternalFiles}). */
  allowExternalFiles?: boolean;
}

/** Options of {@link trainAudioExpressionPrior}. */
export interface TrainAudioExpressionPriorOptions extends A2eDataSource, A2eTrainSettings {
  /** Continue from this model (else a new one is made from `config`). */
  model?: AudioExpressionModel;
  /** Sizes of a new model (featureDim and speakers follow the data). */
  config?: Partial<AudioExpressionConfig>;
  /** Fraction of clips held out for validation (by clip, seeded). Default 0.1; 0 for none. */
  validationFraction?: number;
  /** Validate (and checkpoint) every this many steps. Default steps / 10. */
  validateEvery?: number;
  /** Checkpoint path (stem): written atomically during training, and resumed from when it exists. */
  checkpoint?: string;
  /** Resume from `checkpoint` when it exists. Default true. */
  resume?: boolean;
  /** Called after each chunk of steps (and validation) with the loss and learning rate. */
  onProgress?: (p: A2eTrainProgress) => void;
  /** Cancels training: it rejects with AbortError, after writing `checkpoint` when there is one. */
  signal?: AbortSignal;
  /**
   * Data-parallel training over several processes (docs/distributed-training.md): options to
   * join a group with, a {@link ProcessGroup} already joined, or `false` for none. Default: the
   * environment's (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`, as torchrun and
   * `ggtalker train-prior --nproc-per-node` set them; none when `WORLD_SIZE` is unset or 1).
   * `batch` is per rank; rank 0 writes `checkpoint` and calls `onProgress`.
   */
  distributed?: DistributedSetting;
}

/** The result of a training run. */
export interface A2eTrainResult {
  /** The trained model. */
  model: AudioExpressionModel;
  /** Training and validation losses by step. */
  history: A2eTrainHistory;
  /** Ids of the clips trained on. */
  trainClips: string[];
  /** Ids of the clips held out for validation. */
  validationClips: string[];
}

/**
 * Trains the Audio-Expression prior (Adam, warm-up + cosine learning rate, windows of
 * `window` frames, x0-prediction loss L2 + Huber on frame differences, condition dropout).
 *
 * @example
 * ```ts
 * import { trainAudioExpressionPrior } from 'ggtalker';
 *
 * const { model, history } = await trainAudioExpressionPrior({
 *   dataset: 'speech-dataset', // docs/synthetic-speech.md
 *   steps: 2000,
 *   checkpoint: 'runs/a2e', // written as it trains; a later call resumes from it
 *   onProgress: (p) => console.log(`step ${p.step}/${p.steps}: loss ${p.loss.toFixed(4)}`),
 * });
 * await model.save('a2e.json');
 * console.log(history);
 * ```
 */
export async function trainAudioExpressionPrior(options: TrainAudioExpressionPriorOptions): Promise<A2eTrainResult> {
  requireOptions('trainAudioExpressionPrior', options);
  if (options.model !== undefined && !(options.model instanceof AudioExpressionModel)) {
    throw new ValidationError(`trainAudioExpressionPrior: expected model to be an AudioExpressionModel or undefined, received ${describeValue(options.model)}`);
  }
  if (options.checkpoint !== undefined) requirePath('trainAudioExpressionPrior', options.checkpoint, 'checkpoint');
  const steps = requirePositiveInt('steps', options.steps);
  const clips = await clipsOf(options);
  const [train, validation] = splitClips(clips, options.validationFraction ?? 0.1, options.seed ?? 0);
  let model = options.model;
  let history: A2eTrainHistory = { losses: [], validation: [] };
  if (options.checkpoint && options.resume !== false && (await pathExists(checkpointPaths(options.checkpoint).json))) {
    model = await AudioExpressionModel.load(options.checkpoint);
    const saved = model.trainState?.history as A2eTrainHistory | undefined;
    if (saved) history = saved;
  }
  if (!model) {
    const speakers = [...new Set(clips.map((c) => c.speaker))];
    const dim = clips[0]!.features.shape[1]!;
    const outputDim = clips[0]!.targets.shape[1]!;
    model = await AudioExpressionModel.create({
      config: { ...options.config, featureDim: dim, outputDim, expressionCount: outputDim - 3 },
      features: { encoder: options.encoder && options.encoder !== 'log-mel' ? 'wav2vec2' : 'log-mel', dim },
      speakers,
      seed: options.seed ?? 0,
    });
    const stats = targetStatistics(train, outputDim);
    model.setNormalisation(stats.mean, stats.std);
  }
  const speakerOf = (c: ExpressionClip): number => {
    const i = model.speakers.indexOf(c.speaker);
    if (i < 0) throw new ValidationError(`clip ${c.id} is spoken by ${JSON.stringify(c.speaker)}, whom the model does not know (its speakers: ${model.speakers.join(', ')}); fine-tune to add a speaker`);
    return i;
  };
  const parallel = await openTrainingGroup(options.distributed, options.signal);
  try {
    await runTraining({
    model,
    ...(parallel.group ? { group: parallel.group } : {}),
    train: packClips(train, model, speakerOf),
    ...(validation.length > 0 ? { validation: packClips(validation, model, speakerOf) } : {}),
    settings: { ...options, steps, lr: options.lr ?? 1e-4 },
    validateEvery: options.validateEvery,
    checkpoint: options.checkpoint,
    history,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  } finally {
    parallel.release();
  }
  return { model, history, trainClips: train.map((c) => c.id), validationClips: validation.map((c) => c.id) };
}

/** Options of {@link fineTuneAudioExpression}. */
export interface FineTuneAudioExpressionOptions extends A2eDataSource, Partial<A2eTrainSettings> {
  /** The prior; it is not modified (a copy is fine-tuned). */
  model: AudioExpressionModel;
  /** The speaker to fit: an existing name, or a new one (a new embedding row starting at the mean). */
  speaker: string;
  /** Most steps. Default 500. */
  steps?: number;
  /** Fraction of clips held out for early stopping. Default 0.2 (at least one clip). */
  validationFraction?: number;
  /** Validate every this many steps. Default 25. */
  validateEvery?: number;
  /** Stop after this many validations without improvement. Default 4. */
  patience?: number;
  /** More parameter-name prefixes to freeze (the audio encoder never trains: features are precomputed). */
  freeze?: string[];
  /** Checkpoint path (stem), written atomically at each improvement. */
  checkpoint?: string;
  /** Called after each chunk of steps (and validation) with the loss and learning rate. */
  onProgress?: (p: A2eTrainProgress) => void;
  /** Cancels fine-tuning: it rejects with AbortError. */
  signal?: AbortSignal;
}

/** The result of fine-tuning. */
export interface A2eFineTuneResult extends A2eTrainResult {
  /** Validation loss before any step, and the best reached (whose weights are returned). */
  initialValidationLoss: number;
  /** The lowest validation loss reached (the returned model's). */
  bestValidationLoss: number;
  /** The step it was reached at. */
  bestStep: number;
  /** Whether training stopped on `patience` before `steps`. */
  stoppedEarly: boolean;
}

/**
 * Fine-tunes a prior to one speaker's data (lr 1e-5, early stopping on validation loss): the
 * condition encoder, time MLP, decoder and this speaker's embedding row train; other
 * speakers' rows and the audio encoder do not.
 */
export async function fineTuneAudioExpression(options: FineTuneAudioExpressionOptions): Promise<A2eFineTuneResult> {
  requireOptions('fineTuneAudioExpression', options);
  if (options.checkpoint !== undefined) requirePath('fineTuneAudioExpression', options.checkpoint, 'checkpoint');
  if (!(options.model instanceof AudioExpressionModel)) throw new ValidationError(`expected model to be an AudioExpressionModel, received ${describeValue(options.model)}`);
  if (typeof options.speaker !== 'string' || options.speaker === '') throw new ValidationError(`expected speaker to be a non-empty name, received ${describeValue(options.speaker)}`);
  const steps = requirePositiveInt('steps', options.steps ?? 500);
  const patience = requirePositiveInt('patience', options.patience ?? 4);
  const clips = await clipsOf(options);
  const fraction = options.validationFraction ?? 0.2;
  let [train, validation] = splitClips(clips, fraction, options.seed ?? 0);
  if (validation.length === 0 && clips.length > 1) [train, validation] = [clips.slice(1), clips.slice(0, 1)];
  if (validation.length === 0) throw new ValidationError('fine-tuning needs at least two clips: one is held out for early stopping');
  const isNew = !options.model.speakers.includes(options.speaker);
  const model = await options.model.clone(isNew ? { addSpeakers: [options.speaker] } : {});
  const row = model.speakerIndex(options.speaker);
  const settings = { ...options, steps, lr: options.lr ?? 1e-5 };
  const packedTrain = packClips(train, model, () => row);
  const packedVal = packClips(validation, model, () => row);
  const initial = await evaluateLoss(model, packedVal, settings, options.signal);
  // The best weights so far (a synchronous copy: validation callbacks cannot await).
  let best = { loss: initial, step: 0, weights: cloneParams(model.nativeParams()) };
  let sinceBest = 0;
  let stoppedEarly = false;
  const history: A2eTrainHistory = { losses: [], validation: [{ step: 0, loss: initial }] };
  await runTraining({
    model,
    train: packedTrain,
    validation: packedVal,
    settings,
    frozen: options.freeze ?? [],
    speakerRows: [row],
    validateEvery: options.validateEvery ?? 25,
    checkpoint: options.checkpoint,
    history,
    onProgress: options.onProgress,
    signal: options.signal,
    onValidation: (step, loss) => {
      if (loss < best.loss) {
        best = { loss, step, weights: cloneParams(model.nativeParams()) };
        sinceBest = 0;
      } else if (++sinceBest >= patience) {
        stoppedEarly = step < steps;
        return true;
      }
      return false;
    },
  });
  for (const [name, t] of best.weights) model.nativeParams().set(name, t);
  return { model, history, trainClips: train.map((c) => c.id), validationClips: validation.map((c) => c.id), initialValidationLoss: initial, bestValidationLoss: best.loss, bestStep: best.step, stoppedEarly };
}

async function clipsOf(source: A2eDataSource): Promise<ExpressionClip[]> {
  if (source.clips && source.dataset) throw new ValidationError('expected either clips or dataset, not both');
  if (source.clips) {
    if (!Array.isArray(source.clips) || source.clips.length === 0) throw new ValidationError(`expected clips to be a non-empty array, received ${describeValue(source.clips)}`);
    checkClips(source.clips);
    return source.clips;
  }
  if (source.dataset) {
    const dataset = await readSpeechDataset(source.dataset, { allowExternalFiles: source.allowExternalFiles === true });
    return loadExpressionClips(dataset, { encoder: source.encoder });
  }
  throw new ValidationError('expected training data: a dataset folder or clips');
}

/**
 * Checks clips given by the caller before any native work: each an object with a non-empty
 * `id` and `speaker`, `features` [T, F] and `targets` [T, K] float32 ndarrays with T >= 1 equal
 * in both, F and K the same for every clip, and finite values.
 *
 * @throws {@link ValidationError} naming the clip (index and id) and the field.
 */
export function checkClips(clips: readonly unknown[]): void {
  let widths: { f: number; k: number; from: string } | undefined;
  clips.forEach((raw, i) => {
    const where = (field: string): string => `clips[${i}]${typeof (raw as { id?: unknown })?.id === 'string' ? ` (${(raw as { id: string }).id})` : ''}.${field}`;
    if (typeof raw !== 'object' || raw === null) throw new ValidationError(`expected clips[${i}] to be a clip {id, speaker, features, targets}, received ${describeValue(raw)}`);
    const c = raw as Partial<Record<keyof ExpressionClip, unknown>>;
    for (const key of ['id', 'speaker'] as const) {
      if (typeof c[key] !== 'string' || c[key] === '') throw new ValidationError(`expected ${where(key)} to be a non-empty string, received ${describeValue(c[key])}`);
    }
    const matrix = (key: 'features' | 'targets'): { rows: number; cols: number; data: Float32Array } => {
      const a = c[key] as { data?: unknown; shape?: unknown; size?: unknown } | undefined;
      const shape = a?.shape;
      if (!(a?.data instanceof Float32Array) || !Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
        throw new ValidationError(`expected ${where(key)} to be a float32 ndarray [frames, width] with both at least 1, received ${describeValue(a)}`);
      }
      const [rows, cols] = shape as [number, number];
      if (a.data.length < rows * cols) throw new ValidationError(`expected ${where(key)} to hold ${rows}·${cols} values (shape [${rows}, ${cols}]), its data holds ${a.data.length}`);
      return { rows, cols, data: a.data };
    };
    const features = matrix('features');
    const targets = matrix('targets');
    if (features.rows !== targets.rows) {
      throw new ValidationError(`expected ${where('targets')} to have one row per frame of its features (${features.rows} frames of audio features), received ${targets.rows}`);
    }
    if (targets.cols < 4) throw new ValidationError(`expected ${where('targets')} to be expressions then the jaw pose (width E + 3 >= 4), received width ${targets.cols}`);
    if (widths && (widths.f !== features.cols || widths.k !== targets.cols)) {
      throw new ValidationError(`expected every clip to have the widths of ${widths.from} (features ${widths.f}, targets ${widths.k}), ${where('features')} has ${features.cols} and targets ${targets.cols}`);
    }
    widths ??= { f: features.cols, k: targets.cols, from: `clips[${i}]` };
    for (const [key, m] of [['features', features], ['targets', targets]] as const) {
      const bad = firstNonFinite(m.data);
      if (bad >= 0) throw new ValidationError(`expected ${where(key)} to hold finite values, received ${m.data[bad]} at data index ${bad}`);
    }
  });
}

/** A seeded split by clip: about `fraction` of the clips (none when fraction is 0) held out. */
export function splitClips(clips: readonly ExpressionClip[], fraction: number, seed: number): [ExpressionClip[], ExpressionClip[]] {
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw new ValidationError(`expected validationFraction in [0, 1), received ${describeValue(fraction)}`);
  const held = clips.length > 1 ? Math.min(clips.length - 1, Math.round(clips.length * fraction)) : 0;
  const order = clips.map((_, i) => i);
  let s = (seed >>> 0) + 0x9e3779b9;
  for (let i = order.length - 1; i > 0; i--) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const val = new Set(order.slice(0, held));
  return [clips.filter((_, i) => !val.has(i)), clips.filter((_, i) => val.has(i))];
}
