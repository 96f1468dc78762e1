/**
 * Writing VHAP / GaussianAvatars datasets (the layout `vhap.ts` describes), frame by frame so
 * that long videos never sit in memory: images as 8-bit RGB PNGs, masks as 8-bit gray PNGs,
 * one FLAME `.npz` per timestep with VHAP's key names, `canonical_flame_param.npz`, then the
 * JSON files, `transforms.json` last (a folder with one is complete). Every file is written
 * atomically.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { requireOptions, requirePath } from '../arguments.js';
import { AbortError, ValidationError } from '../errors.js';
import { describeValue, type ArrayLike as TensorLike } from '../validate.js';
import { withFileErrors } from './read-file.js';
import { writeFileAtomic } from './atomic.js';
import { encodePng, encodeGrayPng } from './png.js';
import { cyToVhap, isFloat32Finite, MAX_IMAGE_SIDE, requireFrameRate, rigidTransformProblem, transformMatrixFromView } from './vhap-camera.js';
import { encodeVhapFlame, type VhapFlameInput } from './vhap-flame.js';
import type { VhapSplit } from './vhap.js';
import type { PinholeCamera } from '../render/camera.js';

const SPLITS: readonly VhapSplit[] = ['train', 'val', 'test'];

/** A camera to write: OpenCV axes, `view` world-to-camera (16 numbers row-major or 4 rows). */
export type VhapWriteCamera = PinholeCamera;

/** One image to write. */
export interface VhapWriteFrame {
  /** The frame's timestep (frames of one instant share it across cameras). */
  timestep: number;
  /** Which camera took it (0-based). */
  cameraIndex: number;
  /** Which split the frame belongs to. */
  split: VhapSplit;
  /** The frame's camera. */
  camera: VhapWriteCamera;
  /** RGB in [0, 1], [H, W, 3] (H, W = the camera's height, width). */
  image: TensorLike;
  /** Foreground in [0, 1], [H, W]. */
  mask?: TensorLike;
  /**
   * The timestep's FLAME parameters; needed on (at least) one frame of each timestep, and equal
   * on every frame of it that has them. `shape` and `staticOffset` default to the canonical ones.
   */
  flame?: VhapFlameInput;
}

/** Options of {@link VhapDatasetWriter.create}. */
export interface VhapWriterOptions {
  /** Written as `canonical_flame_param.npz` (VHAP: the identity's shape, zero pose, jaw 0.3). */
  canonicalFlame: VhapFlameInput;
  /**
   * The FLAME model's vertex count, for a dataset without static offsets: every FLAME file then
   * gets zero offsets [1, V, 3]. GaussianAvatars reads `static_offset` from every file
   * unconditionally (scene/flame_gaussian_model.py load_meshes), so the writer always writes
   * it: give `canonicalFlame.staticOffset` or this.
   */
  vertexCount?: number;
  /** Frames per second of the timesteps, written as the top-level `fps` (default 25). */
  fps?: number;
  /** More top-level keys for every JSON file (must not shadow the format's own). */
  extra?: Record<string, unknown>;
}

/** Options of {@link writeVhapDataset}. */
export interface VhapWriteOptions extends VhapWriterOptions {
  /** The frames to write: an array, or a (async) generator that makes them one at a time. */
  frames: Iterable<VhapWriteFrame> | AsyncIterable<VhapWriteFrame>;
  /** Called after each frame is written. */
  onProgress?: (written: number) => void;
  /** Stops between frames with AbortError (the JSON files are then not written). */
  signal?: AbortSignal;
}

const RESERVED = new Set(['frames', 'fl_x', 'fl_y', 'cx', 'cy', 'w', 'h', 'camera_angle_x', 'camera_angle_y', 'timestep_indices', 'camera_indices', 'fps']);

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The 16 entries (float64) of a flat or nested 4×4. */
function matrixValues(view: VhapWriteCamera['view']): number[] {
  const flat: unknown[] = Array.isArray(view) && view.length === 4 && view.every((r) => Array.isArray(r)) ? (view as number[][]).flat() : Array.from(view as ArrayLike<number>);
  if (flat.length !== 16 || flat.some((v) => !isFloat32Finite(v))) {
    throw new ValidationError('expected camera.view to be a 4x4 matrix of numbers finite in float32 (16 row-major, or 4 rows of 4)');
  }
  return flat as number[];
}

