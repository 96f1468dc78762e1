/**
 * The Audio-Expression model: a diffusion transformer from per-frame audio features to FLAME
 * expression coefficients and jaw pose (GGTalker §3.2), with its weights in native tensors.
 * Training lives in `train.ts`, sampling of whole clips in `predict.ts`; this class holds the
 * weights, their files, and the low-level calls.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { optionalOptions, requirePath } from '../arguments.js';
import { requireDevice, type Device } from '../backends.js';
import { FormatError, NativeError, ValidationError } from '../errors.js';
import { MAX_FPS } from '../io/vhap-camera.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { native, type NativeScriptModel, type NativeTensor, type RawArray } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { awaitNative, throwIfAborted, toNdarray } from '../ops.js';
import { nativeAsync, nativeCall } from '../tensor.js';
import { describeValue, requireBoolean, requireNonNegativeInt, requireOneOf, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';
import { readA2eCheckpoint, writeA2eCheckpoint, type A2eCheckpointJson } from './checkpoint.js';
import { resolveA2eConfig, type AudioExpressionConfig } from './config.js';
import type { AudioFeatureSpec } from './features.js';
import { arrayToHandle, cloneParams, flattenNamed, handleToArray, toParamObject } from './native-params.js';
import { stepProgress, type SampleProgress } from './step-progress.js';

/** Options of {@link AudioExpressionModel.create}. */
export interface CreateA2eModelOptions {
  /** Sizes; the paper's by default (see {@link PAPER_A2E_CONFIG}). `featureDim` follows `features.dim`. */
  config?: Partial<AudioExpressionConfig>;
  /** The audio features the model reads. Default: log-mel (80) at 25 fps. */
  features?: Partial<AudioFeatureSpec>;
  /** Speaker names, one embedding row each. Default `['default']`. */
  speakers?: string[];
  /** Names of the expression coefficients (e.g. a procedural head's), stored with the model. */
  expressionNames?: string[];
  /** Output normalisation: per-channel mean and std [outputDim] (set from data by training). */
  normalisation?: {
    /** Per-channel mean [outputDim]. */
    mean: globalThis.ArrayLike<number>;
    /** Per-channel standard deviation [outputDim]. */
    std: globalThis.ArrayLike<number>;
  };
  /** Seed of the initial weights. Default 0. */
  seed?: number;
  /** Checked before the weights are made (a paper-size model is gigabytes). */
  signal?: AbortSignal;
}

/** The keys of {@link CreateA2eModelOptions}, for the check of misspelt ones. */
const CREATE_OPTION_KEYS: readonly string[] = ['config', 'features', 'speakers', 'expressionNames', 'normalisation', 'seed', 'signal'] satisfies (keyof CreateA2eModelOptions)[];

/** Options of {@link AudioExpressionModel.load}. */
export interface LoadA2eModelOptions {
  /** Where the weights are, overriding the JSON's `file` (the caller's own path: not confined to the folder). */
  weights?: string;
  /**
   * Accept a `"file"` in the checkpoint JSON that is absolute or leads outside its folder.
   * Default false (a {@link FormatError} naming the JSON and the field); pass `true` only for
   * checkpoints you trust.
   */
  allowExternalFiles?: boolean;
}

/**
 * Runs checks of a file's content that throw {@link ValidationError}s (the config and feature
 * checks are shared with arguments) and rethrows those as {@link FormatError}s naming the file.
 */
function asFileContent<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ValidationError) || error instanceof FormatError) throw error;
    throw new FormatError(error.message, { path, cause: error });
  }
}

/** Names (e.g. expressionNames): undefined or an array of strings. */
function requireNames(fn: string | undefined, name: string, value: unknown): void {
  if (value !== undefined && !(Array.isArray(value) && value.every((n) => typeof n === 'string'))) {
    throw new ValidationError(`${fn === undefined ? '' : `${fn}: `}expected ${name} to be an array of names, received ${describeValue(value)}`);
  }
}

