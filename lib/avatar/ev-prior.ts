/**
 * Training the Expression-Visual prior (GGTalker §3.3): the Identity-Gaussian Generator G
 * learns, over many identities, to turn a source image of a person into the UV Gaussian map
 * that — rigged with a target frame's FLAME parameters and seen from its camera — reproduces
 * the target image (L1 + SSIM + position regularisation). The body inpainter is pre-trained
 * alongside. Sources are each identity's most front-facing training frames; every target
 * frame is paired with one of them (seeded).
 *
 * @module
 */

import { requireOptions } from '../arguments.js';
import { openTrainingGroup, type DistributedSetting } from '../distributed/training-group.js';
import { ValidationError } from '../errors.js';
import { Flame } from '../flame/flame.js';
import type { FlameModel } from '../flame/model.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAsync, nativeCall } from '../tensor.js';
import { uvLayout } from '../rig/uv.js';
import { describeValue } from '../validate.js';
import { arrayToHandle, flattenNamed } from '../a2e/native-params.js';
import { DEFAULT_INPAINTER, resolveSizes, type GeneratorConfig, type InpainterConfig } from './config.js';
import { loadAvatarDataset, type LoadAvatarDatasetOptions } from './dataset.js';
import { packFrames, type AvatarFrame } from './frames.js';
import { IdentityGaussianGenerator } from './generator.js';
import { BodyInpainter } from './inpainter.js';
import { resizeImage } from './image.js';
import type { VggWeights } from './losses.js';
import { frontality } from './reference.js';
import { runAvatarStage, type AvatarStageProgress } from './stage.js';
import { staticOffsetParam } from './static-offset.js';

/** One identity's tracked frames (and FLAME shape and static offsets). */
export interface PriorIdentity {
  /** The identity's tracked frames. */
  frames: AvatarFrame[];
  /** The identity's FLAME shape [S] (zeros when absent). */
  shape?: Float32Array;
  /** Static offsets [V, 3] flattened (VHAP's `static_offset`), when tracked with them. */
  staticOffset?: Float32Array;
}

/** Options of {@link trainExpressionVisualPrior}. */
export interface TrainExpressionVisualPriorOptions {
  /** Each identity's frames, or a VHAP-format dataset folder (monocular or multi-view). */
  identities: (PriorIdentity | string)[];
  /** With folders: resize frames so the longer side has this many pixels. */
  size?: number;
  /** With folders: accept paths outside each folder (see {@link LoadAvatarDatasetOptions.allowExternalFiles}). */
  allowExternalFiles?: boolean;
  /** The FLAME-format model the identities were tracked with. */
  model: FlameModel;
  /** Continue training this generator, or make one with `config` (its base map: `base`). */
  generator?: IdentityGaussianGenerator;
  /** Sizes of a new generator (ignored with `generator`). */
  config?: Partial<GeneratorConfig>;
  /** The new generator's starting mean map [uv, uv, 14] (e.g. {@link meshUvMap} of the template). */
  base?: import('ndarray').NdArray<Float32Array>;
  /** Pre-train the body inpainter alongside (needs frames with backgrounds); false: no. Default false. */
  inpainter?: false | Partial<InpainterConfig>;
  /** Optimisation steps. */
  steps: number;
  /** Add λ · VGG-16 perceptual loss (weights from {@link loadVggWeights}). */
  perceptual?: {
    /** The VGG-16 weights. */
    vgg: VggWeights;
    /** λ, the weight of the perceptual term. */
    weight: number;
  };
  /** Target frames per step. Default 4. */
  batch?: number;
  /** Peak learning rate. Default 1e-4. */
  lr?: number;
  /** Source frames per identity (its most frontal training frames). Default 4. */
  sourcesPerIdentity?: number;
  /** Seed of the pairs, batches and initial weights. Default 0. */
  seed?: number;
  /** Called as training advances (loss, PSNR, fraction). */
  onProgress?: (p: AvatarStageProgress & { fraction: number }) => void;
  /** Cancels training: it rejects with AbortError. */
  signal?: AbortSignal;
  /**
   * Data-parallel training over several processes (docs/distributed-training.md): options to
   * join a group with, a {@link ProcessGroup} already joined, or `false` for none. Default: the
   * environment's (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`; none when `WORLD_SIZE`
   * is unset or 1). `batch` is per rank; rank 0 calls `onProgress`.
   */
  distributed?: DistributedSetting;
}

