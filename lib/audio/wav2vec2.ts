/**
 * The wav2vec 2.0 speech encoder (inference) with HuggingFace `Wav2Vec2Model` weights: hidden
 * states of one layer at about 50 frames a second for 16 kHz mono audio, computed by LibTorch
 * (native/audio/wav2vec2.cpp) and checked against torchaudio's implementation.
 *
 * Weights are copied into native tensors once, when the encoder is made; each
 * {@link Wav2Vec2Encoder.features} call only sends the samples.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { ValidationError } from '../errors.js';
import { optionalOptions, requireOptions, requirePath } from '../arguments.js';
import { readSafetensors, type NdArrayData } from '../io/safetensors.js';
import { stepProgress, type StepReport } from '../a2e/step-progress.js';
import { native, type NativeTensor } from '../native.js';
import { awaitNative, toNdarray } from '../ops.js';
import { nativeCall } from '../tensor.js';
import { requireFiniteNumber, requireNonNegativeInt, toFloat32Tensor, type ArrayLike } from '../validate.js';

/** The architecture of a wav2vec 2.0 encoder (HuggingFace `Wav2Vec2Config`'s fields, renamed). */
export interface Wav2Vec2Config {
  /** Output channels of each feature-extractor conv (HF `conv_dim`). */
  convDim: number[];
  /** Kernel of each conv (HF `conv_kernel`). */
  convKernel: number[];
  /** Stride of each conv (HF `conv_stride`); their product is the hop in samples (320: 20 ms). */
  convStride: number[];
  /** Whether the convs have biases (HF `conv_bias`). */
  convBias: boolean;
  /** LayerNorm after every conv (HF `feat_extract_norm: "layer"`) instead of GroupNorm after the first. */
  extractorLayerNorm: boolean;
  /** Width of the Transformer (HF `hidden_size`): 768 base, 1024 large, 1280 XLS-R 1B. */
  hidden: number;
  /** Transformer layers (HF `num_hidden_layers`). */
  numLayers: number;
  /** Attention heads (HF `num_attention_heads`). */
  numHeads: number;
  /** FFN width (HF `intermediate_size`). */
  intermediate: number;
  /** Positional conv kernel (HF `num_conv_pos_embeddings`). */
  posConvKernel: number;
  /** Positional conv groups (HF `num_conv_pos_embedding_groups`). */
  posConvGroups: number;
  /** Pre-LN layers with a final LayerNorm (HF `do_stable_layer_norm`) instead of post-LN layers. */
  layerNormFirst: boolean;
  /** Epsilon of every LayerNorm / GroupNorm (HF `layer_norm_eps`). */
  layerNormEps: number;
  /**
   * Normalise each utterance to zero mean and unit variance first, `(x - mean) / sqrt(var + 1e-7)`,
   * as HF's `Wav2Vec2FeatureExtractor` does with `do_normalize` (true in the presets, as in the
   * published preprocessor configs). torchaudio never normalises: turn it off to match it.
   */
  doNormalize: boolean;
}

const EXTRACTOR = { convDim: [512, 512, 512, 512, 512, 512, 512], convKernel: [10, 3, 3, 3, 3, 2, 2], convStride: [5, 2, 2, 2, 2, 2, 2] };

/** facebook/wav2vec2-base: group-norm extractor, post-LN, 768 wide, 12 layers, 12 heads. */
export const WAV2VEC2_BASE: Readonly<Wav2Vec2Config> = Object.freeze({
  ...EXTRACTOR,
  convBias: false,
  extractorLayerNorm: false,
  hidden: 768,
  numLayers: 12,
  numHeads: 12,
  intermediate: 3072,
  posConvKernel: 128,
  posConvGroups: 16,
  layerNormFirst: false,
  layerNormEps: 1e-5,
  doNormalize: true,
});

/** facebook/wav2vec2-large-lv60: layer-norm extractor with conv bias, pre-LN, 1024 wide, 24 layers, 16 heads. */
export const WAV2VEC2_LARGE: Readonly<Wav2Vec2Config> = Object.freeze({
  ...WAV2VEC2_BASE,
  convBias: true,
  extractorLayerNorm: true,
  hidden: 1024,
  numLayers: 24,
  numHeads: 16,
  intermediate: 4096,
  layerNormFirst: true,
});

/** facebook/wav2vec2-xls-r-1b: as {@link WAV2VEC2_LARGE}, 1280 wide, 48 layers, FFN 5120. */
export const XLSR_1B: Readonly<Wav2Vec2Config> = Object.freeze({ ...WAV2VEC2_LARGE, hidden: 1280, numLayers: 48, intermediate: 5120 });

