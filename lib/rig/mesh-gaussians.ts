/**
 * Gaussians initialised on a mesh's faces (as GaussianAvatars initialises its avatars): a few
 * flat splats per triangle, anchored at barycentric points, coloured from per-vertex colours.
 * The starting point of an avatar before any optimisation, and the way to look at a model.
 *
 * @module
 */

import { optionalOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { requireFlameModel } from '../flame/require-model.js';
import { describeValue, requireFinite, requirePositiveFloat32 } from '../validate.js';
import type { FlameModel } from '../flame/model.js';
import type { AvatarGaussians } from './local-gaussians.js';

/** SH degree-0 constant: colour = SH_C0 * sh0 + 0.5. */
export const SH_C0 = 0.28209479177387814;

/** Options of {@link gaussiansOnMesh}. */
export interface MeshGaussiansOptions {
  /** Splats per face: 1 (centroid) or 4 (centres of the midpoint subdivision). Default 4. */
  perFace?: 1 | 4;
  /** In-plane size in units of the face's scale k. Default 0.5 (0.9 with one splat per face). */
  size?: number;
  /** Thickness along the normal in units of k. Default 0.05. */
  thickness?: number;
  /** Opacity in (0, 1). Default 0.97. */
  opacity?: number;
}

// Barycentric centres of the 4 triangles of a midpoint subdivision.
const SUBDIVISION = [
  [2 / 3, 1 / 6, 1 / 6],
  [1 / 6, 2 / 3, 1 / 6],
  [1 / 6, 1 / 6, 2 / 3],
  [1 / 3, 1 / 3, 1 / 3],
];

/**
 * Flat Gaussians on every face of `model`, coloured by interpolating `colors` [V, 3] (RGB in
 * [0, 1]); bound to the faces, so they follow the mesh under {@link renderHead}.
 */
export function gaussiansOnMesh(
  model: FlameModel,
  colors: Float32Array,
  options: MeshGaussiansOptions = {},
): AvatarGaussians<{
  /** The elements, row-major. */
  data: Float32Array | Int32Array;
  /** Size of each dimension, outermost first. */
  shape: number[];
}> {
  requireFlameModel('gaussiansOnMesh', model);
  options = optionalOptions('gaussiansOnMesh', options);
  const perFace = options.perFace ?? 4;
  if (perFace !== 1 && perFace !== 4) throw new ValidationError(`expected perFace to be 1 or 4, received ${String(perFace)}`);
  if (!(colors instanceof Float32Array) || colors.length !== model.vertexCount * 3) {
    throw new ValidationError(`expected colors to be a Float32Array of ${model.vertexCount * 3} values ([V, 3]), received ${describeValue(colors)}`);
  }
  requireFinite('colors', colors, [model.vertexCount, 3]);
  const opacity = options.opacity ?? 0.97;
  if (!(typeof opacity === 'number' && opacity > 0 && opacity < 1)) throw new ValidationError(`expected opacity in (0, 1), received ${describeValue(opacity)}`);
  // Stored as float32 log-scales: a size that is 0 in float32 would be -Infinity there.
  const size = Math.log(requirePositiveFloat32('size', options.size ?? (perFace === 1 ? 0.9 : 0.5)));
  const thin = Math.log(requirePositiveFloat32('thickness', options.thickness ?? 0.05));
  const anchors = perFace === 1 ? [SUBDIVISION[3]!] : SUBDIVISION;
  const faceCount = model.faces.length / 3;
  const n = faceCount * anchors.length;
  const face = new Int32Array(n);
  const bary = new Float32Array(n * 3);
  const sh0 = new Float32Array(n * 3);
  for (let f = 0, i = 0; f < faceCount; f++) {
    for (const b of anchors) {
      face[i] = f;
      bary.set(b, 3 * i);
      for (let c = 0; c < 3; c++) {
        let colour = 0;
        for (let k = 0; k < 3; k++) colour += b[k]! * colors[3 * model.faces[3 * f + k]! + c]!;
        sh0[3 * i + c] = (colour - 0.5) / SH_C0;
      }
      i++;
    }
  }
  const logScale = new Float32Array(n * 3);
  // Frame axes: a0 (along an edge), a1 (the normal), a2 (in-plane): thin along a1.
  for (let i = 0; i < n; i++) logScale.set([size, thin, size], 3 * i);
  const quat = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) quat[4 * i] = 1;
  return {
    face: { data: face, shape: [n] },
    bary: { data: bary, shape: [n, 3] },
    offset: { data: new Float32Array(n * 3), shape: [n, 3] },
    logScale: { data: logScale, shape: [n, 3] },
    quat: { data: quat, shape: [n, 4] },
    sh0: { data: sh0, shape: [n, 3] },
    opacityLogit: { data: new Float32Array(n).fill(Math.log(opacity / (1 - opacity))), shape: [n] },
  };
}
