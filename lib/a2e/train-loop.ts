/**
 * The optimisation loop shared by prior training and fine-tuning: clips packed once into
 * native tensors, native training steps run in chunks sized to ~0.25 s (so progress is
 * reported and `signal` honoured between chunks), periodic validation and atomic checkpoints.
 *
 * @module
 */

import { asDistributedError, type ProcessGroup } from '../distributed/process-group.js';
import { requireSameOnEveryRank } from '../distributed/training-group.js';
import { AbortError, ValidationError } from '../errors.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { nativeAsync, nativeCall } from '../tensor.js';
import type { ExpressionClip } from './dataset.js';
import type { AudioExpressionModel } from './model.js';
import { flattenNamed, toParamObject } from './native-params.js';

/** Loss and optimiser settings (docs/audio-expression-model.md, "Training"). */
export interface A2eTrainSettings {
  /** Optimisation steps in all (a resumed run continues up to it). */
  steps: number;
  /** Windows per step. Default 16. */
  batch?: number;
  /** Frames per window (the paper's n = 10). Default 10. */
  window?: number;
  /** Peak learning rate. Default 1e-4 (priors); fine-tuning defaults to 1e-5. */
  lr?: number;
  /** Linear warm-up steps. Default min(100, steps / 10). */
  warmupSteps?: number;
  /** The cosine decay ends at lr · minLrFactor. Default 0.1. */
  minLrFactor?: number;
  /** Weight of the expression (L2) term of the loss. Default 1. */
  lambdaExp?: number;
  /** Weight of the temporal term (Huber on frame-to-frame differences). Default 1. */
  lambdaTemp?: number;
  /** Huber threshold of the temporal term. Default 1. */
  huberDelta?: number;
  /** Probability of dropping the audio condition (classifier-free guidance). Default 0.1. */
  condDrop?: number;
  /** Global gradient-norm clip (0: none). Default 1. */
  gradClip?: number;
  /** Seed of the batches, timesteps and noise. Default 0. */
  seed?: number;
}

/** Progress of a training run. */
export interface A2eTrainProgress {
  /** Steps done (1..steps). */
  step: number;
  /** Training samples (windows) drawn so far, over all ranks. */
  samplesSeen: number;
  /** Steps in all. */
  steps: number;
  /** 0..1 over the run. */
  fraction: number;
  /** Mean training loss of the last chunk of steps. */
  loss: number;
  /** Learning rate of the last step. */
  lr: number;
  /** Mean validation loss, on steps where validation ran. */
  validationLoss?: number;
  /** Seconds since training started. */
  elapsedSeconds: number;
  /** Data-parallel runs: milliseconds per step spent waiting for the gradient all-reduce (the part the backward pass did not hide), over the last chunk. */
  allreduceWaitMs?: number;
}

/** A record of a run: training losses per step and validation losses. */
export interface A2eTrainHistory {
  /** Mean training loss of each chunk of steps, by step. */
  losses: {
    /** The step. */
    step: number;
    /** The loss. */
    loss: number;
  }[];
  /** Mean validation loss at each validation, by step. */
  validation: {
    /** The step. */
    step: number;
    /** The loss. */
    loss: number;
  }[];
}

/** Native tensors of a clip set. */
export interface PackedClips {
  data: Record<string, NativeTensor>;
  frames: number;
  clips: number;
}

