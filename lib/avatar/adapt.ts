/**
 * Customized adaptation (GGTalker §3.4): from a tracked video of one person to an Avatar.
 *   0. reference frame: front-facing and sharp; the starting map M̂ = G(I_ref) with a
 *      generator prior, else the template coloured from I_ref;
 *   1. the map alone, FLAME parameters frozen;
 *   2. the map jointly with the per-frame FLAME parameters (expression, jaw, pose);
 *   3. the colour MLP (SH0, expression, pose) -> SH0, with the map;
 *   4. the body inpainter, with everything else fixed;
 *   5. the Audio-Expression model fine-tuned on the identity's speech and tracked expressions.
 * Progress per stage, AbortSignal, and a checkpoint after each stage that a later call resumes.
 *
 * @module
 */

import ndarray from 'ndarray';

import type { AudioExpressionModel } from '../a2e/model.js';
import { fineTuneAudioExpression } from '../a2e/train.js';
import type { ExpressionClip } from '../a2e/dataset.js';
import { requireOptions, requirePath } from '../arguments.js';
import { AbortError, ValidationError } from '../errors.js';
import { requireFrameRate, type MAX_FPS } from '../io/vhap-camera.js';
import { Flame } from '../flame/flame.js';
import type { FlameModel } from '../flame/model.js';
import { native, type NativeTensor, type RawArray } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { awaitNative } from '../ops.js';
import { nativeAsync } from '../tensor.js';
import { uvLayout } from '../rig/uv.js';
import { describeValue } from '../validate.js';
import { arrayToHandle, cloneParams, flattenNamed, handleToArray, toParamObject } from '../a2e/native-params.js';
import { Avatar, type AvatarDescription } from './avatar.js';
import { DEFAULT_COLOR_MLP, DEFAULT_INPAINTER, resolveSizes, type ColorMlpConfig, type InpainterConfig } from './config.js';
import { packFrames, type AvatarFrame } from './frames.js';
import type { Priors } from './priors.js';
import { readAdaptCheckpoint, writeAdaptCheckpoint, type AdaptState } from './adapt-checkpoint.js';
import { fitDatasetToModel, loadAvatarDataset } from './dataset.js';
import { chooseReferenceFrame, colorsFromImage } from './reference.js';
import { runAvatarStage, type AvatarStageProgress } from './stage.js';
import type { VggWeights } from './losses.js';
import { addFlameTeeth } from '../flame/teeth.js';
import { FLAME_VERTEX_COUNT, TEETH_VERTEX_COUNT } from '../flame/teeth-data.js';
import { requireSameFlame } from './flame-match.js';
import { staticOffsetParam } from './static-offset.js';
import { meshUvMap } from './uv-map.js';

/** Steps of each stage (0 skips it). */
export interface AdaptSteps {
  /** Steps fitting the UV Gaussian map alone. */
  map: number;
  /** Steps fitting the map jointly with the per-frame FLAME parameters. */
  joint: number;
  /** Steps fitting the colour MLP. */
  color: number;
  /** Steps fitting the body inpainter. */
  inpainter: number;
  /** Steps fine-tuning the Audio-Expression model on the identity's speech. */
  a2e: number;
}

export const DEFAULT_ADAPT_STEPS: Readonly<AdaptSteps> = Object.freeze({ map: 300, joint: 200, color: 100, inpainter: 100, a2e: 200 });

