/**
 * The main job (DESIGN §1): speech -> expressions (the avatar's Audio-Expression model) ->
 * rigged Gaussians -> rasterizer -> colour MLP -> body inpainter -> frames, returned and/or
 * written as an MP4 with the speech muxed in.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { audioSamples16k, videoFrameCount, type AudioEncoder, type AudioInput } from '../a2e/features.js';
import { requireOptions } from '../arguments.js';
import { AudioExpressionModel, defaultSampleSteps, requireSampler, type SampleMethod } from '../a2e/model.js';
import { predictExpressions, type PredictProgress } from '../a2e/predict.js';
import { Avatar } from '../avatar/avatar.js';
import type { FrameFlame } from '../avatar/frames.js';
import { requireDevice, type Device } from '../backends.js';
import { AbortError, ValidationError } from '../errors.js';
import type { Camera } from '../render/camera.js';
import { describeValue, requireFiniteNumber, toFloat32Tensor } from '../validate.js';
import { headPoses, type HeadPose } from './head-pose.js';
import { addIdleMotion, type IdleOption } from './idle-frames.js';
import type { IdleMotion } from './idle-motion.js';
import { checkOutputPath, Mp4Writer } from './video-writer.js';

/** Most frames rendered per native call (`batch`): each frame's buffers are held at once. */
export const MAX_BATCH = 256;

/** Default `maxReturnedBytes` of {@link synthesize}: 4 GiB. */
export const DEFAULT_MAX_RETURNED_BYTES = 2 ** 32;

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** The avatar to animate. */
  avatar: Avatar;
  /** A path (WAV or anything ffmpeg reads), 16 kHz mono samples, or {samples, sampleRate}. */
  audio: AudioInput;
  /** Write an MP4 here (atomically; no file is left on abort or failure). */
  output?: string;
  /** Return the frames too (default: when there is no `output`). */
  returnFrames?: boolean;
  /** A camera, or one per frame (a path for novel views, cycled). Default: the tracked camera. */
  camera?: Camera | Camera[];
  /** Default `'tracked'`. */
  headPose?: HeadPose;
  /**
   * Idle motion on top of the head pose and the speech-driven expressions: small head sway,
   * blinks and gaze shifts (see {@link IdleMotionOptions}). Default `false`: an adapted
   * avatar's tracked motion already carries the person's own sway, blinks and gaze, and
   * synthesize() stays a plain function of the speech; `ggtalker demo` turns it on. Blinks
   * need expression components named `blink_left` / `blink_right` (the procedural head has
   * them); with other heads only the sway and gaze are added.
   */
  idle?: IdleOption;
  /** [H, W, 3] behind the head. Default: the tracked background. */
  background?: NdArray<Float32Array>;
  /** The Audio-Expression model (default: the avatar's). */
  model?: AudioExpressionModel;
  /** Needed when the model reads wav2vec2 features. */
  encoder?: AudioEncoder;
  /** Speaker of the Audio-Expression model. Default: 'identity' when the avatar was fine-tuned, else 0. */
  speaker?: string | number;
  /**
   * Sampler of the speech-to-expressions diffusion: `'ddim'` (default), `'ddpm'` or
   * `'dpm-solver++'` (few steps at DDIM-25's lip accuracy; see `SAMPLE_METHODS`).
   */
  method?: SampleMethod;
  /** Denoising steps of the speech-to-expressions diffusion. Default 25; 8 with `'dpm-solver++'`. */
  steps?: number;
  /** Classifier-free guidance scale (1: plain conditional). Default 1. */
  guidance?: number;
  /** Seed of the diffusion noise (the same seed and inputs make the same video). Default 0. */
  seed?: number;
  /** Frames rendered per native call, 1 to 256. Default 8. */
  batch?: number;
  /**
   * Largest size of the returned frames, bytes (T × H × W × 3 float32). Default
   * {@link DEFAULT_MAX_RETURNED_BYTES} (4 GiB: 55 s of 512² video at 25 fps). Longer videos are
   * refused before any work with a {@link ValidationError}: write them to `output` with
   * `returnFrames: false` (the frames are then streamed to ffmpeg, never held), or raise this.
   */
  maxReturnedBytes?: number;
  /**
   * Where the expressions are sampled and the frames rendered: `'cpu'` (default), `'cuda'` or
   * `'cuda:N'` (needs a binary built with CUDA: docs/gpu-build.md).
   */
  device?: Device;
  /** Called as the expressions are sampled and the frames rendered. */
  onProgress?: (p: SynthesizeProgress) => void;
  /** Cancels the job: it rejects with AbortError and no output file is left. */
  signal?: AbortSignal;
}