/** Options of {@link Wav2Vec2Encoder.features}. */
export interface Wav2Vec2FeaturesOptions {
  /** 0: the Transformer's input (HF `hidden_states[0]`); k: the output of layer k. Default: the last (`numLayers`). */
  layer?: number;
  /** Cancels the call: it rejects with AbortError. */
  signal?: AbortSignal;
  /**
   * Called on the JS thread after the feature extractor (step 1) and after each Transformer
   * layer (steps = 1 + the layers run). An error it throws rejects the call.
   */
  onProgress?: (p: StepReport) => void;
  /**
   * Largest attention matrix allowed, bytes: self-attention over all T frames holds
   * heads × T² float32 values per layer, so memory grows with the square of the duration
   * (1 hour at 12 heads: 1.5 TB). Default {@link DEFAULT_MAX_ATTENTION_BYTES} (2 GiB: about
   * 2 minutes of audio at 12 heads); longer audio is refused with a {@link ValidationError}
   * saying how long a part may be.
   */
  maxAttentionBytes?: number;
}

/** Default {@link Wav2Vec2FeaturesOptions.maxAttentionBytes}: 2 GiB. */
export const DEFAULT_MAX_ATTENTION_BYTES = 2 ** 31;

/** Weights as {@link readSafetensors} returns them, or a plain object of the same arrays. */
export type Wav2Vec2Weights = Map<string, NdArrayData> | Record<string, NdArrayData>;

/** HF names the encoder reads, after the optional `wav2vec2.` prefix (heads and quantizers are skipped). */
const ENCODER_PREFIXES = ['feature_extractor.', 'feature_projection.', 'encoder.'];
const POS_V = ['encoder.pos_conv_embed.conv.weight_v', 'encoder.pos_conv_embed.conv.parametrizations.weight.original1'];

/**
 * Frames the feature extractor makes of `samples` samples: per conv, `n -> floor((n - kernel) / stride) + 1`
 * (0 when too short). For the standard extractor, `floor((samples - 400) / 320) + 1`: 49 for one second.
 */
export function wav2vec2Frames(samples: number, config: Pick<Wav2Vec2Config, 'convKernel' | 'convStride'> = WAV2VEC2_BASE): number {
  let n = requireNonNegativeInt('samples', samples);
  for (let i = 0; i < config.convKernel.length; i++) {
    if (n < config.convKernel[i]!) return 0;
    n = Math.floor((n - config.convKernel[i]!) / config.convStride[i]!) + 1;
  }
  return n;
}

/** A wav2vec 2.0 encoder whose weights live in native tensors. */
export class Wav2Vec2Encoder {
  /** The architecture in use (inferred from the weights, then overridden by the caller's config). */
  readonly config: Readonly<Wav2Vec2Config>;
  private readonly names: string[];
  private readonly weights: NativeTensor[];

  private constructor(config: Wav2Vec2Config, names: string[], weights: NativeTensor[]) {
    this.config = Object.freeze(config);
    this.names = names;
    this.weights = weights;
  }

  /**
   * Loads HuggingFace `Wav2Vec2Model` (or `Wav2Vec2ForCTC`, whose head is ignored) weights from a
   * `.safetensors` file. See {@link Wav2Vec2Encoder.fromTensors} for how the config is found.
   */
  static async load(path: string, config: Partial<Wav2Vec2Config> = {}): Promise<Wav2Vec2Encoder> {
    requirePath('Wav2Vec2Encoder.load', path);
    optionalOptions('Wav2Vec2Encoder.load', config, 'config');
    return Wav2Vec2Encoder.fromTensors((await readSafetensors(path)).tensors, config);
  }

  /**
   * Makes an encoder from weights with HuggingFace names (`wav2vec2.` prefix optional; the
   * positional conv's `weight_g`/`weight_v` or `parametrizations.weight.original0/1`).
   *
   * The config starts from the preset of the same width ({@link WAV2VEC2_BASE} for 768 and
   * unknown widths, {@link WAV2VEC2_LARGE} for 1024, {@link XLSR_1B} for 1280); the conv
   * channels and kernels, conv bias, extractor norm, width, depth, FFN size and positional conv
   * are read from the weights' shapes; `layerNormFirst` follows the extractor norm (HF
   * checkpoints pair them); `config` overrides all of it. The heads and strides cannot be read
   * from weights: pass `numHeads` (and `convStride` for a non-standard extractor) for other models.
   *
   * @throws {@link ValidationError} for non-float weights, or a config the weights cannot fill
   *   (naming a missing key or the expected and received shapes) when first used.
   */
  static fromTensors(tensors: Wav2Vec2Weights, config: Partial<Wav2Vec2Config> = {}): Wav2Vec2Encoder {
    requireOptions('Wav2Vec2Encoder.fromTensors', tensors, 'tensors');
    optionalOptions('Wav2Vec2Encoder.fromTensors', config, 'config');
    const byName = new Map<string, NdArrayData>();
    for (const [name, value] of tensors instanceof Map ? tensors : Object.entries(tensors)) {
      const key = name.startsWith('wav2vec2.') ? name.slice('wav2vec2.'.length) : name;
      if (ENCODER_PREFIXES.some((p) => key.startsWith(p))) byName.set(key, value);
    }
    const full = { ...inferConfig(byName), ...config } as Wav2Vec2Config;
    if (config.numHeads === undefined && ![768, 1024, 1280].includes(full.hidden)) {
      throw new ValidationError(`cannot tell the attention heads of a wav2vec2 model ${full.hidden} wide from its weights: pass config.numHeads`);
    }
    if (full.convStride.length !== full.convDim.length) {
      throw new ValidationError(`expected config.convStride to give a stride for each of the ${full.convDim.length} conv layers, received ${full.convStride.length}`);
    }
    const names: string[] = [];
    const handles: NativeTensor[] = [];
    for (const [name, value] of byName) {
      const data = toFloat32(name, value);
      names.push(name);
      handles.push(nativeCall(() => native().Tensor.fromArray(data, value.shape)));
    }
    return new Wav2Vec2Encoder(full, names, handles);
  }

