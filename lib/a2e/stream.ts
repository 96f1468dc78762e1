/**
 * Streaming speech to expressions: audio arrives in chunks, expression frames leave as soon
 * as a window of audio (plus a small encoder look-ahead) is in; a backlog is denoised in one
 * batched call, so a stream that falls behind catches up. Each window continues from the
 * frames already emitted (they are held fixed while the window is denoised), so the stream has
 * no seams; each emitted chunk reports its latency.
 *
 * The stream samples with DPM-Solver++ at 4 steps unless told otherwise: DDIM's 25 steps on
 * the paper-size model take longer per window than the window's new audio lasts on a 2-core CPU,
 * so that stream falls behind; 4 solver steps keep the held-out lip metrics within 5 % of them
 * (test/a2e-speech.test.ts).
 *
 * The first window is short, window − overlap frames, so the first frames wait no longer for
 * their audio than later ones: (window − overlap) / fps + lookAhead (0.28 s by default; a full
 * first window made the stream's first frame wait window / fps + lookAhead = 0.44 s, which with
 * its compute alone exceeded half a second). The frames it holds back (the alignment radius) come
 * with the next, full window.
 *
 * Latency of a frame = the audio that must arrive after it starts (see
 * {@link ExpressionStream.maxBufferedSeconds}, plus up to one pushed chunk) + the time to
 * compute it.
 *
 * @module
 */

import ndarray from 'ndarray';

import { ValidationError } from '../errors.js';
import { requireOptions } from '../arguments.js';
import { describeValue, requireFinite, requireFiniteNumber, requirePositiveNumber } from '../validate.js';
import { encodeAudio, videoFrameCount } from './features.js';
import { AudioExpressionModel, requireSampler } from './model.js';
import { encoderFor, splitTracks, type ExpressionTracks, type PredictExpressionsOptions } from './predict.js';

/** The sampler of {@link ExpressionStream} when `method` is not given. */
export const STREAM_SAMPLE_METHOD = 'dpm-solver++' as const;
/** Denoising steps of {@link ExpressionStream} when `steps` is not given. */
export const STREAM_SAMPLE_STEPS = 4;

/**
 * Options of {@link ExpressionStream}; `method` defaults to {@link STREAM_SAMPLE_METHOD} and
 * `steps` to {@link STREAM_SAMPLE_STEPS} (not the offline sampler's DDIM 25).
 */
export interface ExpressionStreamOptions extends Omit<PredictExpressionsOptions, 'signal' | 'onProgress'> {
  /** Audio kept before each window for the encoder's context, seconds, in (0, 60]. Default 1 (use ~3 for wav2vec2). */
  contextSeconds?: number;
  /** Audio needed past a window's end before it is computed, seconds, in [0, 60]. Default 0.04. */
  lookAheadSeconds?: number;
}

/** Frames emitted by a stream. */
export interface ExpressionChunk extends ExpressionTracks {
  /** Index of the first frame in the whole stream. */
  startFrame: number;
  /** Audio that had to arrive after the first frame's start, seconds. */
  bufferedSeconds: number;
  /** Time spent computing this chunk, seconds. */
  computeSeconds: number;
  /** bufferedSeconds + computeSeconds. */
  latencySeconds: number;
}

const RATE = 16000;

/** Longest `contextSeconds` / `lookAheadSeconds` accepted, seconds. */
export const MAX_STREAM_SECONDS = 60;

/** A stream of 16 kHz mono audio in, expression frames out. */
export class ExpressionStream {
  private readonly model: AudioExpressionModel;
  private readonly options: ExpressionStreamOptions;
  private readonly window: number;
  /** Frames of the first window: window − overlap (see the module's notes). */
  private readonly firstWindow: number;
  private readonly overlap: number;
  private readonly fps: number;
  private readonly context: number;
  private readonly lookAhead: number;
  /** Frames at a window's end not emitted until the next window (the model's alignment radius). */
  private readonly guard: number;
  /** Audio from sample `bufferStart` on. */
  private buffer = new Float32Array(0);
  private bufferStart = 0;
  private received = 0;
  /** Raw outputs [frames, K] of the last `window` emitted frames. */
  private tail: Float32Array = new Float32Array(0);
  private emitted = 0;
  private windows = 0;
  private ended = false;
  private busy = false;

