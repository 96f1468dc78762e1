/**
 * `evaluate()`: the paper's self-reenactment evaluation (§4.2) of an adapted avatar on a
 * tracked dataset's held-out frames.
 *
 * Image quality — each evaluated frame is rendered by the avatar with the dataset's tracked
 * FLAME parameters from the frame's own camera, over the frame's own image (the avatar replaces
 * the head; the rest of the picture is the video's, as the paper pastes the head back into the
 * frame), and compared with the frame:
 * - full image: PSNR, SSIM, LPIPS (when weights are given);
 * - inside the head mask (the dataset's foreground mask m ∈ [0, 1]): PSNR over the masked pixels
 *   only (Σ m·(a−b)² / (3·Σ m)), SSIM map averaged with m as weight, LPIPS of both images
 *   multiplied by m (outside the head black in both);
 * - per view: the same means grouped by camera, with the camera's yaw and pitch.
 *
 * Motion (lip sync) — when `audio` is on (the avatar has an Audio-Expression model and the
 * dataset has `audio.wav` + `speech.json`): each speech clip is turned into expressions and jaw
 * poses by the avatar's model; the predicted mesh (those expressions, with the frame's head pose)
 * is compared with the ground-truth mesh (the frame's FLAME parameters: the noise-free truth from
 * `flame_param_truth/` when the dataset has it, else the tracked ones), both with the avatar's
 * identity shape and offsets, on the front camera's frames of the evaluated split:
 * - LMD: mean pixel distance of the 68 landmarks projected with the frame's camera;
 * - lip vertex error (FaceFormer): per frame the largest lip-vertex L2 distance, mean over frames (m);
 * - mouth-opening correlation: Pearson r of the inner-lip distance over frames;
 * - with `sync` (a trained {@link SyncScorer}): SyncNet-style distance, best offset and
 *   confidence of the predicted mouth tracks against the clip's audio (and of the truth's).
 *
 * Time per stage (load, render, metrics, lpips, a2e, flame) is reported in seconds.
 *
 * @module
 */

import { basename, dirname, join } from 'node:path';