  /**
   * Hidden states of one layer.
   *
   * @param samples - [T] 16 kHz mono samples (at least 400 for the standard extractor).
   * @returns [{@link wav2vec2Frames}(T), hidden], float32.
   */
  async features(samples: Float32Array | ArrayLike, options: Wav2Vec2FeaturesOptions = {}): Promise<NdArray<Float32Array>> {
    const input = samples instanceof Float32Array ? { data: samples, shape: [samples.length] } : samples;
    const s = toFloat32Tensor('samples', input, ['T']);
    const layer = options.layer === undefined ? this.config.numLayers : requireNonNegativeInt('layer', options.layer);
    const maxBytes = requireFiniteNumber('maxAttentionBytes', options.maxAttentionBytes ?? DEFAULT_MAX_ATTENTION_BYTES, { min: 1 });
    const frames = wav2vec2Frames(s.shape[0]!, this.config);
    const attentionBytes = this.config.numHeads * frames * frames * 4;
    if (attentionBytes > maxBytes) {
      const maxFrames = Math.floor(Math.sqrt(maxBytes / (4 * this.config.numHeads)));
      const hop = this.config.convStride.reduce((a, b) => a * b, 1);
      throw new ValidationError(
        `expected at most ${maxFrames} wav2vec2 frames (about ${Math.floor((maxFrames * hop) / 16000)} s of 16 kHz audio) for a ${maxBytes}-byte attention matrix (maxAttentionBytes), received ${frames} frames (${attentionBytes} bytes): split the audio into parts, or raise maxAttentionBytes`,
      );
    }
    if (layer > this.config.numLayers) {
      throw new ValidationError(`expected layer to be at most ${this.config.numLayers} (the encoder's depth), received ${layer}`);
    }
    const progress = stepProgress(options.onProgress, 1 + layer);
    try {
      const raw = await awaitNative(
        native().wav2vec2Features({ ...this.config, samples: s, weightNames: this.names, weights: this.weights, layer, ...(progress.onStep ? { onStep: progress.onStep } : {}) }),
        options.signal,
      );
      progress.finish();
      return toNdarray(raw.features);
    } finally {
      progress.close();
    }
  }
}

/** The config the weights imply (see {@link Wav2Vec2Encoder.fromTensors}); `byName` has no `wav2vec2.` prefix. */
function inferConfig(byName: Map<string, NdArrayData>): Wav2Vec2Config {
  const shape = (name: string): number[] | undefined => byName.get(name)?.shape;
  const hidden = shape('feature_projection.projection.weight')?.[0];
  const preset = hidden === 1024 ? WAV2VEC2_LARGE : hidden === 1280 ? XLSR_1B : WAV2VEC2_BASE;
  const config: Wav2Vec2Config = { ...preset };
  if (hidden === undefined) return config; // the native side names the missing key
  const convs: number[][] = [];
  for (let s: number[] | undefined; (s = shape(`feature_extractor.conv_layers.${convs.length}.conv.weight`)); ) convs.push(s);
  if (convs.length > 0) {
    config.convDim = convs.map((s) => s[0]!);
    config.convKernel = convs.map((s) => s[2]!);
    if (convs.length !== preset.convStride.length) config.convStride = [];
  }
  config.convBias = byName.has('feature_extractor.conv_layers.0.conv.bias');
  config.extractorLayerNorm = byName.has('feature_extractor.conv_layers.1.layer_norm.weight');
  config.layerNormFirst = config.extractorLayerNorm;
  config.hidden = hidden;
  let layers = 0;
  while (byName.has(`encoder.layers.${layers}.attention.q_proj.weight`)) layers++;
  config.numLayers = layers;
  const ffn = shape('encoder.layers.0.feed_forward.intermediate_dense.weight');
  if (ffn) config.intermediate = ffn[0]!;
  const pos = POS_V.map(shape).find((s) => s !== undefined);
  if (pos) {
    config.posConvKernel = pos[2]!;
    config.posConvGroups = hidden / pos[1]!;
  }
  return config;
}

function toFloat32(name: string, value: NdArrayData): Float32Array {
  if (value.dtype === 'float32') return value.data;
  if (value.dtype === 'float64') return Float32Array.from(value.data);
  throw new ValidationError(`expected wav2vec2 weight ${name} to be floating point, received ${value.dtype}`);
}
