/**
 * The differentiable 3D Gaussian rasterizer (3DGS forward and backward), on ndarrays or on
 * native tensor handles. The work runs off the JS thread, on LibTorch's CPU thread pool or on
 * a CUDA device.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { requireOptions } from '../arguments.js';
import { requireDevice } from '../backends.js';
import { ValidationError } from '../errors.js';
import { awaitNative, throwIfAborted, toNdarray, toNdarrays } from '../ops.js';
import { native, type NativeTensor, type RawArray, type RawRasterizeOptions } from '../native.js';
import { Tensor } from '../tensor.js';
import { describeValue, requireAbortSignal, requireEach, requireOneOf, requirePositiveInt, requireShape, toFloat32Tensor, type ArrayLike, type Dims } from '../validate.js';
import { toRawCamera, type Camera } from './camera.js';
import { requirePixelBudget } from './pixel-limit.js';

/**
 * A set of 3D Gaussians, activated values (not the logits and log-scales a `.ply` stores).
 * Give either `colors` or `sh`.
 */
export interface Gaussians<T = ArrayLike> {
  /** Centres, [N, 3], world units. */
  means: T;
  /** Rotations as quaternions (w, x, y, z), [N, 4]; any non-zero norm (normalised inside). */
  quats: T;
  /** Standard deviations along the local axes, [N, 3], >= 0. */
  scales: T;
  /** Opacities in [0, 1], [N]. */
  opacities: T;
  /** RGB colours, [N, 3]. */
  colors?: T;
  /** Spherical-harmonic coefficients [N, K, 3], K = 1, 4, 9 or 16 (degree 0-3), as 3DGS stores them. */
  sh?: T;
}

/** How to rasterize. */
export interface RasterizeOptions {
  /** The camera (OpenCV axes). */
  camera: Camera;
  /** Colour behind the Gaussians, [r, g, b]. Default black. */
  background?: readonly [number, number, number];
  /**
   * `'classic'` (3DGS, default) or `'antialiased'` (gsplat's Mip-Splatting-style opacity
   * compensation sqrt(det S / det(S + 0.3 I)), which keeps small splats from flickering).
   */
  mode?: 'classic' | 'antialiased';
  /** `'cpu'` (default), `'cuda'` or `'cuda:N'`: where to run (array inputs are copied there). */
  device?: string;
  /** Cancels the call: it rejects with AbortError and its result is dropped. */
  signal?: AbortSignal;
  /**
   * The most pixels (width × height) one call may render; default {@link DEFAULT_MAX_PIXELS}
   * (4096², about 0.7 GB of image buffers on the CPU; 16384² would take about 11 GB). Larger
   * images are refused before any native work with a ValidationError; raise this when the
   * machine has the memory, or render in tiles (cameras with shifted cx, cy).
   */
  maxPixels?: number;
  /**
   * The most (Gaussian, tile) pairs one render may bin (tiles of 32×32 pixels on the CPU,
   * 16×16 on CUDA); default {@link DEFAULT_MAX_TILE_PAIRS} (2^27, about 0.5 GB of tile lists
   * on the CPU). Thousands of Gaussians that each cover a large image reach it (about 8200 at
   * 4096² on the CPU, 2000 on CUDA); the call then rejects with a NativeError naming this
   * option instead of allocating gigabytes. Ordinary scenes stay far below it.
   */
  maxTilePairs?: number;
}

/** Default of {@link RasterizeOptions.maxTilePairs}: 2^27 (the native kDefaultMaxTilePairs). */
export const DEFAULT_MAX_TILE_PAIRS = 2 ** 27;

export { DEFAULT_MAX_PIXELS } from './pixel-limit.js';

/** Weights of the outputs in the loss whose gradient {@link rasterizeWithGradients} returns. */
export interface OutputGrads<T = ArrayLike> {
  /** dL/dimage, [H, W, 3]. */
  image?: T;
  /** dL/dalpha, [H, W]. */
  alpha?: T;
  /** dL/ddepth, [H, W]. */
  depth?: T;
}

/** Rendered outputs as ndarrays. */
export interface RasterizeResult {
  /** Colour plus remaining transmittance times the background, [H, W, 3]. */
  image: NdArray<Float32Array>;
  /** Accumulated opacity 1 - T, [H, W]. */
  alpha: NdArray<Float32Array>;
  /** Expected depth (camera z) of what was drawn, sum(w z) / alpha; 0 where nothing was, [H, W]. */
  depth: NdArray<Float32Array>;
  /** Screen radius in pixels per Gaussian, 0 when it cannot affect any pixel, [N]. */
  radii: NdArray<Int32Array>;
}