  /** A stream for `options.model`; push audio with {@link ExpressionStream.push}. */
  constructor(options: ExpressionStreamOptions) {
    requireOptions('ExpressionStream', options);
    if (!(options.model instanceof AudioExpressionModel)) throw new ValidationError(`ExpressionStream: expected options.model to be an AudioExpressionModel, received ${describeValue(options.model)}`);
    this.model = options.model;
    // Each chunk reports its own timing; a whole-call progress callback has no meaning here (and
    // must not reach model.sample, whose callback takes another shape).
    const { onProgress: _, ...rest } = options as ExpressionStreamOptions & { onProgress?: unknown };
    this.options = { ...rest, ...requireSampler(this.model.config, options.method ?? STREAM_SAMPLE_METHOD, options.steps ?? STREAM_SAMPLE_STEPS) };
    encoderFor(this.model, options.encoder);
    this.fps = this.model.features.fps;
    this.window = options.window ?? Math.min(this.model.config.maxFrames, (this.model.trainState?.window as number | undefined) ?? 10);
    this.overlap = options.overlap ?? Math.floor(this.window * 0.4);
    if (!Number.isInteger(this.window) || this.window < 2 || this.window > this.model.config.maxFrames) {
      throw new ValidationError(`expected window to be an integer in [2, ${this.model.config.maxFrames}], received ${describeValue(this.window)}`);
    }
    if (!Number.isInteger(this.overlap) || this.overlap < 0 || this.overlap >= this.window) {
      throw new ValidationError(`expected overlap to be an integer in [0, window = ${this.window}), received ${describeValue(this.overlap)}`);
    }
    this.guard = Math.max(0, this.model.config.alignRadius);
    if (this.window - this.overlap - this.guard < 1) {
      throw new ValidationError(`expected window − overlap − ${this.guard} (the alignment radius) >= 1 so each window adds a frame, received window ${this.window} and overlap ${this.overlap}`);
    }
    this.firstWindow = this.window - this.overlap;
    // Bounded: the context is re-encoded with every window, the look-ahead delays every frame.
    this.context = requirePositiveNumber('contextSeconds', options.contextSeconds ?? 1);
    if (this.context > MAX_STREAM_SECONDS) throw new ValidationError(`expected contextSeconds to be at most ${MAX_STREAM_SECONDS}, received ${this.context}`);
    this.lookAhead = requireFiniteNumber('lookAheadSeconds', options.lookAheadSeconds ?? 0.04, { min: 0, max: MAX_STREAM_SECONDS });
  }

  /**
   * The most audio a frame waits for, seconds: the first window's frames wait for all of it
   * (firstWindow frames), the ones it holds back for the next window's end; at least the steady
   * wait. With the defaults, (window − overlap) / fps + look-ahead = 0.28 s.
   */
  get maxBufferedSeconds(): number {
    const firstEmitted = this.firstWindow - this.guard;
    const heldBack = Math.max(0, firstEmitted - this.overlap) + this.window - firstEmitted;
    return Math.max(this.firstWindow, heldBack, this.window - this.overlap) / this.fps + this.lookAhead;
  }

  /** After the first window: (window − overlap) / fps + look-ahead, seconds. */
  get steadyBufferedSeconds(): number {
    return (this.window - this.overlap) / this.fps + this.lookAhead;
  }

  /** Adds 16 kHz mono samples; resolves with the frames they completed (possibly none). */
  async push(samples: Float32Array): Promise<ExpressionChunk[]> {
    if (this.ended) throw new ValidationError('push() after end(): the stream is finished');
    if (!(samples instanceof Float32Array)) throw new ValidationError(`expected 16 kHz mono Float32Array samples, received ${describeValue(samples)}`);
    requireFinite('samples', samples);
    this.enter();
    try {
      const grown = new Float32Array(this.buffer.length + samples.length);
      grown.set(this.buffer);
      grown.set(samples, this.buffer.length);
      this.buffer = grown;
      this.received += samples.length;
      const out: ExpressionChunk[] = [];
      // Every frame whose audio (plus look-ahead) is in. When the stream is behind (compute
      // slower than real time, or a large chunk), all ready windows are denoised in one call,
      // which costs far less per window than one call each.
      const start = this.nextWindowStart();
      // In samples, so that a frame boundary is not lost to rounding ((0.6 − 0.04) · 25 is 13.999…).
      const ready = Math.floor(((this.received - Math.round(this.lookAhead * RATE)) * this.fps) / RATE);
      if (ready - start >= (this.emitted === 0 ? this.firstWindow : this.window)) out.push(await this.run(start, ready, false));
      return out;
    } finally {
      this.busy = false;
    }
  }