/** An array or typed array (what Float32Array.from reads as numbers). */
function isArrayLike(value: unknown): boolean {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

/** Denoising steps of {@link AudioExpressionModel.sample} when `steps` is not given ('ddim', 'ddpm'). */
export const DEFAULT_SAMPLE_STEPS = 25;

/**
 * Denoising steps when `steps` is not given with `'dpm-solver++'`: held-out lip error within 5 %
 * of DDIM's 25 steps at 4 and 8 (docs/audio-expression-model.md); 8 leaves a margin.
 */
export const DEFAULT_DPM_SOLVER_STEPS = 8;

/** The step count a sampler uses when none is given. */
export function defaultSampleSteps(method: SampleMethod | undefined): number {
  return method === 'dpm-solver++' ? DEFAULT_DPM_SOLVER_STEPS : DEFAULT_SAMPLE_STEPS;
}

/**
 * Samplers of {@link AudioExpressionModel.sample} (docs/audio-expression-model.md, "Sampling"):
 * `'ddim'` (default), `'ddpm'` (ancestral) and `'dpm-solver++'` (DPM-Solver++(2M), Lu et al.
 * 2022: a second-order multistep ODE solver, deterministic, for few steps: 4–8 match DDIM's 25 in
 * lip accuracy on held-out speech at a fraction of the time).
 */
export const SAMPLE_METHODS = ['ddim', 'ddpm', 'dpm-solver++'] as const;

/** One of {@link SAMPLE_METHODS}. */
export type SampleMethod = (typeof SAMPLE_METHODS)[number];

/**
 * Checks a sampler and its step count for a model of `config` (ValidationError otherwise):
 * steps in [1, diffusionSteps], for `'dpm-solver++'` below diffusionSteps (its last step lands
 * on t = 0 without evaluating the network there).
 */
export function requireSampler(config: Pick<AudioExpressionConfig, 'diffusionSteps'>, method: unknown, steps: unknown): { method: SampleMethod; steps: number } {
  const m = requireOneOf('method', method, SAMPLE_METHODS);
  const max = m === 'dpm-solver++' ? config.diffusionSteps - 1 : config.diffusionSteps;
  if (!Number.isInteger(steps) || (steps as number) < 1 || (steps as number) > max) {
    throw new ValidationError(`expected steps to be an integer in [1, ${max}] (${m === 'dpm-solver++' ? "below the model's diffusion steps for dpm-solver++" : "the model's diffusion steps"}), received ${describeValue(steps)}`);
  }
  return { method: m, steps: steps as number };
}

/** Options of {@link AudioExpressionModel.sample}. */
export interface SampleExpressionsOptions {
  /** Speaker name or embedding row. Default 0. */
  speaker?: string | number;
  /**
   * `'ddim'` (default; deterministic for a seed with eta 0), `'ddpm'` (ancestral) or
   * `'dpm-solver++'` (deterministic for a seed; few steps, e.g. 4–8). See {@link SAMPLE_METHODS}.
   */
  method?: SampleMethod;
  /**
   * Denoising steps (network evaluations): 1 to the model's diffusion steps; for
   * `'dpm-solver++'` below them. Default 25; 8 for `'dpm-solver++'`.
   */
  steps?: number;
  /** Classifier-free guidance scale (1: plain conditional). Default 1. */
  guidance?: number;
  /** DDIM noise. Default 0. */
  eta?: number;
  /** Frames per window. Default: the training window (or 10). */
  window?: number;
  /** Frames shared by neighbouring windows. Default: 40 % of the window. */
  overlap?: number;
  /** Seed of the noise (each window's is derived from it). Default 0. */
  seed?: number;
  /** Frames held fixed, raw units [T, outputDim], where `knownMask` [T] is non-zero. */
  known?: ArrayLike;
  /** Which frames of `known` are held fixed, [T]: non-zero for fixed. */
  knownMask?: ArrayLike;
  /** Where to sample: `'cpu'` (default), `'cuda'` or `'cuda:N'` (native models only; the weights are copied there per call). */
  device?: Device;
  /**
   * Called on the JS thread after each denoising step ({@link SampleProgress}: step 1..steps;
   * every window of a long sequence moves together, so one step covers the whole sequence).
   * An error it throws rejects the call once sampling ends.
   */
  onProgress?: (p: SampleProgress) => void;
  /** Cancels sampling: the call rejects with AbortError. */
  signal?: AbortSignal;
  /**
   * @internal Cache the cross-attention keys and values of the encoded audio across denoising
   * steps (default true; false only to measure the cache, the results agree to round-off).
   */
  crossAttentionCache?: boolean;
}

/** A loaded or new Audio-Expression model. */
export class AudioExpressionModel {
  /** The architecture. */
  readonly config: Readonly<AudioExpressionConfig>;
  /** What the model's audio features are made with (encoder, width, fps). */
  readonly features: Readonly<AudioFeatureSpec>;
  /** Speaker names, one embedding row each. */
  readonly speakers: readonly string[];
  /** Names of the expression coefficients, when the model stores them. */
  readonly expressionNames: readonly string[] | undefined;
  /** Training state saved with the checkpoint (step, seed, history), for resuming. */
  trainState: Record<string, unknown> | undefined;
  /** @internal Weights by name (native models). */
  readonly params: Map<string, NativeTensor> | undefined;
  /** @internal Adam moments by parameter name, when saved by training. */
  adam: { m: Map<string, NativeTensor>; v: Map<string, NativeTensor> } | undefined;
  private readonly script: { module: NativeScriptModel; mean: Float32Array; std: Float32Array } | undefined;

  private constructor(init: {
    config: AudioExpressionConfig;
    features: AudioFeatureSpec;
    speakers: string[];
    expressionNames?: string[];
    params?: Map<string, NativeTensor>;
    script?: { module: NativeScriptModel; mean: Float32Array; std: Float32Array };
    trainState?: Record<string, unknown>;
  }) {
    // Private to TypeScript, but JavaScript can still call `new`: point it at the real doors.
    if (init === null || typeof init !== 'object' || !Array.isArray(init.speakers) || init.config === null || typeof init.config !== 'object') {
      throw new ValidationError(`new AudioExpressionModel: expected a call to AudioExpressionModel.create, .load or .fromTensors, received new AudioExpressionModel(${describeValue(init)})`);
    }
    this.config = Object.freeze({ ...init.config });
    this.features = Object.freeze({ ...init.features });
    this.speakers = Object.freeze([...init.speakers]);
    this.expressionNames = init.expressionNames ? Object.freeze([...init.expressionNames]) : undefined;
    this.params = init.params;
    this.script = init.script;
    this.trainState = init.trainState;
  }

  /** A new model with freshly initialised weights. */
  static async create(options: CreateA2eModelOptions = {}): Promise<AudioExpressionModel> {
    options = optionalOptions('AudioExpressionModel.create', options);
    throwIfAborted(options.signal);
    // A misspelt key would otherwise silently build the paper-size model (gigabytes, seconds to minutes).
    const unknown = Object.keys(options).find((key) => !CREATE_OPTION_KEYS.includes(key));
    if (unknown !== undefined) {
      throw new ValidationError(`AudioExpressionModel.create: expected options with keys among ${CREATE_OPTION_KEYS.join(', ')}, received unknown key ${JSON.stringify(unknown)}`);
    }
    const speakers = options.speakers ?? ['default'];
    requireSpeakerNames(speakers);
    const features = resolveFeatureSpec(options.features, options.config?.featureDim);
    const config = resolveA2eConfig({ ...options.config, featureDim: features.dim, speakers: speakers.length });
    const seed = requireNonNegativeInt('seed', options.seed ?? 0);
    requireNames('AudioExpressionModel.create', 'options.expressionNames', options.expressionNames);
    const { normalisation } = options;
    if (normalisation !== undefined && (normalisation === null || typeof normalisation !== 'object' || !isArrayLike(normalisation.mean) || !isArrayLike(normalisation.std))) {
      throw new ValidationError(`AudioExpressionModel.create: expected options.normalisation to be {mean, std} of numbers, received ${describeValue(normalisation)}`);
    }
    throwIfAborted(options.signal);
    const raw = await nativeAsync(native().a2eInit({ config, seed }));
    const params = flattenNamed<NativeTensor>(raw);
    const model = new AudioExpressionModel({ config, features, speakers, expressionNames: options.expressionNames, params });
    if (normalisation) model.setNormalisation(normalisation.mean, normalisation.std);
    return model;
  }

  /**
   * Loads a checkpoint: `<stem>.json` with `<stem>.safetensors`, or a TorchScript model whose
   * JSON says `"weights": "torchscript"`. TorchScript files run code when loaded: load them
   * only from sources you trust (safetensors checkpoints hold only numbers).
   *
   * @param path - The stem, or either file's path.
   * @param options - `weights`: the weights file, when not where the JSON says;
   *   `allowExternalFiles`: accept a JSON `"file"` outside the JSON's folder.
   * @throws {@link FormatError} naming the file and the field for anything malformed (config
   *   values, weights that are not finite or do not fit the config, a `"file"` outside the
   *   folder); {@link FileSystemError} for a file that cannot be read.
   */
  static async load(path: string, options: LoadA2eModelOptions = {}): Promise<AudioExpressionModel> {
    requirePath('AudioExpressionModel.load', path);
    options = optionalOptions('AudioExpressionModel.load', options);
    const read = await readA2eCheckpoint(path, { weights: options.weights, allowExternalFiles: options.allowExternalFiles });
    const json = read.json;
    const common = asFileContent(read.jsonPath, () => {
      // Checkpoints from before the alignment bias (and exports that do not use it) have no alignRadius.
      const config = resolveA2eConfig({ ...json.config, alignRadius: json.config.alignRadius ?? -1 });
      const features = resolveFeatureSpec(json.features, config.featureDim);
      const speakers = json.speakers ?? Array.from({ length: config.speakers }, (_, i) => `speaker${i}`);
      if (speakers.length !== config.speakers) throw new ValidationError(`speakers: lists ${speakers.length} speakers but config.speakers is ${config.speakers}`);
      return { config, features, speakers, expressionNames: json.expressionNames, trainState: json.train };
    });
    const { config } = common;
    if (read.torchscriptPath !== undefined) {
      const mean = Float32Array.from(json.data?.mean ?? []);
      const std = Float32Array.from(json.data?.std ?? []);
      if (mean.length !== config.outputDim || std.length !== config.outputDim) {
        throw new FormatError(`data: a TorchScript model needs "data": {"mean", "std"} of ${config.outputDim} values each`, { path: read.jsonPath });
      }
      const module = nativeCall(() => new (native().A2EScriptModel)(read.torchscriptPath!));
      return new AudioExpressionModel({ ...common, script: { module, mean, std } });
    }
    return AudioExpressionModel.fromTensors({ ...json, config }, read.tensors!, read.jsonPath, read.weightsPath);
  }

  /**
   * A native model from its JSON description (config, features, speakers...) and weights by
   * name (`adam.m.*` / `adam.v.*` become the optimiser state).
   *
   * @param source - The file the description came from: when given, what is wrong with it or
   *   the weights (a config value, a weight's dtype, a value that is not finite, weights that do
   *   not fit the config) is a {@link FormatError} naming it; without, a {@link ValidationError}.
   * @param weightsSource - The file the weights came from, when another (named in weight errors).
   */
  static async fromTensors(
    json: Pick<A2eCheckpointJson, 'config' | 'features' | 'speakers' | 'expressionNames' | 'train'>,
    tensors: ReadonlyMap<string, NdArrayData>,
    source?: string,
    weightsSource: string | undefined = source,
  ): Promise<AudioExpressionModel> {
    if (!(tensors instanceof Map)) throw new ValidationError(`AudioExpressionModel.fromTensors: expected tensors to be a Map of weights by name, received ${describeValue(tensors)}`);
    const check = <T>(from: string | undefined, f: () => T): T => (from === undefined ? f() : asFileContent(from, f));
    const described = check(source, () => {
      if (json === null || typeof json !== 'object' || json.config === null || typeof json.config !== 'object') {
        throw new ValidationError(`config: expected an object, received ${describeValue(json?.config)}`);
      }
      const config = resolveA2eConfig({ ...json.config, alignRadius: json.config.alignRadius ?? -1 });
      const features = resolveFeatureSpec(json.features, config.featureDim);
      const speakers = json.speakers ?? Array.from({ length: config.speakers }, (_, i) => `speaker${i}`);
      requireSpeakerNames(speakers);
      if (speakers.length !== config.speakers) throw new ValidationError(`speakers: lists ${speakers.length} speakers but config.speakers is ${config.speakers}`);
      requireNames(undefined, 'expressionNames', json.expressionNames);
      return { config, features, speakers };
    });
    const model = check(weightsSource, () => {
      const { config, features, speakers } = described;
      const params = new Map<string, NativeTensor>();
      const m = new Map<string, NativeTensor>();
      const v = new Map<string, NativeTensor>();
      for (const [name, array] of tensors) {
        if (array.dtype !== 'float32') throw new ValidationError(`expected weight ${name} to be float32, received ${array.dtype}`);
        // NaN or infinite weights would only show up later, as NaN expression tracks.
        const bad = firstNonFinite(array.data as Float32Array);
        if (bad >= 0) throw new ValidationError(`expected weight ${name} to hold finite values, received ${array.data[bad]} at index ${bad} (not finite)`);
        const target = name.startsWith('adam.m.') ? m : name.startsWith('adam.v.') ? v : params;
        target.set(name.replace(/^adam\.[mv]\./, ''), arrayToHandle(array));
      }
      const made = new AudioExpressionModel({ config, features, speakers, expressionNames: json.expressionNames, trainState: json.train, params });
      if (m.size > 0) made.adam = { m, v };
      return made;
    });
    try {
      await model.checkWeights();
    } catch (error) {
      if (weightsSource === undefined || !(error instanceof NativeError || error instanceof ValidationError)) throw error;
      throw new FormatError(`the weights do not fit the config${source !== weightsSource ? ` of ${source}` : ''}: ${error.message}`, { path: weightsSource, cause: error });
    }
    return model;
  }

  /** `'native'` (trainable weights) or `'torchscript'` (inference only). */
  get kind(): 'native' | 'torchscript' {
    return this.params ? 'native' : 'torchscript';
  }

  /** Names of the weights (native models). */
  parameterNames(): string[] {
    return this.params ? [...this.params.keys()] : nativeCall(() => this.script!.module.parameterNames());
  }

  /** A copy of one weight. */
  parameter(name: string): NdArray<Float32Array> {
    const t = this.nativeParams().get(name);
    if (!t) throw new ValidationError(`the Audio-Expression model has no parameter "${name}"`);
    const a = handleToArray(t);
    return ndarray(a.data as Float32Array, a.shape);
  }

  /** Number of trainable values (excluding the normalisation). */
  parameterCount(): number {
    let n = 0;
    for (const [name, t] of this.nativeParams()) if (!name.startsWith('data.')) n += t.shape.reduce((a, b) => a * b, 1);
    return n;
  }

  /** Index of a speaker given by name or row. */
  speakerIndex(speaker: string | number | undefined): number {
    if (speaker === undefined) return 0;
    if (typeof speaker === 'number') {
      if (!Number.isInteger(speaker) || speaker < 0 || speaker >= this.speakers.length) {
        throw new ValidationError(`expected speaker to be a row in [0, ${this.speakers.length}), received ${describeValue(speaker)}`);
      }
      return speaker;
    }
    const i = this.speakers.indexOf(speaker);
    if (i < 0) throw new ValidationError(`unknown speaker ${describeValue(speaker)}: the model knows ${this.speakers.map((s) => JSON.stringify(s)).join(', ')}`);
    return i;
  }

  /** Saves the model (and, with `withOptimizer`, its Adam moments) as `<stem>.json` + `<stem>.safetensors`, atomically. */
  async save(
    path: string,
    options: {
      /** Also save Adam's moments, so that training resumes exactly. Default false. */
      withOptimizer?: boolean;
    } = {},
  ): Promise<{
    /** The JSON file written. */
    json: string;
    /** The weights file written. */
    weights: string;
  }> {
    requirePath('AudioExpressionModel.save', path);
    options = optionalOptions('AudioExpressionModel.save', options);
    const tensors = new Map<string, NdArrayData>();
    for (const [name, t] of this.nativeParams()) tensors.set(name, handleToArray(t));
    if (options.withOptimizer && this.adam) {
      for (const [name, t] of this.adam.m) tensors.set(`adam.m.${name}`, handleToArray(t));
      for (const [name, t] of this.adam.v) tensors.set(`adam.v.${name}`, handleToArray(t));
    }
    const json: Omit<A2eCheckpointJson, 'format' | 'version' | 'weightsCrc32' | 'file'> = {
      config: { ...this.config },
      features: { ...this.features },
      speakers: [...this.speakers],
      ...(this.expressionNames ? { expressionNames: [...this.expressionNames] } : {}),
      ...(this.trainState ? { train: this.trainState } : {}),
    };
    return writeA2eCheckpoint(path, json, tensors);
  }

  /** An independent copy (weights copied), optionally with speakers added (new rows start at the mean embedding). */
  async clone(
    options: {
      /** New speaker names; each gets an embedding row starting at the mean of the others. */
      addSpeakers?: string[];
    } = {},
  ): Promise<AudioExpressionModel> {
    options = optionalOptions('AudioExpressionModel.clone', options);
    const add = options.addSpeakers ?? [];
    const speakers = [...this.speakers, ...add];
    requireSpeakerNames(speakers);
    const params = cloneParams(this.nativeParams());
    if (add.length > 0) {
      const e = handleToArray(params.get('speaker.embedding')!);
      const [rows, width] = e.shape as [number, number];
      const grown = new Float32Array((rows + add.length) * width);
      grown.set(e.data as Float32Array);
      for (let r = rows; r < rows + add.length; r++) {
        for (let k = 0; k < width; k++) {
          let s = 0;
          for (let q = 0; q < rows; q++) s += (e.data[q * width + k] as number);
          grown[r * width + k] = s / rows;
        }
      }
      params.set('speaker.embedding', arrayToHandle({ data: grown, shape: [rows + add.length, width] }));
    }
    const config = { ...this.config, speakers: speakers.length };
    return new AudioExpressionModel({ config, features: { ...this.features }, speakers, expressionNames: this.expressionNames ? [...this.expressionNames] : undefined, params, trainState: undefined });
  }

  /** Sets the output normalisation data.mean / data.std [outputDim] (std floored at 1e-3). */
  setNormalisation(mean: globalThis.ArrayLike<number>, std: globalThis.ArrayLike<number>): void {
    const k = this.config.outputDim;
    const m = Float32Array.from(mean);
    const s = Float32Array.from(std, (x) => Math.max(1e-3, x));
    if (m.length !== k || s.length !== k) throw new ValidationError(`expected normalisation mean and std of ${k} values, received ${m.length} and ${s.length}`);
    if (![...m, ...s].every(Number.isFinite)) throw new ValidationError('expected finite normalisation mean and std');
    const params = this.nativeParams();
    params.set('data.mean', arrayToHandle({ data: m, shape: [k] }));
    params.set('data.std', arrayToHandle({ data: s, shape: [k] }));
  }

  /**
   * One network evaluation (x̂0 in normalised units), for tests and custom samplers.
   * x_t [B, T, K], n [B] int32, cond [B, T, F], speaker [B] int32, keep [B].
   */
  async forward(input: {
    /** The noisy sequence, normalised units [B, T, K]. */
    x_t: ArrayLike;
    /** Diffusion step of each row, int32 [B]. */
    n: ArrayLike;
    /** Audio features [B, T, F]. */
    cond: ArrayLike;
    /** Speaker row of each batch row, int32 [B]. */
    speaker: ArrayLike;
    /** 1 keeps the audio condition, 0 drops it (classifier-free guidance), [B]. */
    keep: ArrayLike;
    /** Cancels the call: it rejects with AbortError. */
    signal?: AbortSignal;
    /**
     * Take the sampler's path: encode the audio and the cross-attention keys and values of every
     * decoder layer first, then denoise with them (equal to the default path to float32
     * round-off). Default false.
     */
    crossAttentionCache?: boolean;
  }): Promise<NdArray<Float32Array>> {
    const c = this.config;
    const dims: Dims = {};
    const cache = requireBoolean('crossAttentionCache', input.crossAttentionCache ?? false);
    const x_t = toFloat32Tensor('x_t', input.x_t, ['B', 'T', c.outputDim], dims);
    const cond = toFloat32Tensor('cond', input.cond, ['B', 'T', c.featureDim], dims);
    const n = toInt32Tensor('n', input.n, ['B'], dims, { min: 0, max: c.diffusionSteps });
    const speaker = toInt32Tensor('speaker', input.speaker, ['B'], dims, { min: 0, max: c.speakers });
    const keep = toFloat32Tensor('keep', input.keep, ['B'], dims);
    const raw = await awaitNative(native().a2eForward({ config: c, params: toParamObject(this.nativeParams()), x_t, n, cond, speaker, keep, crossAttentionCache: cache }), input.signal);
    return toNdarray(raw.x0);
  }

  /**
   * The training loss of one explicit batch (docs/audio-expression-model.md, "Training") and,
   * with `grads`, its gradient for every trained parameter. x0 is normalised [B, T, K]; noise
   * like x0; n [B] int32; cond [B, T, F]; speaker [B] int32; keep [B].
   */
  async lossAndGradients(
    input: {
      /** The clean sequence, normalised units [B, T, K]. */
      x0: ArrayLike;
      /** Diffusion step of each row, int32 [B]. */
      n: ArrayLike;
      /** The noise added, like x0. */
      noise: ArrayLike;
      /** Audio features [B, T, F]. */
      cond: ArrayLike;
      /** Speaker row of each batch row, int32 [B]. */
      speaker: ArrayLike;
      /** 1 keeps the audio condition, 0 drops it, [B]. */
      keep: ArrayLike;
    },
    options: {
      /** Also return the gradients. Default true. */
      grads?: boolean;
      /** Parameter-name prefixes to leave out of the gradients. */
      frozen?: string[];
      /** When set, only these rows of the speaker embedding get gradients. */
      speakerRows?: number[];
      /** Weights of the loss terms (as in training's settings). */
      loss?: {
        /** Weight of the expression (L2) term. Default 1. */
        lambdaExp?: number;
        /** Weight of the temporal (Huber) term. Default 1. */
        lambdaTemp?: number;
        /** Huber threshold of the temporal term. Default 1. */
        huberDelta?: number;
      };
    } = {},
  ): Promise<{
    /** The batch's loss. */
    loss: number;
    /** dloss/dparameter by parameter name (with `grads`). */
    grads: Map<string, NdArray<Float32Array>>;
  }> {
    const c = this.config;
    const dims: Dims = {};
    const x0 = toFloat32Tensor('x0', input.x0, ['B', 'T', c.outputDim], dims);
    const noise = toFloat32Tensor('noise', input.noise, ['B', 'T', c.outputDim], dims);
    const cond = toFloat32Tensor('cond', input.cond, ['B', 'T', c.featureDim], dims);
    const n = toInt32Tensor('n', input.n, ['B'], dims, { min: 0, max: c.diffusionSteps });
    const speaker = toInt32Tensor('speaker', input.speaker, ['B'], dims, { min: 0, max: c.speakers });
    const keep = toFloat32Tensor('keep', input.keep, ['B'], dims);
    const raw = await nativeAsync(
      native().a2eLoss({
        config: c,
        params: toParamObject(this.nativeParams()),
        x0,
        n,
        noise,
        cond,
        speaker,
        keep,
        grads: options.grads ?? true,
        frozen: options.frozen ?? [],
        speakerRows: options.speakerRows ?? [],
        ...(options.loss ? { loss: options.loss } : {}),
      }),
    );
    const grads = new Map<string, NdArray<Float32Array>>();
    for (const [name, g] of flattenNamed<RawArray>(raw.grads ?? {})) grads.set(name, toNdarray(g));
    return { loss: raw.loss.data[0] as number, grads };
  }

  /**
   * Samples one sequence for per-frame features [T, F] (T may exceed the window: windows are
   * denoised jointly and blended). Returns raw units [T, outputDim].
   */
  async sample(features: ArrayLike, options: SampleExpressionsOptions = {}): Promise<NdArray<Float32Array>> {
    const c = this.config;
    const dims: Dims = {};
    const cond = toFloat32Tensor('features', features, ['T', c.featureDim], dims);
    const window = requirePositiveWindow(options.window ?? defaultWindow(this), c.maxFrames);
    const overlap = options.overlap ?? Math.floor(window * 0.4);
    if (!Number.isInteger(overlap) || overlap < 0 || overlap >= window) {
      throw new ValidationError(`expected overlap to be an integer in [0, window = ${window}), received ${describeValue(overlap)}`);
    }
    const sample = {
      method: options.method ?? 'ddim',
      steps: options.steps ?? defaultSampleSteps(options.method),
      guidance: options.guidance ?? 1,
      eta: options.eta ?? 0,
      window,
      overlap,
      seed: requireNonNegativeInt('seed', options.seed ?? 0),
    };
    requireSampler(c, sample.method, sample.steps);
    const crossAttentionCache = requireBoolean('crossAttentionCache', options.crossAttentionCache ?? true);
    if (!Number.isFinite(sample.guidance)) throw new ValidationError(`expected guidance to be a finite number, received ${describeValue(sample.guidance)}`);
    const extra: Record<string, unknown> = {};
    if (options.known !== undefined || options.knownMask !== undefined) {
      extra.known = toFloat32Tensor('known', options.known, [dims.T!, c.outputDim]);
      extra.knownMask = toFloat32Tensor('knownMask', options.knownMask, [dims.T!]);
    }
    const weights = this.script
      ? { script: this.script.module, mean: { data: this.script.mean, shape: [c.outputDim] }, std: { data: this.script.std, shape: [c.outputDim] } }
      : { params: toParamObject(this.params!) };
    const speaker = this.speakerIndex(options.speaker);
    if (options.device !== undefined) {
      extra.device = requireDevice(options.device);
      if (this.script && extra.device !== 'cpu') throw new ValidationError(`TorchScript Audio-Expression models sample on the CPU only, received device '${extra.device}'`);
    }
    const progress = stepProgress(options.onProgress, sample.steps);
    const abort = nativeAbortFlag(options.signal);
    try {
      const raw = await awaitNative(
        native().a2eSample({ config: c, ...weights, cond, speaker, sample, crossAttentionCache, ...extra, abort: abort.flag, ...(progress.onStep ? { onStep: progress.onStep } : {}) }),
        options.signal,
      );
      progress.finish();
      return toNdarray(raw.expressions);
    } finally {
      progress.close();
      abort.release();
    }
  }

  /** @internal The weights, or a clear error for TorchScript models. */
  nativeParams(): Map<string, NativeTensor> {
    if (!this.params) throw new ValidationError('this Audio-Expression model was loaded from TorchScript: it can sample, but its weights cannot be read, saved or trained');
    return this.params;
  }

  /** Checks every weight is present with its shape (names the first that is not). */
  private async checkWeights(): Promise<void> {
    const c = this.config;
    const zeros = { data: new Float32Array(c.outputDim), shape: [1, 1, c.outputDim] };
    await nativeAsync(
      native().a2eForward({
        config: c,
        params: toParamObject(this.params!),
        x_t: zeros,
        n: { data: new Int32Array(1), shape: [1] },
        cond: { data: new Float32Array(c.featureDim), shape: [1, 1, c.featureDim] },
        speaker: { data: new Int32Array(1), shape: [1] },
        keep: { data: new Float32Array([1]), shape: [1] },
      }),
    );
  }
}

function defaultWindow(model: AudioExpressionModel): number {
  const w = (model.trainState?.window as number | undefined) ?? 10;
  return Math.min(w, model.config.maxFrames);
}

function requirePositiveWindow(window: unknown, maxFrames: number): number {
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 1 || window > maxFrames) {
    throw new ValidationError(`expected window to be an integer in [1, ${maxFrames}] (config.maxFrames), received ${describeValue(window)}`);
  }
  return window;
}

