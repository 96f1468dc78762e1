/**
 * Frames of one identity (or many) as the avatar stages consume them: images, masks, cameras
 * and per-frame FLAME parameters, packed once into native tensors.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { ValidationError } from '../errors.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import { native, type NativeTensor } from '../native.js';
import type { Camera } from '../render/camera.js';
import { nativeCall } from '../tensor.js';
import { describeValue, requireNonNegativeInt } from '../validate.js';

/** Per-frame FLAME parameters (VHAP's): any may be absent (zeros). */
export interface FrameFlame {
  /** Expression coefficients [exprCount] (zeros when absent). */
  expr?: Float32Array;
  /** Jaw rotation, axis-angle [3]. */
  jaw?: Float32Array;
  /** Global head rotation, axis-angle [3]. */
  rotation?: Float32Array;
  /** Neck rotation, axis-angle [3]. */
  neck?: Float32Array;
  /** Eye rotations, axis-angle [6] (left, right). */
  eyes?: Float32Array;
  /** Head translation [3], world units. */
  translation?: Float32Array;
}

/** One video frame with its tracking. */
export interface AvatarFrame {
  /** RGB in [0, 1], [H, W, 3]. */
  image: NdArray<Float32Array>;
  /** Foreground (head) mask in [0, 1], [H, W]. */
  mask?: NdArray<Float32Array>;
  /** The frame's camera. */
  camera: Camera;
  /** The frame's tracked FLAME parameters. */
  flame: FrameFlame;
  /** Which split the frame belongs to (`train` frames are fitted). Default `'train'`. */
  split?: 'train' | 'val' | 'test';
  /** The frame's timestep (frames of one instant share it across cameras). */
  timestep?: number;
  /** Which camera of a multi-view capture took it. */
  cameraIndex?: number;
}

/** The per-frame FLAME parameter names and widths, in the order the colour MLP's code uses. */
export const FRAME_FLAME_KEYS = [
  ['expr', 0],
  ['jaw', 3],
  ['rotation', 3],
  ['neck', 3],
  ['eyes', 6],
  ['translation', 3],
] as const;

/** Packed frames: native tensors for the stages, plus the per-frame FLAME parameters as `flame.*` tensors. */
export interface PackedFrames {
  /** Frames packed. */
  count: number;
  /** Frame width, pixels. */
  width: number;
  /** Frame height, pixels. */
  height: number;
  /**
   * The images, masks and cameras as native tensors, by name: `images` [T, H, W, 3] and `masks`
   * [T, H, W], or [1, H, W, 3] and [1, H, W] when every frame shows the same image and mask
   * objects (the native stages read that one for every frame); `views` [T, 4, 4], `intrinsics` [T, 4].
   */
  data: Record<string, NativeTensor>;
  /** The per-frame FLAME parameters as native tensors, by name. */
  flame: Map<string, NativeTensor>;
}

/**
 * Packs frames (all of one size) into native tensors.
 *
 * @param exprCount - The FLAME model's expression count E.
 * @throws {@link ValidationError} naming the frame and field that does not fit.
 */