/** Options of {@link adapt}. */
export interface AdaptOptions {
  /** A VHAP-format dataset folder (frames, shape and speech are read from it), or give `frames`. */
  dataset?: string;
  /** With `dataset`: resize frames so the longer side has this many pixels. */
  size?: number;
  /**
   * With `dataset`: accept image, mask and FLAME paths that are absolute or lead outside the
   * folder (default false: a `FormatError` naming the file and the field). Only for
   * datasets you trust.
   */
  allowExternalFiles?: boolean;
  /** The identity's tracked frames (each with its split; `train` frames are fitted). */
  frames?: AvatarFrame[];
  /** The FLAME-format model the frames were tracked with (default: the priors'). */
  model?: FlameModel;
  /** The identity's FLAME shape [S] (zeros when absent). */
  shape?: Float32Array;
  /**
   * The identity's static offsets [V, 3] flattened (VHAP's `static_offset`: per-vertex
   * displacements added to the template before skinning; zeros when absent). Read from the
   * dataset with `dataset`. They stay fixed during adaptation and are saved with the avatar.
   */
  staticOffset?: Float32Array;
  /** Trained priors: generator (starting map), inpainter, Audio-Expression model, FLAME model. */
  priors?: Priors;
  /** The identity's speech for the Audio-Expression fine-tune: clips with features and frame ranges of `frames`. */
  speech?: {
    /** Each clip: its id, audio features at the video's frame rate, and the indices of `frames` it covers. */
    clips: {
      /** The clip's id. */
      id: string;
      /** Audio features at the video's frame rate, [frames, F]. */
      features: ndarray.NdArray<Float32Array>;
      /** Indices of `frames` the clip covers, one per feature row. */
      frames: number[];
    }[];
  };
  /** UV map size. Default 128 (the generator's, when there is one). */
  uvSize?: number;
  /** Steps of each stage (0 skips it); default {@link DEFAULT_ADAPT_STEPS}. */
  steps?: Partial<AdaptSteps>;
  /** Peak learning rates (flame: a multiplier of the map's rate, default 0.01). */
  lr?: {
    /** Peak rate of the UV Gaussian map. */
    map?: number;
    /** Rate of the per-frame FLAME parameters, as a multiplier of the map's. Default 0.01. */
    flame?: number;
    /** Peak rate of the colour MLP. */
    color?: number;
    /** Peak rate of the body inpainter. */
    inpainter?: number;
  };
  /** Frames per step. Default 2. */
  batch?: number;
  /** false: no colour MLP. */
  color?: false | Partial<ColorMlpConfig>;
  /** false: no inpainter. */
  inpainter?: false | Partial<InpainterConfig>;
  /** Frames per second of the video, in (0, {@link MAX_FPS}]. Default: the dataset's, else 25. */
  fps?: number;
  /** Add λ · VGG-16 perceptual loss to every image stage (weights from {@link loadVggWeights}). */
  perceptual?: {
    /** The VGG-16 weights. */
    vgg: VggWeights;
    /** λ, the weight of the perceptual term. */
    weight: number;
  };
  /** Seed of the batches and initial weights. Default 0. */
  seed?: number;
  /** A checkpoint file written after each stage and on abort; a later call with the same frames resumes from it. */
  checkpoint?: string;
  /** Called as each stage advances (loss, PSNR, overall fraction). */
  onProgress?: (p: AdaptProgress) => void;
  /** Cancels adaptation: it rejects with AbortError after writing `checkpoint` when there is one. */
  signal?: AbortSignal;
}

/** Progress: the stage's, plus where the whole adaptation stands. */
export interface AdaptProgress extends AvatarStageProgress {
  /** 0..1 over all stages' steps. */
  fraction: number;
}

/** Held-out quality: PSNR (dB) and SSIM, mean over frames (head against the masked frame without an inpainter). */
export interface Quality {
  /** Mean PSNR, dB. */
  psnr: number;
  /** Mean SSIM, in [0, 1]. */
  ssim: number;
  /** Frames measured. */
  frames: number;
}

/** What {@link adapt} measured. */
export interface AdaptReport {
  /** Index (in `frames`) of the reference frame the map started from. */
  referenceFrame: number;
  /** Before any optimisation (the prior's starting point) and after, on held-out frames of training cameras and on novel views. */
  heldOut: {
    /** Before any optimisation (the prior's starting point). */
    initial: Quality;
    /** After adaptation. */
    final: Quality;
  };
  /** Before and after, on novel views (held-out cameras), when the dataset has them. */
  novelViews?: {
    /** Before any optimisation (the prior's starting point). */
    initial: Quality;
    /** After adaptation. */
    final: Quality;
  };
  /** Each stage run: its name, steps, wall time (seconds) and final loss. */
  stages: {
    /** The stage. */
    name: string;
    /** Steps run. */
    steps: number;
    /** Wall time, seconds. */
    seconds: number;
    /** Loss of the last chunk of steps. */
    finalLoss: number;
  }[];
  /** Wall time of the whole adaptation, seconds. */
  seconds: number;
}

