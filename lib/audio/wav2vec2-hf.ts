/**
 * HuggingFace wav2vec 2.0 / XLS-R model folders, as `save_pretrained` writes them and the Hub
 * serves them:
 *   config.json                    `Wav2Vec2Config`: the architecture
 *   preprocessor_config.json       `Wav2Vec2FeatureExtractor`: `do_normalize`, `sampling_rate` (optional)
 *   model.safetensors              the weights, or
 *   pytorch_model.bin              the weights as `torch.save` wrote them (read by a data-only
 *                                  unpickler that executes nothing), or either one sharded:
 *   model.safetensors.index.json / pytorch_model.bin.index.json  + the shards their `weight_map` names
 *
 * @module
 */

import { basename, join } from 'node:path';

import { optionalOptions } from '../arguments.js';
import { FileSystemError, FormatError, NativeError, ValidationError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { readJsonFile } from '../io/read-file.js';
import { readSafetensors } from '../io/safetensors.js';
import { readTorchCheckpoint } from '../io/torch-checkpoint.js';
import { describeValue } from '../validate.js';
import { Wav2Vec2Encoder, type Wav2Vec2Config } from './wav2vec2.js';

/**
 * HF `Wav2Vec2Config`'s defaults (transformers' configuration_wav2vec2.py), which a config.json
 * that omits a field means.
 */
const HF_DEFAULTS = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  feat_extract_activation: 'gelu',
  feat_extract_norm: 'group',
  layer_norm_eps: 1e-5,
  conv_dim: [512, 512, 512, 512, 512, 512, 512],
  conv_stride: [5, 2, 2, 2, 2, 2, 2],
  conv_kernel: [10, 3, 3, 3, 3, 2, 2],
  conv_bias: false,
  num_conv_pos_embeddings: 128,
  num_conv_pos_embedding_groups: 16,
  do_stable_layer_norm: false,
} as const;

/**
 * HF activation names that are the exact (erf) GELU, the only one ggtalker's encoder computes:
 * `gelu` is `nn.functional.gelu`, `gelu_python` the same formula in Python (transformers'
 * activations.py); `gelu_new`, `gelu_fast`, `gelu_pytorch_tanh`... are tanh approximations.
 */
const EXACT_GELU = ['gelu', 'gelu_python'];

/** The weight files tried, most preferred first. */
const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];

/**
 * The ggtalker config of a HuggingFace `Wav2Vec2Config` (a parsed config.json), with
 * `doNormalize` from the `Wav2Vec2FeatureExtractor` settings (a parsed preprocessor_config.json)
 * when given. Fields config.json omits take HF's defaults, as transformers does.
 *
 * Mapped: `conv_dim`, `conv_kernel`, `conv_stride`, `conv_bias`, `feat_extract_norm`
 * (`'group'` | `'layer'`), `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
 * `intermediate_size`, `num_conv_pos_embeddings`, `num_conv_pos_embedding_groups`,
 * `do_stable_layer_norm`, `layer_norm_eps`, and `do_normalize` (default true, as HF's).
 * Refused, naming the field: a `model_type` other than `wav2vec2`; `hidden_act` or
 * `feat_extract_activation` other than the exact GELU (`gelu`, `gelu_python`); `add_adapter`
 * or `adapter_attn_dim` (adapters ggtalker does not compute); `layer_norm_eps` other than 1e-5
 * (ggtalker uses it for the feature extractor's norms too, which HF leaves at PyTorch's 1e-5);
 * conv lists of different lengths; a `sampling_rate` other than 16000.
 *
 * @param config - The parsed config.json.
 * @param preprocessor - The parsed preprocessor_config.json, if the folder has one.
 * @param paths - The files they came from, for messages (default `config.json` and
 *   `preprocessor_config.json`).
 * @returns The full config.
 * @throws {@link FormatError} naming the file and the field, what was expected and received.
 */
