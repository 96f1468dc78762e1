/**
 * ggtalker: speech to photorealistic 3D Gaussian talking heads (GGTalker), on a LibTorch /
 * CUDA native core. Every stage is its own composable function; this module exports them all.
 *
 * @packageDocumentation
 */

export { backends, setThreads, type Backends } from './backends.js';
export { AbortError, AddonLoadError, FormatError, GgtalkerError, NativeError, ValidationError } from './errors.js';
export { parsePly, readPly, encodePly, writePly, type GaussianCloud } from './io/ply.js';
export { lookAt, type Camera, type Matrix4Input } from './render/camera.js';
export {
  rasterize,
  rasterizeTensors,
  rasterizeWithGradients,
  referenceRasterize,
  type GaussianGrads,
  type Gaussians,
  type OutputGrads,
  type RasterizeOptions,
  type RasterizeResult,
  type RasterizeTensorsResult,
} from './render/rasterize.js';
export { benchScene, type BenchScene } from './render/bench-scene.js';
export { Tensor, type TensorOptions } from './tensor.js';
export type { ArrayLike, Dims } from './validate.js';
