/**
 * Training data of the Audio-Expression model: clips of per-frame audio features with their
 * expression and jaw tracks. Reads speech datasets in the format the synthetic-speech
 * generator writes (docs/synthetic-speech.md: `manifest.json`, a WAV and an npz of `expr`
 * [T, E] and `jaw_pose` [T, 3] per clip), and encodes their audio.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { optionalOptions } from '../arguments.js';
import { AbortError, FileSystemError, FormatError, ValidationError } from '../errors.js';
import { resolveContained } from '../io/contained-path.js';
import { parseNpz } from '../io/npy.js';
import { readJsonFile, readRegularFile } from '../io/read-file.js';
import { frameRateProblem } from '../io/vhap-camera.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import { describeValue } from '../validate.js';
import { audioSamples16k, encodeAudio, type AudioEncoder } from './features.js';

/** One clip ready for training: features [frames, F] and targets [frames, E + 3] (expressions then jaw pose). */
export interface ExpressionClip {
  /** The clip's id (unique in its dataset). */
  id: string;
  /** Who speaks (a speaker-embedding row of the model). */
  speaker: string;
  /** Audio features [frames, featureDim], one row per video frame. */
  features: NdArray<Float32Array>;
  /** Target expression and jaw tracks [frames, outputDim], in raw units. */
  targets: NdArray<Float32Array>;
}

/** A clip as a speech dataset's manifest lists it (paths resolved). */
export interface SpeechDatasetClip {
  /** The clip's id. */
  id: string;
  /** Its audio file, resolved against the dataset folder. */
  audio: string;
  /** Its expression-track file (npy or npz), resolved against the dataset folder. */
  tracks: string;
  /** Who speaks. */
  speaker: string;
  /** Language code of the speech, when known. */
  language?: string;
  /** What is said, when known. */
  text?: string;
  /** Video frames of the clip. */
  frames: number;
}

/** A speech dataset's manifest. */
export interface SpeechDataset {
  /** The dataset folder. */
  dir: string;
  /** Video frames per second of every clip's tracks. */
  fps: number;
  /** Names of the expression coefficients of the tracks. */
  expressionNames: string[];
  /** The clips, in manifest order. */
  clips: SpeechDatasetClip[];
}

const MANIFEST_FORMAT = 'ggtalker-speech-dataset';

/** How far a clip's audio may differ in length from its tracks, in seconds (or 10 %, if more). */
const MAX_AUDIO_MISMATCH_S = 0.25;


/** Options of {@link readSpeechDataset}. */
export interface ReadSpeechDatasetOptions {
  /**
   * Accept clip `audio` / `tracks` paths that are absolute or lead outside the dataset folder.
   * Default false (a {@link FormatError} naming the manifest and the field): pass `true` only
   * for datasets you trust.
   */
  allowExternalFiles?: boolean;
}

/**
 * Reads `<dir>/manifest.json`.
 *
 * @throws {@link FormatError} naming the manifest and the field for a malformed field or a clip
 *   file outside the folder (unless `allowExternalFiles`); {@link FileSystemError} when the
 *   manifest is missing or unreadable.
 */