export function wav2vec2ConfigFromHf(
  config: unknown,
  preprocessor?: unknown,
  paths: {
    /** Where `config` was read from, for messages. */
    config?: string;
    /** Where `preprocessor` was read from, for messages. */
    preprocessor?: string;
  } = {},
): Wav2Vec2Config {
  paths = optionalOptions('wav2vec2ConfigFromHf', paths, 'paths');
  const configPath = paths.config ?? 'config.json';
  const c = new JsonFields(config, configPath);
  const modelType = c.get('model_type');
  if (modelType !== undefined && modelType !== 'wav2vec2') {
    c.fail('model_type', '"wav2vec2" (other speech models name their weights and layers differently)', modelType);
  }
  for (const key of ['hidden_act', 'feat_extract_activation'] as const) {
    const act = c.string(key, HF_DEFAULTS[key]);
    if (!EXACT_GELU.includes(act)) c.fail(key, `"gelu" (the exact GELU, which ggtalker's encoder computes)`, act);
  }
  if (c.get('add_adapter') !== undefined && c.boolean('add_adapter', false)) {
    c.fail('add_adapter', 'false (the adapter after the encoder is not computed by ggtalker)', true);
  }
  const adapterAttn = c.get('adapter_attn_dim');
  if (adapterAttn !== undefined && adapterAttn !== null) {
    c.fail('adapter_attn_dim', 'null (the per-layer attention adapters are not computed by ggtalker)', adapterAttn);
  }
  const norm = c.string('feat_extract_norm', HF_DEFAULTS.feat_extract_norm);
  if (norm !== 'group' && norm !== 'layer') c.fail('feat_extract_norm', '"group" or "layer"', norm);
  const eps = c.number('layer_norm_eps', HF_DEFAULTS.layer_norm_eps);
  if (eps !== 1e-5) {
    c.fail('layer_norm_eps', "1e-05 (ggtalker's encoder uses one epsilon for every norm, and HF's feature-extractor norms always use 1e-05)", eps);
  }
  const convDim = c.intList('conv_dim', HF_DEFAULTS.conv_dim);
  const convKernel = c.intList('conv_kernel', HF_DEFAULTS.conv_kernel);
  const convStride = c.intList('conv_stride', HF_DEFAULTS.conv_stride);
  for (const [key, list] of [['conv_kernel', convKernel], ['conv_stride', convStride]] as const) {
    if (list.length !== convDim.length) c.fail(key, `${convDim.length} values, one per conv layer of conv_dim`, list);
  }
  const hidden = c.positiveInt('hidden_size', HF_DEFAULTS.hidden_size);
  const numHeads = c.positiveInt('num_attention_heads', HF_DEFAULTS.num_attention_heads);
  if (hidden % numHeads !== 0) c.fail('num_attention_heads', `a divisor of hidden_size ${hidden}`, numHeads);
  const posConvGroups = c.positiveInt('num_conv_pos_embedding_groups', HF_DEFAULTS.num_conv_pos_embedding_groups);
  if (hidden % posConvGroups !== 0) c.fail('num_conv_pos_embedding_groups', `a divisor of hidden_size ${hidden}`, posConvGroups);

  let doNormalize = true; // Wav2Vec2FeatureExtractor's default
  if (preprocessor !== undefined) {
    const p = new JsonFields(preprocessor, paths.preprocessor ?? 'preprocessor_config.json');
    doNormalize = p.boolean('do_normalize', true);
    const rate = p.get('sampling_rate');
    if (rate !== undefined && rate !== 16000) p.fail('sampling_rate', '16000 (ggtalker feeds the encoder 16 kHz audio)', rate);
  }
  return {
    convDim,
    convKernel,
    convStride,
    convBias: c.boolean('conv_bias', HF_DEFAULTS.conv_bias),
    extractorLayerNorm: norm === 'layer',
    hidden,
    numLayers: c.nonNegativeInt('num_hidden_layers', HF_DEFAULTS.num_hidden_layers),
    numHeads,
    intermediate: c.positiveInt('intermediate_size', HF_DEFAULTS.intermediate_size),
    posConvKernel: c.positiveInt('num_conv_pos_embeddings', HF_DEFAULTS.num_conv_pos_embeddings),
    posConvGroups,
    layerNormFirst: c.boolean('do_stable_layer_norm', HF_DEFAULTS.do_stable_layer_norm),
    layerNormEps: eps,
    doNormalize,
  };
}

