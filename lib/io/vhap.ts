/**
 * VHAP / GaussianAvatars datasets (DESIGN.md §4): the format VHAP's `export_as_nerf_dataset`
 * writes from a tracked video, and what ggtalker adapts avatars to.
 *
 * ```
 * transforms.json                      every frame
 * transforms_{train,val,test}.json     the splits
 * images/00000_00.png                  {timestep:05d}_{camera:02d}
 * fg_masks/00000_00.png                foreground masks (optional)
 * flame_param/00000.npz                FLAME parameters per timestep
 * canonical_flame_param.npz            shape (and static offsets) with a neutral pose
 * ```
 *
 * Each JSON holds `frames`, each with `file_path`, `fg_mask_path`, `flame_param_path`,
 * `transform_matrix` (camera-to-world, OpenGL axes), `timestep_index`, `camera_index` and the
 * intrinsics `fl_x fl_y cx cy w h` (also at the top level; `camera_angle_x` is the fallback).
 * This module reads them; `vhap-write.ts` writes them; `vhap-image.ts` and `vhap-flame.ts`
 * load a frame's pixels and FLAME parameters.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';

import { optionalOptions } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { resolveContained } from './contained-path.js';
import { pathExists } from './exists.js';
import { readJsonFile } from './read-file.js';
import { cyFromVhap, frameRateProblem, isFloat32Finite, MAX_IMAGE_SIDE, viewFromTransformMatrix, type VhapCamera } from './vhap-camera.js';
import { loadVhapFlame, type VhapFlameParams } from './vhap-flame.js';

export { cyFromVhap, cyToVhap, MAX_FPS, MAX_IMAGE_SIDE, projectPoints, scaleCamera, transformMatrixFromView, viewFromTransformMatrix, type VhapCamera } from './vhap-camera.js';
export { encodeVhapFlame, loadVhapFlame, parseVhapFlame, vhapFlameToParams, type VhapFlameInput, type VhapFlameParams, type VhapFlameToParamsOptions } from './vhap-flame.js';
export { loadVhapImage, readImageFile, resizeArea, type FloatImage, type LoadedVhapImage, type LoadVhapImageOptions, type VhapImageFrame } from './vhap-image.js';
export { VhapDatasetWriter, writeVhapDataset, type VhapWriteFrame, type VhapWriteOptions } from './vhap-write.js';

/** The splits of a dataset. */
export type VhapSplit = 'train' | 'val' | 'test';
export const VHAP_SPLITS: readonly VhapSplit[] = ['train', 'val', 'test'];

/** One image of a dataset: a timestep seen by a camera. */
export interface VhapFrame {
  /** The split it was listed in (`'train'` for a dataset without split files). */
  split: VhapSplit;
  /** `timestep_index`. */
  timestep: number;
  /** `camera_index`. */
  cameraIndex: number;
  /** The camera (OpenCV axes, world-to-camera `view`). */
  camera: VhapCamera;
  /** Absolute path of the image. */
  image: string;
  /** Absolute path of the foreground mask, when the dataset has one. */
  mask?: string;
  /** Absolute path of the timestep's FLAME parameters (`.npz`). */
  flameParams: string;
}

/** A dataset as {@link readVhapDataset} returns it. */
export interface VhapDataset {
  /** The dataset folder, absolute. */
  dir: string;
  /** The frames of the requested split(s), in file order. */
  frames: VhapFrame[];
  /** The distinct timestep indices of `frames`, ascending. */
  timesteps: number[];
  /** The distinct camera indices of `frames`, ascending. */
  cameras: number[];
  /** `canonical_flame_param.npz`, when present. */
  canonicalFlame?: VhapFlameParams;
  /** The top-level `fps`, when the JSON has one (VHAP's own exports do not; video is 25 fps). */
  fps?: number;
  /** Other top-level keys of the (first) JSON read, e.g. what the writer's `extra` held. */
  extra: Record<string, unknown>;
}