export async function readSpeechDataset(dir: string, options: ReadSpeechDatasetOptions = {}): Promise<SpeechDataset> {
  if (typeof dir !== 'string' || dir === '') throw new ValidationError(`expected dataset to be a folder path, received ${describeValue(dir)}`);
  options = optionalOptions('readSpeechDataset', options);
  const path = join(dir, 'manifest.json');
  const value = await readJsonFile(path, { what: 'the manifest' }).catch((error: unknown) => {
    if (error instanceof FileSystemError && error.systemCode === 'ENOENT') {
      throw new FileSystemError('no manifest.json: expected a speech dataset folder (see docs/synthetic-speech.md)', { path, systemCode: 'ENOENT', cause: error });
    }
    throw error;
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError(`expected a JSON object {"format": "${MANIFEST_FORMAT}", ...}, received ${describeValue(value)}`, { path });
  const m = value as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT) throw new FormatError(`format: expected "${MANIFEST_FORMAT}", received ${describeValue(m.format)}`, { path });
  const fpsProblem = frameRateProblem(m.fps);
  if (fpsProblem !== undefined) throw new FormatError(`fps: ${fpsProblem}`, { path });
  if (!Array.isArray(m.clips) || m.clips.length === 0) throw new FormatError(`clips: expected a non-empty array, received ${describeValue(m.clips)}`, { path });
  if (m.expressionNames !== undefined && !(Array.isArray(m.expressionNames) && m.expressionNames.every((n) => typeof n === 'string'))) {
    throw new FormatError(`expressionNames: expected an array of names, received ${describeValue(m.expressionNames)}`, { path });
  }
  const root = resolve(dirname(path));
  const clips = (m.clips as unknown[]).map((raw, i): SpeechDatasetClip => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FormatError(`clips[${i}]: expected an object, received ${describeValue(raw)}`, { path });
    const c = raw as Record<string, unknown>;
    for (const key of ['id', 'audio', 'tracks', 'speaker'] as const) {
      if (typeof c[key] !== 'string' || c[key] === '') throw new FormatError(`clips[${i}].${key}: expected a non-empty string, received ${describeValue(c[key])}`, { path });
    }
    if (typeof c.frames !== 'number' || !Number.isSafeInteger(c.frames) || c.frames < 1) throw new FormatError(`clips[${i}].frames: expected a positive integer, received ${describeValue(c.frames)}`, { path });
    const file = (key: 'audio' | 'tracks'): string =>
      resolveContained(root, c[key] as string, { allowExternal: options.allowExternalFiles === true, from: path, field: `clips[${i}].${key}`, optIn: 'allowExternalFiles: true' });
    return {
      id: c.id as string,
      audio: file('audio'),
      tracks: file('tracks'),
      speaker: c.speaker as string,
      frames: c.frames,
      ...(typeof c.language === 'string' ? { language: c.language } : {}),
      ...(typeof c.text === 'string' ? { text: c.text } : {}),
    };
  });
  const names = Array.isArray(m.expressionNames) ? (m.expressionNames as string[]) : [];
  return { dir: root, fps: m.fps as number, expressionNames: names, clips };
}

/** Options of {@link loadExpressionClips}. */
export interface LoadExpressionClipsOptions {
  /** Default `'log-mel'`. */
  encoder?: AudioEncoder;
  /** Only these clip ids (default all). */
  ids?: string[];
  /** Called as clips are encoded: clips done, in all, and the fraction. */
  onProgress?: (p: { done: number; total: number; fraction: number }) => void;
  /** Cancels the read: it rejects with AbortError. */
  signal?: AbortSignal;
  /** When `dataset` is a folder: see {@link ReadSpeechDatasetOptions.allowExternalFiles}. */
  allowExternalFiles?: boolean;
}

/**
 * Encodes a speech dataset's audio and reads its tracks.
 *
 * @returns One {@link ExpressionClip} per clip, features at the dataset's fps.
 * @throws {@link FormatError} naming the file when a track file lacks `expr` / `jaw_pose` or their frame counts disagree.
 */