/**
 * Loads a wav2vec 2.0 / XLS-R encoder from a HuggingFace model folder (`Wav2Vec2Model`,
 * `Wav2Vec2ForCTC`... whose heads are ignored): the architecture from config.json (see
 * {@link wav2vec2ConfigFromHf}), `doNormalize` from preprocessor_config.json, and the weights
 * from model.safetensors or, when the folder has none, pytorch_model.bin (or their sharded
 * forms). A pytorch_model.bin's pickle is read by a data-only unpickler that executes nothing:
 * it accepts tensors of a state dict and refuses anything else.
 *
 * The weights are checked against the config before the encoder is returned (every tensor
 * the config calls for, of the shape it implies, and no extra layers), so a folder whose files
 * disagree fails here, naming both.
 *
 * @param dir - The model folder.
 * @param overrides - Config fields to use instead of the folder's (e.g. `{ doNormalize: false }`).
 * @returns The encoder.
 * @throws {@link FormatError} naming the file at fault: no config.json or no weights in `dir`,
 *   an unsupported or malformed config field, unreadable weights, or weights that do not fit
 *   the config. {@link ValidationError} for a bad `dir` or `overrides`.
 *
 * @example
 * ```ts
 * const encoder = await loadWav2Vec2('models/wav2vec2-base-960h');   // config.json + pytorch_model.bin
 * const features = await encoder.features(samples16k);               // [frames, 768]
 * ```
 */
export async function loadWav2Vec2(dir: string, overrides: Partial<Wav2Vec2Config> = {}): Promise<Wav2Vec2Encoder> {
  if (typeof dir !== 'string' || dir === '') throw new ValidationError(`expected dir to be the path of a HuggingFace model folder, received ${describeValue(dir)}`);
  if (typeof overrides !== 'object' || overrides === null) throw new ValidationError(`expected overrides to be an object of config fields, received ${describeValue(overrides)}`);
  const configPath = join(dir, 'config.json');
  const config = await readJson(configPath, `no config.json in ${dir}: expected a HuggingFace model folder (config.json beside model.safetensors or pytorch_model.bin)`);
  const preprocessorPath = join(dir, 'preprocessor_config.json');
  const preprocessor = (await pathExists(preprocessorPath)) ? await readJson(preprocessorPath) : undefined;
  const full = { ...wav2vec2ConfigFromHf(config, preprocessor, { config: configPath, preprocessor: preprocessorPath }), ...overrides };
  const { tensors, source } = await readWeights(dir);

  let encoder: Wav2Vec2Encoder;
  try {
    encoder = Wav2Vec2Encoder.fromTensors(tensors, full);
    // The native side resolves every weight the config calls for (names and shapes) before it
    // runs; the shortest input and layer 0 keep the run itself to the feature extractor.
    await encoder.features(new Float32Array(receptiveField(full)), { layer: 0 });
  } catch (error) {
    if (!(error instanceof NativeError || error instanceof ValidationError)) throw error;
    throw new FormatError(`the weights do not fit ${configPath}: ${error.message}`, { path: source, cause: error });
  }
  return encoder;
}

// ---------------------------------------------------------------------------------------------
// Internals

/** Samples the feature extractor needs for one frame (400 for the standard one). */
function receptiveField(config: Pick<Wav2Vec2Config, 'convKernel' | 'convStride'>): number {
  let n = 1;
  for (let i = config.convKernel.length - 1; i >= 0; i--) n = (n - 1) * config.convStride[i]! + config.convKernel[i]!;
  return n;
}

