/**
 * A tracked video as {@link adapt} takes it: a VHAP / GaussianAvatars dataset folder read into
 * frames (images, masks, cameras, FLAME parameters, splits), the identity's FLAME shape, and —
 * when the folder has `audio.wav` with `speech.json` (as the synthetic studio writes them) —
 * the speech clips with their frame ranges, for the Audio-Expression fine-tune.
 *
 * @module
 */

import { join } from 'node:path';

import type { NdArray } from 'ndarray';

import { encodeAudio, type AudioEncoder } from '../a2e/features.js';
import { loadAudio } from '../audio/load.js';
import { optionalOptions, requirePath } from '../arguments.js';
import { AbortError, FormatError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import { readJsonFile } from '../io/read-file.js';
import { loadVhapFlame, loadVhapImage, readVhapDataset, type ReadVhapOptions, type VhapSplit } from '../io/vhap.js';
import { padComponents } from '../io/vhap-flame.js';
import type { FlameModel } from '../flame/model.js';
import type { AvatarFrame } from './frames.js';

/** Options of {@link loadAvatarDataset}. */
export interface LoadAvatarDatasetOptions {
  /** Resize frames: the longer side in pixels (intrinsics scaled to match). Default: as stored. */
  size?: number;
  /** Which splits. Default all. */
  splits?: VhapSplit[];
  /** Encoder for the speech features (default log-mel); fps from the dataset (25). */
  encoder?: AudioEncoder;
  /**
   * Accept image, mask and FLAME paths in the dataset's JSON that are absolute or lead outside
   * its folder. Default false (a {@link FormatError} naming the file and the field): pass `true`
   * only for datasets you trust. See {@link ReadVhapOptions.allowExternalFiles}.
   */
  allowExternalFiles?: boolean;
  /** Called as frames load: frames done, in all, and the fraction. */
  onProgress?: (p: { done: number; total: number; fraction: number }) => void;
  /** Cancels the load: it rejects with AbortError. */
  signal?: AbortSignal;
}

/** A loaded tracked video. */
export interface AvatarDataset {
  /** The tracked frames (images, masks, cameras, FLAME parameters), with their splits. */
  frames: AvatarFrame[];
  /** FLAME shape [S] from canonical_flame_param.npz (or the first frame's), when present. */
  shape?: Float32Array;
  /**
   * The identity's per-vertex offsets [V, 3] flattened (VHAP's `static_offset`, added to the
   * template before skinning), from canonical_flame_param.npz (or the first frame's), when
   * present. VHAP tracks FLAME with 120 teeth vertices: V is then 5143.
   */
  staticOffset?: Float32Array;
  /** Video frames per second. */
  fps: number;
  /** Speech clips (features at fps, and the indices of `frames` of the front camera they cover). */
  speech?: {
    /** Each clip: its id, its text when known, its features, and the indices of `frames` it covers. */
    clips: {
      /** The clip's id. */
      id: string;
      /** What is said, when known. */
      text?: string;
      /** Audio features at the video's frame rate, [frames, F]. */
      features: NdArray<Float32Array>;
      /** Indices of `frames` (front camera) the clip covers, one per feature row. */
      frames: number[];
    }[];
  };
}

/**
 * The dataset's FLAME coefficients fitted to a model: expressions and shape padded with zeros
 * to the model's counts (VHAP can track fewer components than the model has).
 *
 * @throws {@link ValidationError} when the dataset holds more components than the model.
 */
export function fitDatasetToModel(ds: AvatarDataset, model: Pick<FlameModel, 'shapeCount' | 'exprCount'>): AvatarDataset {
  const frames = ds.frames.map((f) => (f.flame.expr === undefined || f.flame.expr.length === model.exprCount ? f : { ...f, flame: { ...f.flame, expr: padComponents('expr', f.flame.expr, model.exprCount) } }));
  return { ...ds, frames, ...(ds.shape ? { shape: padComponents('shape', ds.shape, model.shapeCount) } : {}) };
}

/**
 * Reads a VHAP-format dataset folder.
 *
 * @throws {@link FormatError} naming the file (and the field) for anything missing or
 *   malformed, a referenced file outside the folder (unless `allowExternalFiles`) or one that is
 *   not a regular file; {@link FileSystemError} for one that cannot be read.
 */
export async function loadAvatarDataset(dir: string, options: LoadAvatarDatasetOptions = {}): Promise<AvatarDataset> {
  requirePath('loadAvatarDataset', dir, 'dir');
  options = optionalOptions('loadAvatarDataset', options);
  const ds = await readVhapDataset(dir, { allowExternalFiles: options.allowExternalFiles === true });
  const wanted = options.splits ? new Set(options.splits) : undefined;
  const list = ds.frames.filter((f) => !wanted || wanted.has(f.split));
  if (list.length === 0) throw new FormatError(`has no frames in splits ${[...(wanted ?? [])].join(', ')}`, { path: dir });
  const frames: AvatarFrame[] = [];
  const flameCache = new Map<string, Awaited<ReturnType<typeof loadVhapFlame>>>();
  for (const f of list) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    const img = await loadVhapImage(f, options.size ? { size: options.size } : {});
    let flame = flameCache.get(f.flameParams);
    if (!flame) flameCache.set(f.flameParams, (flame = await loadVhapFlame(f.flameParams)));
    frames.push({
      image: img.image,
      ...(img.mask ? { mask: img.mask } : {}),
      camera: { ...img.camera, view: Float32Array.from(img.camera.view) },
      flame: { expr: flame.expr, jaw: flame.jaw, rotation: flame.rotation, neck: flame.neck, eyes: flame.eyes, translation: flame.translation },
      split: f.split,
      timestep: f.timestep,
      cameraIndex: f.cameraIndex,
    });
    options.onProgress?.({ done: frames.length, total: list.length, fraction: frames.length / list.length });
  }
  const fps = ds.fps ?? 25;
  const first = flameCache.values().next().value;
  const shape = ds.canonicalFlame?.shape ?? first?.shape;
  const staticOffset = ds.canonicalFlame?.staticOffset ?? first?.staticOffset;
  const speech = await loadSpeech(dir, frames, fps, options.encoder);
  return { frames, ...(shape ? { shape } : {}), ...(staticOffset ? { staticOffset } : {}), fps, ...(speech ? { speech } : {}) };
}