/**
 * Trains G (and optionally the inpainter); returns them with the per-step losses.
 *
 * @example
 * ```ts
 * import { loadFlame, savePriors, trainExpressionVisualPrior } from 'ggtalker';
 *
 * const model = await loadFlame('flame2023.pkl');
 * const { generator, inpainter, psnr } = await trainExpressionVisualPrior({
 *   identities: ['data/id-001', 'data/id-002'], // tracked videos in VHAP's format
 *   model,
 *   steps: 5000,
 *   size: 256,
 *   inpainter: {}, // pre-train the body inpainter too (default sizes)
 * });
 * console.log(`final PSNR ${psnr.at(-1)?.toFixed(2)} dB`);
 * await savePriors('priors', { model, generator, ...(inpainter ? { inpainter } : {}) });
 * ```
 */
export async function trainExpressionVisualPrior(options: TrainExpressionVisualPriorOptions): Promise<{
  /** The trained generator. */
  generator: IdentityGaussianGenerator;
  /** The pre-trained inpainter, when `inpainter` was on. */
  inpainter?: BodyInpainter;
  /** Loss of each chunk of steps. */
  losses: number[];
  /** PSNR (dB) of each chunk of steps' targets. */
  psnr: number[];
}> {
  const { model } = requireOptions('trainExpressionVisualPrior', options);
  requireOptions('trainExpressionVisualPrior', model, 'options.model');
  if (options.generator !== undefined && !(options.generator instanceof IdentityGaussianGenerator)) {
    throw new ValidationError(`trainExpressionVisualPrior: expected options.generator to be an IdentityGaussianGenerator or undefined, received ${describeValue(options.generator)}`);
  }
  if (!Array.isArray(options.identities) || options.identities.length === 0) throw new ValidationError('expected identities: a non-empty array of {frames} or dataset folders');
  const identities: PriorIdentity[] = [];
  for (const [k, id] of options.identities.entries()) {
    if (typeof id !== 'string') {
      if (id === null || typeof id !== 'object' || !Array.isArray(id.frames)) {
        throw new ValidationError(`trainExpressionVisualPrior: expected identities[${k}] to be {frames: AvatarFrame[]} or a dataset folder, received ${describeValue(id)}`);
      }
      identities.push(id);
      continue;
    }
    const ds = await loadAvatarDataset(id, { ...(options.size ? { size: options.size } : {}), signal: options.signal, allowExternalFiles: options.allowExternalFiles === true });
    identities.push({ frames: ds.frames, ...(ds.shape ? { shape: ds.shape } : {}), ...(ds.staticOffset ? { staticOffset: ds.staticOffset } : {}) });
  }
  if (!model.uv) throw new ValidationError('expected a FLAME model with a UV layout (vt, ft)');
  const generator = options.generator ?? (await IdentityGaussianGenerator.create({ config: options.config, base: options.base, seed: options.seed ?? 0 }));
  const g = generator.config;
  const layout = await uvLayout(model.uv, { height: g.uvSize, width: g.uvSize });
  // Frames of every identity, each with its identity's FLAME shape and a source image index.
  const frames: AvatarFrame[] = [];
  const sources: Float32Array[] = [];
  const source: number[] = [];
  const shapes: Float32Array[] = [];
  const offsets: (Float32Array | undefined)[] = [];
  let s = (options.seed ?? 0) >>> 0;
  const next = (): number => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0) / 2 ** 32);
  for (const [k, identity] of identities.entries()) {
    const train = identity.frames.filter((f) => (f.split ?? 'train') === 'train');
    if (train.length === 0) throw new ValidationError(`identities[${k}] has no training frames`);
    const ranked = [...train].sort((a, b) => frontality(b) - frontality(a)).slice(0, options.sourcesPerIdentity ?? 4);
    const first = sources.length;
    for (const f of ranked) sources.push(resizeImage(f.image, g.imageSize, g.imageSize).data);
    for (const f of train) {
      frames.push(f);
      source.push(first + Math.floor(next() * ranked.length));
      shapes.push(identity.shape ?? new Float32Array(model.shapeCount));
      offsets.push(identity.staticOffset && staticOffsetParam(model, identity.staticOffset, `identities[${k}].staticOffset`).data);
    }
  }
  const packed = packFrames(frames, model.exprCount);
  const T = native().Tensor;
  const srcData = new Float32Array(sources.length * 3 * g.imageSize * g.imageSize);
  const plane = g.imageSize * g.imageSize;
  sources.forEach((img, m) => {
    // [S, S, 3] -> [3, S, S]
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) srcData[m * 3 * plane + c * plane + p] = img[p * 3 + c]!;
  });
  const data = {
    ...packed.data,
    sources: nativeCall(() => T.fromArray(srcData, [sources.length, 3, g.imageSize, g.imageSize])),
    source: nativeCall(() => T.fromArray(Int32Array.from(source), [source.length])),
  };
  const shapeData = new Float32Array(frames.length * model.shapeCount);
  shapes.forEach((sh, i) => shapeData.set(sh, i * model.shapeCount));
  const params = new Map<string, NativeTensor>([...generator.params, ['flame.shape', arrayToHandle({ data: shapeData, shape: [frames.length, model.shapeCount] })], ...packed.flame]);
  if (offsets.some((o) => o !== undefined)) {
    // Per frame [T, V, 3]: each frame's identity's offsets (zeros for identities without).
    const V3 = model.vertexCount * 3;
    const offsetData = new Float32Array(frames.length * V3);
    offsets.forEach((o, i) => o && offsetData.set(o, i * V3));
    params.set('flame.static_offset', arrayToHandle({ data: offsetData, shape: [frames.length, model.vertexCount, 3] }));
  }
  if (options.perceptual) for (const [name, t] of options.perceptual.vgg.params) params.set(`vgg.${name}`, t);
  const inpainterConfig = options.inpainter ? resolveSizes('inpainter', DEFAULT_INPAINTER, options.inpainter) : undefined;
  if (inpainterConfig) {
    const raw = await nativeAsync(native().avatarNetInit({ kind: 'inpainter', config: inpainterConfig, seed: (options.seed ?? 0) + 2, prefix: 'inpaint.' }));
    for (const [name, t] of flattenNamed<NativeTensor>(raw)) params.set(name, t);
  }
  const [h, w] = layout.face.shape as [number, number];
  const parallel = await openTrainingGroup(options.distributed, options.signal);
  const r = await runAvatarStage(
    { name: 'expression-visual prior', trainable: ['gen.', ...(inpainterConfig ? ['inpaint.'] : [])], steps: options.steps, lr: options.lr ?? 1e-4, batch: options.batch ?? 4, seed: options.seed ?? 0 },
    {
      config: { generator: g, ...(inpainterConfig ? { inpainter: inpainterConfig } : {}), dilate: 4, ...(options.perceptual ? { lambdaVgg: options.perceptual.weight } : {}) },
      scene: { model: Flame.from(model).nativeModel(), layout: { face: { data: layout.face.data, shape: [h, w] }, bary: { data: layout.bary.data, shape: [h, w, 3] } }, width: packed.width, height: packed.height },
      frames: { ...packed, data },
      params,
      trainIndices: frames.map((_, i) => i),
      onProgress: (p) => options.onProgress?.({ ...p, fraction: p.step / p.steps }),
      signal: options.signal,
      ...(parallel.group ? { group: parallel.group } : {}),
    },
  ).finally(() => parallel.release());
  const inpainterParams = new Map([...params].filter(([name]) => name.startsWith('inpaint.')));
  return { generator, ...(inpainterConfig ? { inpainter: new BodyInpainter(inpainterConfig, inpainterParams) } : {}), losses: r.losses, psnr: r.psnr };
}