/**
 * Adapts an avatar to one identity.
 *
 * @example
 * ```ts
 * import { adapt, loadPriors } from 'ggtalker';
 *
 * const priors = await loadPriors('priors'); // trained priors: generator, inpainter, Audio-Expression model
 * const { avatar, report } = await adapt({
 *   dataset: 'data/me', // a tracked video in VHAP's format (docs/data-preparation.md)
 *   priors,
 *   checkpoint: 'me.adapt', // resumes here if interrupted
 *   onProgress: (p) => console.log(`${p.stage} ${p.step}/${p.steps}, ${Math.round(p.fraction * 100)} %`),
 * });
 * console.log(`held-out PSNR ${report.heldOut.final.psnr.toFixed(2)} dB`);
 * await avatar.save('me.avatar');
 * ```
 */
export async function adapt(options: AdaptOptions): Promise<{
  /** The adapted avatar. */
  avatar: Avatar;
  /** What adaptation measured. */
  report: AdaptReport;
}> {
  const started = Date.now();
  requireOptions('adapt', options);
  if (options.priors !== undefined) requireOptions('adapt', options.priors, 'options.priors');
  if (options.model !== undefined) requireOptions('adapt', options.model, 'options.model');
  if (options.dataset !== undefined) requirePath('adapt', options.dataset, 'options.dataset');
  if (options.fps !== undefined) requireFrameRate('options.fps', options.fps);
  if (options.dataset !== undefined) {
    if (options.frames) throw new ValidationError('expected either dataset or frames, not both');
    const loaded = await loadAvatarDataset(options.dataset, {
      ...(options.size ? { size: options.size } : {}),
      encoder: options.priors?.encoder,
      signal: options.signal,
      allowExternalFiles: options.allowExternalFiles === true,
    });
    const target = options.model ?? options.priors?.model;
    const ds = target ? fitDatasetToModel(loaded, target) : loaded;
    const staticOffset = options.staticOffset ?? ds.staticOffset;
    return adapt({
      ...options,
      dataset: undefined,
      frames: ds.frames,
      shape: options.shape ?? ds.shape,
      ...(staticOffset ? { staticOffset } : {}),
      speech: options.speech ?? ds.speech,
      fps: options.fps ?? ds.fps,
    });
  }
  const frames = options.frames!;
  const given = options.model ?? options.priors?.model;
  if (!given) throw new ValidationError('expected model: the FLAME-format model the frames were tracked with (or priors with one)');
  if (options.model && options.priors?.model) requireSameFlame(options.model, 'options.model', options.priors.model, 'the priors (their flame.safetensors)');
  const model = withTrackedTeeth(given, options.staticOffset);
  if (!Array.isArray(frames) || frames.length === 0) throw new ValidationError('expected frames: the identity\'s tracked frames');
  frames.forEach((f: unknown, t) => {
    if (f === null || typeof f !== 'object') throw new ValidationError(`adapt: expected frames[${t}] to be a frame {image, camera, flame}, received ${describeValue(f)}`);
  });
  const train = indicesOf(frames, (f) => (f.split ?? 'train') === 'train');
  if (train.length === 0) throw new ValidationError('expected at least one frame with split "train"');
  // Held out: frames not trained on, seen by a training camera; novel views: by a camera never trained on.
  const trainCameras = new Set(train.map((i) => frames[i]!.cameraIndex ?? 0));
  const heldOutSame = indicesOf(frames, (f) => f.split !== undefined && f.split !== 'train' && trainCameras.has(f.cameraIndex ?? 0));
  const novel = indicesOf(frames, (f) => f.split !== undefined && f.split !== 'train' && !trainCameras.has(f.cameraIndex ?? 0));
  const steps = { ...DEFAULT_ADAPT_STEPS, ...(options.steps ?? {}) };
  const seed = options.seed ?? 0;
  const batch = options.batch ?? 2;
  const flame = Flame.from(model);
  const generator = options.priors?.generator;
  const uvSize = generator?.config.uvSize ?? options.uvSize ?? 128;
  const layout = await uvLayout(requireUv(model), { height: uvSize, width: uvSize });
  const packed = packFrames(frames, model.exprCount);
  const { width, height } = packed;
  const color = options.color === false ? undefined : resolveSizes('color', DEFAULT_COLOR_MLP, options.color || undefined);
  const priorInpainter = options.priors?.inpainter;
  const inpainter = options.inpainter === false ? undefined : priorInpainter && !options.inpainter ? { ...priorInpainter.config } : resolveSizes('inpainter', DEFAULT_INPAINTER, options.inpainter || undefined);
  const description: AvatarDescription = { uvSize, dilate: 4, fps: options.fps ?? 25, ...(color ? { color } : {}), ...(inpainter ? { inpainter } : {}) };

  // 0. Reference frame and starting map.
  const ref = chooseReferenceFrame(frames, train);
  const shape = options.shape ?? new Float32Array(model.shapeCount);
  const staticOffset = options.staticOffset ? staticOffsetParam(model, options.staticOffset, 'staticOffset (the identity\'s static_offset)') : undefined;
  let map: NativeTensor;
  if (generator) {
    map = await generator.generateHandle(frames[ref]!.image);
  } else {
    const posed = await flame.forward({ shape: { data: shape, shape: [model.shapeCount] }, ...(staticOffset ? { staticOffset } : {}), ...frameParams(frames[ref]!) });
    map = arrayToHandle(meshUvMap(model, colorsFromImage(model, posed.vertices.data, frames[ref]!), layout));
  }
  const params = new Map<string, NativeTensor>([['map', map], ['flame.shape', arrayToHandle({ data: shape, shape: [model.shapeCount] })], ...packed.flame]);
  // Fixed identity geometry: in every stage's FLAME forward, never trained, saved with the avatar.
  if (staticOffset) params.set('flame.static_offset', arrayToHandle(staticOffset));
  const scene = { model: flame.nativeModel(), layout: layoutInput(layout), width, height };
  const headOnly: Record<string, unknown> = { dilate: 4, ...(options.perceptual ? { lambdaVgg: options.perceptual.weight } : {}) };
  if (options.perceptual) for (const [name, t] of options.perceptual.vgg.params) params.set(`vgg.${name}`, t);
  const evaluate = async (indices: number[], config: Record<string, unknown>): Promise<Quality | undefined> => {
    if (indices.length === 0) return undefined;
    // Abortable like the training stages: the native loop polls the flag between chunks of frames.
    const abort = nativeAbortFlag(options.signal);
    let r: Record<string, RawArray>;
    try {
      r = await awaitNative(native().avatarRender({ config, ...scene, frames: packed.data, params: toParamObject(params), indices, metrics: true, ...(abort.flag ? { abort: abort.flag } : {}) }), options.signal);
    } finally {
      abort.release();
    }
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
    return { psnr: mean(r.psnr.data), ssim: mean(r.ssim.data), frames: indices.length };
  };
  let initialHeld = await evaluate(heldOutSame, headOnly);
  let initialNovel = await evaluate(novel, headOnly);

  // 1-4. The stages, each a set of trainable parameters.
  // flame: a multiplier of the map's rate; tracked parameters need only small corrections (0.2 drifted: loss 0.004 -> 0.016).
  const lr = { map: 5e-3, flame: 0.01, color: 1e-3, inpainter: 1e-3, ...(options.lr ?? {}) };
  const configHead: Record<string, unknown> = { ...headOnly };
  const configColor: Record<string, unknown> = { ...configHead, ...(color ? { color: { ...color, codeDim: model.exprCount + 9 } } : {}) };
  const configFull: Record<string, unknown> = { ...configColor, ...(inpainter ? { inpainter } : {}) };
  if (color) await addNetwork(params, 'color', { ...color, codeDim: model.exprCount + 9 }, seed + 1);
  if (inpainter && priorInpainter && sameSizes(inpainter, priorInpainter.config)) {
    for (const [name, t] of cloneParams(priorInpainter.params)) params.set(name, t);
  } else if (inpainter) {
    await addNetwork(params, 'inpaint', inpainter, seed + 2);
  }
  const stages = [
    { name: 'map', trainable: ['map'], steps: steps.map, lr: lr.map, config: configHead },
    { name: 'joint', trainable: ['map', 'flame.expr', 'flame.jaw', 'flame.rotation', 'flame.neck', 'flame.eyes', 'flame.translation'], steps: steps.joint, lr: lr.map, lrScales: { 'flame.': lr.flame }, config: configHead },
    ...(color ? [{ name: 'color', trainable: ['map', 'color.'], steps: steps.color, lr: lr.color, config: configColor }] : []),
    ...(inpainter ? [{ name: 'inpainter', trainable: ['inpaint.'], steps: steps.inpainter, lr: lr.inpainter, config: configFull }] : []),
  ].filter((s) => s.steps > 0);
  const totalSteps = stages.reduce((a, s) => a + s.steps, 0) + (options.priors?.a2e && options.speech ? steps.a2e : 0);
  let done = 0;
  const report: AdaptReport['stages'] = [];
  const state: AdaptState = { frames: frames.length, uvSize, vertexCount: model.vertexCount, done: [], stages: report, initial: { heldOut: initialHeld, novel: initialNovel } };
  const resumed = options.checkpoint ? await readAdaptCheckpoint(options.checkpoint) : undefined;
  if (resumed) {
    const s = resumed.state;
    if (s.frames !== frames.length || s.uvSize !== uvSize || s.vertexCount !== model.vertexCount) {
      throw new ValidationError(`${options.checkpoint}: the checkpoint is of another adaptation (${s.frames} frames, uv ${s.uvSize}, ${s.vertexCount} vertices; this one: ${frames.length}, ${uvSize}, ${model.vertexCount}): delete it or choose another path`);
    }
    for (const [name, t] of resumed.params) params.set(name, t);
    state.done = s.done;
    report.push(...s.stages);
    initialHeld = s.initial.heldOut as Quality | undefined;
    initialNovel = s.initial.novel as Quality | undefined;
    state.initial = s.initial;
  }
  const save = async (): Promise<void> => {
    if (options.checkpoint) await writeAdaptCheckpoint(options.checkpoint, params, state);
  };
  for (const [k, stage] of stages.entries()) {
    if (state.done.includes(stage.name)) {
      done += stage.steps;
      continue;
    }
    const t0 = Date.now();
    // Held-out frames keep their tracked FLAME parameters: only training frames are fitted.
    const r = await runAvatarStage(
      { name: stage.name, trainable: stage.trainable, steps: stage.steps, lr: stage.lr, lrScales: stage.lrScales, batch, seed: seed + 17 * k },
      {
        config: stage.config,
        scene,
        frames: packed,
        params,
        trainIndices: train,
        signal: options.signal,
        onProgress: (p) => options.onProgress?.({ ...p, fraction: (done + p.step) / totalSteps }),
      },
    ).catch(async (error: unknown) => {
      if (error instanceof AbortError) await save();
      throw error;
    });
    done += stage.steps;
    report.push({ name: stage.name, steps: stage.steps, seconds: (Date.now() - t0) / 1000, finalLoss: r.losses.at(-1) ?? NaN });
    state.done.push(stage.name);
    await save();
  }
  const finalConfig = color ? configColor : configHead;
  const finalHeld = await evaluate(heldOutSame, finalConfig);
  const finalNovel = await evaluate(novel, finalConfig);

  // The avatar: weights, the tracked motion (as fitted) and the reference frame as background.
  const avatarParams = new Map<string, NativeTensor>();
  for (const [name, t] of params) if ((!name.startsWith('flame.') || IDENTITY_FLAME_PARAMS.has(name)) && !name.startsWith('vgg.')) avatarParams.set(name, t);
  const flameOf = (key: string) => handleToArray(params.get(`flame.${key}`)!).data as Float32Array;
  const avatar = new Avatar({
    model,
    layout,
    description,
    params: avatarParams,
    track: {
      rotation: flameOf('rotation'),
      neck: flameOf('neck'),
      eyes: flameOf('eyes'),
      translation: flameOf('translation'),
      frames: frames.length,
      camera: frames[ref]!.camera,
      background: frames[ref]!.image,
    },
  });

  // 5. The Audio-Expression fine-tune on the identity's speech and (fitted) expressions.
  if (options.priors?.a2e && options.speech && steps.a2e > 0) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    const t0 = Date.now();
    const expr = flameOf('expr');
    const jaw = flameOf('jaw');
    const E = model.exprCount;
    const clips: ExpressionClip[] = options.speech.clips.map((c) => {
      const targets = new Float32Array(c.frames.length * (E + 3));
      c.frames.forEach((f, t) => {
        targets.set(expr.subarray(f * E, (f + 1) * E), t * (E + 3));
        targets.set(jaw.subarray(f * 3, f * 3 + 3), t * (E + 3) + E);
      });
      return { id: c.id, speaker: 'identity', features: c.features, targets: ndarray(targets, [c.frames.length, E + 3]) };
    });
    const tuned = await fineTuneAudioExpression({ model: options.priors.a2e, speaker: 'identity', clips, steps: steps.a2e, signal: options.signal });
    avatar.a2e = tuned.model;
    report.push({ name: 'a2e', steps: tuned.history.losses.length, seconds: (Date.now() - t0) / 1000, finalLoss: tuned.bestValidationLoss });
  } else if (options.priors?.a2e) {
    // No speech of the identity to fine-tune on: the avatar speaks with the prior as it is.
    avatar.a2e = options.priors.a2e;
  }
  return {
    avatar,
    report: {
      referenceFrame: ref,
      heldOut: { initial: initialHeld ?? emptyQuality(), final: finalHeld ?? emptyQuality() },
      ...(initialNovel && finalNovel ? { novelViews: { initial: initialNovel, final: finalNovel } } : {}),
      stages: report,
      seconds: (Date.now() - started) / 1000,
    },
  };
}