function requireSpeakerNames(speakers: unknown): asserts speakers is string[] {
  if (!Array.isArray(speakers) || speakers.length === 0 || !speakers.every((s) => typeof s === 'string' && s !== '')) {
    throw new ValidationError(`expected speakers to be a non-empty array of names, received ${describeValue(speakers)}`);
  }
  if (new Set(speakers).size !== speakers.length) throw new ValidationError(`expected distinct speaker names, received ${speakers.join(', ')}`);
}

/** The highest video frame rate an Audio-Expression model may run at (`features.fps`): {@link MAX_FPS}. */
export const MAX_FEATURE_FPS = MAX_FPS;

/** A complete feature spec (log-mel 80 at 25 fps unless told otherwise). */
export function resolveFeatureSpec(spec: Partial<AudioFeatureSpec> | undefined, featureDim?: number): AudioFeatureSpec {
  const dim = spec?.dim ?? featureDim ?? 80;
  if (!(Number.isInteger(dim) && dim > 0)) throw new ValidationError(`expected features.dim to be a positive integer, received ${describeValue(dim)}`);
  const encoder = spec?.encoder ?? (dim === 80 ? 'log-mel' : 'wav2vec2');
  if (encoder !== 'log-mel' && encoder !== 'wav2vec2') throw new ValidationError(`expected features.encoder 'log-mel' or 'wav2vec2', received ${describeValue(encoder)}`);
  if (encoder === 'log-mel' && dim !== 80) throw new ValidationError(`expected log-mel features of width 80, received ${dim}`);
  if (featureDim !== undefined && featureDim !== dim) throw new ValidationError(`expected config.featureDim (${featureDim}) to equal features.dim (${dim})`);
  const fps = spec?.fps ?? 25;
  // An upper bound: sampling makes round(duration · fps) frames, so 1e6 fps would never end.
  if (typeof fps !== 'number' || !(fps > 0 && fps <= MAX_FEATURE_FPS)) {
    throw new ValidationError(`expected features.fps to be a frame rate in (0, ${MAX_FEATURE_FPS}], received ${describeValue(fps)}`);
  }
  if (spec?.layer !== undefined && !(Number.isInteger(spec.layer) && spec.layer >= 0 && spec.layer <= 1024)) {
    throw new ValidationError(`expected features.layer to be a layer index (an integer in [0, 1024]), received ${describeValue(spec.layer)}`);
  }
  return { encoder, dim, fps, ...(spec?.layer !== undefined ? { layer: spec.layer } : {}) };
}