/** Gradients of the loss with respect to each input, same shapes as the inputs. */
export interface GaussianGrads {
  /** dL/dmeans, [N, 3]. */
  means: NdArray<Float32Array>;
  /** dL/dquats, [N, 4]. */
  quats: NdArray<Float32Array>;
  /** dL/dscales, [N, 3]. */
  scales: NdArray<Float32Array>;
  /** dL/dopacities, [N]. */
  opacities: NdArray<Float32Array>;
  /** With respect to `colors` or `sh`, whichever was given. */
  colors: NdArray<Float32Array>;
}

/** Rendered outputs as native tensors, connected to the inputs' autograd graph. */
export interface RasterizeTensorsResult {
  /** Colour plus remaining transmittance times the background, [H, W, 3]. */
  image: Tensor;
  /** Accumulated opacity 1 - T, [H, W]. */
  alpha: Tensor;
  /** Expected depth (camera z) of what was drawn, [H, W]. */
  depth: Tensor;
  /** Screen radius in pixels per Gaussian, [N]. */
  radii: Tensor;
}

/**
 * Renders Gaussians into an image.
 *
 * @example
 * ```ts
 * import { lookAt, rasterize, writePng } from 'ggtalker';
 *
 * // One red Gaussian at the origin, seen from 2 units away.
 * const { image, alpha } = await rasterize(
 *   {
 *     means: { data: new Float32Array([0, 0, 0]), shape: [1, 3] },
 *     quats: { data: new Float32Array([1, 0, 0, 0]), shape: [1, 4] },
 *     scales: { data: new Float32Array([0.2, 0.2, 0.2]), shape: [1, 3] },
 *     opacities: { data: new Float32Array([0.9]), shape: [1] },
 *     colors: { data: new Float32Array([1, 0, 0]), shape: [1, 3] },
 *   },
 *   { camera: { view: lookAt([0, 0, -2], [0, 0, 0]), fx: 256, fy: 256, cx: 128, cy: 128, width: 256, height: 256 } },
 * );
 * console.log(`centre alpha ${alpha.get(128, 128).toFixed(2)}`);
 * await writePng('splat.png', image);
 * ```
 * @throws {@link ValidationError} (synchronously, as a rejected Promise) for bad input.
 */
export async function rasterize(gaussians: Gaussians, options: RasterizeOptions): Promise<RasterizeResult> {
  requireOptions('rasterize', gaussians, 'gaussians');
  requireOptions('rasterize', options);
  const raw = await run(gaussians, options, {});
  return outputs(raw);
}

/**
 * Renders and back-propagates L = sum(image * outputGrads.image) + sum(alpha * outputGrads.alpha)
 * + sum(depth * outputGrads.depth) to every input.
 */
export async function rasterizeWithGradients(
  gaussians: Gaussians,
  options: RasterizeOptions & { outputGrads: OutputGrads },
): Promise<
  RasterizeResult & {
    /** Gradients of the loss with respect to each input. */
    grads: GaussianGrads;
  }
> {
  requireOptions('rasterizeWithGradients', gaussians, 'gaussians');
  requireOptions('rasterizeWithGradients', requireOptions('rasterizeWithGradients', options).outputGrads, 'options.outputGrads');
  const raw = await run(gaussians, options, { outputGrads: options.outputGrads });
  return { ...outputs(raw), grads: gradients(raw) };
}

/**
 * The independent float64 reference of the rasterizer: plain tensor maths, every pixel
 * against every Gaussian, differentiated by LibTorch's autograd. For tests and for checking
 * the kernels on your own data: it needs O(H W N) memory, so keep scenes small. Outputs are
 * float64, as ndarrays.
 */
export async function referenceRasterize(
  gaussians: Gaussians,
  options: RasterizeOptions & { outputGrads?: OutputGrads; maxPixelGaussianPairs?: number },
): Promise<{
  /** Colour, [H, W, 3]. */
  image: NdArray;
  /** Accumulated opacity, [H, W]. */
  alpha: NdArray;
  /** Expected depth, [H, W]. */
  depth: NdArray;
  /** Screen radius of each Gaussian in pixels (3 standard deviations, in float64), 0 = culled, [N]. */
  radii: NdArray<Int32Array>;
  /** Gradients of the loss with respect to each input, when `outputGrads` were given. */
  grads?: Record<keyof GaussianGrads, NdArray>;
}> {
  requireOptions('referenceRasterize', gaussians, 'gaussians');
  requireOptions('referenceRasterize', options);
  requireReferenceSize(gaussians, options);
  const raw = await run(gaussians, options, { reference: true, outputGrads: options.outputGrads });
  const nd = (a: RawArray): NdArray => toNdarray(a);
  return {
    image: nd(raw.image),
    alpha: nd(raw.alpha),
    depth: nd(raw.depth),
    radii: toNdarray<Int32Array>(raw.radii),
    ...(raw.grads ? { grads: gradients(raw) } : {}),
  };
}

