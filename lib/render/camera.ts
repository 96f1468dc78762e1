/**
 * Pinhole cameras for the rasterizer: OpenCV axes (x right, y down, z forward), a row-major
 * 4x4 world-to-camera matrix, intrinsics in pixels, and the pixel-centre convention that
 * pixel (i, j) is centred at (i + 0.5, j + 0.5).
 *
 * @module
 */

import type { RawCamera } from '../native.js';
import { describeValue, requireFloat32Number, requireMatrix4, requirePositiveFloat32, requirePositiveInt } from '../validate.js';
import { ValidationError } from '../errors.js';

/** A 4x4 matrix: 16 numbers row-major, or 4 rows of 4. */
export type Matrix4Input = ArrayLike<number> | readonly (readonly number[])[];

/** A pinhole camera's geometry (OpenCV axes): what datasets store. */
export interface PinholeCamera {
  /** World-to-camera transform, row-major 4x4 with last row [0, 0, 0, 1]. */
  view: Matrix4Input;
  /** Focal lengths in pixels. */
  fx: number;
  /** Vertical focal length, pixels. */
  fy: number;
  /** Principal point in pixels (pixel i spans [i, i + 1], its centre at i + 0.5). */
  cx: number;
  /** Principal point's y, pixels. */
  cy: number;
  /** Image size in pixels (1 to 16384). */
  width: number;
  /** Image height in pixels (1 to 16384). */
  height: number;
}

/** A pinhole camera (OpenCV axes) with the rasterizer's clipping range. */
export interface Camera extends PinholeCamera {
  /** Gaussians with camera-space z below `near` are culled. Default 0.01. */
  near?: number;
  /** Gaussians with camera-space z above `far` are culled. Default Infinity. */
  far?: number;
}

/** Validates a camera and converts it to the addon's form. */
export function toRawCamera(camera: unknown): RawCamera {
  if (typeof camera !== 'object' || camera === null) {
    throw new ValidationError(`expected camera to be an object {view, fx, fy, cx, cy, width, height}, received ${String(camera)}`);
  }
  const c = camera as Partial<Camera>;
  const view = requireMatrix4('camera.view', c.view);
  if (view[12] !== 0 || view[13] !== 0 || view[14] !== 0 || view[15] !== 1) {
    throw new ValidationError(
      `expected camera.view's last row to be [0, 0, 0, 1] (a rigid world-to-camera transform), received [${Array.from(view.subarray(12)).join(', ')}]`,
    );
  }
  const width = requirePositiveInt('camera.width', c.width);
  const height = requirePositiveInt('camera.height', c.height);
  if (width > 16384 || height > 16384) {
    throw new ValidationError(`expected camera.width and camera.height to be at most 16384, received ${width} x ${height}`);
  }
  // Checked in float32, the precision of the native camera: 1e-300 is 0 there, 1e300 Infinity.
  const near = c.near === undefined ? 0.01 : requirePositiveFloat32('camera.near', c.near);
  // far may be infinite (no far plane); a finite far beyond float32 means the same.
  const far = c.far === undefined || c.far === Infinity ? Infinity : requireFarPlane(c.far);
  if (!(Math.fround(far) > Math.fround(near))) throw new ValidationError(`expected camera.far to be greater than camera.near (${near}) in float32, received ${far}`);
  return {
    view,
    fx: requirePositiveFloat32('camera.fx', c.fx),
    fy: requirePositiveFloat32('camera.fy', c.fy),
    cx: requireFloat32Number('camera.cx', c.cx),
    cy: requireFloat32Number('camera.cy', c.cy),
    width,
    height,
    near,
    far,
  };
}

function requireFarPlane(far: unknown): number {
  if (typeof far !== 'number' || Number.isNaN(far) || far <= 0) {
    throw new ValidationError(`expected camera.far to be a positive number or Infinity, received ${String(far)}`);
  }
  return far;
}

/** A point or direction [x, y, z]. */
export type Vec3 = readonly [number, number, number];

/** Door check of a {@link lookAt} point: 3 finite numbers (an array or a Float32/64Array). */
function requirePoint(name: string, value: unknown): void {
  const list = Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array ? (value as ArrayLike<unknown>) : undefined;
  if (list === undefined || list.length !== 3 || !Array.from(list).every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ValidationError(`lookAt: expected ${name} to be 3 finite numbers [x, y, z], received ${describeValue(value)}`);
  }
}

/**
 * World-to-camera matrix (OpenCV axes) of a camera at `eye` looking at `target`, with `up`
 * pointing up in the image (image y points down, so along -up).
 *
 * @returns 16 numbers, row-major.
 */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = [0, -1, 0]): number[] {
  requirePoint('eye', eye);
  requirePoint('target', target);
  requirePoint('up', up);
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const normalize = (a: Vec3, what: string): Vec3 => {
    const n = Math.hypot(a[0], a[1], a[2]);
    if (!(n > 0) || !Number.isFinite(n)) throw new ValidationError(`expected ${what} to be a non-zero finite vector`);
    return [a[0] / n, a[1] / n, a[2] / n];
  };
  const z = normalize(sub(target, eye), 'target - eye');
  const down: Vec3 = [-up[0], -up[1], -up[2]];
  const x = normalize(cross(down, z), 'up crossed with the view direction (up must not be parallel to it)');
  const y = cross(z, x);
  const t = (axis: Vec3): number => -(axis[0] * eye[0] + axis[1] * eye[1] + axis[2] * eye[2]);
  return [...x, t(x), ...y, t(y), ...z, t(z), 0, 0, 0, 1];
}