/** Options of {@link readVhapDataset}. */
export interface ReadVhapOptions {
  /**
   * Which frames: one split (`transforms_{split}.json`), or `'all'` (default): every split
   * file there is, else `transforms.json`.
   */
  split?: VhapSplit | 'all';
  /** Check that every image, mask and FLAME file exists and is a regular file (default true). */
  checkFiles?: boolean;
  /**
   * Accept image, mask and FLAME paths that are absolute or lead outside the dataset folder
   * (`../`). Default false: a dataset from someone else must not make ggtalker read
   * `/etc/passwd` or `../../secrets`, so such a path is a {@link FormatError} naming the file
   * and the field. Pass `true` only for datasets you trust.
   */
  allowExternalFiles?: boolean;
}

/** The option that lets a caller accept references outside a folder, as messages name it. */
export const ALLOW_EXTERNAL_FILES = 'allowExternalFiles: true';

/** Top-level keys with a meaning in the format; the rest is `extra`. */
const KNOWN_KEYS = new Set(['frames', 'fl_x', 'fl_y', 'cx', 'cy', 'w', 'h', 'camera_angle_x', 'camera_angle_y', 'timestep_indices', 'camera_indices', 'fps']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and parses one JSON file of the dataset (a regular file, size-checked). */
async function readJson(path: string): Promise<Json> {
  const value = await readJsonFile(path, { what: 'the dataset JSON' });
  if (!isObject(value)) throw new FormatError('expected a JSON object with a "frames" array', { path });
  if (!Array.isArray(value.frames)) throw new FormatError(`frames: expected an array of frames, received ${describeJson(value.frames)}`, { path });
  return value;
}

function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (isObject(v)) return 'an object';
  return JSON.stringify(v);
}