/** The weights of a model folder: the first of {@link WEIGHT_FILES} it has. */
async function readWeights(dir: string): Promise<{ tensors: Map<string, NdArrayData>; source: string }> {
  for (const file of WEIGHT_FILES) {
    const path = join(dir, file);
    if (!(await pathExists(path))) continue;
    if (!file.endsWith('.index.json')) return { tensors: await readWeightFile(path), source: path };
    return { tensors: await readShards(dir, path), source: path };
  }
  throw new FormatError(`no weights in ${dir}: expected ${WEIGHT_FILES.join(', ')} (the first found is used)`, { path: dir });
}

function readWeightFile(path: string): Promise<Map<string, NdArrayData>> {
  return path.endsWith('.safetensors') ? readSafetensors(path).then((file) => file.tensors) : readTorchCheckpoint(path);
}

/** A sharded checkpoint: `{"weight_map": {name: shard file}}` and the shards beside it. */
async function readShards(dir: string, indexPath: string): Promise<Map<string, NdArrayData>> {
  const index = await readJson(indexPath);
  const map = index instanceof Object && !Array.isArray(index) ? (index as Record<string, unknown>)['weight_map'] : undefined;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new FormatError(`expected a "weight_map" object (tensor name → shard file), received ${describeValue(map)}`, { path: indexPath });
  }
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '.' || shard === '..' || shard.includes('\\')) {
      throw new FormatError(`expected weight_map["${name}"] to be a file name in the same folder, received ${describeValue(shard)}`, { path: indexPath });
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const out = new Map<string, NdArrayData>();
  for (const [shard, names] of byShard) {
    const shardPath = join(dir, shard);
    const tensors = await readWeightFile(shardPath);
    for (const name of names) {
      const tensor = tensors.get(name);
      if (tensor === undefined) throw new FormatError(`expected ${name} in ${shard}, as ${basename(indexPath)} says; the shard lacks it`, { path: shardPath });
      out.set(name, tensor);
    }
  }
  return out;
}

/** A JSON file of the folder (a regular file, size-checked); `missing` is the message when it is absent. */
async function readJson(path: string, missing?: string): Promise<unknown> {
  try {
    return await readJsonFile(path, { what: basename(path) });
  } catch (error) {
    const code = error instanceof FileSystemError ? error.systemCode : undefined;
    if (missing !== undefined && (code === 'ENOENT' || code === 'ENOTDIR')) throw new FormatError(missing, { path, cause: error });
    throw error;
  }
}

/** The fields of a parsed JSON object, read with messages naming the file and the field. */
class JsonFields {
  private readonly fields: Record<string, unknown>;

  constructor(
    value: unknown,
    private readonly path: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FormatError(`expected a JSON object, received ${describeValue(value)}`, { path });
    }
    this.fields = value as Record<string, unknown>;
  }

  get(key: string): unknown {
    return Object.hasOwn(this.fields, key) ? this.fields[key] : undefined;
  }

  fail(key: string, expected: string, received: unknown): never {
    throw new FormatError(`expected ${key} to be ${expected}, received ${JSON.stringify(received) ?? describeValue(received)}`, { path: this.path });
  }

  string(key: string, fallback: string): string {
    const value = this.get(key) ?? fallback;
    return typeof value === 'string' ? value : this.fail(key, 'a string', value);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.get(key) ?? fallback;
    return typeof value === 'boolean' ? value : this.fail(key, 'true or false', value);
  }

  number(key: string, fallback: number): number {
    const value = this.get(key) ?? fallback;
    return typeof value === 'number' && Number.isFinite(value) ? value : this.fail(key, 'a number', value);
  }

  positiveInt(key: string, fallback: number): number {
    const value = this.get(key) ?? fallback;
    return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : this.fail(key, 'a positive integer', value);
  }

  nonNegativeInt(key: string, fallback: number): number {
    const value = this.get(key) ?? fallback;
    return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : this.fail(key, 'a non-negative integer', value);
  }

  intList(key: string, fallback: readonly number[]): number[] {
    const value = this.get(key) ?? fallback;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isSafeInteger(v) && v > 0)) {
      return this.fail(key, 'a non-empty list of positive integers', value);
    }
    return [...(value as number[])];
  }
}