export async function loadExpressionClips(dataset: string | SpeechDataset, options: LoadExpressionClipsOptions = {}): Promise<ExpressionClip[]> {
  // A folder, or what readSpeechDataset returned (checked as far as the loop below reads it).
  if (typeof dataset !== 'string' && (dataset === null || typeof dataset !== 'object' || !Array.isArray(dataset.clips) || typeof dataset.fps !== 'number')) {
    throw new ValidationError(`loadExpressionClips: expected dataset to be a folder path or a SpeechDataset (from readSpeechDataset), received ${describeValue(dataset)}`);
  }
  if (typeof dataset !== 'string') {
    dataset.clips.forEach((c: SpeechDatasetClip | null, i) => {
      if (c === null || typeof c !== 'object' || typeof c.id !== 'string' || typeof c.tracks !== 'string' || typeof c.audio !== 'string' || !Number.isSafeInteger(c.frames)) {
        throw new ValidationError(`loadExpressionClips: expected dataset.clips[${i}] to be a clip {id, audio, tracks, speaker, frames}, received ${describeValue(c)}`);
      }
    });
  }
  options = optionalOptions('loadExpressionClips', options);
  if (options.ids !== undefined && !Array.isArray(options.ids)) {
    throw new ValidationError(`loadExpressionClips: expected ids to be an array of clip ids, received ${describeValue(options.ids)}`);
  }
  const ds = typeof dataset === 'string' ? await readSpeechDataset(dataset, { allowExternalFiles: options.allowExternalFiles === true }) : dataset;
  const wanted = options.ids ? new Set(options.ids) : undefined;
  const list = ds.clips.filter((c) => !wanted || wanted.has(c.id));
  const out: ExpressionClip[] = [];
  for (const clip of list) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    const arrays = parseNpz(await readRegularFile(clip.tracks, { what: `the tracks of clip ${clip.id}` }), clip.tracks);
    const expr = arrays.get('expr');
    const jaw = arrays.get('jaw_pose');
    if (!expr || !jaw || expr.dtype !== 'float32' || jaw.dtype !== 'float32' || expr.shape.length !== 2 || jaw.shape.length !== 2 || jaw.shape[1] !== 3) {
      throw new FormatError('expected float32 arrays expr [T, E] and jaw_pose [T, 3]', { path: clip.tracks });
    }
    for (const [key, array] of [['expr', expr], ['jaw_pose', jaw]] as const) {
      const bad = firstNonFinite(array.data as Float32Array);
      if (bad >= 0) throw new FormatError(`${key}: expected finite values, received ${array.data[bad]} at index ${bad}`, { path: clip.tracks });
    }
    const frames = expr.shape[0]!;
    if (frames < 1) throw new FormatError('expr: expected at least one frame, received shape [0, E]', { path: clip.tracks });
    if (jaw.shape[0] !== frames) throw new FormatError(`expr has ${frames} frames but jaw_pose has ${jaw.shape[0]}`, { path: clip.tracks });
    // The audio is decoded by ffmpeg or the WAV reader: refuse a FIFO or a device before either opens it.
    const audioKind = await stat(clip.audio).then(
      (s) => (s.isFile() ? undefined : 'not a regular file'),
      () => undefined, // missing: the audio loader names it
    );
    if (audioKind !== undefined) throw new FormatError(`the audio of clip ${clip.id} is ${audioKind}`, { path: clip.audio });
    const e = expr.shape[1]!;
    const targets = new Float32Array(frames * (e + 3));
    for (let t = 0; t < frames; t++) {
      targets.set(expr.data.subarray(t * e, (t + 1) * e) as Float32Array, t * (e + 3));
      targets.set(jaw.data.subarray(t * 3, (t + 1) * 3) as Float32Array, t * (e + 3) + e);
    }
    if (frames !== clip.frames) {
      throw new FormatError(`expr has ${frames} frames but the manifest's clips[${ds.clips.indexOf(clip)}].frames says ${clip.frames}`, { path: clip.tracks });
    }
    // The audio must cover the tracks: features are resampled to the tracks' frames, so a clip
    // of the wrong audio would otherwise train on stretched or clamped features.
    const samples = await audioSamples16k(clip.audio);
    const audioSeconds = samples.length / 16000;
    const trackSeconds = frames / ds.fps;
    if (Math.abs(audioSeconds - trackSeconds) > Math.max(MAX_AUDIO_MISMATCH_S, 0.1 * trackSeconds)) {
      throw new FormatError(
        `the audio lasts ${audioSeconds.toFixed(2)} s but clip ${clip.id}'s tracks hold ${frames} frames at ${ds.fps} fps (${trackSeconds.toFixed(2)} s)`,
        { path: clip.audio },
      );
    }
    const features = await encodeAudio(samples, { encoder: options.encoder, fps: ds.fps, frames, signal: options.signal });
    out.push({ id: clip.id, speaker: clip.speaker, features, targets: ndarray(targets, [frames, e + 3]) });
    options.onProgress?.({ done: out.length, total: list.length, fraction: out.length / list.length });
  }
  return out;
}