/**
 * Default of `maxPixelGaussianPairs` of {@link referenceRasterize}: 2^22 pixel × Gaussian pairs
 * (measured ~100 bytes per pair, ~200 with gradients: about 0.8 GB at the limit).
 */
export const DEFAULT_MAX_REFERENCE_PAIRS = 2 ** 22;

/** The reference holds every pixel against every Gaussian: refuse sizes beyond the stated limit. */
function requireReferenceSize(gaussians: Gaussians, options: RasterizeOptions & { maxPixelGaussianPairs?: number }): void {
  const camera = toRawCamera(options.camera);
  const limit = options.maxPixelGaussianPairs === undefined ? DEFAULT_MAX_REFERENCE_PAIRS : requirePositiveInt('maxPixelGaussianPairs', options.maxPixelGaussianPairs);
  const n = toFloat32Tensor('means', gaussians.means, ['N', 3], {}, { finite: false }).shape[0]!;
  const pairs = camera.width * camera.height * n;
  if (pairs > limit) {
    throw new ValidationError(
      `expected camera.width x camera.height x N (pixel × Gaussian pairs the reference holds at once) to be at most maxPixelGaussianPairs = ${limit}, ` +
        `received ${camera.width} x ${camera.height} x ${n} = ${pairs}; the reference is for small scenes: use rasterize(), or raise maxPixelGaussianPairs (about 200 bytes each)`,
    );
  }
}

/**
 * Renders native tensors and returns native tensors that stay in the autograd graph: call
 * `image.backward(weights)` and read `means.grad` (create inputs with `requiresGrad: true`).
 */
export async function rasterizeTensors(
  gaussians: Gaussians<Tensor>,
  options: RasterizeOptions,
): Promise<RasterizeTensorsResult> {
  const base = prepare(gaussians, options, tensorInput, false);
  const raw = await awaitNative(native().rasterize({ ...base, returnTensors: true }), options.signal);
  return {
    image: Tensor.wrap(raw.image),
    alpha: Tensor.wrap(raw.alpha),
    depth: Tensor.wrap(raw.depth),
    radii: Tensor.wrap(raw.radii),
  };
}

type Flags = { reference?: boolean; outputGrads?: OutputGrads | undefined };

async function run(gaussians: Gaussians, options: RasterizeOptions, flags: Flags) {
  const base = prepare(gaussians, options, arrayInput, true);
  let outputGrads: RawRasterizeOptions['outputGrads'];
  if (flags.outputGrads !== undefined) {
    const { width, height } = base.camera;
    const g = flags.outputGrads;
    if (typeof g !== 'object' || g === null) throw new ValidationError(`expected outputGrads to be an object {image?, alpha?, depth?}, received ${describeValue(g)}`);
    outputGrads = {};
    if (g.image !== undefined) outputGrads.image = toFloat32Tensor('outputGrads.image', g.image, [height, width, 3]);
    if (g.alpha !== undefined) outputGrads.alpha = toFloat32Tensor('outputGrads.alpha', g.alpha, [height, width]);
    if (g.depth !== undefined) outputGrads.depth = toFloat32Tensor('outputGrads.depth', g.depth, [height, width]);
  }
  const reference = flags.reference === true;
  return awaitNative(native().rasterize({ ...base, outputGrads, reference }), options.signal);
}

type InputReader<T> = (name: string, value: T, shape: (number | string)[], dims: Dims) => RawArray | NativeTensor;

/**
 * Validates everything in the user's terms and builds the addon's options. `checkValues`:
 * read every value here (arrays); tensors' values are checked natively, where they live.
 */