/** Lays clips end to end as native tensors; `speakerOf` maps a clip to its embedding row. */
export function packClips(clips: readonly ExpressionClip[], model: AudioExpressionModel, speakerOf: (clip: ExpressionClip) => number): PackedClips {
  const f = model.config.featureDim;
  const k = model.config.outputDim;
  let frames = 0;
  clips.forEach((c, i) => {
    const t = c.features.shape[0]!;
    if (c.features.shape[1] !== f) throw new ValidationError(`expected clip ${i} (${c.id}) features of width ${f}, received ${c.features.shape[1]}`);
    if (c.targets.shape[0] !== t || c.targets.shape[1] !== k) {
      throw new ValidationError(`expected clip ${i} (${c.id}) targets of shape [${t}, ${k}], received [${c.targets.shape.join(', ')}]`);
    }
    frames += t;
  });
  const features = new Float32Array(frames * f);
  const targets = new Float32Array(frames * k);
  const start = new Int32Array(clips.length);
  const length = new Int32Array(clips.length);
  const speaker = new Int32Array(clips.length);
  let at = 0;
  clips.forEach((c, i) => {
    const t = c.features.shape[0]!;
    features.set(contiguous(c.features, t * f), at * f);
    targets.set(contiguous(c.targets, t * k), at * k);
    start[i] = at;
    length[i] = t;
    speaker[i] = speakerOf(c);
    at += t;
  });
  const T = native().Tensor;
  const data = nativeCall(() => ({
    features: T.fromArray(features, [frames, f]),
    targets: T.fromArray(targets, [frames, k]),
    clipStart: T.fromArray(start, [clips.length]),
    clipLength: T.fromArray(length, [clips.length]),
    clipSpeaker: T.fromArray(speaker, [clips.length]),
  }));
  return { data, frames, clips: clips.length };
}

