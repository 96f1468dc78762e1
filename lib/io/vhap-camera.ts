/**
 * Cameras of VHAP / GaussianAvatars datasets: NeRF-style camera-to-world matrices in OpenGL
 * axes (x right, y up, z backwards) converted to and from ggtalker's cameras (a row-major
 * world-to-camera `view` in OpenCV axes: x right, y down, z forwards), and intrinsics scaled
 * with the image.
 *
 * c2w_cv = c2w_gl · diag(1, −1, −1, 1) (the y and z axes flip; the position stays), and
 * view = c2w_cv⁻¹ = [Rᵀ | −Rᵀ·t]. The conversion is its own inverse, so the writer applies it
 * the other way round.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import type { PinholeCamera } from '../render/camera.js';

/** A pinhole camera as read from a dataset (OpenCV axes; usable as a {@link Camera} for the rasterizer). */
export interface VhapCamera extends PinholeCamera {
  /** World-to-camera, row-major 4×4 (16 numbers, last row 0 0 0 1). */
  view: number[];
}

/** The largest image side a dataset may declare (`w`, `h`). */
export const MAX_IMAGE_SIDE = 65536;

/**
 * The highest frame rate ggtalker accepts anywhere a file or an option states one (datasets,
 * avatars, Audio-Expression features): video is 24–60 fps, and work grows with the rate (an
 * `fps` of 1e6 made sampling 0.3 s of audio never end).
 */
export const MAX_FPS = 240;

/** Why `value` is not a frame rate in (0, {@link MAX_FPS}], or `undefined` when it is one. */
export function frameRateProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && value > 0 && value <= MAX_FPS) return undefined;
  return `expected a frame rate in (0, ${MAX_FPS}], received ${typeof value === 'number' || typeof value === 'string' ? JSON.stringify(value) ?? String(value) : describeValue(value)}`;
}

/**
 * Requires a frame rate in (0, {@link MAX_FPS}].
 *
 * @throws {@link ValidationError} naming `name`.
 */
export function requireFrameRate(name: string, value: unknown): number {
  if (frameRateProblem(value) !== undefined) throw new ValidationError(`expected ${name} to be a frame rate in (0, ${MAX_FPS}], received ${describeValue(value)}`);
  return value as number;
}

/**
 * Whether `v` is a number that stays finite in float32, the precision the renderers use
 * (1e300 is a finite double but Infinity in float32).
 */
export const isFloat32Finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(Math.fround(v));

/** How far a rotation may be from orthonormal (max |RRᵀ − I| entry) and still count as one. */
const ORTHONORMAL_TOLERANCE = 1e-3;

/**
 * Why a row-major 4×4 is not a rigid transform (rotation + translation, last row 0 0 0 1), or
 * `undefined` when it is one.
 */
export function rigidTransformProblem(m: ArrayLike<number>): string | undefined {
  if (Math.abs(m[12]!) > 1e-6 || Math.abs(m[13]!) > 1e-6 || Math.abs(m[14]!) > 1e-6 || Math.abs(m[15]! - 1) > 1e-6) {
    return `its last row is [${[m[12], m[13], m[14], m[15]].join(', ')}], not [0, 0, 0, 1]`;
  }
  let worst = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let d = 0;
      for (let k = 0; k < 3; k++) d += m[4 * i + k]! * m[4 * j + k]!;
      worst = Math.max(worst, Math.abs(d - (i === j ? 1 : 0)));
    }
  }
  if (!(worst <= ORTHONORMAL_TOLERANCE)) return `its 3×3 part is not a rotation (R·Rᵀ differs from the identity by ${worst.toPrecision(3)})`;
  return undefined;
}

/** The inverse of a rigid row-major 4×4: [Rᵀ | −Rᵀ·t], with an exact last row. */
function invertRigid(m: ArrayLike<number>): number[] {
  const out = new Array<number>(16).fill(0);
  for (let i = 0; i < 3; i++) {
    let t = 0;
    for (let k = 0; k < 3; k++) {
      out[4 * i + k] = m[4 * k + i]!;
      t -= m[4 * k + i]! * m[4 * k + 3]!;
    }
    out[4 * i + 3] = t;
  }
  out[15] = 1;
  return out;
}

