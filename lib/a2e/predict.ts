/**
 * Speech to expressions: `predictExpressions(audio, {model})` encodes the audio as the model's
 * features, samples the whole sequence (long audio as overlapping windows denoised jointly, so
 * there are no seams), and splits the result into expression coefficients and jaw pose.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { ValidationError } from '../errors.js';
import { Wav2Vec2Encoder } from '../audio/wav2vec2.js';
import { describeValue } from '../validate.js';
import { encodeAudio, type AudioEncoder, type AudioInput } from './features.js';
import { AudioExpressionModel, defaultSampleSteps, type SampleExpressionsOptions } from './model.js';
import type { SampleProgress, StepReport } from './step-progress.js';

/** Options of {@link predictExpressions}. */
export interface PredictExpressionsOptions extends Omit<SampleExpressionsOptions, 'known' | 'knownMask' | 'onProgress'> {
  /** The Audio-Expression model to sample from. */
  model: AudioExpressionModel;
  /** The loaded wav2vec2 encoder, for models trained on wav2vec2 features. */
  encoder?: AudioEncoder;
  /**
   * Called on the JS thread as the work advances: while the audio is encoded (after each
   * wav2vec2 layer; once for log-mel), then after each denoising step ({@link PredictProgress}).
   * Fractions never decrease and end at 1.
   * An error it throws rejects the call.
   */
  onProgress?: (p: PredictProgress) => void;
}

/** Progress of {@link predictExpressions}. */
export interface PredictProgress {
  /** `'features'`: the audio is being encoded; `'sampling'`: denoising. */
  stage: 'features' | 'sampling';
  /** Denoising steps done (0 while encoding: `fraction` then moves through the encoder's layers). */
  step: number;
  /** Denoising steps in all. */
  steps: number;
  /** 0..1 over the whole call. */
  fraction: number;
}

/**
 * Share of {@link predictExpressions}' fraction given to encoding the audio, by encoder (the
 * fraction reached when the features are ready). Log-mel is one short native call (the demo: 3
 * ms of features against 0.23 s of sampling); wav2vec2 runs a deep Transformer over the whole
 * clip, a large part of the work. Estimates: other model sizes shift the true share, never the
 * order of the reports.
 */
const FEATURE_SHARE = { 'log-mel': 0.02, wav2vec2: 0.3 } as const;

/** Per-frame expression tracks. */
export interface ExpressionTracks {
  /** Video frames per second of the tracks (the model's). */
  fps: number;
  /** Frames predicted: round(duration · fps). */
  frames: number;
  /** [frames, expressionCount]. */
  expression: NdArray<Float32Array>;
  /** [frames, 3] axis-angle jaw rotation. */
  jawPose: NdArray<Float32Array>;
  /** Names of the expression coefficients, when the model stores them. */
  expressionNames?: readonly string[];
}

/** The encoder a model's features need (and a clear error when it is missing or mismatched). */
export function encoderFor(model: AudioExpressionModel, encoder: AudioEncoder | undefined): AudioEncoder {
  if (model.features.encoder === 'log-mel') {
    if (encoder !== undefined && encoder !== 'log-mel') throw new ValidationError('this model reads log-mel features: leave encoder unset or pass "log-mel"');
    return 'log-mel';
  }
  if (!(encoder instanceof Wav2Vec2Encoder)) {
    throw new ValidationError(`this model reads wav2vec2 features of width ${model.features.dim}: pass encoder (a Wav2Vec2Encoder), received ${describeValue(encoder)}`);
  }
  if (encoder.config.hidden !== model.features.dim) {
    throw new ValidationError(`this model reads wav2vec2 features of width ${model.features.dim}, but the encoder given is ${encoder.config.hidden} wide`);
  }
  return encoder;
}

/** Splits [T, E + 3] samples into expression and jaw pose. */
export function splitTracks(model: AudioExpressionModel, out: NdArray<Float32Array>): ExpressionTracks {
  const frames = out.shape[0]!;
  const k = model.config.outputDim;
  const e = model.config.expressionCount;
  const expression = new Float32Array(frames * e);
  const jaw = new Float32Array(frames * 3);
  for (let t = 0; t < frames; t++) {
    expression.set(out.data.subarray(t * k, t * k + e), t * e);
    jaw.set(out.data.subarray(t * k + e, (t + 1) * k), t * 3);
  }
  return {
    fps: model.features.fps,
    frames,
    expression: ndarray(expression, [frames, e]),
    jawPose: ndarray(jaw, [frames, 3]),
    ...(model.expressionNames ? { expressionNames: model.expressionNames } : {}),
  };
}

/**
 * Expression coefficients and jaw pose for speech, one row per video frame
 * (round(duration · fps) frames).
 *
 * @param audio - A file path, 16 kHz mono samples, or {samples, sampleRate}.
 *
 * @example
 * ```ts
 * import { AudioExpressionModel, predictExpressions } from 'ggtalker';
 *
 * const model = await AudioExpressionModel.load('a2e.json');
 * const tracks = await predictExpressions('speech.wav', { model, steps: 25, seed: 1 });
 * const [frames, count] = tracks.expression.shape; // [frames, expressionCount]
 * console.log(`${frames} frames at ${tracks.fps} fps, ${count} coefficients; jaw of frame 0:`, tracks.jawPose.pick(0, null));
 * ```
 */
export async function predictExpressions(audio: AudioInput, options: PredictExpressionsOptions): Promise<ExpressionTracks> {
  if (!(options?.model instanceof AudioExpressionModel)) throw new ValidationError(`expected options.model to be an AudioExpressionModel, received ${describeValue(options?.model)}`);
  const { model, onProgress } = options;
  const encoder = encoderFor(model, options.encoder);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new ValidationError(`expected onProgress to be a function, received ${describeValue(onProgress)}`);
  const steps = options.steps ?? defaultSampleSteps(options.method);
  const share = FEATURE_SHARE[encoder === 'log-mel' ? 'log-mel' : 'wav2vec2'];
  const features = await encodeAudio(audio, {
    encoder,
    fps: model.features.fps,
    layer: model.features.layer,
    signal: options.signal,
    ...(onProgress ? { onProgress: (p: StepReport) => onProgress({ stage: 'features', step: 0, steps, fraction: share * (p.step / p.steps) }) } : {}),
  });
  if (features.shape[0] === 0) {
    onProgress?.({ stage: 'sampling', step: steps, steps, fraction: 1 });
    return splitTracks(model, ndarray(new Float32Array(0), [0, model.config.outputDim]));
  }
  const { onProgress: _, ...sampleOptions } = options;
  const sampled = await model.sample(features, {
    ...sampleOptions,
    ...(onProgress ? { onProgress: (p: SampleProgress) => onProgress({ stage: 'sampling', step: p.step, steps: p.steps, fraction: share + (1 - share) * (p.step / p.steps) }) } : {}),
  });
  return splitTracks(model, sampled);
}