/** audio.wav + speech.json ({clips: [{id, text, startFrame, endFrame}]}) -> clips over the front camera's frames. */
async function loadSpeech(dir: string, frames: AvatarFrame[], fps: number, encoder: AudioEncoder | undefined): Promise<AvatarDataset['speech']> {
  const jsonPath = join(dir, 'speech.json');
  if (!(await pathExists(jsonPath))) return undefined;
  const meta = (await readJsonFile(jsonPath, { what: 'speech.json' })) as { clips?: unknown } | null;
  if (meta === null || typeof meta !== 'object' || !Array.isArray(meta.clips)) throw new FormatError('clips: expected "clips": [{id, startFrame, endFrame}]', { path: jsonPath });
  const listed = meta.clips as unknown[];
  listed.forEach((c, k) => {
    const clip = (c ?? {}) as { id?: unknown; text?: unknown; startFrame?: unknown; endFrame?: unknown };
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new FormatError(`clips[${k}]: expected an object {id, startFrame, endFrame}`, { path: jsonPath });
    const { startFrame: a, endFrame: b } = clip;
    if (!(Number.isSafeInteger(a) && Number.isSafeInteger(b) && (a as number) >= 0 && (a as number) < (b as number))) {
      throw new FormatError(`clips[${k}]: expected integer timesteps 0 <= startFrame < endFrame, received ${String(a)} and ${String(b)}`, { path: jsonPath });
    }
    if (clip.id !== undefined && typeof clip.id !== 'string') throw new FormatError(`clips[${k}].id: expected a string, received ${typeof clip.id}`, { path: jsonPath });
    if (clip.text !== undefined && typeof clip.text !== 'string') throw new FormatError(`clips[${k}].text: expected a string, received ${typeof clip.text}`, { path: jsonPath });
  });
  const audio = await loadAudio(join(dir, 'audio.wav'), { sampleRate: 16000 });
  const front = Math.min(...frames.map((f) => f.cameraIndex ?? 0));
  const byTimestep = new Map<number, number>();
  frames.forEach((f, i) => {
    if ((f.cameraIndex ?? 0) === front && f.timestep !== undefined) byTimestep.set(f.timestep, i);
  });
  const clips = [];
  for (const [k, c] of (listed as { id?: string; text?: string; startFrame: number; endFrame: number }[]).entries()) {
    // A clip longer than the loaded frames cannot be covered (and is not looped over).
    if (c.endFrame - c.startFrame > byTimestep.size) continue;
    const indices: number[] = [];
    for (let t = c.startFrame; t < c.endFrame; t++) {
      const i = byTimestep.get(t);
      if (i !== undefined) indices.push(i);
    }
    if (indices.length !== c.endFrame - c.startFrame) continue; // a clip not fully among the loaded frames
    const from = Math.round((c.startFrame / fps) * 16000);
    const to = Math.round((c.endFrame / fps) * 16000);
    const features = await encodeAudio(audio.samples.subarray(from, to), { encoder, fps, frames: indices.length });
    clips.push({ id: c.id ?? `clip${k}`, ...(c.text ? { text: c.text } : {}), features, frames: indices });
  }
  return { clips };
}