function contiguous(a: { data: Float32Array; offset: number; stride: number[]; shape: number[] }, n: number): Float32Array {
  const [rows, cols] = a.shape as [number, number];
  if (a.stride[0] === cols && a.stride[1] === 1) return a.data.subarray(a.offset, a.offset + n);
  const out = new Float32Array(n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = a.data[a.offset + r * a.stride[0]! + c * a.stride[1]!]!;
  return out;
}

/** Per-channel mean and std of the clips' targets (the model's output normalisation). */
export function targetStatistics(clips: readonly ExpressionClip[], k: number): { mean: Float64Array; std: Float64Array } {
  const sum = new Float64Array(k);
  const sq = new Float64Array(k);
  let n = 0;
  for (const c of clips) {
    const t = contiguous(c.targets, c.targets.shape[0]! * k);
    for (let i = 0; i < t.length; i++) {
      sum[i % k] += t[i]!;
      sq[i % k] += t[i]! * t[i]!;
    }
    n += c.targets.shape[0]!;
  }
  const mean = sum.map((s) => s / n);
  const std = sq.map((s, j) => Math.sqrt(Math.max(0, s / n - mean[j]! * mean[j]!)));
  return { mean, std };
}

/** Native loss settings from user settings. */
export function lossOptions(s: A2eTrainSettings): Record<string, number> {
  return {
    window: s.window ?? 10,
    lambdaExp: s.lambdaExp ?? 1,
    lambdaTemp: s.lambdaTemp ?? 1,
    huberDelta: s.huberDelta ?? 1,
    condDrop: s.condDrop ?? 0.1,
  };
}

/** The mean loss over `packed` (fixed windows, timesteps and noise from `seed`). */
export async function evaluateLoss(model: AudioExpressionModel, packed: PackedClips, settings: A2eTrainSettings, signal?: AbortSignal): Promise<number> {
  const raw = await nativeAsync(
    native().a2eEval({ config: model.config, params: toParamObject(model.nativeParams()), data: packed.data, loss: lossOptions(settings), seed: (settings.seed ?? 0) + 1, batch: 64 }),
  );
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  return raw.loss.data[0] as number;
}

/** What {@link runTraining} needs beyond the settings. */
export interface TrainingRun {
  model: AudioExpressionModel;
  train: PackedClips;
  validation?: PackedClips;
  settings: Required<Pick<A2eTrainSettings, 'steps' | 'lr'>> & A2eTrainSettings;
  /** Parameter-name prefixes that do not train. */
  frozen?: string[];
  /** When set, only these rows of the speaker embedding train. */
  speakerRows?: number[];
  /** Validate every this many steps (and at the end). */
  validateEvery?: number;
  /** Called after each validation; return true to stop early. */
  onValidation?: (step: number, loss: number) => boolean;
  /** Save here every `checkpointEvery` steps, at the end, and on abort. */
  checkpoint?: string;
  checkpointEvery?: number;
  history: A2eTrainHistory;
  onProgress?: (p: A2eTrainProgress) => void;
  signal?: AbortSignal;
  /**
   * Data parallelism: this process is one rank of the group. Rank 0's weights, optimiser state
   * and position are copied to every rank first; each step draws `batch` windows per rank and
   * averages gradients over the ranks; only rank 0 reports progress and writes checkpoints.
   */
  group?: ProcessGroup;
}

/** The training settings (the fields of {@link A2eTrainSettings}). */
const SETTING_KEYS = ['steps', 'batch', 'window', 'lr', 'warmupSteps', 'minLrFactor', 'lambdaExp', 'lambdaTemp', 'huberDelta', 'condDrop', 'gradClip', 'seed'] as const satisfies readonly (keyof A2eTrainSettings)[];

/** What every rank of a data-parallel run must agree on (checked before the first step). */
function runDescription(run: TrainingRun): Record<string, unknown> {
  const { model, settings } = run;
  return {
    config: model.config,
    speakers: model.speakers,
    settings: Object.fromEntries(SETTING_KEYS.map((k) => [k, settings[k] ?? null])),
    frozen: run.frozen ?? [],
    speakerRows: run.speakerRows ?? [],
    train: { clips: run.train.clips, frames: run.train.frames },
    validation: run.validation ? { clips: run.validation.clips, frames: run.validation.frames } : null,
    validateEvery: run.validateEvery ?? null,
    checkpointEvery: run.checkpointEvery ?? null,
  };
}

/** Every rank starts where rank 0 stands: its train state (step, position, history), weights and Adam moments. */
async function startFromRankZero(run: TrainingRun, group: ProcessGroup): Promise<void> {
  const { model } = run;
  await requireSameOnEveryRank(group, 'Audio-Expression training run', runDescription(run));
  const states = await group.exchange('a2e-train-state', JSON.stringify(model.trainState ?? {}));
  model.trainState = JSON.parse(states[0]!) as Record<string, unknown>;
  if (model.trainState.history) run.history = Object.assign(run.history, model.trainState.history as A2eTrainHistory);
  await group.broadcast({ ...toParamObject(model.nativeParams()), ...prefixed('adam.m.', model.adam!.m), ...prefixed('adam.v.', model.adam!.v) });
}

function prefixed(prefix: string, params: Map<string, NativeTensor>): Record<string, NativeTensor> {
  return Object.fromEntries([...params].map(([name, t]) => [prefix + name, t]));
}

/** Runs steps from model.trainState.step (0 when new) to settings.steps. */
export async function runTraining(run: TrainingRun): Promise<void> {
  const { model, settings } = run;
  const params = model.nativeParams();
  if (!model.adam) {
    const m = flattenNamed<NativeTensor>(await nativeAsync(native().a2eInit({ config: model.config, seed: 0, zeros: true })));
    const v = flattenNamed<NativeTensor>(await nativeAsync(native().a2eInit({ config: model.config, seed: 0, zeros: true })));
    model.adam = { m, v };
  }
  const group = run.group;
  if (group) await startFromRankZero(run, group);
  const leader = !group || group.rank === 0;
  const state = (model.trainState ??= {});
  let step = typeof state.step === 'number' ? state.step : 0;
  // Checkpoints from before samplesSeen existed: one process drawing `batch` windows a step.
  let samplesSeen = typeof state.samplesSeen === 'number' ? state.samplesSeen : step * (settings.batch ?? 16);
  const warmup = settings.warmupSteps ?? Math.min(100, Math.floor(settings.steps / 10));
  const native_ = {
    config: model.config,
    params: toParamObject(params),
    adamM: toParamObject(model.adam.m),
    adamV: toParamObject(model.adam.v),
    data: run.train.data,
    loss: lossOptions(settings),
    adam: { lr: settings.lr, warmupSteps: warmup, totalSteps: settings.steps, minLrFactor: settings.minLrFactor ?? 0.1, gradClip: settings.gradClip ?? 1 },
    frozen: run.frozen ?? [],
    speakerRows: run.speakerRows ?? [],
    seed: settings.seed ?? 0,
    batch: settings.batch ?? 16,
  };
  Object.assign(state, { steps: settings.steps, window: native_.loss.window, batch: native_.batch, lr: settings.lr, seed: native_.seed, warmupSteps: warmup });
  const save = async (): Promise<void> => {
    if (!run.checkpoint || !leader) return;
    state.step = step;
    state.samplesSeen = samplesSeen;
    state.history = run.history;
    await model.save(run.checkpoint, { withOptimizer: true });
  };
  const started = Date.now();
  let chunk = 1;
  let lastValidation: number | undefined;
  const validateEvery = run.validateEvery ?? Math.max(1, Math.floor(settings.steps / 10));
  const checkpointEvery = run.checkpointEvery ?? validateEvery;
  while (step < settings.steps) {
    // In a group the native steps decide when to stop, all ranks after the same step: a rank
    // leaving here on its own would leave the others waiting in a collective.
    if (run.signal?.aborted && !group) {
      await save();
      throw new AbortError(undefined, { cause: run.signal.reason });
    }
    const untilValidation = validateEvery - (step % validateEvery);
    const untilCheckpoint = checkpointEvery - (step % checkpointEvery);
    const n = Math.max(1, Math.min(chunk, settings.steps - step, untilValidation, untilCheckpoint));
    const t0 = Date.now();
    const abort = nativeAbortFlag(run.signal);
    const call = native().a2eTrain({ ...native_, step, steps: n, samplesSeen, abort: abort.flag, ...(group ? { group: group.handle } : {}) });
    const r = await nativeAsync(call)
      .catch((error: unknown) => {
        throw group ? asDistributedError(error, `rank ${group.rank} of ${group.worldSize}: training step ${step + 1}`) : error;
      })
      .finally(abort.release);
    const losses = r.losses.data as Float64Array;
    const lrs = r.lrs.data as Float64Array;
    losses.forEach((loss, i) => run.history.losses.push({ step: step + i, loss }));
    step += losses.length;
    samplesSeen = (r.samplesSeen.data as Float64Array)[0]!;
    state.step = step;
    state.samplesSeen = samplesSeen;
    const waitMs = (r.allreduceWaitMs.data as Float64Array)[0]! / Math.max(1, losses.length);
    if (group && (r.stopped.data as Float64Array)[0]) {
      // This rank was interrupted, or another one was: every rank stopped after this step.
      await save();
      throw new AbortError(run.signal?.aborted ? undefined : 'another rank of the data-parallel run was interrupted', { cause: run.signal?.reason });
    }
    if (run.signal?.aborted) continue; // the loop's top saves and throws
    const perStep = (Date.now() - t0) / n;
    chunk = Math.max(1, Math.min(64, Math.round(250 / Math.max(perStep, 1))));
    let stop = false;
    if (run.validation && (step % validateEvery === 0 || step === settings.steps)) {
      lastValidation = await evaluateLoss(model, run.validation, settings);
      run.history.validation.push({ step, loss: lastValidation });
      stop = run.onValidation?.(step, lastValidation) ?? false;
    }
    if (leader) run.onProgress?.({
      step,
      samplesSeen,
      steps: settings.steps,
      fraction: step / settings.steps,
      loss: losses.reduce((a, b) => a + b, 0) / losses.length,
      lr: lrs[lrs.length - 1]!,
      ...(lastValidation !== undefined ? { validationLoss: lastValidation } : {}),
      elapsedSeconds: (Date.now() - started) / 1000,
      ...(group ? { allreduceWaitMs: waitMs } : {}),
    });
    if (step % checkpointEvery === 0 || step === settings.steps || stop) await save();
    if (stop) break;
  }
}