/** The FLAME parameters of the identity (not of a frame): kept in the avatar. */
const IDENTITY_FLAME_PARAMS = new Set(['flame.shape', 'flame.static_offset']);

function sameSizes(a: InpainterConfig, b: InpainterConfig): boolean {
  return a.channels === b.channels && a.levels === b.levels;
}

function emptyQuality(): Quality {
  return { psnr: NaN, ssim: NaN, frames: 0 };
}

function indicesOf<T>(xs: readonly T[], keep: (x: T) => boolean): number[] {
  return xs.flatMap((x, i) => (keep(x) ? [i] : []));
}

function requireUv(model: FlameModel) {
  if (!model.uv) {
    throw new ValidationError(
      "expected a FLAME model with a UV layout (vt, ft): the UV Gaussian map needs one. The official FLAME pickles have none: load the model with loadFlame('flame2023.pkl', { uv: 'head_template_mesh.obj' }) (FLAME's template mesh with texture coordinates, as VHAP ships it in asset/flame/)",
    );
  }
  return model.uv;
}

/**
 * The model with VHAP's teeth when the identity was tracked with them (static offsets for
 * 120 vertices more than FLAME's 5023), so that every tracked vertex is used and the avatar
 * gets teeth Gaussians; the model as it is otherwise.
 */
