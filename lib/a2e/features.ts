/**
 * Audio features at the video frame rate: the speech encoders run at 50 Hz (20 ms hops at
 * 16 kHz); the Audio-Expression model works per video frame (25 fps by default), so features
 * are linearly interpolated at each video frame's centre time.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { loadAudio } from '../audio/load.js';
import { requireFrameRate } from '../io/vhap-camera.js';
import { optionalOptions } from '../arguments.js';
import { MAX_FEATURE_VALUES, requireSampleRate } from '../audio/limits.js';
import { logMelFeatures } from '../audio/log-mel.js';
import { Wav2Vec2Encoder } from '../audio/wav2vec2.js';
import { ValidationError } from '../errors.js';
import { describeValue, requireFinite, requireFiniteNumber, requireNonNegativeInt, requirePositiveNumber, toFloat32Tensor } from '../validate.js';
import { MAX_FEATURE_FPS } from './model.js';
import { stepProgress, type StepReport } from './step-progress.js';

/** Audio as a path (WAV, or anything ffmpeg reads), 16 kHz mono samples, or samples with their rate. */
export type AudioInput =
  | string
  | Float32Array
  | {
      /** Mono samples, finite. */
      samples: Float32Array;
      /** Their rate, Hz (1000 to 768000; resampled to 16 kHz). */
      sampleRate: number;
    };

/** The encoder: the weight-free log-mel encoder (80 bands) or a loaded wav2vec 2.0 model. */
export type AudioEncoder = 'log-mel' | Wav2Vec2Encoder;

/** What a model's features were made with, stored in its checkpoint. */
export interface AudioFeatureSpec {
  /** `'log-mel'` (80 bands, no weights) or `'wav2vec2'` (a loaded wav2vec 2.0 model's hidden states). */
  encoder: 'log-mel' | 'wav2vec2';
  /** Feature width. */
  dim: number;
  /** Video frames per second. */
  fps: number;
  /** wav2vec2 only: the hidden layer used. */
  layer?: number;
}

/** Options of {@link encodeAudio}. */
export interface EncodeAudioOptions {
  /** Default `'log-mel'`. */
  encoder?: AudioEncoder;
  /** Video frame rate. Default 25. */
  fps?: number;
  /** wav2vec2 only: the hidden layer (default: the last). */
  layer?: number;
  /** Frames to return; default round(duration · fps). */
  frames?: number;
  /** Cancels encoding: it rejects with AbortError. */
  signal?: AbortSignal;
  /**
   * Called on the JS thread as the encoder advances: after wav2vec2's feature extractor and
   * each of its layers (steps = 1 + layers run); once, with step 1 of 1, for log-mel (one
   * short native call).
   */
  onProgress?: (p: StepReport) => void;
}

/**
 * Requires a video frame rate in (0, {@link MAX_FEATURE_FPS}]: features, sampling and rendering
 * all make round(duration · fps) frames, so a huge rate would never finish.
 *
 * @throws {@link ValidationError} naming `name`.
 */
export function requireFeatureFps(name: string, value: unknown): number {
  return requireFrameRate(name, value);
}

/** Encoder frame rate at 16 kHz (hop 320 samples). */
export const ENCODER_RATE = 50;
/** Where each encoder's frame j is centred, seconds: log-mel frames are centred on j·20 ms; wav2vec2's 400-sample receptive field starts there. */
const FRAME_OFFSET_S = { 'log-mel': 0, wav2vec2: 200 / 16000 } as const;

/** Video frames covering `samples` samples at `sampleRate`: round(duration · fps). */
export function videoFrameCount(samples: number, sampleRate: number, fps: number): number {
  requireFiniteNumber('samples', samples, { min: 0 });
  requirePositiveNumber('sampleRate', sampleRate);
  requirePositiveNumber('fps', fps);
  return Math.round((samples / sampleRate) * fps);
}

/**
 * 16 kHz mono samples of any {@link AudioInput}. Samples given in memory must be finite (a NaN
 * would turn every feature and expression NaN), at a rate in [1000, 768000] Hz.
 *
 * @throws {@link ValidationError} naming `audio`, `audio.samples` or `audio.sampleRate`; as
 *   {@link loadAudio} for a path.
 */
