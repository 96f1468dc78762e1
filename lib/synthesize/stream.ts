/**
 * Streaming synthesis: audio chunks in, video frames out as soon as they can be made. The
 * Audio-Expression stream emits expression frames with bounded latency; each batch is rendered
 * at once. Every chunk reports its latency: the audio it waited for plus the time to make it.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { ExpressionStream, type ExpressionChunk } from '../a2e/stream.js';
import { AudioExpressionModel, type SampleMethod } from '../a2e/model.js';
import type { AudioEncoder } from '../a2e/features.js';
import { Avatar } from '../avatar/avatar.js';
import { requireDevice, type Device } from '../backends.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import type { Camera } from '../render/camera.js';
import { headPoses, type HeadPose } from './head-pose.js';
import { addIdleMotion, type IdleOption } from './idle-frames.js';
import { requireBackground } from './synthesize.js';

/** Options of {@link SynthesisStream}. */
export interface SynthesisStreamOptions {
  /** The avatar to animate. */
  avatar: Avatar;
  /** The Audio-Expression model (default: the avatar's). */
  model?: AudioExpressionModel;
  /** Needed when the model reads wav2vec2 features. */
  encoder?: AudioEncoder;
  /** Speaker of the Audio-Expression model. Default: 'identity' when the avatar was fine-tuned, else 0. */
  speaker?: string | number;
  /** The camera to render from. Default: the tracked camera. */
  camera?: Camera;
  /** [H, W, 3] behind the head. Default: the tracked background. */
  background?: NdArray<Float32Array>;
  /** 'tracked' (default) or 'still'. */
  headPose?: Extract<HeadPose, string>;
  /** Idle head sway, blinks and gaze, as synthesize()'s `idle` (default off). */
  idle?: IdleOption;
  /**
   * Sampler of the expressions: as {@link ExpressionStream}, `'dpm-solver++'` by default
   * ({@link STREAM_SAMPLE_METHOD}), `'ddim'` or `'ddpm'`.
   */
  method?: SampleMethod;
  /**
   * Denoising steps per window. Default: {@link ExpressionStream}'s, {@link STREAM_SAMPLE_STEPS}
   * (4; with DPM-Solver++ the held-out lip metrics stay within 5 % of offline DDIM's 25 steps, at
   * a fraction of the latency).
   */
  steps?: number;
  /** Seed of the diffusion noise. Default 0. */
  seed?: number;
  /** Where to sample and render: `'cpu'` (default), `'cuda'` or `'cuda:N'`. */
  device?: Device;
}

/** Frames made from the audio so far. */
export interface SynthesizedChunk {
  /** Index of the chunk's first frame in the whole stream. */
  startFrame: number;
  /** [n, H, W, 3]. */
  frames: NdArray<Float32Array>;
  /** Audio waited for after the first frame's start, seconds. */
  bufferedSeconds: number;
  /** Expression sampling + rendering time, seconds. */
  computeSeconds: number;
  /** Audio waited for plus compute time, seconds: how far the frames lag the speech. */
  latencySeconds: number;
}

/**
 * Audio in, frames out.
 *
 * @example
 * ```ts
 * import { Avatar, SynthesisStream } from 'ggtalker';
 *
 * const stream = new SynthesisStream({ avatar: await Avatar.load('me.avatar') });
 * // 16 kHz mono chunks as they arrive (a microphone, a network stream); here two silent ones.
 * const chunks = [new Float32Array(8000), new Float32Array(8000)];
 * for (const samples of chunks) {
 *   for (const chunk of await stream.push(samples)) {
 *     console.log(`frames ${chunk.startFrame}+${chunk.frames.shape[0]}, latency ${chunk.latencySeconds.toFixed(2)} s`);
 *   }
 * }
 * const rest = await stream.end(); // the frames the last audio completed
 * ```
 */
export class SynthesisStream {
  private readonly avatar: Avatar;
  private readonly expressions: ExpressionStream;
  private readonly options: SynthesisStreamOptions;
  private readonly fps: number;
  private readonly expressionNames: readonly string[];
  /** This stream's own inpainter workspace (Avatar.renderFrames): streams never share one. */
  private readonly workspace = {};

  /**
   * A stream for `options.avatar`; push 16 kHz audio with {@link SynthesisStream.push}.
   *
   * @throws {@link ValidationError} for bad options, a model-less avatar, or a background of the wrong size.
   */
  constructor(options: SynthesisStreamOptions) {
    if (!(options?.avatar instanceof Avatar)) throw new ValidationError(`expected avatar to be an Avatar, received ${describeValue(options?.avatar)}`);
    const model = options.model ?? options.avatar.a2e;
    if (!model) throw new ValidationError('this avatar has no Audio-Expression model: pass options.model');
    if (!(model instanceof AudioExpressionModel)) throw new ValidationError(`expected model to be an AudioExpressionModel, received ${describeValue(model)}`);
    if (options.background !== undefined) {
      const camera = options.camera ?? options.avatar.track?.camera;
      if (!camera) throw new ValidationError('expected a camera (this avatar has no tracked camera)');
      requireBackground(options.background, camera.width, camera.height);
    }
    this.avatar = options.avatar;
    this.fps = model.features.fps;
    this.expressionNames = options.avatar.description.expressionNames ?? model.expressionNames ?? [];
    this.options = options.device === undefined ? options : { ...options, device: requireDevice(options.device) };
    this.expressions = new ExpressionStream({
      model,
      ...(options.encoder ? { encoder: options.encoder } : {}),
      speaker: options.speaker ?? (model.speakers.includes('identity') ? 'identity' : 0),
      ...(options.method !== undefined ? { method: options.method } : {}),
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      seed: options.seed ?? 0,
      ...(this.options.device ? { device: this.options.device } : {}),
    });
  }

  /** The most audio a frame waits for (before compute), seconds. */
  get maxBufferedSeconds(): number {
    return this.expressions.maxBufferedSeconds;
  }

  /** Adds 16 kHz mono samples; resolves with the frames they completed. */
  async push(samples: Float32Array): Promise<SynthesizedChunk[]> {
    return this.render(await this.expressions.push(samples));
  }

  /** Flushes the remaining frames. */
  async end(): Promise<SynthesizedChunk[]> {
    return this.render(await this.expressions.end());
  }

  private async render(chunks: ExpressionChunk[]): Promise<SynthesizedChunk[]> {
    const out: SynthesizedChunk[] = [];
    for (const c of chunks) {
      const t0 = performance.now();
      const E = c.expression.shape[1]!;
      const poses = headPoses(this.avatar, this.options.headPose ?? 'tracked', c.startFrame + c.frames).slice(c.startFrame);
      const spoken = poses.map((p, t) => ({ ...p, expr: c.expression.data.slice(t * E, (t + 1) * E), jaw: c.jawPose.data.slice(t * 3, t * 3 + 3) }));
      const frames = addIdleMotion(spoken, this.options.idle ?? false, { fps: this.fps, expressionNames: this.expressionNames, startFrame: c.startFrame });
      const rendered = await this.avatar.renderFrames({ frames, ...(this.options.camera ? { camera: this.options.camera } : {}), ...(this.options.background ? { background: this.options.background } : {}), ...(this.options.device ? { device: this.options.device } : {}) }, this.workspace);
      const renderSeconds = (performance.now() - t0) / 1000;
      out.push({
        startFrame: c.startFrame,
        frames: rendered,
        bufferedSeconds: c.bufferedSeconds,
        computeSeconds: c.computeSeconds + renderSeconds,
        latencySeconds: c.latencySeconds + renderSeconds,
      });
    }
    return out;
  }
}
