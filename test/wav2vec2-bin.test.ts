// PyTorch zip checkpoints (torch.save) and HuggingFace wav2vec2 folders, against fixtures made by
// test/fixtures/wav2vec2-bin/make_fixture.py with Debian's python3-torch: views.bin (dtypes and
// strided views; numpy's copies in views.npz), tiny-base/ (the weights of
// ../wav2vec2/base_like.safetensors as torch.save(state_dict) writes them, with config.json; the
// torchaudio reference features are ../wav2vec2/base_like.npz) and evil.bin (REDUCE os.system).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import {
  FormatError,
  loadWav2Vec2,
  parseTorchCheckpoint,
  readNpz,
  readSafetensors,
  readTorchCheckpoint,
  wav2vec2ConfigFromHf,
  WAV2VEC2_BASE,
  WAV2VEC2_LARGE,
  writeSafetensors,
  XLSR_1B,
  type NdArrayData,
} from '../lib/index.js';
import { encodeZip } from '../lib/io/zip.js';
import { formatMessage } from './helpers/errors.js';
import { global, int, str, text, tuple } from './helpers/pickle-opcodes.js';
import { relativeError } from './helpers/scene.js';

const dir = new URL('./fixtures/wav2vec2-bin/', import.meta.url).pathname;
const w2v = new URL('./fixtures/wav2vec2/', import.meta.url).pathname;
const tinyBase = dir + 'tiny-base/';
const samples = (await readNpz(w2v + 'input.npz')).get('samples')!.data as Float32Array;
const reference = await readNpz(w2v + 'base_like.npz');
const EVIL_MARKER = '/tmp/ggtalker-wav2vec2-bin-evil-marker';