export function packFrames(frames: readonly AvatarFrame[], exprCount: number): PackedFrames {
  if (!Array.isArray(frames) || frames.length === 0) throw new ValidationError(`packFrames: expected frames to be a non-empty array of frames, received ${describeValue(frames)}`);
  // The parts read below, before anything is allocated (a number here would fail as a TypeError).
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object';
  const isNdArray = (v: unknown): boolean => isObject(v) && ArrayBuffer.isView((v as NdArray).data) && Array.isArray((v as NdArray).shape) && Array.isArray((v as NdArray).stride);
  frames.forEach((f: AvatarFrame | null, t) => {
    if (!isObject(f) || !isObject(f!.camera) || !isObject(f!.camera.view) || !isObject(f!.flame)) {
      throw new ValidationError(`packFrames: expected frames[${t}] to be a frame {image, camera: {view, ...}, flame}, received ${describeValue(f)}`);
    }
    if (!isNdArray(f!.image)) throw new ValidationError(`packFrames: expected frames[${t}].image to be an ndarray [H, W, 3], received ${describeValue(f!.image)}`);
    if (f!.mask !== undefined && !isNdArray(f!.mask)) throw new ValidationError(`packFrames: expected frames[${t}].mask to be an ndarray [H, W] or undefined, received ${describeValue(f!.mask)}`);
  });
  requireNonNegativeInt('exprCount', exprCount);
  const [height, width] = frames[0]!.image.shape as [number, number];
  const T = frames.length;
  const hasMasks = frames.every((f) => f.mask !== undefined);
  // Frames that all show one image and mask (Avatar.render's background) are packed with that
  // image once, [1, H, W, 3]: the native side reads it for every frame (a [T, ...] broadcast)
  // instead of T copies (512², 8 frames: 24 MiB fewer bytes written and checked per call).
  const shared = frames.every((f) => f.image === frames[0]!.image && f.mask === frames[0]!.mask);
  const stored = shared ? 1 : T;
  const images = new Float32Array(stored * height * width * 3);
  const masks = hasMasks ? new Float32Array(stored * height * width) : new Float32Array(0);
  const views = new Float32Array(T * 16);
  const intrinsics = new Float32Array(T * 4);
  const flame = new Map<string, Float32Array>();
  for (const [key, width_] of FRAME_FLAME_KEYS) flame.set(key, new Float32Array(T * (key === 'expr' ? exprCount : width_)));
  frames.forEach((f, t) => {
    const [h, w, c] = f.image.shape as [number, number, number];
    if (h !== height || w !== width || c !== 3) throw new ValidationError(`expected frames[${t}].image of shape [${height}, ${width}, 3] like frame 0, received [${f.image.shape.join(', ')}]`);
    if (t < stored) copyRows(f.image, images, t * height * width * 3);
    if (hasMasks) {
      if (f.mask!.shape[0] !== height || f.mask!.shape[1] !== width) throw new ValidationError(`expected frames[${t}].mask of shape [${height}, ${width}]`);
      if (t < stored) copyRows(f.mask!, masks, t * height * width);
    }
    const cam = f.camera;
    if (cam.width !== width || cam.height !== height) throw new ValidationError(`expected frames[${t}].camera to be ${width}x${height} like its image, received ${cam.width}x${cam.height}`);
    views.set(Float32Array.from(cam.view as ArrayLike<number>), t * 16);
    intrinsics.set([cam.fx, cam.fy, cam.cx, cam.cy], t * 4);
    for (const [key, w0] of FRAME_FLAME_KEYS) {
      const n = key === 'expr' ? exprCount : w0;
      const v = f.flame[key];
      if (v === undefined) continue;
      if (v.length !== n) throw new ValidationError(`expected frames[${t}].flame.${key} to hold ${n} values, received ${v.length}`);
      flame.get(key)!.set(v, t * n);
    }
  });
  // Checked once packed, in float32 as the native code reads them (1e300 is Infinity there):
  // a NaN here would otherwise only show up as NaN pixels or losses.
  const finite = (name: string, data: Float32Array, perFrame: number): void => {
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new ValidationError(`expected frames[${Math.floor(bad / perFrame)}].${name} to be finite in float32, received ${data[bad]} at index ${bad % perFrame}`);
  };
  finite('image', images, height * width * 3);
  if (hasMasks) finite('mask', masks, height * width);
  finite('camera.view', views, 16);
  finite('camera intrinsics (fx, fy, cx, cy)', intrinsics, 4);
  for (const [key, data] of flame) finite(`flame.${key}`, data, data.length / T);
  const Tn = native().Tensor;
  return nativeCall(() => ({
    count: T,
    width,
    height,
    data: {
      images: Tn.fromArray(images, [stored, height, width, 3]),
      ...(hasMasks ? { masks: Tn.fromArray(masks, [stored, height, width]) } : {}),
      views: Tn.fromArray(views, [T, 4, 4]),
      intrinsics: Tn.fromArray(intrinsics, [T, 4]),
    },
    flame: new Map([...flame].map(([key, data]) => [`flame.${key}`, Tn.fromArray(data, [T, data.length / T])])),
  }));
}

function copyRows(a: NdArray<Float32Array>, out: Float32Array, at: number): void {
  const n = a.shape.reduce((x, y) => x * y, 1);
  const contiguous = a.stride.every((s, i) => s === a.shape.slice(i + 1).reduce((x, y) => x * y, 1));
  if (contiguous) {
    out.set(a.data.subarray(a.offset, a.offset + n), at);
    return;
  }
  const idx = new Array<number>(a.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out[at + i] = a.get(...idx);
    for (let d = a.shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < a.shape[d]!) break;
      idx[d] = 0;
    }
  }
}