export interface SynthesizeProgress {
  /**
   * `'expressions'`: speech to expressions (audio features, then the denoising steps), the
   * first 2 % of `fraction` (`EXPRESSIONS_SHARE`); `'render'`: the frames, the rest.
   */
  stage: 'expressions' | 'render';
  /** Frames rendered so far. */
  frame: number;
  /** Frames to render in all (0 during the expressions stage). */
  frames: number;
  /** Expressions stage: denoising steps done (0 while the audio is encoded), of `steps`. */
  step?: number;
  /** Expressions stage: denoising steps in all. */
  steps?: number;
  /** 0..1 over the whole job, never decreasing. */
  fraction: number;
}

/**
 * Share of {@link SynthesizeProgress.fraction} given to the expressions stage, so that the
 * fraction tracks time (progress bars estimate the time left from it): rendering is nearly all
 * of a synthesis. Measured: `ggtalker demo` (512², 147 frames, 25 steps, 2-core CPU) spends
 * 0.6 s on expressions and 109 s on frames (0.6 %); a paper-size model with wav2vec2 features
 * spends more on expressions, hence the margin.
 */
export const EXPRESSIONS_SHARE = 0.02;

export interface SynthesizeResult {
  /** [T, H, W, 3] in [0, 1], when returned. */
  frames?: NdArray<Float32Array>;
  /** Frames made. */
  frameCount: number;
  /** Frames per second of the video (the Audio-Expression model's). */
  fps: number;
  /** Length of the video, seconds. */
  durationSeconds: number;
  /** The MP4 written, when `output` was given. */
  output?: string;
  /** Per-frame expression and jaw tracks predicted from the speech (before idle motion). */
  expression: NdArray<Float32Array>;
  /** Per-frame jaw rotation predicted from the speech, axis-angle [T, 3]. */
  jawPose: NdArray<Float32Array>;
  /** The idle motion added (neck, eyes, blink tracks), when `idle` was on. */
  idle?: IdleMotion;
  /** Wall time of each stage, seconds (render includes writing the video). */
  timings: {
    /** Speech to expressions (features and denoising), seconds. */
    expressions: number;
    /** Rendering, including writing the video, seconds. */
    render: number;
    /** The whole call, seconds. */
    total: number;
  };
}

/**
 * Makes a talking-head video of `avatar` saying `audio`.
 *
 * @example
 * ```ts
 * import { Avatar, synthesize } from 'ggtalker';
 *
 * const avatar = await Avatar.load('me.avatar');
 * const result = await synthesize({
 *   avatar,
 *   audio: 'hello.wav', // or 16 kHz mono samples
 *   output: 'hello.mp4',
 *   onProgress: (p) => console.log(`${p.stage}: ${Math.round(p.fraction * 100)} %`),
 * });
 * console.log(`${result.frameCount} frames at ${result.fps} fps in ${result.timings.total.toFixed(1)} s`);
 * ```
 */
