/**
 * The Audio-Expression model's architecture (docs/audio-expression-model.md): sizes, with the
 * paper's values as defaults, validated in the user's terms before anything native runs.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, requireOneOf } from '../validate.js';
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
  /** Noise schedule of the diffusion (`'cosine'` in the paper). */
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

/**
 * The accepted range of each integer field, inclusive. Upper bounds keep a hostile or mistyped
 * config (`"diffusionSteps": 1e9`, `"maxFrames": 1e7`) from allocating gigabytes or looping
 * for hours: each is well beyond the paper's size (and every size this project trains).
 * All bounds are far below 2^24, so every accepted value is exact in float32 too.
 */
export const A2E_CONFIG_RANGES: Readonly<Record<Exclude<keyof AudioExpressionConfig, 'schedule'>, readonly [number, number]>> = Object.freeze({
  featureDim: [1, 4096],
  outputDim: [4, 1027],
  expressionCount: [1, 1024],
  dModel: [2, 4096],
  heads: [1, 64],
  ffDim: [1, 16384],
  condLayers: [0, 32],
  decoderLayers: [1, 64],
  speakers: [1, 65536],
  speakerDim: [1, 4096],
  timeTokens: [0, 64],
  maxFrames: [1, 4096],
  alignRadius: [-1, 4096],
  diffusionSteps: [1, 10000],
});

/**
 * The most weights a config may describe (2^28, 1 GiB of float32; the paper's model has
 * ~45 M): every field in range can still multiply into a model that does not fit in memory.
 */
export const MAX_A2E_PARAMETERS = 2 ** 28;

const INTEGER_KEYS = [
  'featureDim',
  'outputDim',
  'expressionCount',
  'dModel',
  'heads',
  'ffDim',
  'condLayers',
  'decoderLayers',
  'speakers',
  'speakerDim',
  'timeTokens',
  'maxFrames',
  'diffusionSteps',
] as const;

/**
 * The weights a config describes, roughly (attention and feed-forward blocks, input and output
 * projections, tables): used only against {@link MAX_A2E_PARAMETERS}.
 */
export function estimateA2eParameters(c: AudioExpressionConfig): number {
  const d = c.dModel;
  const attention = 4 * d * d;
  const feedForward = 2 * d * c.ffDim;
  const encoder = c.condLayers * (attention + feedForward);
  const decoder = c.decoderLayers * (2 * attention + feedForward);
  const io = (c.featureDim + 2 * c.outputDim + c.speakerDim + c.maxFrames + c.timeTokens) * d + c.speakers * c.speakerDim + c.diffusionSteps;
  return encoder + decoder + io;
}

/**
 * A complete config: `partial` over {@link PAPER_A2E_CONFIG}. When only `expressionCount` or
 * only `outputDim` is given, the other follows (outputDim = expressionCount + 3). Every
 * integer field must lie in its {@link A2E_CONFIG_RANGES} range, and the whole model within
 * {@link MAX_A2E_PARAMETERS} weights.
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
  // expressionCount first: an out-of-range outputDim derived from it is reported as the field given.
  for (const key of ['expressionCount', ...INTEGER_KEYS, 'alignRadius'] as const) requireInRange(key, c[key]);
  requireOneOf('config.schedule', c.schedule, ['cosine', 'linear'] as const);
  if (c.outputDim !== c.expressionCount + 3) {
    throw new ValidationError(`expected config.outputDim = config.expressionCount + 3 (jaw pose), received outputDim ${c.outputDim} and expressionCount ${c.expressionCount}`);
  }
  if (c.dModel % c.heads !== 0 || c.dModel % 2 !== 0) {
    throw new ValidationError(`expected config.dModel to be even and divisible by config.heads, received dModel ${c.dModel} and heads ${c.heads}`);
  }
  const parameters = estimateA2eParameters(c);
  if (parameters > MAX_A2E_PARAMETERS) {
    throw new ValidationError(
      `expected a config of at most ${MAX_A2E_PARAMETERS} weights, received one of about ${parameters} (config.dModel ${c.dModel}, config.ffDim ${c.ffDim}, config.decoderLayers ${c.decoderLayers}, config.condLayers ${c.condLayers}): choose smaller sizes`,
    );
  }
  return c;
}

function requireInRange(key: keyof typeof A2E_CONFIG_RANGES, value: unknown): void {
  const [min, max] = A2E_CONFIG_RANGES[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const none = key === 'alignRadius' ? ' (-1 for none)' : '';
    throw new ValidationError(`expected config.${key} to be an integer in [${min}, ${max}]${none}, received ${describeValue(value)}`);
  }
}
