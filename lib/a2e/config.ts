/**
 * The Audio-Expression model's architecture (docs/audio-expression-model.md): sizes, with the
 * paper's values as defaults, validated in the user's terms before anything native runs.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, requireNonNegativeInt, requireOneOf, requirePositiveInt } from '../validate.js';
import type { NoiseSchedule } from './diffusion.js';

/** Sizes of the diffusion transformer. */
export interface AudioExpressionConfig {
  /** Audio feature width F: 768 (wav2vec2-base), 1024 (large), 1280 (XLS-R), 80 (log-mel). */
  featureDim: number;
  /** Per-frame output K: `expressionCount` expression coefficients, then 3 jaw-pose values. */
  outputDim: number;
  /** Expression coefficients per frame (outputDim − 3). */
  expressionCount: number;
  /** Width d (512 in the paper). */
  dModel: number;
  /** Attention heads (dModel must be divisible by it). */
  heads: number;
  /** Feed-forward width. */
  ffDim: number;
  /** Layers of the (shallow) condition encoder. */
  condLayers: number;
  /** Decoder layers (8 in the paper). */
  decoderLayers: number;
  /** Rows of the speaker-embedding table. */
  speakers: number;
  /** Speaker embedding width (64 in the paper). */
  speakerDim: number;
  /** Time tokens appended to the condition sequence. */
  timeTokens: number;
  /** Longest window the model accepts (its learned positional table). */
  maxFrames: number;
  /**
   * Alignment bias of the cross-attention (FaceFormer's): output frame i attends to audio
   * frames within ±alignRadius (and to the time tokens); -1 lets every frame see every frame.
   * Without it a decoder must first learn where "now" is in the audio, which small models and
   * small datasets do poorly.
   */
  alignRadius: number;
  /** Diffusion steps N of the noise schedule. */
  diffusionSteps: number;
  schedule: NoiseSchedule;
}

/** The paper's sizes: XLS-R features (1280), d = 512, 8 decoder layers, FLAME's 100 expressions + jaw (plus ggtalker's alignment bias, radius 2). */
export const PAPER_A2E_CONFIG: Readonly<AudioExpressionConfig> = Object.freeze({
  featureDim: 1280,
  outputDim: 103,
  expressionCount: 100,
  dModel: 512,
  heads: 8,
  ffDim: 2048,
  condLayers: 2,
  decoderLayers: 8,
  speakers: 1,
  speakerDim: 64,
  timeTokens: 2,
  maxFrames: 64,
  alignRadius: 2,
  diffusionSteps: 1000,
  schedule: 'cosine',
});

const INTEGER_KEYS = [
  'featureDim',
  'outputDim',
  'expressionCount',
  'dModel',
  'heads',
  'ffDim',
  'decoderLayers',
  'speakers',
  'speakerDim',
  'maxFrames',
  'diffusionSteps',
] as const;

/**
 * A complete config: `partial` over {@link PAPER_A2E_CONFIG}. When only `expressionCount` or
 * only `outputDim` is given, the other follows (outputDim = expressionCount + 3).
 *
 * @throws {@link ValidationError} naming the key, the expectation and the value received.
 */
export function resolveA2eConfig(partial: Partial<AudioExpressionConfig> = {}): AudioExpressionConfig {
  if (partial === null || typeof partial !== 'object') {
    throw new ValidationError(`expected config to be an object, received ${describeValue(partial)}`);
  }
  const known = new Set(Object.keys(PAPER_A2E_CONFIG));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw new ValidationError(`unknown Audio-Expression config key "${key}" (known: ${[...known].join(', ')})`);
  }
  const c = { ...PAPER_A2E_CONFIG, ...partial } as AudioExpressionConfig;
  if (partial.expressionCount !== undefined && partial.outputDim === undefined) c.outputDim = partial.expressionCount + 3;
  if (partial.outputDim !== undefined && partial.expressionCount === undefined) c.expressionCount = partial.outputDim - 3;
  for (const key of INTEGER_KEYS) requirePositiveInt(`config.${key}`, c[key]);
  requireNonNegativeInt('config.condLayers', c.condLayers);
  requireNonNegativeInt('config.timeTokens', c.timeTokens);
  if (!Number.isInteger(c.alignRadius) || c.alignRadius < -1) {
    throw new ValidationError(`expected config.alignRadius to be an integer >= 0, or -1 for none, received ${describeValue(c.alignRadius)}`);
  }
  requireOneOf('config.schedule', c.schedule, ['cosine', 'linear'] as const);
  if (c.outputDim !== c.expressionCount + 3) {
    throw new ValidationError(`expected config.outputDim = config.expressionCount + 3 (jaw pose), received outputDim ${c.outputDim} and expressionCount ${c.expressionCount}`);
  }
  if (c.dModel % c.heads !== 0 || c.dModel % 2 !== 0) {
    throw new ValidationError(`expected config.dModel to be even and divisible by config.heads, received dModel ${c.dModel} and heads ${c.heads}`);
  }
  return c;
}