/** A shape check of an image-like argument. */
function requireShape(name: string, value: TensorLike, expected: number[]): void {
  const shape = (value as { shape?: unknown }).shape;
  if (!Array.isArray(shape) || shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new ValidationError(`expected ${name} to be a float32 array of shape [${expected.join(', ')}], received shape ${JSON.stringify(shape)}`);
  }
}

interface FrameRecord {
  split: VhapSplit;
  timestep: number;
  cameraIndex: number;
  json: Record<string, unknown>;
}

/**
 * Writes a dataset frame by frame: {@link VhapDatasetWriter.create}, {@link add} per image,
 * {@link finish} once.
 */
export class VhapDatasetWriter {
  private readonly records: FrameRecord[] = [];
  private readonly keys = new Set<string>();
  /** Per timestep, the hash of its FLAME file (to check that frames of one timestep agree). */
  private readonly flames = new Map<number, string>();
  private readonly timesteps = new Set<number>();
  private finished = false;

  private constructor(
    /** The dataset folder being written. */
    readonly dir: string,
    private readonly canonical: VhapFlameInput,
    private readonly fps: number,
    private readonly extra: Record<string, unknown>,
  ) {}

  /**
   * Creates the folders and writes `canonical_flame_param.npz`.
   *
   * @throws {@link ValidationError} for bad options; file-system errors as writing does.
   */
  static async create(dir: string, options: VhapWriterOptions): Promise<VhapDatasetWriter> {
    requirePath('VhapDatasetWriter.create', dir, 'dir');
    requireOptions('VhapDatasetWriter.create', options);
    const fps = options.fps ?? 25;
    requireFrameRate('fps', fps);
    const extra = options.extra ?? {};
    const clash = Object.keys(extra).filter((k) => RESERVED.has(k));
    if (clash.length) throw new ValidationError(`expected extra not to hold the format's own keys, received ${clash.join(', ')}`);
    if (typeof options.canonicalFlame !== 'object' || options.canonicalFlame === null) throw new ValidationError('expected canonicalFlame to be FLAME parameters');
    const canonicalFlame = withStaticOffset(options.canonicalFlame, options.vertexCount);
    const canonical = encodeVhapFlame(canonicalFlame);
    for (const sub of ['images', 'fg_masks', 'flame_param']) await withFileErrors(join(dir, sub), 'create', () => mkdir(join(dir, sub), { recursive: true }));
    await writeFileAtomic(join(dir, 'canonical_flame_param.npz'), canonical);
    return new VhapDatasetWriter(dir, canonicalFlame, fps, extra);
  }

