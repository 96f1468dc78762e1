/**
 * Image-quality metrics for evaluation: PSNR and SSIM on [H, W, 3] images in [0, 1], over the
 * whole image or inside a mask (the paper's metrics are computed on the head; the dataset's
 * foreground mask gives it).
 *
 * - PSNR = 10·log10(1 / MSE), the MSE over all channels of the pixels counted (data range 1).
 *   With a mask m ∈ [0, 1] per pixel, the MSE is Σ m·(a−b)² / (3·Σ m): pixels outside count
 *   nothing. Identical images give +Infinity.
 * - SSIM as Wang et al. (2004) define it: an 11×11 Gaussian window of σ = 1.5 (normalised to
 *   sum 1), C1 = (0.01)², C2 = (0.03)², population (not sample) covariances, one SSIM map per
 *   channel averaged over the channels. The map is kept only where the window lies wholly inside
 *   the image ("valid" positions; scikit-image's `structural_similarity(gaussian_weights=True,
 *   sigma=1.5, use_sample_covariance=False, data_range=1)` crops the same 5-pixel border, so the
 *   two agree). With a mask, the map is averaged with the mask at each window's centre as weight.
 *
 * Plain JavaScript in float64 accumulators: these are evaluation numbers, computed once per frame.
 *
 * @module
 */

import { optionalOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';

/** Wang et al.'s window: 11 taps, σ = 1.5. */
const WINDOW = 11;
const SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

/** Normalised 1-D Gaussian taps [11]; the 2-D window is their outer product (separable). */
const TAPS: Float64Array = (() => {
  const r = (WINDOW - 1) / 2;
  const t = Float64Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * SIGMA * SIGMA)));
  const s = t.reduce((x, y) => x + y, 0);
  return t.map((v) => v / s);
})();

function requireImagePair(a: Float32Array, b: Float32Array): number {
  if (!(a instanceof Float32Array)) throw new ValidationError(`expected a to be a Float32Array [H, W, 3], received ${Object.prototype.toString.call(a)}`);
  if (!(b instanceof Float32Array)) throw new ValidationError(`expected b to be a Float32Array [H, W, 3], received ${Object.prototype.toString.call(b)}`);
  if (a.length !== b.length) throw new ValidationError(`expected a and b to have the same length, received ${a.length} and ${b.length}`);
  if (a.length === 0 || a.length % 3 !== 0) throw new ValidationError(`expected images [H, W, 3] (a length that is a positive multiple of 3), received length ${a.length}`);
  return a.length / 3;
}

function requireMask(mask: Float32Array | undefined, pixels: number): void {
  if (mask === undefined) return;
  if (!(mask instanceof Float32Array) || mask.length !== pixels)
    throw new ValidationError(`expected options.mask to be a Float32Array [H·W] of length ${pixels}, received ${mask instanceof Float32Array ? `length ${mask.length}` : Object.prototype.toString.call(mask)}`);
}

/**
 * Peak signal-to-noise ratio (dB) of two [H, W, 3] images in [0, 1] (data range 1).
 *
 * @param options.mask - Per-pixel weights [H·W] in [0, 1]: the MSE is taken over the masked
 *   pixels only (Σ m·(a−b)² / (3·Σ m)). An empty mask gives NaN.
 * @param options.channels - Channels per pixel: 3 (RGB, the only layout taken).
 * @returns dB; +Infinity for identical images.
 * @throws {@link ValidationError} for arrays of different or non-image lengths, or a mask of the wrong length.
 */
export function psnr(a: Float32Array, b: Float32Array, options: { mask?: Float32Array; channels?: 3 } = {}): number {
  options = optionalOptions('psnr', options);
  const pixels = requireImagePair(a, b);
  if (options.channels !== undefined && options.channels !== 3) throw new ValidationError(`expected options.channels to be 3, received ${String(options.channels)}`);
  const mask = options.mask;
  requireMask(mask, pixels);
  let sum = 0;
  let weight = 0;
  for (let p = 0; p < pixels; p++) {
    const m = mask ? mask[p]! : 1;
    if (m === 0) continue;
    const i = 3 * p;
    const d0 = a[i]! - b[i]!;
    const d1 = a[i + 1]! - b[i + 1]!;
    const d2 = a[i + 2]! - b[i + 2]!;
    sum += m * (d0 * d0 + d1 * d1 + d2 * d2);
    weight += 3 * m;
  }
  if (weight === 0) return Number.NaN;
  const mse = sum / weight;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
}