  /** Flushes the frames left (the stream has round(duration · fps) frames in all). */
  async end(): Promise<ExpressionChunk[]> {
    if (this.ended) return [];
    this.enter();
    this.ended = true;
    try {
      const total = videoFrameCount(this.received, RATE, this.fps);
      if (this.emitted >= total) return [];
      const start = Math.max(0, Math.min(this.nextWindowStart(), total - this.window));
      return [await this.run(start, total, true)];
    } finally {
      this.busy = false;
    }
  }

  private enter(): void {
    if (this.busy) throw new ValidationError('push()/end() called while the previous call is still running: await each call');
    this.busy = true;
  }

  private nextWindowStart(): number {
    return this.emitted === 0 ? 0 : this.emitted - this.overlap;
  }

  /**
   * Samples frames [start, end) holding already-emitted ones fixed; emits the new ones except,
   * unless `final`, the last `guard` frames, whose audio context is cut off by the window's end
   * (the next window predicts them with their full context).
   */
  private async run(start: number, end: number, final: boolean): Promise<ExpressionChunk> {
    const t0 = performance.now();
    const k = this.model.config.outputDim;
    // Audio from a frame boundary `context` before the window, so the encoder's edge effects stay outside it.
    const firstFrame = Math.max(0, start - Math.ceil(this.context * this.fps));
    const from = Math.round((firstFrame / this.fps) * RATE);
    const slice = this.buffer.subarray(from - this.bufferStart);
    const features = await encodeAudio(slice, { encoder: this.options.encoder, fps: this.fps, frames: end - firstFrame, layer: this.model.features.layer });
    const f = features.shape[1]!;
    const cond = ndarray(features.data.subarray((start - firstFrame) * f, (end - firstFrame) * f), [end - start, f]);
    const n = end - start;
    const known = new Float32Array(n * k);
    const mask = new Float32Array(n);
    const held = Math.max(0, this.emitted - start);
    const tailFirst = this.emitted - this.tail.length / k; // stream frame of tail row 0
    for (let i = 0; i < held; i++) {
      const row = start + i - tailFirst;
      known.set(this.tail.subarray(row * k, (row + 1) * k), i * k);
      mask[i] = 1;
    }
    const sampled = await this.model.sample(cond, {
      ...this.options,
      window: Math.min(this.window, n),
      overlap: Math.min(this.overlap, Math.max(0, Math.min(this.window, n) - 1)),
      seed: (this.options.seed ?? 0) + this.windows,
      ...(held > 0 ? { known: ndarray(known, [n, k]), knownMask: ndarray(mask, [n]) } : {}),
    });
    this.windows++;
    const emitTo = final ? end : end - this.guard;
    const fresh = ndarray(sampled.data.slice(held * k, (emitTo - start) * k), [emitTo - start - held, k]);
    const startFrame = start + held;
    this.emitted = emitTo;
    // The last `window` emitted frames: enough for any later window's held frames.
    const joined = new Float32Array(this.tail.length + fresh.data.length);
    joined.set(this.tail);
    joined.set(fresh.data, this.tail.length);
    this.tail = joined.slice(Math.max(0, joined.length / k - this.window) * k);
    // Drop audio no later window needs.
    const keepFrom = Math.round((Math.max(0, this.emitted - this.overlap - Math.ceil(this.context * this.fps)) / this.fps) * RATE);
    if (keepFrom > this.bufferStart) {
      this.buffer = this.buffer.slice(keepFrom - this.bufferStart);
      this.bufferStart = keepFrom;
    }
    const computeSeconds = (performance.now() - t0) / 1000;
    const bufferedSeconds = Math.max(0, this.received / RATE - startFrame / this.fps);
    return { ...splitTracks(this.model, fresh), startFrame, bufferedSeconds, computeSeconds, latencySeconds: bufferedSeconds + computeSeconds };
  }
}