export async function synthesize(options: SynthesizeOptions): Promise<SynthesizeResult> {
  const started = performance.now();
  const { avatar } = requireOptions('synthesize', options);
  if (!(avatar instanceof Avatar)) throw new ValidationError(`expected avatar to be an Avatar, received ${describeValue(avatar)}`);
  const model = options.model ?? avatar.a2e;
  if (!model) throw new ValidationError('this avatar has no Audio-Expression model: pass options.model (e.g. a prior from loadPriors)');
  if (!(model instanceof AudioExpressionModel)) throw new ValidationError(`expected model to be an AudioExpressionModel, received ${describeValue(model)}`);
  if (model.config.expressionCount !== avatar.model.exprCount) {
    throw new ValidationError(`the Audio-Expression model predicts ${model.config.expressionCount} expression coefficients, but the avatar's head has ${avatar.model.exprCount}`);
  }
  // The sampler and its step count, checked before any work.
  requireSampler(model.config, options.method ?? 'ddim', options.steps ?? defaultSampleSteps(options.method));
  const batch = options.batch ?? 8;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new ValidationError(`expected batch to be an integer in [1, ${MAX_BATCH}], received ${describeValue(batch)}`);
  const maxReturnedBytes = requireFiniteNumber('maxReturnedBytes', options.maxReturnedBytes ?? DEFAULT_MAX_RETURNED_BYTES, { min: 0 });
  const device = options.device === undefined ? undefined : requireDevice(options.device);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ValidationError(`expected onProgress to be a function, received ${describeValue(options.onProgress)}`);
  const check = (): void => {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  };
  check();
  // Everything the caller gave is checked before the expressions are sampled: a bad camera,
  // background or output path must not fail only after minutes of work.
  const cameras = options.camera === undefined ? undefined : Array.isArray(options.camera) ? options.camera : [options.camera];
  if (cameras && cameras.length === 0) throw new ValidationError('expected camera to be a Camera or a non-empty array of them');
  const cameraAt = (t: number): Camera | undefined => cameras?.[t % cameras.length];
  const first = cameraAt(0) ?? avatar.track?.camera;
  if (!first) throw new ValidationError('expected a camera (this avatar has no tracked camera)');
  if (cameras?.some((c) => c?.width !== first.width || c?.height !== first.height)) throw new ValidationError('expected every camera of the path to have one image size');
  if (options.background !== undefined) requireBackground(options.background, first.width, first.height);
  const output = options.output === undefined ? undefined : await checkOutputPath(options.output);
  const samples = await audioSamples16k(options.audio, { signal: options.signal });
  const keep = options.returnFrames ?? output === undefined;
  // The frames returned are held in one array: refuse what cannot be held before sampling.
  const expectedFrames = videoFrameCount(samples.length, 16000, model.features.fps);
  const returnedBytes = expectedFrames * first.width * first.height * 3 * 4;
  if (keep && returnedBytes > maxReturnedBytes) {
    throw new ValidationError(
      `expected the returned frames to take at most ${maxReturnedBytes} bytes (maxReturnedBytes), received ${expectedFrames} frames of ${first.width}x${first.height} (${returnedBytes} bytes): pass output with returnFrames: false, shorter audio, or raise maxReturnedBytes`,
    );
  }
  const speaker = options.speaker ?? (model.speakers.includes('identity') ? 'identity' : 0);
  const { onProgress } = options;
  onProgress?.({ stage: 'expressions', frame: 0, frames: 0, step: 0, steps: options.steps ?? defaultSampleSteps(options.method), fraction: 0 });
  const tracks = await predictExpressions(samples, {
    model,
    ...(options.encoder ? { encoder: options.encoder } : {}),
    speaker,
    ...(options.method !== undefined ? { method: options.method } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.guidance !== undefined ? { guidance: options.guidance } : {}),
    seed: options.seed ?? 0,
    ...(device ? { device } : {}),
    ...(onProgress ? { onProgress: (p: PredictProgress) => onProgress({ stage: 'expressions', frame: 0, frames: 0, step: p.step, steps: p.steps, fraction: EXPRESSIONS_SHARE * p.fraction }) } : {}),
    signal: options.signal,
  });
  const tExpr = (performance.now() - started) / 1000;
  const T = tracks.frames;
  const E = avatar.model.exprCount;
  const poses = headPoses(avatar, options.headPose ?? 'tracked', T);
  const spoken: FrameFlame[] = poses.map((p, t) => ({
    ...p,
    expr: tracks.expression.data.slice(t * E, (t + 1) * E),
    jaw: tracks.jawPose.data.slice(t * 3, t * 3 + 3),
  }));
  const fps = model.features.fps;
  const flame = addIdleMotion(spoken, options.idle ?? false, { fps, expressionNames: avatar.description.expressionNames ?? model.expressionNames ?? [] });
  const writer = output !== undefined ? await Mp4Writer.open(output, { width: first.width, height: first.height, fps, audio: samples }) : undefined;
  const frameSize = first.width * first.height * 3;
  const all = keep ? new Float32Array(T * frameSize) : undefined;
  const workspace = {}; // this video's (Avatar.renderFrames)
  try {
    for (let t0 = 0; t0 < T; ) {
      check();
      // A run of frames that share a camera, at most `batch` long.
      let t1 = t0 + 1;
      while (t1 < T && t1 - t0 < batch && cameraAt(t1) === cameraAt(t0)) t1++;
      const camera = cameraAt(t0);
      const frames = await avatar.renderFrames({ frames: flame.slice(t0, t1), ...(camera ? { camera } : {}), ...(options.background ? { background: options.background } : {}), ...(device ? { device } : {}), signal: options.signal }, workspace);
      if (writer) await writer.write(frames);
      all?.set(frames.data, t0 * frameSize);
      t0 = t1;
      onProgress?.({ stage: 'render', frame: t0, frames: T, fraction: EXPRESSIONS_SHARE + (1 - EXPRESSIONS_SHARE) * (t0 / T) });
    }
    if (writer) await writer.finish();
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  const total = (performance.now() - started) / 1000;
  return {
    ...(all ? { frames: ndarray(all, [T, first.height, first.width, 3]) } : {}),
    frameCount: T,
    fps,
    durationSeconds: T / fps,
    ...(output !== undefined ? { output } : {}),
    expression: tracks.expression,
    jawPose: tracks.jawPose,
    ...(flame.idle ? { idle: flame.idle } : {}),
    timings: { expressions: tExpr, render: total - tExpr, total },
  };
}

/**
 * Requires a background [height, width, 3] of finite values in [0, 1] (a NaN would show as
 * black or poison the inpainter; values outside [0, 1] are not colours).
 *
 * @throws {@link ValidationError} naming `background`, the element and its value.
 */
export function requireBackground(background: unknown, width: number, height: number): void {
  const { data } = toFloat32Tensor('background', background, [height, width, 3]);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 1)) throw new ValidationError(`expected background values in [0, 1], received ${v} at index ${i}`);
  }
}