  /**
   * Writes one frame's image, mask and (first time its timestep is seen) FLAME parameters.
   *
   * @throws {@link ValidationError} for a bad frame, a repeated (timestep, camera), or FLAME
   *   parameters that disagree with those already written for the timestep.
   */
  async add(frame: VhapWriteFrame): Promise<void> {
    if (this.finished) throw new ValidationError('the dataset is already finished');
    requireOptions('VhapDatasetWriter.add', frame, 'frame');
    const { timestep, cameraIndex, split, camera } = frame;
    if (!(Number.isInteger(timestep) && timestep >= 0)) throw new ValidationError(`expected frame.timestep to be a non-negative integer, received ${String(timestep)}`);
    if (!(Number.isInteger(cameraIndex) && cameraIndex >= 0)) throw new ValidationError(`expected frame.cameraIndex to be a non-negative integer, received ${String(cameraIndex)}`);
    if (!SPLITS.includes(split)) throw new ValidationError(`expected frame.split to be 'train', 'val' or 'test', received ${JSON.stringify(split)}`);
    const key = `${timestep}/${cameraIndex}`;
    if (this.keys.has(key)) throw new ValidationError(`timestep ${timestep}, camera ${cameraIndex} was already written`);
    const { width, height, fx, fy, cx, cy } = camera;
    // What the reader accepts, so that every dataset written reads back.
    const side = (v: number): boolean => Number.isInteger(v) && v > 0 && v <= MAX_IMAGE_SIDE;
    if (!(side(width) && side(height))) {
      throw new ValidationError(`expected camera.width and camera.height to be integers in [1, ${MAX_IMAGE_SIDE}], received ${width} x ${height}`);
    }
    for (const [name, v] of Object.entries({ fx, fy })) if (!(v > 0 && isFloat32Finite(v))) throw new ValidationError(`expected camera.${name} to be positive and finite in float32, received ${v}`);
    for (const [name, v] of Object.entries({ cx, cy })) if (!isFloat32Finite(v)) throw new ValidationError(`expected camera.${name} to be finite in float32, received ${v}`);
    const view = matrixValues(camera.view);
    const problem = rigidTransformProblem(view);
    if (problem) throw new ValidationError(`expected camera.view to be a rigid world-to-camera matrix, but ${problem}`);
    requireShape('frame.image', frame.image, [height, width, 3]);
    if (frame.mask !== undefined) requireShape('frame.mask', frame.mask, [height, width]);

    const name = `${pad(timestep, 5)}_${pad(cameraIndex, 2)}.png`;
    const flamePath = `flame_param/${pad(timestep, 5)}.npz`;
    if (frame.flame !== undefined) {
      const given = Object.fromEntries(Object.entries(frame.flame).filter(([, v]) => v !== undefined)) as VhapFlameInput;
      const bytes = encodeVhapFlame({ shape: this.canonical.shape, staticOffset: this.canonical.staticOffset, ...given });
      const hash = createHash('sha256').update(bytes).digest('hex');
      const before = this.flames.get(timestep);
      if (before === undefined) {
        await writeFileAtomic(join(this.dir, flamePath), bytes);
        this.flames.set(timestep, hash);
      } else if (before !== hash) {
        throw new ValidationError(`frames of timestep ${timestep} disagree on its FLAME parameters (camera ${cameraIndex} differs from an earlier camera)`);
      }
    }
    await writeFileAtomic(join(this.dir, 'images', name), encodePng(frame.image));
    if (frame.mask !== undefined) await writeFileAtomic(join(this.dir, 'fg_masks', name), encodeGrayPng(frame.mask));
    this.keys.add(key);
    this.timesteps.add(timestep);
    const transform = transformMatrixFromView(view);
    this.records.push({
      split,
      timestep,
      cameraIndex,
      json: {
        timestep_index: timestep,
        timestep_index_original: timestep,
        timestep_id: `frame_${pad(timestep, 5)}`,
        camera_index: cameraIndex,
        camera_id: pad(cameraIndex, 2),
        cx,
        cy: cyToVhap(cy, height), // VHAP's OpenGL principal point: rows counted from the bottom
        fl_x: fx,
        fl_y: fy,
        h: height,
        w: width,
        camera_angle_x: 2 * Math.atan(width / (2 * fx)),
        camera_angle_y: 2 * Math.atan(height / (2 * fy)),
        transform_matrix: transform,
        file_path: `images/${name}`,
        ...(frame.mask !== undefined ? { fg_mask_path: `fg_masks/${name}` } : {}),
        flame_param_path: flamePath,
      },
    });
  }