export async function audioSamples16k(
  audio: AudioInput,
  options: {
    /** Cancels decoding or resampling: it rejects with AbortError. */
    signal?: AbortSignal;
  } = {},
): Promise<Float32Array> {
  if (typeof audio === 'string') return (await loadAudio(audio, { sampleRate: 16000, signal: options.signal })).samples;
  if (audio instanceof Float32Array) {
    requireFinite('audio', audio);
    return audio;
  }
  if (audio && typeof audio === 'object' && audio.samples instanceof Float32Array) {
    const rate = requireSampleRate('audio.sampleRate', audio.sampleRate);
    requireFinite('audio.samples', audio.samples);
    if (rate === 16000) return audio.samples;
    const { resample } = await import('../audio/resample.js');
    return resample(audio.samples, rate, 16000);
  }
  throw new ValidationError(`expected audio to be a file path, 16 kHz mono Float32Array samples or {samples, sampleRate}, received ${describeValue(audio)}`);
}

/**
 * Per-video-frame audio features.
 *
 * @returns `[frames, F]`: F = 80 for log-mel, the encoder's width for wav2vec2.
 * @throws {@link ValidationError} for an `fps` outside (0, 240], audio as {@link audioSamples16k}
 *   refuses it, or an encoder that is neither; as {@link loadAudio} for a path.
 */
export async function encodeAudio(audio: AudioInput, options: EncodeAudioOptions = {}): Promise<NdArray<Float32Array>> {
  options = optionalOptions('encodeAudio', options);
  const fps = requireFeatureFps('fps', options.fps ?? 25);
  const samples = await audioSamples16k(audio, { signal: options.signal });
  const frames = options.frames === undefined ? videoFrameCount(samples.length, 16000, fps) : requireNonNegativeInt('frames', options.frames);
  const encoder = options.encoder ?? 'log-mel';
  let feats: NdArray<Float32Array>;
  let kind: 'log-mel' | 'wav2vec2';
  if (encoder === 'log-mel') {
    kind = 'log-mel';
    const progress = stepProgress(options.onProgress, 1);
    feats = await logMelFeatures(samples, { signal: options.signal });
    progress.finish();
  } else if (encoder instanceof Wav2Vec2Encoder) {
    kind = 'wav2vec2';
    // The extractor needs 400 samples; pad short clips with silence.
    const padded = samples.length >= 400 ? samples : Float32Array.from({ length: 400 }, (_, i) => samples[i] ?? 0);
    feats = await encoder.features(padded, { layer: options.layer, signal: options.signal, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  } else {
    throw new ValidationError(`expected encoder to be 'log-mel' or a Wav2Vec2Encoder, received ${describeValue(encoder)}`);
  }
  return resampleFeatures(feats, { frames, fps, offsetSeconds: FRAME_OFFSET_S[kind] });
}

/** Options of {@link resampleFeatures}. */
export interface ResampleFeaturesOptions {
  /** Output frames. */
  frames: number;
  /** Output frame rate. Default 25. */
  fps?: number;
  /** Input frame rate. Default 50. */
  fromRate?: number;
  /** Centre time of input frame 0, seconds. Default 0. */
  offsetSeconds?: number;
}

/**
 * Linear interpolation of [T_in, F] features (frame j centred at offset + j / fromRate) at the
 * output frames' centres (i + 0.5) / fps, clamped at both ends.
 *
 * @returns `[frames, F]`.
 */
export function resampleFeatures(features: NdArray<Float32Array> | { data: Float32Array; shape: number[] }, options: ResampleFeaturesOptions): NdArray<Float32Array> {
  const input = toFloat32Tensor('features', features, ['T', 'F']);
  const [tIn, f] = input.shape as [number, number];
  const frames = requireNonNegativeInt('frames', options.frames);
  const fps = requirePositiveNumber('fps', options.fps ?? 25);
  const fromRate = requirePositiveNumber('fromRate', options.fromRate ?? ENCODER_RATE);
  const offset = requireFiniteNumber('offsetSeconds', options.offsetSeconds ?? 0);
  if (frames * f > MAX_FEATURE_VALUES) {
    throw new ValidationError(`expected frames × feature width (${frames} × ${f}) to be at most ${MAX_FEATURE_VALUES} values (2 GiB of float32), received ${frames * f}: encode long audio in parts`);
  }
  if (tIn === 0 && frames > 0) throw new ValidationError('expected at least one feature frame to resample, received none (is the audio empty?)');
  const out = new Float32Array(frames * f);
  for (let i = 0; i < frames; i++) {
    const pos = Math.min(tIn - 1, Math.max(0, ((i + 0.5) / fps - offset) * fromRate));
    const j0 = Math.floor(pos);
    const j1 = Math.min(tIn - 1, j0 + 1);
    const w = pos - j0;
    const a = j0 * f;
    const b = j1 * f;
    for (let k = 0; k < f; k++) out[i * f + k] = (1 - w) * input.data[a + k]! + w * input.data[b + k]!;
  }
  return ndarray(out, [frames, f]);
}