import { handleToArray } from '../a2e/native-params.js';
import { splitTracks } from '../a2e/predict.js';
import type { AudioEncoder } from '../a2e/features.js';
import { Avatar } from '../avatar/avatar.js';
import { loadAvatarDataset, type AvatarDataset } from '../avatar/dataset.js';
import type { FrameFlame } from '../avatar/frames.js';
import type { Device } from '../backends.js';
import { AbortError, ValidationError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import { readVhapDataset, loadVhapFlame, type VhapSplit } from '../io/vhap.js';
import { padComponents } from '../io/vhap-flame.js';
import { describeValue, DEFAULT_MAX_NETWORK_PIXELS, requireAbortSignal } from '../validate.js';
import { psnr, ssim } from './image-metrics.js';
import { landmarkDistance, lipVertexError, mouthOpeningCorrelation } from './lip-metrics.js';
import { lipPairs, proceduralLipVertices, type LipVertices } from './lips.js';
import { Lpips, type LpipsNetwork } from './lpips.js';
import { mouthTrack, syncScore, type SyncScorer } from './sync-confidence.js';

/** Progress of {@link evaluate}. */
export interface EvaluateProgress {
  /** What is running: loading frames, rendering them, or sampling expressions. */
  stage: 'load' | 'render' | 'a2e';
  /** Items of the stage done. */
  done: number;
  /** Items of the stage in all. */
  total: number;
  /** 0..1 over the stage. */
  fraction: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The adapted avatar, or its file. */
  avatar: Avatar | string;
  /** A VHAP-format dataset folder (the identity's video). */
  dataset: string;
  /** Which frames are scored: a split (default 'test') or 'all'. */
  split?: VhapSplit | 'all';
  /** Camera indices to score (default all of the split's). */
  views?: readonly number[];
  /** At most this many frames (the first ones of the split, in dataset order). */
  maxFrames?: number;
  /** LPIPS: a loaded metric, or a weights file (see {@link Lpips.load}). Without it LPIPS is not computed. */
  lpips?: Lpips | string;
  /** The network of an LPIPS weights file given by path (default 'alex'). */
  lpipsNetwork?: LpipsNetwork;
  /**
   * Lip-sync metrics from the dataset's speech through the avatar's Audio-Expression model.
   * Default: on when the avatar has one and the dataset has audio.wav + speech.json. `true`
   * demands them (a ValidationError when they cannot be computed); `false` skips them.
   */
  audio?: boolean;
  /** The audio encoder of a wav2vec2-feature Audio-Expression model (default log-mel). */
  encoder?: AudioEncoder;
  /** Sampling of the Audio-Expression model: speaker (default 'identity' when tuned, else 0), seed (0), DDIM steps (25). */
  a2e?: {
    /** Speaker of the model. Default 'identity' when the model was fine-tuned, else 0. */
    speaker?: string | number;
    /** Seed of the diffusion noise. Default 0. */
    seed?: number;
    /** DDIM steps. Default 25. */
    steps?: number;
  };
  /**
   * Lip vertices of the avatar's FLAME model (needed unless it has the procedural head's
   * topology): all lip vertices, and optionally inner-lip pairs for the mouth opening
   * (default: derived from upper/lower halves given as `upper`/`lower`).
   */
  lips?: {
    /** Every lip vertex (upper and lower), for the lip vertex error. */
    lips: readonly number[];
    /** Upper-lip vertices, to pair with `lower` for the mouth opening. */
    upper?: readonly number[];
    /** Lower-lip vertices. */
    lower?: readonly number[];
  };
  /**
   * A lip-sync scorer (`trainSyncScorer`, trained on log-mel features and
   * [jaw, expression] mouth tracks): adds SyncNet-style distance / offset / confidence of the
   * predicted tracks (and of the ground truth's, for reference) to the motion scores.
   */
  sync?: SyncScorer;
  /** Where to render and compute LPIPS: 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: Device;
  /** Called as frames load and render, and as expressions are sampled. */
  onProgress?: (p: EvaluateProgress) => void;
  /** Cancels the evaluation: it rejects with AbortError. */
  signal?: AbortSignal;
}

/** Means of one group of frames. `null`: not computed (no LPIPS weights) or undefined (an empty mask). */
export interface ImageScores {
  /** Peak signal-to-noise ratio, dB. */
  psnr: number | null;
  /** Structural similarity, in [0, 1]. */
  ssim: number | null;
  /** LPIPS distance (lower: closer). */
  lpips: number | null;
}

/** Scores of one frame. */
export interface FrameScore {
  /** Index in the dataset's frame list (all splits, file order). */
  index: number;
  /** The frame's timestep, when the dataset gives one. */
  timestep: number | null;
  /** Which camera took it. */
  cameraIndex: number;
  /** Scores over the whole image. */
  full: ImageScores;
  /** Scores inside the head mask, when the frame has one. */
  mask: ImageScores | null;
}

/** Means of one camera's frames. */
export interface ViewScore {
  /** The camera. */
  cameraIndex: number;
  /** Camera yaw and pitch about the subject, degrees (0, 0: in front, looking along −z of the head). */
  yaw: number;
  /** Camera pitch about the subject, degrees. */
  pitch: number;
  /** Frames of this camera evaluated. */
  frames: number;
  /** Mean scores over whole images. */
  full: ImageScores;
  /** Mean scores inside the head masks, when the frames have them. */
  mask: ImageScores | null;
}

/** The lip-sync metrics. */
export interface MotionScores {
  /** Frames compared (front camera, evaluated split). */
  frames: number;
  /** Speech clips compared. */
  clips: number;
  /** Where the frames come from: the evaluated split, or every clip frame when no clip reaches into it. */
  frameSource: 'split' | 'all-clips';
  /** Ground truth used: the dataset's noise-free truth parameters, or its tracked ones. */
  truth: 'flame_param_truth' | 'tracked';
  /** Landmark distance (68 landmarks), pixels; null when the model has no landmark embedding. */
  lmd: number | null;
  /** Lip vertex error (max over lip vertices, mean over frames), metres. */
  lipVertexError: number;
  /** Pearson r of the inner-lip distance (NaN → null when either sequence is constant). */
  mouthOpeningCorrelation: number | null;
  /** SyncNet-style scores per clip, means over clips (only with options.sync). */
  sync?: {
    /** Of the mouth motion predicted from the speech. */
    predicted: SyncSummary;
    /** Of the ground-truth mouth motion (the scorer's ceiling on this data). */
    truth: SyncSummary;
  };
}

/** Means over clips of {@link syncScore}'s numbers, and each clip's best offset (frames). */
export interface SyncSummary {
  /** Mean distance at offset 0. */
  distance: number;
  /** Mean smallest distance over offsets (LSE-D's analogue). */
  minDistance: number;
  /** Mean confidence (LSE-C's analogue; higher: more confident). */
  confidence: number;
  /** Each clip's best offset, frames. */
  offsets: number[];
}

/** What {@link evaluate} returns (and {@link writeEvaluationReport} writes). */
export interface EvaluationReport {
  /** Always `'ggtalker-evaluation'`: what the report is. */
  format: 'ggtalker-evaluation';
  /** Format version of the report. */
  version: 1;
  /** The avatar file evaluated, or `'(in memory)'` for an Avatar object. */
  avatar: string;
  /** The dataset folder evaluated on. */
  dataset: string;
  /** The split evaluated. */
  split: VhapSplit | 'all';
  /** Frames evaluated. */
  frames: number;
  /** Frame width, pixels. */
  width: number;
  /** Frame height, pixels. */
  height: number;
  /** The LPIPS backbone used, or null without LPIPS weights. */
  lpipsNetwork: LpipsNetwork | null;
  /** How the mask metrics are computed. */
  maskDefinition: string;
  /** Mean scores over the evaluated frames. */
  image: {
    /** Over whole images. */
    full: ImageScores;
    /** Inside the head masks, or null when the frames have none. */
    mask: ImageScores | null;
  };
  /** Mean scores per camera. */
  perView: ViewScore[];
  /** The lip-sync metrics, or null when they were skipped (see `motionSkipped`). */
  motion: MotionScores | null;
  /** Why motion is null, when it is. */
  motionSkipped?: string;
  /** Seconds per stage. */
  timings: {
    /** Loading the avatar and the dataset. */
    load: number;
    /** Rendering the frames. */
    render: number;
    /** PSNR and SSIM. */
    metrics: number;
    /** LPIPS. */
    lpips: number;
    /** Sampling expressions from the speech. */
    a2e: number;
    /** FLAME forward passes for the motion metrics. */
    flame: number;
    /** The whole evaluation. */
    total: number;
  };
  /** Every frame's scores. */
  perFrame: FrameScore[];
}

export const MASK_DEFINITION =
  'inside the dataset foreground mask m: PSNR over masked pixels (sum m(a-b)^2 / (3 sum m)); SSIM map (valid 11x11 windows) averaged with m at the window centre as weight; LPIPS of a*m and b*m';

const now = (): number => performance.now() / 1000;

function mean(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

function meanScores(scores: readonly ImageScores[]): ImageScores {
  return { psnr: mean(scores.map((s) => s.psnr)), ssim: mean(scores.map((s) => s.ssim)), lpips: mean(scores.map((s) => s.lpips)) };
}

const finiteOrNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** Yaw and pitch (degrees) of a camera's position seen from the origin; view is world-to-camera, row-major 4×4. */
export function cameraAngles(view: ArrayLike<number>): { yaw: number; pitch: number } {
  // Camera centre c = −Rᵀ t.
  const c = [0, 1, 2].map((j) => -(view[j]! * view[3]! + view[4 + j]! * view[7]! + view[8 + j]! * view[11]!));
  const [x, y, z] = c as [number, number, number];
  const deg = 180 / Math.PI;
  return { yaw: Math.atan2(x, z) * deg, pitch: Math.atan2(y, Math.hypot(x, z)) * deg };
}

/** Projects [N, 3] world points with a pinhole camera (OpenCV axes): [N, 2] pixels. */
export function projectPoints(points: ArrayLike<number>, camera: { view: ArrayLike<number>; fx: number; fy: number; cx: number; cy: number }): Float32Array {
  const v = camera.view;
  const n = points.length / 3;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [px, py, pz] = [points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!];
    const x = v[0]! * px + v[1]! * py + v[2]! * pz + v[3]!;
    const y = v[4]! * px + v[5]! * py + v[6]! * pz + v[7]!;
    const z = v[8]! * px + v[9]! * py + v[10]! * pz + v[11]!;
    out[2 * i] = (camera.fx * x) / z + camera.cx;
    out[2 * i + 1] = (camera.fy * y) / z + camera.cy;
  }
  return out;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

function validate(options: EvaluateOptions): void {
  if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object, received ${describeValue(options)}`);
  if (!(options.avatar instanceof Avatar) && (typeof options.avatar !== 'string' || options.avatar === ''))
    throw new ValidationError(`expected options.avatar to be an Avatar or an avatar file path, received ${describeValue(options.avatar)}`);
  if (typeof options.dataset !== 'string' || options.dataset === '') throw new ValidationError(`expected options.dataset to be a dataset folder path, received ${describeValue(options.dataset)}`);
  const split = options.split ?? 'test';
  if (!['train', 'val', 'test', 'all'].includes(split)) throw new ValidationError(`expected options.split to be 'train', 'val', 'test' or 'all', received ${describeValue(split)}`);
  if (options.maxFrames !== undefined && !(Number.isInteger(options.maxFrames) && options.maxFrames > 0))
    throw new ValidationError(`expected options.maxFrames to be a positive integer, received ${describeValue(options.maxFrames)}`);
  if (options.views !== undefined && (!Array.isArray(options.views) || !options.views.every((v) => Number.isInteger(v))))
    throw new ValidationError(`expected options.views to be a list of camera indices, received ${describeValue(options.views)}`);
  if (options.lpips !== undefined && !(options.lpips instanceof Lpips) && typeof options.lpips !== 'string')
    throw new ValidationError(`expected options.lpips to be an Lpips or a weights file path, received ${describeValue(options.lpips)}`);
  if (options.audio !== undefined && typeof options.audio !== 'boolean') throw new ValidationError(`expected options.audio to be a boolean, received ${describeValue(options.audio)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ValidationError(`expected options.onProgress to be a function, received ${describeValue(options.onProgress)}`);
  requireAbortSignal('options.signal', options.signal);
}

/**
 * Evaluates an adapted avatar on a dataset (see the module documentation for every metric).
 *
 * @throws {@link ValidationError} for bad options (or `audio: true` when the lip metrics cannot
 *   be computed); {@link FormatError} for a malformed dataset, avatar or LPIPS file;
 *   {@link AbortError} when `signal` aborts.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  validate(options);
  const { signal } = options;
  const split = options.split ?? 'test';
  const t0 = now();
  const timings = { load: 0, render: 0, metrics: 0, lpips: 0, a2e: 0, flame: 0, total: 0 };

  const avatar = options.avatar instanceof Avatar ? options.avatar : await Avatar.load(options.avatar);
  const lpips = options.lpips === undefined ? undefined : options.lpips instanceof Lpips ? options.lpips : await Lpips.load(options.lpips, { network: options.lpipsNetwork ?? 'alex', ...(options.device ? { device: options.device } : {}) });
  checkAbort(signal);
  const wantsAudio = options.audio !== false && avatar.a2e !== undefined;
  if (options.audio === true && !avatar.a2e) throw new ValidationError('expected an avatar with an Audio-Expression model for audio: true, received one without');
  const ds = await loadAvatarDataset(options.dataset, {
    ...(wantsAudio && options.encoder ? { encoder: options.encoder } : {}),
    onProgress: (p) => options.onProgress?.({ stage: 'load', ...p }),
    ...(signal ? { signal } : {}),
  });
  timings.load = now() - t0;

  const selected = ds.frames
    .map((f, index) => ({ f, index }))
    .filter(({ f }) => (split === 'all' || f.split === split) && (!options.views || options.views.includes(f.cameraIndex ?? 0)))
    .slice(0, options.maxFrames ?? Infinity);
  if (selected.length === 0)
    throw new ValidationError(`expected frames to score: the dataset has none in split ${split}${options.views ? ` for views [${options.views.join(', ')}]` : ''}`);

  // Image metrics, frame by frame.
  const perFrame: FrameScore[] = [];
  const fullImages: { a: Float32Array; b: Float32Array; w: number; h: number }[] = [];
  const maskedImages: typeof fullImages = [];
  for (const [k, { f, index }] of selected.entries()) {
    checkAbort(signal);
    const r0 = now();
    const { frames } = await avatar.render({ frames: [f.flame], camera: f.camera, background: f.image, ...(options.device ? { device: options.device } : {}), ...(signal ? { signal } : {}) });
    timings.render += now() - r0;
    const m0 = now();
    const [h, w] = f.image.shape as [number, number];
    const pred = Float32Array.from(frames.data.subarray(0, h * w * 3));
    const truth = contiguous(f.image.data, f.image.shape);
    const mask = f.mask ? contiguous(f.mask.data, f.mask.shape) : undefined;
    const full: ImageScores = { psnr: psnr(pred, truth), ssim: ssim(pred, truth, w, h), lpips: null };
    const masked: ImageScores | null = mask
      ? { psnr: finiteOrNull(psnr(pred, truth, { mask })), ssim: finiteOrNull(ssim(pred, truth, w, h, { mask })), lpips: null }
      : null;
    timings.metrics += now() - m0;
    if (lpips) {
      fullImages.push({ a: pred, b: truth, w, h });
      if (mask) maskedImages.push({ a: multiplyMask(pred, mask), b: multiplyMask(truth, mask), w, h });
    }
    perFrame.push({ index, timestep: f.timestep ?? null, cameraIndex: f.cameraIndex ?? 0, full, mask: masked });
    options.onProgress?.({ stage: 'render', done: k + 1, total: selected.length, fraction: (k + 1) / selected.length });
  }
  if (lpips) {
    const l0 = now();
    // Batches of up to 8 same-sized pairs per native call, within LPIPS's pixel limit (one
    // pair per call at least: the frames are the evaluation's own, whatever their size).
    const dist = async (imgs: typeof fullImages): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < imgs.length; ) {
        checkAbort(signal);
        const pixels = imgs[i]!.w * imgs[i]!.h;
        const most = Math.max(1, Math.min(8, Math.floor(DEFAULT_MAX_NETWORK_PIXELS / pixels)));
        let j = i + 1;
        while (j < imgs.length && j - i < most && imgs[j]!.w === imgs[i]!.w && imgs[j]!.h === imgs[i]!.h) j++;
        const batch = imgs.slice(i, j);
        const maxPixels = Math.max(DEFAULT_MAX_NETWORK_PIXELS, pixels);
        out.push(...(await lpips.distances(batch.map((x) => x.a), batch.map((x) => x.b), imgs[i]!.w, imgs[i]!.h, { maxPixels })));
        i = j;
      }
      return out;
    };
    const full = await dist(fullImages);
    perFrame.forEach((s, i) => (s.full.lpips = full[i]!));
    const masked = await dist(maskedImages);
    let j = 0;
    for (const s of perFrame) if (s.mask) s.mask.lpips = masked[j++]!;
    timings.lpips = now() - l0;
  }

  // Per view.
  const cameras = [...new Set(perFrame.map((s) => s.cameraIndex))].sort((a, b) => a - b);
  const perView: ViewScore[] = cameras.map((c) => {
    const scores = perFrame.filter((s) => s.cameraIndex === c);
    const cam = ds.frames[scores[0]!.index]!.camera;
    const masks = scores.map((s) => s.mask).filter((m): m is ImageScores => m !== null);
    return { cameraIndex: c, ...cameraAngles(cam.view as ArrayLike<number>), frames: scores.length, full: meanScores(scores.map((s) => s.full)), mask: masks.length ? meanScores(masks) : null };
  });
  const masks = perFrame.map((s) => s.mask).filter((m): m is ImageScores => m !== null);

  // Motion.
  let motion: MotionScores | null = null;
  let motionSkipped: string | undefined;
  if (options.audio === false) motionSkipped = 'audio: false';
  else if (!avatar.a2e) motionSkipped = 'the avatar has no Audio-Expression model';
  else if (!ds.speech || ds.speech.clips.length === 0) motionSkipped = 'the dataset has no speech (audio.wav + speech.json) covering whole clips';
  else {
    const lips = lipsFor(avatar, options.lips);
    if (!lips) motionSkipped = `no lip vertices for this FLAME model (${avatar.model.vertexCount} vertices): pass options.lips`;
    else motion = await motionScores(avatar, ds, options, split, lips, timings);
  }
  if (options.audio === true && motion === null) throw new ValidationError(`expected the lip-sync metrics to be computable for audio: true, but ${motionSkipped}`);

  const [h, w] = ds.frames[selected[0]!.index]!.image.shape as [number, number];
  timings.total = now() - t0;
  return {
    format: 'ggtalker-evaluation',
    version: 1,
    avatar: typeof options.avatar === 'string' ? options.avatar : '(in memory)',
    dataset: options.dataset,
    split,
    frames: perFrame.length,
    width: w,
    height: h,
    lpipsNetwork: lpips?.network ?? null,
    maskDefinition: MASK_DEFINITION,
    image: { full: meanScores(perFrame.map((s) => s.full)), mask: masks.length ? meanScores(masks) : null },
    perView,
    motion,
    ...(motionSkipped ? { motionSkipped } : {}),
    timings,
    perFrame,
  };
}

/** A row-major copy of an ndarray's data (images from the dataset loader are contiguous already). */
function contiguous(data: Float32Array, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return data.length === n ? data : data.subarray(0, n);
}

function multiplyMask(img: Float32Array, mask: Float32Array): Float32Array {
  const out = new Float32Array(img.length);
  for (let p = 0; p < mask.length; p++) for (let c = 0; c < 3; c++) out[3 * p + c] = img[3 * p + c]! * mask[p]!;
  return out;
}

function lipsFor(avatar: Avatar, given: EvaluateOptions['lips']): LipVertices | undefined {
  if (given) {
    if (!Array.isArray(given.lips) || given.lips.length === 0) throw new ValidationError(`expected options.lips.lips to be a non-empty list of vertex indices, received ${describeValue(given.lips)}`);
    const pairs = given.upper && given.lower ? lipPairs(avatar.model.vTemplate, given.upper, given.lower) : { upper: [], lower: [] };
    return { lips: [...given.lips], ...pairs };
  }
  return proceduralLipVertices(avatar.model);
}

/** The noise-free parameters beside the tracked ones (`flame_param_truth/NNNNN.npz`), per frame of the dataset, when present. */
async function truthParams(dataset: string, count: number): Promise<(FrameFlame | undefined)[] | undefined> {
  const vhap = await readVhapDataset(dataset);
  if (vhap.frames.length !== count) return undefined;
  const first = vhap.frames[0]!.flameParams;
  if (!(await pathExists(join(dirname(dirname(first)), 'flame_param_truth', basename(first))))) return undefined;
  const cache = new Map<string, FrameFlame>();
  const out: (FrameFlame | undefined)[] = [];
  for (const f of vhap.frames) {
    const p = join(dirname(dirname(f.flameParams)), 'flame_param_truth', basename(f.flameParams));
    let v = cache.get(p);
    if (!v && (await pathExists(p))) {
      const t = await loadVhapFlame(p);
      v = { expr: t.expr, jaw: t.jaw, rotation: t.rotation, neck: t.neck, eyes: t.eyes, translation: t.translation };
      cache.set(p, v);
    }
    out.push(v);
  }
  return out;
}

async function motionScores(
  avatar: Avatar,
  ds: AvatarDataset,
  options: EvaluateOptions,
  split: VhapSplit | 'all',
  lips: LipVertices,
  timings: EvaluationReport['timings'],
): Promise<MotionScores> {
  const model = avatar.model;
  const a2e = avatar.a2e!;
  const E = model.exprCount;
  const clips = ds.speech!.clips;
  const truths = await truthParams(options.dataset, ds.frames.length);
  const truthOf = (i: number): FrameFlame => truths?.[i] ?? ds.frames[i]!.flame;
  const speaker = options.a2e?.speaker ?? (a2e.speakers.includes('identity') ? 'identity' : 0);
  // Predicted expression + jaw per clip frame (dataset frame index -> [E], [3]).
  const predicted = new Map<number, { expr: Float32Array; jaw: Float32Array }>();
  const syncScores: { predicted: ReturnType<typeof syncScore>[]; truth: ReturnType<typeof syncScore>[] } = { predicted: [], truth: [] };
  const a0 = now();
  for (const [k, clip] of clips.entries()) {
    checkAbort(options.signal);
    const out = await a2e.sample(clip.features, { speaker, seed: options.a2e?.seed ?? 0, steps: options.a2e?.steps ?? 25 });
    const tracks = splitTracks(a2e, out);
    const e = tracks.expression.shape[1]!;
    clip.frames.forEach((fi, t) => {
      const expr = padComponents('expr', tracks.expression.data.slice(t * e, (t + 1) * e), E);
      predicted.set(fi, { expr, jaw: tracks.jawPose.data.slice(3 * t, 3 * t + 3) });
    });
    if (options.sync) {
      const n = clip.frames.length;
      const features = clip.features.data.subarray(0, n * clip.features.shape[1]!);
      const track = (pick: (fi: number) => { expr?: Float32Array; jaw?: Float32Array }): Float32Array => {
        const jaw = new Float32Array(3 * n);
        const expr = new Float32Array(E * n);
        clip.frames.forEach((fi, t) => {
          const p = pick(fi);
          if (p.jaw) jaw.set(p.jaw.subarray(0, 3), 3 * t);
          if (p.expr) expr.set(padComponents('expr', p.expr, E), E * t);
        });
        return mouthTrack(jaw, expr, n);
      };
      syncScores.predicted.push(syncScore(options.sync, { features, mouth: track((fi) => predicted.get(fi)!), frames: n }));
      syncScores.truth.push(syncScore(options.sync, { features, mouth: track((fi) => truthOf(fi)), frames: n }));
    }
    options.onProgress?.({ stage: 'a2e', done: k + 1, total: clips.length, fraction: (k + 1) / clips.length });
  }
  timings.a2e = now() - a0;

  const f0 = now();
  let indices = [...predicted.keys()].filter((i) => split === 'all' || ds.frames[i]!.split === split);
  const frameSource: MotionScores['frameSource'] = indices.length > 0 ? 'split' : 'all-clips';
  if (indices.length === 0) indices = [...predicted.keys()];
  indices.sort((a, b) => a - b);
  const T = indices.length;
  const stack = (pick: (i: number) => Float32Array | undefined, width: number): { data: Float32Array; shape: number[] } => {
    const data = new Float32Array(T * width);
    indices.forEach((i, t) => {
      const v = pick(i);
      if (v) data.set(width === E ? padComponents('expr', v, E) : v.subarray(0, width), t * width);
    });
    return { data, shape: [T, width] };
  };
  const pose = {
    rotation: stack((i) => truthOf(i).rotation, 3),
    neck: stack((i) => truthOf(i).neck, 3),
    eyes: stack((i) => truthOf(i).eyes, 6),
    translation: stack((i) => truthOf(i).translation, 3),
  };
  const identity = {
    shape: handleToArray(avatar.params.get('flame.shape')!),
    ...(avatar.params.has('flame.static_offset') ? { staticOffset: handleToArray(avatar.params.get('flame.static_offset')!) } : {}),
  };
  const truthMesh = await avatar.flame.forward({ ...identity, ...pose, expr: stack((i) => truthOf(i).expr, E), jaw: stack((i) => truthOf(i).jaw, 3) }, { signal: options.signal });
  const predMesh = await avatar.flame.forward({ ...identity, ...pose, expr: stack((i) => predicted.get(i)!.expr, E), jaw: stack((i) => predicted.get(i)!.jaw, 3) }, { signal: options.signal });
  const V = model.vertexCount;
  let lmd: number | null = null;
  if (truthMesh.landmarks && predMesh.landmarks) {
    const L = truthMesh.landmarks.shape[1]!;
    const used = Math.min(68, L);
    const project = (lm: Float32Array): Float32Array => {
      const out = new Float32Array(T * used * 2);
      indices.forEach((i, t) => out.set(projectPoints(lm.subarray(t * L * 3, (t * L + used) * 3), ds.frames[i]!.camera as never), t * used * 2));
      return out;
    };
    lmd = landmarkDistance(project(predMesh.landmarks.data), project(truthMesh.landmarks.data));
  }
  const lve = lipVertexError(predMesh.vertices.data, truthMesh.vertices.data, lips.lips, { vertexCount: V });
  const r = lips.upper.length > 0 ? mouthOpeningCorrelation(predMesh.vertices.data, truthMesh.vertices.data, lips.upper, lips.lower, { vertexCount: V }) : Number.NaN;
  timings.flame = now() - f0;
  return {
    frames: T,
    clips: clips.length,
    frameSource,
    truth: truths ? 'flame_param_truth' : 'tracked',
    lmd,
    lipVertexError: lve,
    mouthOpeningCorrelation: finiteOrNull(r),
    ...(options.sync ? { sync: { predicted: summarise(syncScores.predicted), truth: summarise(syncScores.truth) } } : {}),
  };
}

function summarise(scores: readonly { distance: number; minDistance: number; confidence: number; offset: number }[]): SyncSummary {
  const m = (k: 'distance' | 'minDistance' | 'confidence'): number => scores.reduce((a, x) => a + x[k], 0) / scores.length;
  return { distance: m('distance'), minDistance: m('minDistance'), confidence: m('confidence'), offsets: scores.map((x) => x.offset) };
}
