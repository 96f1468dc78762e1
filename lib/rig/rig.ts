/**
 * Triangle frames and rigging (GGTalker eq. 7, as GaussianAvatars defines it), native and
 * differentiable.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { native, type NativeTensor, type RawArray } from '../native.js';
import { Tensor } from '../tensor.js';
import { awaitNative, toNdarrays } from '../ops.js';
import { ValidationError } from '../errors.js';
import { describeValue, requireOutputElements, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';
import { localGaussiansInput, type LocalGaussians } from './local-gaussians.js';

/** Per-triangle frames of meshes. */
export interface TriangleFrames {
  /** Centroids, [T, F, 3]. */
  origin: NdArray<Float32Array>;
  /** Rotations, columns (edge, normal, edge x normal...), [T, F, 3, 3]. */
  rotation: NdArray<Float32Array>;
  /** Scale k = (|v1 - v0| + |a2 . (v2 - v0)|) / 2, [T, F]. */
  scale: NdArray<Float32Array>;
}

/** World-space Gaussians, per frame. */
export interface RiggedGaussians {
  /** [T, N, 3]. */
  means: NdArray<Float32Array>;
  /** [T, N, 3]. */
  scales: NdArray<Float32Array>;
  /** [T, N, 4], (w, x, y, z). */
  quats: NdArray<Float32Array>;
}

/** Options of the rigging operations. */
export interface RigOptions {
  /**
   * The most float32 values one output may hold (frames × faces × 9 for frames' rotations,
   * frames × Gaussians × 4 for rigged rotations); default 2^28 (1 GiB). Larger requests are
   * refused with a ValidationError saying how many frames one call may take.
   */
  maxOutputElements?: number;
}

function meshInput(vertices: ArrayLike, faces: ArrayLike, dims: Dims) {
  const v = toFloat32Tensor('vertices', vertices, ['T', 'V', 3], dims);
  return { vertices: v, faces: toInt32Tensor('faces', faces, ['F', 3], dims, { min: 0, max: dims.V! }) };
}

/**
 * Frames of every triangle: origin = centroid; a0 = normalize(v1 - v0); a1 = normalize(a0 x
 * (v2 - v0)) (the normal); a2 = -normalize(a1 x a0); R = [a0 a1 a2]; k as above.
 *
 * @param vertices - [T, V, 3].
 * @param faces - int32 [F, 3].
 */
export async function triangleFrames(vertices: ArrayLike, faces: ArrayLike, options: RigOptions = {}): Promise<TriangleFrames> {
  const dims: Dims = {};
  const mesh = meshInput(vertices, faces, dims);
  requireOutputElements('triangleFrames rotation [T, F, 3, 3]', [dims.T!, dims.F!, 3, 3], options.maxOutputElements);
  const raw = await awaitNative(native().triangleFrames(mesh), undefined);
  return toNdarrays(raw) as unknown as TriangleFrames;
}

/**
 * Places local Gaussians on posed meshes: mean = anchor + k R offset, scale = k exp(logScale),
 * rotation = q(R) ⊗ quat.
 *
 * @param vertices - [T, V, 3].
 * @param faces - int32 [F, 3].
 */
export async function rigGaussians(vertices: ArrayLike, faces: ArrayLike, gaussians: LocalGaussians, options: RigOptions = {}): Promise<RiggedGaussians> {
  const dims: Dims = {};
  const mesh = meshInput(vertices, faces, dims);
  const input = { ...mesh, gaussians: localGaussiansInput(gaussians, dims.F!, dims) };
  requireOutputElements('rigGaussians quats [T, N, 4]', [dims.T!, dims.N!, 4], options.maxOutputElements);
  const raw = await awaitNative(native().rigGaussians(input), undefined);
  return toNdarrays(raw) as unknown as RiggedGaussians;
}

/** {@link rigGaussiansTensors}'s result: native tensors that stay in LibTorch. */
export interface RiggedGaussianTensors {
  /** [T, N, 3]. */
  means: Tensor;
  /** [T, N, 3]. */
  scales: Tensor;
  /** [T, N, 4], (w, x, y, z). */
  quats: Tensor;
}