function prepare<T>(
  gaussians: Gaussians<T>,
  options: RasterizeOptions,
  read: InputReader<T>,
  checkValues: boolean,
): RawRasterizeOptions {
  if (typeof gaussians !== 'object' || gaussians === null) {
    throw new ValidationError('expected gaussians to be an object {means, quats, scales, opacities, colors | sh}');
  }
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('expected options to be an object with at least a camera');
  }
  throwIfAborted(requireAbortSignal('options.signal', options.signal));
  const camera = toRawCamera(options.camera);
  const dims: Dims = {};
  const means = read('means', gaussians.means, ['N', 3], dims);
  const quats = read('quats', gaussians.quats, ['N', 4], dims);
  const scales = read('scales', gaussians.scales, ['N', 3], dims);
  const opacities = read('opacities', gaussians.opacities, ['N'], dims);
  if ((gaussians.colors === undefined) === (gaussians.sh === undefined)) {
    throw new ValidationError('expected exactly one of colors [N, 3] or sh [N, K, 3], received ' +
      (gaussians.colors === undefined ? 'neither' : 'both'));
  }
  const colors =
    gaussians.colors !== undefined
      ? read('colors', gaussians.colors, ['N', 3], dims)
      : read('sh', gaussians.sh as T, ['N', 'K', 3], dims);
  if (gaussians.sh !== undefined && ![1, 4, 9, 16].includes(dims.K!)) {
    throw new ValidationError(`expected sh to have K = 1, 4, 9 or 16 coefficients (degree 0-3), received K = ${dims.K}`);
  }
  if (checkValues) {
    const rawScales = scales as RawArray;
    requireEach('scales', rawScales.data as Float32Array, rawScales.shape, (v) => v >= 0, 'non-negative (standard deviations, not log-scales)');
    const rawOpacities = opacities as RawArray;
    requireEach('opacities', rawOpacities.data as Float32Array, rawOpacities.shape, (v) => v >= 0 && v <= 1, 'in [0, 1] (not logits)');
    requireNonZeroRows('quats', quats as RawArray);
  }
  return { means, quats, scales, opacities, colors, ...rasterSettingsInput(options, camera) };
}

/**
 * Validates the rasterizer's settings (camera, background, mode, device) into the addon's
 * form; `camera` may be passed when already validated.
 */
export function rasterSettingsInput(
  options: RasterizeOptions,
  camera: RawRasterizeOptions['camera'] = toRawCamera(options.camera),
): Pick<RawRasterizeOptions, 'camera' | 'background' | 'mode' | 'device' | 'maxTilePairs'> {
  requirePixelBudget(camera, options.maxPixels, 40);
  const background = readBackground(options.background);
  const mode = options.mode === undefined ? 'classic' : requireOneOf('mode', options.mode, ['classic', 'antialiased'] as const);
  const device = options.device === undefined ? undefined : requireDevice(options.device);
  const maxTilePairs = options.maxTilePairs === undefined ? DEFAULT_MAX_TILE_PAIRS : requirePositiveInt('maxTilePairs', options.maxTilePairs);
  return { camera, background, mode, maxTilePairs, ...(device ? { device } : {}) };
}

const arrayInput: InputReader<ArrayLike> = (name, value, shape, dims) => toFloat32Tensor(name, value, shape, dims);

const tensorInput: InputReader<Tensor> = (name, value, shape, dims) => {
  if (!(value instanceof Tensor)) {
    throw new ValidationError(`expected ${name} to be a Tensor (use Tensor.from), received ${typeof value}`);
  }
  const handle = value.live(name);
  if (value.dtype !== 'float32') {
    throw new ValidationError(`expected ${name} to be a float32 Tensor, received ${value.dtype}`);
  }
  requireShape(name, value.shape, shape, dims, 'a float32 Tensor');
  return handle;
};

function requireNonZeroRows(name: string, a: RawArray): void {
  const width = a.shape[1]!;
  for (let row = 0; row < a.shape[0]!; row++) {
    let norm = 0;
    for (let k = 0; k < width; k++) norm += a.data[row * width + k]! ** 2;
    if (!(norm > 0)) throw new ValidationError(`expected ${name} to have non-zero rows, received a zero quaternion at row ${row}`);
  }
}

function readBackground(bg: unknown): [number, number, number] {
  if (bg === undefined) return [0, 0, 0];
  // Finite in float32, the precision the kernels blend in.
  if (!Array.isArray(bg) || bg.length !== 3 || !bg.every((v) => typeof v === 'number' && Number.isFinite(Math.fround(v)))) {
    throw new ValidationError(`expected background to be 3 finite float32 numbers [r, g, b], received ${describeBackground(bg)}`);
  }
  return [bg[0], bg[1], bg[2]];
}

function describeBackground(bg: unknown): string {
  return Array.isArray(bg) ? `[${bg.map((v) => describeValue(v)).join(', ')}]` : describeValue(bg);
}

function outputs(raw: { image: RawArray; alpha: RawArray; depth: RawArray; radii: RawArray }): RasterizeResult {
  return { image: toNdarray(raw.image), alpha: toNdarray(raw.alpha), depth: toNdarray(raw.depth), radii: toNdarray(raw.radii) };
}

function gradients(raw: { grads?: Record<keyof GaussianGrads, RawArray> }): GaussianGrads {
  return toNdarrays(raw.grads!);
}