/** Parses one frame of a transforms file. */
function parseFrame(frame: unknown, index: number, top: Json, dir: string, file: string, split: VhapSplit, allowExternal: boolean): VhapFrame {
  const where = `frames[${index}]`;
  const fail = (key: string, message: string): never => {
    throw new FormatError(`${where}${key ? `.${key}` : ''}: ${message}`, { path: file });
  };
  if (!isObject(frame)) return fail('', `expected an object, received ${describeJson(frame)}`);
  const str = (key: string, required: boolean): string | undefined => {
    const v = frame[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') return fail(key, `expected a relative file path, received ${describeJson(v)}`);
    return v;
  };
  const int = (key: string, fallback?: number): number => {
    const v = frame[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(key, `expected a non-negative integer, received ${describeJson(v)}`);
    return v;
  };
  // Intrinsics: the frame's own, else the top level's; finite in float32.
  const num = (key: string): number | undefined => {
    const v = frame[key] ?? top[key];
    if (v === undefined) return undefined;
    if (!isFloat32Finite(v)) {
      const expected = `expected a number finite in float32 (|x| < 3.4e38), received ${describeJson(v)}`;
      if (frame[key] !== undefined) return fail(key, expected);
      throw new FormatError(`${key} (top level, used by ${where}): ${expected}`, { path: file });
    }
    return v;
  };
  const width = num('w');
  const height = num('h');
  if (width === undefined || height === undefined) return fail('', 'missing the image size: expected "w" and "h" in the frame or at the top level');
  const side = (v: number): boolean => Number.isInteger(v) && v > 0 && v <= MAX_IMAGE_SIDE;
  if (!(side(width) && side(height))) return fail('w', `expected the image size to be integers in [1, ${MAX_IMAGE_SIDE}], received ${width} x ${height}`);
  // A field of view in (0, π): 0 gives an infinite focal length, π and beyond none at all.
  const angle = (key: string): number | undefined => {
    const a = num(key);
    if (a !== undefined && !(a > 0 && a < Math.PI)) return fail(key, `expected a field of view in radians in (0, π), received ${a}`);
    return a;
  };
  const angleX = angle('camera_angle_x');
  const angleY = angle('camera_angle_y');
  const fx = num('fl_x') ?? (angleX !== undefined ? width / 2 / Math.tan(angleX / 2) : undefined);
  if (fx === undefined) return fail('', 'missing the focal length: expected "fl_x" or "camera_angle_x" in the frame or at the top level');
  const fy = num('fl_y') ?? (angleY !== undefined ? height / 2 / Math.tan(angleY / 2) : fx);
  if (!(fx > 0 && fy > 0 && isFloat32Finite(fx) && isFloat32Finite(fy))) {
    return fail(frame.fl_x !== undefined || top.fl_x !== undefined ? 'fl_x' : 'camera_angle_x', `expected positive, finite focal lengths, received ${fx}, ${fy}`);
  }
  const cx = num('cx') ?? width / 2;
  // VHAP writes the principal point of its OpenGL cameras: `cy` counted from the image's bottom
  // edge (vhap/util/camera.py convert_camera_convention, 'opencv->opengl': K[1, 2] = H − K[1, 2]),
  // and its renderers read it back that way ((h − 2·cy)/h in projection_from_intrinsics). Pixel
  // rows count from the top, so the OpenCV principal point is h − cy.
  const cyFile = num('cy');
  const cy = cyFile === undefined ? height / 2 : cyFromVhap(cyFile, height);

  const matrix = frame.transform_matrix;
  const rows = Array.isArray(matrix) ? matrix : [];
  const numeric = (row: unknown): row is number[] => Array.isArray(row) && row.length === 4 && row.every(isFloat32Finite);
  if (!((rows.length === 4 || rows.length === 3) && rows.every(numeric))) {
    return fail('transform_matrix', 'expected a 4×4 array of numbers finite in float32 (camera-to-world, OpenGL axes)');
  }
  const flat = [...(rows as number[][]).flat(), ...(rows.length === 3 ? [0, 0, 0, 1] : [])];
  let view: number[];
  try {
    view = viewFromTransformMatrix(flat);
  } catch (error) {
    return fail('transform_matrix', (error as Error).message);
  }

  // Referenced files stay inside the dataset folder unless the caller trusts it.
  const path = (p: string, key: string): string =>
    resolveContained(dir, p, { allowExternal: allowExternal, from: file, field: `${where}.${key}`, optIn: ALLOW_EXTERNAL_FILES });
  const filePath = str('file_path', true)!;
  // NeRF convention (GaussianAvatars): a file_path without extension names a .png.
  const image = path(extname(filePath) === '' ? `${filePath}.png` : filePath, 'file_path');
  const mask = str('fg_mask_path', false);
  const flame = frame.flame_param_path;
  if (typeof flame !== 'string' || flame === '') {
    const hint = frame.mesh_path !== undefined ? ' (this export holds meshes: re-export with VHAP\'s --flame-mode param)' : '';
    return fail('flame_param_path', `expected a relative file path, received ${describeJson(flame)}${hint}`);
  }
  return {
    split,
    timestep: int('timestep_index'),
    cameraIndex: int('camera_index', 0),
    camera: { view, fx, fy, cx, cy, width, height },
    image,
    ...(mask !== undefined ? { mask: path(mask, 'fg_mask_path') } : {}),
    flameParams: path(flame, 'flame_param_path'),
  };
}

/**
 * Reads a VHAP / GaussianAvatars dataset's frame list (not its pixels: see
 * {@link loadVhapImage}, {@link loadVhapFlame}).
 *
 * @param dir - The dataset folder.
 * @param options - Which split, whether to check that the files exist, and whether to accept
 *   files outside the folder (`allowExternalFiles`).
 * @throws {@link FormatError} naming the JSON file and the field (e.g.
 *   `…/transforms_train.json: frames[3].transform_matrix: expected a 4×4 array of numbers`),
 *   a path outside the folder (without `allowExternalFiles`), or a frame's missing file or one
 *   that is not a regular file (a FIFO, a device, a folder); {@link ValidationError} for bad options.
 */
export async function readVhapDataset(dir: string, options: ReadVhapOptions = {}): Promise<VhapDataset> {
  if (typeof dir !== 'string' || dir === '') throw new ValidationError('expected dir to be a dataset folder path');
  options = optionalOptions('readVhapDataset', options);
  const split = options.split ?? 'all';
  if (split !== 'all' && !VHAP_SPLITS.includes(split)) {
    throw new ValidationError(`expected options.split to be 'train', 'val', 'test' or 'all', received ${JSON.stringify(split)}`);
  }
  const root = isAbsolute(dir) ? dir : resolve(dir);
  const splitFile = (s: VhapSplit): string => join(root, `transforms_${s}.json`);
  const sources: { file: string; split: VhapSplit }[] = [];
  if (split !== 'all') {
    if (!(await pathExists(splitFile(split)))) {
      const hint = (await pathExists(join(root, 'transforms.json'))) ? ' (the dataset has only transforms.json: read it with split "all")' : '';
      throw new FormatError(`missing transforms_${split}.json${hint}`, { path: root });
    }
    sources.push({ file: splitFile(split), split });
  } else {
    for (const s of VHAP_SPLITS) if (await pathExists(splitFile(s))) sources.push({ file: splitFile(s), split: s });
    if (sources.length === 0) {
      if (!(await pathExists(join(root, 'transforms.json')))) {
        throw new FormatError('not a VHAP dataset: expected transforms.json or transforms_{train,val,test}.json', { path: root });
      }
      sources.push({ file: join(root, 'transforms.json'), split: 'train' });
    }
  }

  const frames: VhapFrame[] = [];
  const listedIn = new Map<VhapFrame, string>(); // where each frame was listed, for messages
  const seen = new Set<string>();
  let fps: number | undefined;
  let extra: Record<string, unknown> | undefined;
  for (const { file, split: s } of sources) {
    const json = await readJson(file);
    if (extra === undefined) {
      extra = Object.fromEntries(Object.entries(json).filter(([k]) => !KNOWN_KEYS.has(k)));
      if (json.fps !== undefined) {
        const fpsProblem = frameRateProblem(json.fps);
        if (fpsProblem !== undefined) {
          throw new FormatError(`fps: ${fpsProblem}`, { path: file });
        }
        fps = json.fps as number;
      }
    }
    (json.frames as unknown[]).forEach((raw, i) => {
      const frame = parseFrame(raw, i, json, root, file, s, options.allowExternalFiles === true);
      // A frame listed in two split files (VHAP's do not overlap) counts once, in the first.
      if (seen.has(frame.image)) return;
      seen.add(frame.image);
      frames.push(frame);
      listedIn.set(frame, `${basename(file)} frames[${i}]`);
    });
  }

  if (options.checkFiles ?? true) {
    const checks: { path: string; what: string; key: string; frame: VhapFrame }[] = [];
    const flames = new Set<string>();
    for (const f of frames) {
      checks.push({ path: f.image, what: 'image', key: 'file_path', frame: f });
      if (f.mask !== undefined) checks.push({ path: f.mask, what: 'foreground mask', key: 'fg_mask_path', frame: f });
      if (!flames.has(f.flameParams)) {
        flames.add(f.flameParams);
        checks.push({ path: f.flameParams, what: 'FLAME parameter file', key: 'flame_param_path', frame: f });
      }
    }
    for (let i = 0; i < checks.length; i += 256) {
      const batch = checks.slice(i, i + 256);
      // stat never opens the file: a FIFO or a device is named here instead of blocking a read.
      const kinds = await Promise.all(batch.map((c) => fileKind(c.path)));
      const bad = batch.findIndex((_, k) => kinds[k] !== 'file');
      if (bad >= 0) {
        const { frame, what, key, path } = batch[bad]!;
        const problem = kinds[bad] === 'missing' ? `missing ${what}` : `the ${what} is ${kinds[bad]}, expected a regular file,`;
        throw new FormatError(`${problem} of timestep ${frame.timestep}, camera ${frame.cameraIndex} (${listedIn.get(frame)}.${key})`, { path });
      }
    }
  }

  const canonicalPath = join(root, 'canonical_flame_param.npz');
  const canonicalFlame = (await fileKind(canonicalPath)) !== 'missing' ? await loadVhapFlame(canonicalPath) : undefined;
  return {
    dir: root,
    frames,
    timesteps: [...new Set(frames.map((f) => f.timestep))].sort((a, b) => a - b),
    cameras: [...new Set(frames.map((f) => f.cameraIndex))].sort((a, b) => a - b),
    ...(canonicalFlame ? { canonicalFlame } : {}),
    ...(fps !== undefined ? { fps } : {}),
    extra: extra ?? {},
  };
}

/** What is at `path` (following symbolic links), in words for messages; `'file'` for a regular file. */
async function fileKind(path: string): Promise<string> {
  try {
    const s = await stat(path);
    if (s.isFile()) return 'file';
    if (s.isDirectory()) return 'a folder';
    if (s.isFIFO()) return 'a FIFO';
    if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
    if (s.isSocket()) return 'a socket';
    return 'not a regular file';
  } catch {
    return 'missing';
  }
}