  /**
   * Writes `transforms_{train,val,test}.json` (each, even when empty, as VHAP does) and then
   * `transforms.json` with every frame, ordered by timestep then camera.
   *
   * @returns How many frames and timesteps were written.
   * @throws {@link ValidationError} when a timestep has no FLAME parameters.
   */
  async finish(): Promise<{
    /** Images written. */
    frames: number;
    /** Distinct timesteps written. */
    timesteps: number;
  }> {
    if (this.finished) throw new ValidationError('the dataset is already finished');
    const missing = [...this.timesteps].filter((t) => !this.flames.has(t)).sort((a, b) => a - b);
    if (missing.length) throw new ValidationError(`timesteps without FLAME parameters (give frame.flame on one frame of each): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
    this.finished = true;
    const sorted = [...this.records].sort((a, b) => a.timestep - b.timestep || a.cameraIndex - b.cameraIndex);
    const first = sorted[0]?.json;
    const document = (records: FrameRecord[]): string => {
      const db: Record<string, unknown> = {
        frames: records.map((r) => r.json),
        ...(first
          ? Object.fromEntries(['cx', 'cy', 'fl_x', 'fl_y', 'h', 'w', 'camera_angle_x', 'camera_angle_y'].map((k) => [k, first[k]]))
          : {}),
        fps: this.fps,
        timestep_indices: [...new Set(records.map((r) => r.timestep))].sort((a, b) => a - b),
        camera_indices: [...new Set(records.map((r) => r.cameraIndex))].sort((a, b) => a - b),
        ...this.extra,
      };
      return `${JSON.stringify(db, null, 1)}\n`;
    };
    const encoder = new TextEncoder();
    for (const split of SPLITS) {
      await writeFileAtomic(join(this.dir, `transforms_${split}.json`), encoder.encode(document(sorted.filter((r) => r.split === split))));
    }
    await writeFileAtomic(join(this.dir, 'transforms.json'), encoder.encode(document(sorted)));
    return { frames: sorted.length, timesteps: this.timesteps.size };
  }
}

/** The canonical parameters with static offsets: the given ones, else zeros for `vertexCount` vertices. */
function withStaticOffset(canonical: VhapFlameInput, vertexCount: number | undefined): VhapFlameInput {
  if (vertexCount !== undefined && !(Number.isInteger(vertexCount) && vertexCount > 0)) {
    throw new ValidationError(`expected vertexCount to be a positive integer, received ${String(vertexCount)}`);
  }
  if (canonical.staticOffset !== undefined) {
    if (vertexCount !== undefined && canonical.staticOffset.length !== vertexCount * 3) {
      throw new ValidationError(`expected canonicalFlame.staticOffset to hold ${vertexCount}·3 numbers (vertexCount), received ${canonical.staticOffset.length}`);
    }
    return canonical;
  }
  if (vertexCount === undefined) {
    throw new ValidationError(
      'expected canonicalFlame.staticOffset or vertexCount: every FLAME file gets static_offset [1, V, 3], which GaussianAvatars reads unconditionally (give vertexCount for zero offsets)',
    );
  }
  return { ...canonical, staticOffset: new Float32Array(vertexCount * 3) };
}

/**
 * Writes a whole dataset (see {@link VhapDatasetWriter} to write frame by frame).
 *
 * @param dir - The folder (created if missing).
 * @param options - The frames (any iterable, async ones included), the canonical FLAME
 *   parameters, fps and extra top-level keys.
 * @returns How many frames and timesteps were written.
 * @throws {@link ValidationError} for bad frames or options; {@link AbortError} on abort.
 *
 * @example
 * ```ts
 * await writeVhapDataset('subject/', { frames: vhapFrames, canonicalFlame: { shape: new Float32Array(300), jaw: [0.3, 0, 0] }, fps: 25 });
 * ```
 */
export async function writeVhapDataset(dir: string, options: VhapWriteOptions): Promise<{
  /** Images written. */
  frames: number;
  /** Distinct timesteps written. */
  timesteps: number;
}> {
  requirePath('writeVhapDataset', dir, 'dir');
  requireOptions('writeVhapDataset', options);
  // Checked before create() makes the folders.
  const frames: unknown = options.frames;
  if (frames === null || typeof frames !== 'object' || !(Symbol.iterator in frames || Symbol.asyncIterator in frames)) {
    throw new ValidationError(`writeVhapDataset: expected options.frames to be an iterable of frames (an array or an async generator), received ${describeValue(frames)}`);
  }
  const writer = await VhapDatasetWriter.create(dir, options);
  let written = 0;
  for await (const frame of options.frames) {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
    await writer.add(frame);
    options.onProgress?.(++written);
  }
  if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  return writer.finish();
}