/** Negates columns 1 and 2 (the y and z axes) of a row-major 4×4: right-multiplying by diag(1, −1, −1, 1). */
function flipYZ(m: ArrayLike<number>): number[] {
  const out = Array.from(m);
  for (let i = 0; i < 4; i++) {
    out[4 * i + 1] = -out[4 * i + 1]!;
    out[4 * i + 2] = -out[4 * i + 2]!;
  }
  return out;
}

/**
 * A dataset's `transform_matrix` (camera-to-world, OpenGL axes; 16 numbers row-major) as a
 * world-to-camera `view` in OpenCV axes.
 *
 * @throws {@link ValidationError} when the matrix is not a rigid transform.
 */
export function viewFromTransformMatrix(c2wGl: ArrayLike<number>): number[] {
  const problem = rigidTransformProblem(c2wGl);
  if (problem) throw new ValidationError(`expected a rigid camera-to-world matrix, but ${problem}`);
  return invertRigid(flipYZ(c2wGl));
}

/**
 * The inverse of {@link viewFromTransformMatrix}: a `view` (world-to-camera, OpenCV axes) as a
 * `transform_matrix` (camera-to-world, OpenGL axes), 4 rows of 4.
 *
 * @throws {@link ValidationError} when `view` is not a rigid transform.
 */
export function transformMatrixFromView(view: ArrayLike<number>): number[][] {
  if (view.length !== 16) throw new ValidationError(`expected view to hold 16 numbers (row-major 4×4), received ${view.length}`);
  const problem = rigidTransformProblem(view);
  if (problem) throw new ValidationError(`expected camera.view to be a rigid world-to-camera matrix, but ${problem}`);
  const m = flipYZ(invertRigid(view));
  return [m.slice(0, 4), m.slice(4, 8), m.slice(8, 12), m.slice(12, 16)];
}

/**
 * The principal point's row in a VHAP / GaussianAvatars file (`cy`, measured from the bottom
 * edge, as VHAP's default 'opencv->opengl' conversion writes it: K[1, 2] = H − K[1, 2] in
 * vhap/util/camera.py convert_camera_convention) as the OpenCV row ggtalker's cameras use
 * (measured from the top edge): H − cy. A centred principal point (cy = H/2, what monocular
 * exports write) is the same in both.
 */
export function cyFromVhap(cy: number, height: number): number {
  return height - cy;
}

/** The inverse of {@link cyFromVhap} (the flip is its own inverse): an OpenCV principal-point row as VHAP writes `cy`. */
export const cyToVhap: (cy: number, height: number) => number = cyFromVhap;

/**
 * A camera for the same view at another image size: focal lengths and principal point scale
 * with the image (pixel edges at integers, so the scaling is exact for any ratio).
 *
 * @throws {@link ValidationError} for a size that is not positive integers.
 */
export function scaleCamera<C extends VhapCamera>(camera: C, width: number, height: number): C {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new ValidationError(`expected the new size to be positive integers, received ${width} x ${height}`);
  }
  const sx = width / camera.width;
  const sy = height / camera.height;
  return { ...camera, view: [...camera.view], fx: camera.fx * sx, fy: camera.fy * sy, cx: camera.cx * sx, cy: camera.cy * sy, width, height };
}

/**
 * Projects world points [N, 3] with a camera: pixel coordinates [N, 2] (x right, y down;
 * pixel (i, j) centred at (i + 0.5, j + 0.5)) and camera-space depths [N].
 */
export function projectPoints(camera: VhapCamera, points: ArrayLike<number>): { pixels: Float64Array; depth: Float64Array } {
  const n = Math.floor(points.length / 3);
  const pixels = new Float64Array(n * 2);
  const depth = new Float64Array(n);
  const v = camera.view;
  for (let i = 0; i < n; i++) {
    const [x, y, z] = [points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!];
    const cxv = v[0]! * x + v[1]! * y + v[2]! * z + v[3]!;
    const cyv = v[4]! * x + v[5]! * y + v[6]! * z + v[7]!;
    const czv = v[8]! * x + v[9]! * y + v[10]! * z + v[11]!;
    pixels[2 * i] = (camera.fx * cxv) / czv + camera.cx;
    pixels[2 * i + 1] = (camera.fy * cyv) / czv + camera.cy;
    depth[i] = czv;
  }
  return { pixels, depth };
}