/**
 * {@link rigGaussians} whose results stay native: no copy of the T × N × 10 floats to JS, so
 * a batch of frames goes to `rasterizeTensors` frame by frame (`means.select(0, t)` is a
 * view, not a copy). On the CPU without gradients this runs the fused kernel (two passes over
 * plain arrays); vertices as a {@link Tensor} with `requiresGrad` keep the autograd graph.
 *
 * @param vertices - [T, V, 3], an array or a Tensor.
 * @param faces - int32 [F, 3].
 */
export async function rigGaussiansTensors(
  vertices: ArrayLike | Tensor,
  faces: ArrayLike,
  gaussians: LocalGaussians,
  options: RigOptions = {},
): Promise<RiggedGaussianTensors> {
  const dims: Dims = {};
  let v: RawArray | NativeTensor;
  if (vertices instanceof Tensor) {
    const handle = vertices.live('vertices');
    const shape = vertices.shape;
    if (shape.length !== 3 || shape[2] !== 3 || vertices.dtype !== 'float32') {
      throw new ValidationError(`expected vertices to be a float32 Tensor of shape [T, V, 3], received ${vertices.dtype} [${shape.join(', ')}]`);
    }
    [dims.T, dims.V] = [shape[0]!, shape[1]!];
    v = handle;
  } else {
    v = toFloat32Tensor('vertices', vertices, ['T', 'V', 3], dims);
  }
  const f = toInt32Tensor('faces', faces, ['F', 3], dims, { min: 0, max: dims.V! });
  const input = { vertices: v, faces: f, gaussians: localGaussiansInput(gaussians, dims.F!, dims), returnTensors: true };
  requireOutputElements('rigGaussiansTensors quats [T, N, 4]', [dims.T!, dims.N!, 4], options.maxOutputElements);
  const raw = await awaitNative(native().rigGaussians(input), undefined);
  return { means: Tensor.wrap(raw.means), scales: Tensor.wrap(raw.scales), quats: Tensor.wrap(raw.quats) };
}

/**
 * {@link rigGaussians} with gradients of L = Σ means·W_m + Σ scales·W_s + Σ quats·W_q with
 * respect to the vertices and the local attributes (offset, logScale, quat).
 *
 * @param outputGrads.means - W_m, like the rigged means [N, 3] (zeros when absent).
 * @param outputGrads.scales - W_s, like the rigged scales [N, 3].
 * @param outputGrads.quats - W_q, like the rigged quaternions [N, 4].
 */
export async function rigGaussiansWithGradients(
  vertices: ArrayLike,
  faces: ArrayLike,
  gaussians: LocalGaussians,
  outputGrads: { means?: ArrayLike; scales?: ArrayLike; quats?: ArrayLike },
  options: RigOptions = {},
): Promise<
  RiggedGaussians & {
    /** Gradients of L with respect to the inputs. */
    grads: {
      /** dL/dvertices, [V, 3]. */
      vertices: NdArray<Float32Array>;
      /** dL/doffset, [N, 3]. */
      offset: NdArray<Float32Array>;
      /** dL/dlogScale, [N, 3]. */
      logScale: NdArray<Float32Array>;
      /** dL/dquat, [N, 4]. */
      quat: NdArray<Float32Array>;
    };
  }
> {
  const dims: Dims = {};
  const mesh = meshInput(vertices, faces, dims);
  if (typeof outputGrads !== 'object' || outputGrads === null) {
    throw new ValidationError(`expected outputGrads to be an object {means?, scales?, quats?}, received ${describeValue(outputGrads)}`);
  }
  const grads: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(outputGrads)) {
    if (value !== undefined) grads[name] = toFloat32Tensor(`outputGrads.${name}`, value, ['T', 'N', name === 'quats' ? 4 : 3], dims);
  }
  const input = { ...mesh, gaussians: localGaussiansInput(gaussians, dims.F!, dims), outputGrads: grads };
  requireOutputElements('rigGaussiansWithGradients quats [T, N, 4]', [dims.T!, dims.N!, 4], options.maxOutputElements);
  const raw = await awaitNative(native().rigGaussians(input), undefined);
  const g = raw.grads;
  return {
    ...(toNdarrays({ means: raw.means, scales: raw.scales, quats: raw.quats }) as unknown as RiggedGaussians),
    grads: toNdarrays({ vertices: g.vertices, offset: g.gaussians.offset, logScale: g.gaussians.logScale, quat: g.gaussians.quat }),
  };
}
