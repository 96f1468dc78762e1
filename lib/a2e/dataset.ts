/**
 * Training data of the Audio-Expression model: clips of per-frame audio features with their
 * expression and jaw tracks. Reads speech datasets in the format the synthetic-speech
 * generator writes (docs/synthetic-speech.md: `manifest.json`, a WAV and an npz of `expr`
 * [T, E] and `jaw_pose` [T, 3] per clip), and encodes their audio.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { AbortError, FormatError, ValidationError } from '../errors.js';
import { readNpz } from '../io/npy.js';
import { describeValue } from '../validate.js';
import { encodeAudio, type AudioEncoder } from './features.js';

/** One clip ready for training: features [frames, F] and targets [frames, E + 3] (expressions then jaw pose). */
export interface ExpressionClip {
  id: string;
  speaker: string;
  features: NdArray<Float32Array>;
  targets: NdArray<Float32Array>;
}

/** A clip as a speech dataset's manifest lists it (paths resolved). */
export interface SpeechDatasetClip {
  id: string;
  audio: string;
  tracks: string;
  speaker: string;
  language?: string;
  text?: string;
  frames: number;
}

/** A speech dataset's manifest. */
export interface SpeechDataset {
  dir: string;
  fps: number;
  expressionNames: string[];
  clips: SpeechDatasetClip[];
}

const MANIFEST_FORMAT = 'ggtalker-speech-dataset';

/**
 * Reads `<dir>/manifest.json`.
 *
 * @throws {@link FormatError} naming the manifest for a missing file or field.
 */
export async function readSpeechDataset(dir: string): Promise<SpeechDataset> {
  if (typeof dir !== 'string' || dir === '') throw new ValidationError(`expected dataset to be a folder path, received ${describeValue(dir)}`);
  const path = join(dir, 'manifest.json');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? `no manifest.json: expected a speech dataset folder (see docs/synthetic-speech.md)` : `is not valid JSON: ${(cause as Error).message}`, { path, cause });
  }
  if (m.format !== MANIFEST_FORMAT) throw new FormatError(`expected "format": "${MANIFEST_FORMAT}", received ${describeValue(m.format)}`, { path });
  if (typeof m.fps !== 'number' || !(m.fps > 0)) throw new FormatError(`expected a positive "fps", received ${describeValue(m.fps)}`, { path });
  if (!Array.isArray(m.clips) || m.clips.length === 0) throw new FormatError('expected a non-empty "clips" array', { path });
  const root = resolve(dirname(path));
  const clips = (m.clips as Record<string, unknown>[]).map((c, i): SpeechDatasetClip => {
    for (const key of ['id', 'audio', 'tracks', 'speaker'] as const) {
      if (typeof c[key] !== 'string' || c[key] === '') throw new FormatError(`clips[${i}].${key}: expected a non-empty string, received ${describeValue(c[key])}`, { path });
    }
    if (typeof c.frames !== 'number' || !Number.isInteger(c.frames) || c.frames < 1) throw new FormatError(`clips[${i}].frames: expected a positive integer, received ${describeValue(c.frames)}`, { path });
    return {
      id: c.id as string,
      audio: join(root, c.audio as string),
      tracks: join(root, c.tracks as string),
      speaker: c.speaker as string,
      frames: c.frames,
      ...(typeof c.language === 'string' ? { language: c.language } : {}),
      ...(typeof c.text === 'string' ? { text: c.text } : {}),
    };
  });
  const names = Array.isArray(m.expressionNames) ? (m.expressionNames as string[]) : [];
  return { dir: root, fps: m.fps, expressionNames: names, clips };
}

/** Options of {@link loadExpressionClips}. */
export interface LoadExpressionClipsOptions {
  /** Default `'log-mel'`. */
  encoder?: AudioEncoder;
  /** Only these clip ids (default all). */
  ids?: string[];
  onProgress?: (p: { done: number; total: number; fraction: number }) => void;
  signal?: AbortSignal;
}

/**
 * Encodes a speech dataset's audio and reads its tracks.
 *
 * @returns One {@link ExpressionClip} per clip, features at the dataset's fps.
 * @throws {@link FormatError} naming the file when a track file lacks `expr` / `jaw_pose` or their frame counts disagree.
 */
export async function loadExpressionClips(dataset: string | SpeechDataset, options: LoadExpressionClipsOptions = {}): Promise<ExpressionClip[]> {
  const ds = typeof dataset === 'string' ? await readSpeechDataset(dataset) : dataset;
  const wanted = options.ids ? new Set(options.ids) : undefined;
  const list = ds.clips.filter((c) => !wanted || wanted.has(c.id));
  const out: ExpressionClip[] = [];
  for (const clip of list) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    const arrays = await readNpz(clip.tracks);
    const expr = arrays.get('expr');
    const jaw = arrays.get('jaw_pose');
    if (!expr || !jaw || expr.dtype !== 'float32' || jaw.dtype !== 'float32' || expr.shape.length !== 2 || jaw.shape.length !== 2 || jaw.shape[1] !== 3) {
      throw new FormatError('expected float32 arrays expr [T, E] and jaw_pose [T, 3]', { path: clip.tracks });
    }
    const frames = expr.shape[0]!;
    if (jaw.shape[0] !== frames) throw new FormatError(`expr has ${frames} frames but jaw_pose has ${jaw.shape[0]}`, { path: clip.tracks });
    const e = expr.shape[1]!;
    const targets = new Float32Array(frames * (e + 3));
    for (let t = 0; t < frames; t++) {
      targets.set(expr.data.subarray(t * e, (t + 1) * e) as Float32Array, t * (e + 3));
      targets.set(jaw.data.subarray(t * 3, (t + 1) * 3) as Float32Array, t * (e + 3) + e);
    }
    const features = await encodeAudio(clip.audio, { encoder: options.encoder, fps: ds.fps, frames, signal: options.signal });
    out.push({ id: clip.id, speaker: clip.speaker, features, targets: ndarray(targets, [frames, e + 3]) });
    options.onProgress?.({ done: out.length, total: list.length, fraction: out.length / list.length });
  }
  return out;
}