/**
 * Gaussian-filtered [Hv, Wv] "valid" map of one channel of a [H, W, 3] image (or of a product of
 * two channels), separable: rows first, then columns.
 */
function filterValid(src: Float64Array, width: number, height: number): Float64Array {
  const wv = width - WINDOW + 1;
  const hv = height - WINDOW + 1;
  const rows = new Float64Array(height * wv); // [H, Wv]
  for (let y = 0; y < height; y++)
    for (let x = 0; x < wv; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += TAPS[k]! * src[y * width + x + k]!;
      rows[y * wv + x] = s;
    }
  const out = new Float64Array(hv * wv); // [Hv, Wv]
  for (let y = 0; y < hv; y++)
    for (let x = 0; x < wv; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += TAPS[k]! * rows[(y + k) * wv + x]!;
      out[y * wv + x] = s;
    }
  return out;
}

/**
 * Structural similarity of two [H, W, 3] images in [0, 1] (see the module documentation for the
 * exact definition). Images must be at least 11×11.
 *
 * @param options.mask - Per-pixel weights [H·W]: the SSIM map (valid positions) is averaged with
 *   the mask at each window's centre as weight. An empty mask (inside the valid region) gives NaN.
 * @throws {@link ValidationError} for mismatched sizes, images smaller than the window, or a bad mask.
 */
export function ssim(a: Float32Array, b: Float32Array, width: number, height: number, options: { mask?: Float32Array } = {}): number {
  options = optionalOptions('ssim', options);
  const pixels = requireImagePair(a, b);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height !== pixels)
    throw new ValidationError(`expected width × height to be the images' pixel count ${pixels}, received ${width} × ${height}`);
  if (width < WINDOW || height < WINDOW) throw new ValidationError(`expected images of at least ${WINDOW}×${WINDOW} pixels for SSIM, received ${width}×${height}`);
  requireMask(options.mask, pixels);
  const wv = width - WINDOW + 1;
  const hv = height - WINDOW + 1;
  const r = (WINDOW - 1) / 2;
  // Weight of each valid position: the mask at the window's centre, or 1.
  const weights = new Float64Array(hv * wv).fill(1);
  if (options.mask) for (let y = 0; y < hv; y++) for (let x = 0; x < wv; x++) weights[y * wv + x] = options.mask[(y + r) * width + x + r]!;
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  if (totalWeight === 0) return Number.NaN;

  const x = new Float64Array(pixels);
  const y = new Float64Array(pixels);
  const xx = new Float64Array(pixels);
  const yy = new Float64Array(pixels);
  const xy = new Float64Array(pixels);
  let total = 0;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < pixels; p++) {
      const u = a[3 * p + c]!;
      const v = b[3 * p + c]!;
      x[p] = u;
      y[p] = v;
      xx[p] = u * u;
      yy[p] = v * v;
      xy[p] = u * v;
    }
    const mx = filterValid(x, width, height);
    const my = filterValid(y, width, height);
    const sxx = filterValid(xx, width, height);
    const syy = filterValid(yy, width, height);
    const sxy = filterValid(xy, width, height);
    let sum = 0;
    for (let i = 0; i < mx.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      const ux = mx[i]!;
      const uy = my[i]!;
      const vx = sxx[i]! - ux * ux;
      const vy = syy[i]! - uy * uy;
      const cxy = sxy[i]! - ux * uy;
      sum += (w * ((2 * ux * uy + C1) * (2 * cxy + C2))) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
    total += sum / totalWeight;
  }
  return total / 3;
}