const scratch = await mkdtemp(join(tmpdir(), 'ggt-w2v-bin-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Elements equal bit for bit (Object.is: -0 and NaN too), with the same dtype and shape. */
function expectSameArray(actual: NdArrayData | undefined, expected: NdArrayData, what: string): void {
  expect(actual, what).toBeDefined();
  expect(actual!.dtype, what).toBe(expected.dtype);
  expect(actual!.shape, what).toEqual(expected.shape);
  const a = actual!.data as ArrayLike<number | bigint>;
  const b = expected.data as ArrayLike<number | bigint>;
  for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) expect(a[i], `${what}[${i}]`).toBe(b[i]);
}


// ---------------------------------------------------------------------------------------------
// Hand-made checkpoints: pickle bytes written opcode by opcode, in a stored ZIP.


interface TensorSpec {
  storageType?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
  rebuild?: [string, string];
}

/** `torch.save({'w': tensor})`'s data.pkl for one tensor, as protocol 2 spells it. */
function tensorPickle(spec: TensorSpec): Uint8Array {
  const [module, name] = spec.rebuild ?? ['torch._utils', '_rebuild_tensor_v2'];
  const pid = tuple([str('storage'), global('torch', spec.storageType ?? 'FloatStorage'), str(spec.key ?? '0'), str('cpu'), int(spec.numel)]);
  const args = tuple([
    [...pid, 0x51], // BINPERSID
    int(spec.offset ?? 0),
    tuple(spec.size.map(int)),
    tuple(spec.stride.map(int)),
    [0x89], // False
    [...global('collections', 'OrderedDict'), 0x29, 0x52], // OrderedDict()
  ]);
  return Uint8Array.from([0x80, 0x02, 0x7d, 0x28, ...str('w'), ...global(module, name), ...args, 0x52, 0x75, 0x2e]);
}

function archive(pickle: Uint8Array | number[], records: Record<string, Uint8Array> = {}): Uint8Array {
  return encodeZip([
    { name: 'archive/data.pkl', data: Uint8Array.from(pickle) },
    ...Object.entries(records).map(([name, data]) => ({ name: `archive/${name}`, data })),
    { name: 'archive/version', data: Uint8Array.from(text('3\n')) },
  ]);
}

const floats = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

describe('parseTorchCheckpoint: torch.save files', () => {
  it('reads views.bin: every dtype and strided view equal to numpy\'s C-order copies', async () => {
    const tensors = await readTorchCheckpoint(dir + 'views.bin');
    const expected = await readNpz(dir + 'views.npz');
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(tensors.size).toBe(18);
    for (const [name, array] of expected) expectSameArray(tensors.get(name), array, name);
    // float16 and bfloat16 are widened to float32; the rest keep their type.
    expect(['f16', 'bf16', 'f64', 'i64', 'bool'].map((n) => tensors.get(n)!.dtype)).toEqual(['float32', 'float32', 'float64', 'int64', 'bool']);
    expect(tensors.get('f32_t')!.shape).toEqual([8, 6]); // strides [1, 8] of a [6, 8] storage
    expect(tensors.get('scalar')).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(2.5) });
    // One view under two names is one array; a different view of the same storage is not.
    expect(tensors.get('f32_again')).toBe(tensors.get('f32_same'));
    expect(tensors.get('f32_rows')).not.toBe(tensors.get('f32_same'));
  });

  it('reads a HuggingFace state dict (OrderedDict with _metadata; q/k/v slices, transposed and permuted views) into exactly base_like.safetensors', async () => {
    const fromBin = await readTorchCheckpoint(tinyBase + 'pytorch_model.bin');
    const { tensors: fromSafetensors } = await readSafetensors(w2v + 'base_like.safetensors');
    expect(fromBin.size).toBe(fromSafetensors.size);
    for (const [name, array] of fromSafetensors) expectSameArray(fromBin.get(name), array, name);
    expect(fromBin.get('wav2vec2.encoder.layers.1.feed_forward.intermediate_dense.weight')!.shape).toEqual([64, 32]);
    expect(fromBin.get('wav2vec2.feature_extractor.conv_layers.1.conv.weight')!.shape).toEqual([32, 32, 3]);
  });

  it('reads big-endian storages when the byteorder record says "big"', () => {
    const pickle = tensorPickle({ numel: 3, size: [3], stride: [1] });
    const big = new Uint8Array(12);
    [1.5, -2, 1e-3].forEach((v, i) => new DataView(big.buffer).setFloat32(4 * i, v, false));
    const read = parseTorchCheckpoint(archive(pickle, { 'data/0': big, byteorder: Uint8Array.from(text('big')) }));
    expect(read.get('w')).toEqual({ dtype: 'float32', shape: [3], data: Float32Array.of(1.5, -2, 1e-3) });
    expect(parseTorchCheckpoint(archive(pickle, { 'data/0': floats(1.5, -2, 1e-3) })).get('w')!.data).toEqual(Float32Array.of(1.5, -2, 1e-3));
    expect(formatMessage(() => parseTorchCheckpoint(archive(pickle, { 'data/0': big, byteorder: Uint8Array.from(text('middle')) })))).toMatch(
      /expected the record archive\/byteorder to say "little" or "big", received "middle"/,
    );
  });

  it('refuses evil.bin (REDUCE os.system) with a FormatError naming the file, data.pkl and os.system, and runs nothing', async () => {
    await rm(EVIL_MARKER, { force: true });
    const path = dir + 'evil.bin';
    const error = await readTorchCheckpoint(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).path).toBe(path);
    expect((error as Error).message).toMatch(/evil\.bin: archive\/data\.pkl: refusing to load os\.system: pickles can run code; a PyTorch checkpoint may only name torch\._utils\._rebuild_tensor_v2/);
    expect(existsSync(EVIL_MARKER)).toBe(false);
  });

  it('refuses every other class or function: builtins.eval, torch._utils._rebuild_parameter, unknown storage types', () => {
    const evalPickle = [0x80, 0x02, ...global('builtins', 'eval'), ...str('1+1'), 0x85, 0x52, 0x2e];
    expect(formatMessage(() => parseTorchCheckpoint(archive(evalPickle), 'x.bin'))).toMatch(/^x\.bin: archive\/data\.pkl: refusing to load builtins\.eval: pickles can run code/);
    const parameter = tensorPickle({ numel: 2, size: [2], stride: [1], rebuild: ['torch._utils', '_rebuild_parameter'] });
    expect(formatMessage(() => parseTorchCheckpoint(archive(parameter, { 'data/0': floats(1, 2) })))).toMatch(/refusing to load torch\._utils\._rebuild_parameter/);
    const complex = tensorPickle({ storageType: 'ComplexFloatStorage', numel: 1, size: [1], stride: [1] });
    expect(formatMessage(() => parseTorchCheckpoint(archive(complex, { 'data/0': floats(1, 2) })))).toMatch(/refusing to load torch\.ComplexFloatStorage/);
    // numpy data is fine in FLAME pickles, but not in a checkpoint.
    const numpy = [0x80, 0x02, ...global('numpy', 'dtype'), ...str('f8'), 0x85, 0x52, 0x2e];
    expect(formatMessage(() => parseTorchCheckpoint(archive(numpy)))).toMatch(/refusing to load numpy\.dtype/);
    // The same tensor through the allowed function loads.
    const ok = tensorPickle({ numel: 2, size: [2], stride: [1] });
    expect(parseTorchCheckpoint(archive(ok, { 'data/0': floats(1, 2) })).get('w')!.data).toEqual(Float32Array.of(1, 2));
  });

  it('refuses a tensor beyond its storage, a storage record of the wrong size or missing, and broadcast views', () => {
    const data = { 'data/0': floats(0, 1, 2, 3, 4, 5) };
    const view = (spec: Partial<TensorSpec>, records: Record<string, Uint8Array> = data): Map<string, NdArrayData> =>
      parseTorchCheckpoint(archive(tensorPickle({ numel: 6, size: [2, 3], stride: [3, 1], ...spec }), records), 'c.bin');
    expect(view({}).get('w')!.data).toEqual(Float32Array.of(0, 1, 2, 3, 4, 5));
    expect(view({ size: [2, 2], stride: [1, 2], offset: 1 }).get('w')!.data).toEqual(Float32Array.of(1, 3, 2, 4));
    expect(formatMessage(() => view({ offset: 1 }))).toMatch(
      /^c\.bin: archive\/data\.pkl: malformed pickle: a tensor of size \[2, 3\] with storage offset 1 and strides \[3, 1\] reaches element 6 of its storage archive\/data\/0, which holds 6/,
    );
    expect(formatMessage(() => view({ size: [3, 3] }))).toMatch(/reaches element 8 of its storage archive\/data\/0, which holds 6/);
    expect(formatMessage(() => view({ stride: [3, -1], offset: 2 }))).toMatch(/expected each stride of torch\._utils\._rebuild_tensor_v2 to be non-negative, received -1/);
    expect(formatMessage(() => view({}, { 'data/0': floats(0, 1, 2, 3, 4) }))).toMatch(
      /expected the record archive\/data\/0 to hold 24 bytes \(6 × FloatStorage\), received 20 \(the file is damaged or incomplete\)/,
    );
    expect(formatMessage(() => view({}, {}))).toMatch(/storage 0 has no record archive\/data\/0 in the archive/);
    expect(formatMessage(() => view({ size: [4, 6], stride: [0, 1] }))).toMatch(/has more elements \(24\) than its storage archive\/data\/0 \(6\): broadcast views are not supported/);
  });

  it('refuses truncated, corrupt, legacy and non-checkpoint files with FormatErrors that say what is wrong', async () => {
    const good = await readFile(tinyBase + 'pytorch_model.bin');
    expect(formatMessage(() => parseTorchCheckpoint(good.subarray(0, good.length >> 1), 'half.bin'))).toMatch(
      /^half\.bin: not a readable PyTorch checkpoint \(torch\.save's ZIP archive\): not a ZIP archive: no end-of-central-directory record; the file is damaged or incomplete/,
    );
    const corrupt = Buffer.from(good);
    const at = corrupt.indexOf(Buffer.from('pytorch_model/data/11')) + 'pytorch_model/data/11'.length + 200; // inside that storage's data
    corrupt[at] ^= 0x40;
    expect(formatMessage(() => parseTorchCheckpoint(corrupt))).toMatch(/corrupt ZIP archive: the CRC-32 of pytorch_model\/data\/11 does not match its data/);
    expect(formatMessage(() => parseTorchCheckpoint(new Uint8Array(), 'empty.bin'))).toMatch(/^empty\.bin: expected a PyTorch checkpoint \(a ZIP archive starting with "PK"/);
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect(formatMessage(() => parseTorchCheckpoint(legacy))).toMatch(/legacy torch\.save file \(a bare pickle.*save it again with torch\.save/);
    const noPickle = encodeZip([{ name: 'weights.npy', data: new Uint8Array(4) }]);
    expect(formatMessage(() => parseTorchCheckpoint(noPickle))).toMatch(/expected a torch\.save checkpoint holding one <archive>\/data\.pkl, received a ZIP archive with 0 \(its first records: weights\.npy\)/);
    const torchScript = encodeZip([{ name: 'm/constants.pkl', data: Uint8Array.of(0x80, 0x02, 0x29, 0x2e) }]);
    expect(formatMessage(() => parseTorchCheckpoint(torchScript))).toMatch(/TorchScript archive/);
    const notADict = archive([0x80, 0x02, 0x5d, 0x2e]); // []
    expect(formatMessage(() => parseTorchCheckpoint(notADict))).toMatch(/expected archive\/data\.pkl to hold a dict of tensors \(a state_dict\), received a tuple\/list of 0/);
    const nested = archive([0x80, 0x02, 0x7d, ...str('model'), 0x7d, 0x73, 0x2e]); // {'model': {}}
    expect(formatMessage(() => parseTorchCheckpoint(nested))).toMatch(/expected the value of 'model' in archive\/data\.pkl to be a tensor, received a dict/);
  });
});

// ---------------------------------------------------------------------------------------------

/** A copy of tiny-base/ in a fresh folder, with config.json edited and files added or removed. */
async function variant(
  edit: (config: Record<string, unknown>) => void = () => undefined,
  files: { bin?: boolean; safetensors?: Uint8Array | string; preprocessor?: boolean } = {},
): Promise<string> {
  const out = await mkdtemp(join(scratch, 'model-'));
  const config = JSON.parse(await readFile(tinyBase + 'config.json', 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeFile(join(out, 'config.json'), JSON.stringify(config));
  if (files.bin ?? true) await copyFile(tinyBase + 'pytorch_model.bin', join(out, 'pytorch_model.bin'));
  if (files.preprocessor ?? true) await copyFile(tinyBase + 'preprocessor_config.json', join(out, 'preprocessor_config.json'));
  if (typeof files.safetensors === 'string') await copyFile(files.safetensors, join(out, 'model.safetensors'));
  else if (files.safetensors) await writeFile(join(out, 'model.safetensors'), files.safetensors);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('loadWav2Vec2: HuggingFace model folders', () => {
  it('tiny-base/ (config.json + pytorch_model.bin) gives torchaudio\'s features at layers 0, 1 and 2 (max relative error 1e-4)', async () => {
    const encoder = await loadWav2Vec2(tinyBase);
    expect(encoder.config).toEqual({
      convDim: [32, 32, 32, 32, 32, 32, 32],
      convKernel: [10, 3, 3, 3, 3, 2, 2],
      convStride: [5, 2, 2, 2, 2, 2, 2],
      convBias: false,
      extractorLayerNorm: false,
      hidden: 32,
      numLayers: 2,
      numHeads: 2, // not readable from the weights: from config.json
      intermediate: 64,
      posConvKernel: 16,
      posConvGroups: 4,
      layerNormFirst: false,
      layerNormEps: 1e-5,
      doNormalize: false, // preprocessor_config.json
    });
    for (const layer of [0, 1, 2]) {
      const ref = reference.get(`layer_${layer}`)!;
      const features = await encoder.features(samples, { layer });
      expect(features.shape).toEqual(ref.shape);
      const err = relativeError(features.data, ref.data as Float32Array);
      console.log(`tiny-base (.bin) layer ${layer}: max relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });

  it('config.json and preprocessor_config.json drive the architecture', async () => {
    const ref = reference.get('layer_2')!.data as Float32Array;
    // 4 heads of 8 instead of 2 of 16: same weights, other attention.
    const fourHeads = await loadWav2Vec2(await variant((c) => (c['num_attention_heads'] = 4)));
    expect(fourHeads.config.numHeads).toBe(4);
    expect(relativeError((await fourHeads.features(samples)).data, ref)).toBeGreaterThan(1e-2);
    // Without preprocessor_config.json, HF's default do_normalize (true) applies: quiet speech
    // then gives the features of normal speech, which it does not without normalisation (the
    // extractor's GroupNorm epsilon matters at low levels).
    const normalising = await loadWav2Vec2(await variant(undefined, { preprocessor: false }));
    expect(normalising.config.doNormalize).toBe(true);
    const quiet = samples.map((x) => x * 1e-3);
    const plain = await loadWav2Vec2(tinyBase);
    const normalisedGap = relativeError((await normalising.features(quiet)).data, (await normalising.features(samples)).data);
    const plainGap = relativeError((await plain.features(quiet)).data, (await plain.features(samples)).data);
    console.log(`quiet vs normal speech: ${normalisedGap.toExponential(2)} normalising, ${plainGap.toExponential(2)} not`);
    expect(normalisedGap).toBeLessThan(1e-3);
    expect(plainGap).toBeGreaterThan(1e-2);
    // A config the weights do not fit: named with both files.
    const layerNorm = await variant((c) => (c['feat_extract_norm'] = 'layer'));
    const error = await rejection(loadWav2Vec2(layerNorm));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).path).toBe(join(layerNorm, 'pytorch_model.bin'));
    expect(error.message).toMatch(/pytorch_model\.bin: the weights do not fit .*config\.json: .*conv_layers\.1\.layer_norm\.weight/);
    expect((await rejection(loadWav2Vec2(await variant((c) => (c['num_hidden_layers'] = 1))))).message).toMatch(/config\.json: .*more than the 1 layers/);
    expect((await rejection(loadWav2Vec2(await variant((c) => (c['intermediate_size'] = 48))))).message).toMatch(
      /config\.json: (wav2vec2Features: )?expected wav2vec2 weight encoder\.layers\.0\.feed_forward\.intermediate_dense\.weight of shape \[48, 32\], received shape \[64, 32\]/,
    );
  });

  it('prefers model.safetensors to pytorch_model.bin, and reads sharded indexes', async () => {
    // A broken .bin beside good safetensors is never opened.
    const both = await variant(undefined, { safetensors: w2v + 'base_like.safetensors' });
    await writeFile(join(both, 'pytorch_model.bin'), 'not a checkpoint');
    const fromSafetensors = await loadWav2Vec2(both);
    expect(relativeError((await fromSafetensors.features(samples)).data, reference.get('layer_2')!.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    await rm(join(both, 'model.safetensors'));
    const error = await rejection(loadWav2Vec2(both));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/pytorch_model\.bin: expected a PyTorch checkpoint \(a ZIP archive starting with "PK"/);
    // model.safetensors.index.json over two shards.
    const sharded = await variant(undefined, { bin: false });
    const { tensors } = await readSafetensors(w2v + 'base_like.safetensors');
    const names = [...tensors.keys()];
    const half = names.length >> 1;
    await writeSafetensors(join(sharded, 'model-00001-of-00002.safetensors'), new Map(names.slice(0, half).map((n) => [n, tensors.get(n)!])));
    await writeSafetensors(join(sharded, 'model-00002-of-00002.safetensors'), new Map(names.slice(half).map((n) => [n, tensors.get(n)!])));
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    await writeFile(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expect(relativeError((await (await loadWav2Vec2(sharded)).features(samples)).data, reference.get('layer_2')!.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    await writeFile(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...weightMap, x: '../evil.safetensors' } }));
    expect((await rejection(loadWav2Vec2(sharded))).message).toMatch(/expected weight_map\["x"\] to be a file name in the same folder, received "\.\.\/evil\.safetensors"/);
    // pytorch_model.bin.index.json naming the one .bin.
    const binIndex = await variant();
    await rm(join(binIndex, 'pytorch_model.bin'));
    await copyFile(tinyBase + 'pytorch_model.bin', join(binIndex, 'pytorch_model-00001-of-00001.bin'));
    await writeFile(join(binIndex, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: Object.fromEntries(names.map((n) => [n, 'pytorch_model-00001-of-00001.bin'])) }));
    expect((await loadWav2Vec2(binIndex)).config.hidden).toBe(32);
    // Nothing to load.
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    expect((await rejection(loadWav2Vec2(empty))).message).toMatch(/no config\.json in .*empty: expected a HuggingFace model folder/);
    await writeFile(join(empty, 'config.json'), '{}');
    expect((await rejection(loadWav2Vec2(empty))).message).toMatch(/no weights in .*empty: expected model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin/);
  });

  it('refuses config values ggtalker does not compute, naming config.json and the field', async () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ hidden_act: 'gelu_new' }, /expected hidden_act to be "gelu" \(the exact GELU, which ggtalker's encoder computes\), received "gelu_new"/],
      [{ feat_extract_activation: 'relu' }, /expected feat_extract_activation to be "gelu".*received "relu"/],
      [{ feat_extract_norm: 'batch' }, /expected feat_extract_norm to be "group" or "layer", received "batch"/],
      [{ add_adapter: true }, /expected add_adapter to be false/],
      [{ adapter_attn_dim: 16 }, /expected adapter_attn_dim to be null/],
      [{ layer_norm_eps: 1e-12 }, /expected layer_norm_eps to be 1e-05 .*received 1e-12/],
      [{ model_type: 'hubert' }, /expected model_type to be "wav2vec2".*received "hubert"/],
      [{ conv_kernel: [10, 3, 3] }, /expected conv_kernel to be 7 values, one per conv layer of conv_dim, received \[10,3,3\]/],
      [{ num_attention_heads: 5 }, /expected num_attention_heads to be a divisor of hidden_size 32, received 5/],
      [{ hidden_size: '32' }, /expected hidden_size to be a positive integer, received "32"/],
    ];
    for (const [fields, message] of refused) {
      const error = await rejection(loadWav2Vec2(await variant((c) => Object.assign(c, fields))));
      expect(error, JSON.stringify(fields)).toBeInstanceOf(FormatError);
      expect((error as FormatError).path, JSON.stringify(fields)).toMatch(/config\.json$/);
      expect(error.message, JSON.stringify(fields)).toMatch(message);
    }
    expect(formatMessage(() => wav2vec2ConfigFromHf({}, { sampling_rate: 8000 }))).toMatch(/^preprocessor_config\.json: expected sampling_rate to be 16000/);
    expect(formatMessage(() => wav2vec2ConfigFromHf({}, { do_normalize: 'yes' }))).toMatch(/expected do_normalize to be true or false, received "yes"/);
  });

  it('maps HF defaults to WAV2VEC2_BASE and the published large / XLS-R 1B configs to their presets', () => {
    expect(wav2vec2ConfigFromHf({})).toEqual({ ...WAV2VEC2_BASE });
    const large = { feat_extract_norm: 'layer', do_stable_layer_norm: true, conv_bias: true, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 };
    expect(wav2vec2ConfigFromHf({ model_type: 'wav2vec2', ...large })).toEqual({ ...WAV2VEC2_LARGE });
    expect(wav2vec2ConfigFromHf({ ...large, hidden_size: 1280, num_hidden_layers: 48, intermediate_size: 5120 }, { do_normalize: true, sampling_rate: 16000 })).toEqual({ ...XLSR_1B });
  });
});

describe('priors folders with a HuggingFace wav2vec2 folder', () => {
  it('loadPriors reads wav2vec2/ (config.json + pytorch_model.bin) as the audio encoder, savePriors lists it', async () => {
    const { loadPriors, savePriors } = await import('../lib/index.js');
    const priors = join(scratch, 'priors-hf');
    await mkdir(join(priors, 'wav2vec2'), { recursive: true });
    for (const f of ['config.json', 'preprocessor_config.json', 'pytorch_model.bin']) await copyFile(tinyBase + f, join(priors, 'wav2vec2', f));
    await savePriors(priors, {});
    expect(JSON.parse(await readFile(join(priors, 'priors.json'), 'utf8')).parts).toEqual(['wav2vec2']);
    const { encoder } = await loadPriors(priors);
    const ref = reference.get('layer_2')!;
    const features = await encoder!.features(samples, { layer: 2 });
    expect(relativeError(features.data, ref.data as Float32Array)).toBeLessThan(1e-4);
  });
});
