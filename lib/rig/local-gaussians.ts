/**
 * Gaussians bound to mesh triangles (GaussianAvatars / GGTalker eq. 7): each lives in its
 * face's frame (origin at an anchor on the face, axes from the triangle, scale k from its
 * size), so it follows the face as the mesh moves.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';

/** Gaussians in their faces' frames. */
export interface LocalGaussians<T = ArrayLike> {
  /** Face each Gaussian is bound to, int32 [N]. */
  face: T;
  /** Anchor on the face as barycentric coordinates [N, 3]; omitted: the centroid. */
  bary?: T;
  /** Position in the face frame, in units of the face's scale k, [N, 3]. */
  offset: T;
  /** Log of the scale in units of k, [N, 3]. */
  logScale: T;
  /** Rotation relative to the face frame, quaternion (w, x, y, z), [N, 4]. */
  quat: T;
}

/** Local Gaussians with appearance: what an avatar renders. */
export interface AvatarGaussians<T = ArrayLike> extends LocalGaussians<T> {
  /** Colour as the degree-0 SH coefficient (rendered colour = 0.2821 sh0 + 0.5), [N, 3]. */
  sh0: T;
  /** Opacity before the sigmoid, [N]. */
  opacityLogit: T;
}

/** Validates local Gaussians for a mesh of `faceCount` faces; returns the addon's input. */
export function localGaussiansInput(g: LocalGaussians, faceCount: number, dims: Dims = {}): Record<string, unknown> {
  if (typeof g !== 'object' || g === null) {
    throw new ValidationError(`expected gaussians to be an object {face, offset, logScale, quat, ...}, received ${describeValue(g)}`);
  }
  return {
    face: toInt32Tensor('gaussians.face', g.face, ['N'], dims, { min: 0, max: faceCount }),
    ...(g.bary !== undefined ? { bary: toFloat32Tensor('gaussians.bary', g.bary, ['N', 3], dims) } : {}),
    offset: toFloat32Tensor('gaussians.offset', g.offset, ['N', 3], dims),
    logScale: toFloat32Tensor('gaussians.logScale', g.logScale, ['N', 3], dims),
    quat: toFloat32Tensor('gaussians.quat', g.quat, ['N', 4], dims),
  };
}

/** Validates avatar Gaussians (local Gaussians plus colour and opacity). */
export function avatarGaussiansInput(g: AvatarGaussians, faceCount: number): Record<string, unknown> {
  const dims: Dims = {};
  return {
    ...localGaussiansInput(g, faceCount, dims),
    sh0: toFloat32Tensor('gaussians.sh0', g.sh0, ['N', 3], dims),
    opacityLogit: toFloat32Tensor('gaussians.opacityLogit', g.opacityLogit, ['N'], dims),
  };
}