function withTrackedTeeth(model: FlameModel, staticOffset: Float32Array | undefined): FlameModel {
  const tracked = staticOffset === undefined ? undefined : staticOffset.length / 3;
  if (tracked === FLAME_VERTEX_COUNT + TEETH_VERTEX_COUNT && model.vertexCount === FLAME_VERTEX_COUNT) return addFlameTeeth(model);
  return model;
}

function frameParams(f: AvatarFrame): Record<string, { data: Float32Array; shape: number[] }> {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [key, value] of Object.entries(f.flame)) if (value) out[key] = { data: value, shape: [1, value.length] };
  return out;
}

function layoutInput(layout: Awaited<ReturnType<typeof uvLayout>>) {
  const [h, w] = layout.face.shape as [number, number];
  return { face: { data: layout.face.data, shape: [h, w] }, bary: { data: layout.bary.data, shape: [h, w, 3] } };
}

async function addNetwork(params: Map<string, NativeTensor>, kind: 'color' | 'inpaint', config: object, seed: number): Promise<void> {
  const raw = await nativeAsync(native().avatarNetInit({ kind: kind === 'inpaint' ? 'inpainter' : 'color', config, seed, prefix: `${kind}.` }));
  for (const [name, t] of flattenNamed<NativeTensor>(raw)) params.set(name, t);
}

