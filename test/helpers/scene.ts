// Seeded random Gaussian scenes and comparison helpers for the rasterizer tests.
import type { NdArray } from 'ndarray';

import type { Camera, Gaussians } from '../../lib/index.js';
import { mulberry32 } from '../../lib/random.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export const rng = mulberry32;

export interface Scene {
  gaussians: Gaussians<{ data: Float32Array; shape: number[] }>;
  camera: Camera;
  n: number;
}

export interface SceneOptions {
  n?: number;
  width?: number;
  height?: number;
  shDegree?: number; // undefined: plain colours
}

/** Zeroed means [n, 3], quats [n, 4], scales [n, 3] and opacities [n]. */
function gaussianArrays(n: number) {
  return { means: new Float32Array(n * 3), quats: new Float32Array(n * 4), scales: new Float32Array(n * 3), opacities: new Float32Array(n) };
}

/** The arrays of gaussianArrays as rasterizer inputs (colours to be added). */
function asInputs(a: ReturnType<typeof gaussianArrays>): Scene['gaussians'] {
  const n = a.opacities.length;
  return {
    means: { data: a.means, shape: [n, 3] },
    quats: { data: a.quats, shape: [n, 4] },
    scales: { data: a.scales, shape: [n, 3] },
    opacities: { data: a.opacities, shape: [n] },
  };
}

/**
 * Gaussians spread in front of a camera looking down +z from the origin; some straddle the
 * image border (the spread is wider than the field of view) and scales vary tenfold.
 */
export function randomScene(seed: number, options: SceneOptions = {}): Scene {
  const { n = 150, width = 48, height = 40, shDegree } = options;
  const r = rng(seed);
  const { means, quats, scales, opacities } = gaussianArrays(n);
  for (let i = 0; i < n; i++) {
    const z = 2 + 2 * r();
    means[3 * i] = (r() - 0.5) * 1.6 * z * (width / 2 / 40);
    means[3 * i + 1] = (r() - 0.5) * 1.6 * z * (height / 2 / 40);
    means[3 * i + 2] = z;
    for (let k = 0; k < 4; k++) quats[4 * i + k] = r() - 0.5;
    for (let k = 0; k < 3; k++) scales[3 * i + k] = Math.exp(Math.log(0.02) + r() * Math.log(10));
    opacities[i] = 0.05 + 0.95 * r();
  }
  const gaussians = asInputs({ means, quats, scales, opacities });
  if (shDegree === undefined) {
    gaussians.colors = { data: Float32Array.from({ length: n * 3 }, () => r()), shape: [n, 3] };
  } else {
    const k = (shDegree + 1) ** 2;
    const sh = Float32Array.from({ length: n * k * 3 }, (_, j) => (j % (k * 3) < 3 ? 1.5 * r() - 0.5 : 0.6 * (r() - 0.5)));
    gaussians.sh = { data: sh, shape: [n, k, 3] };
  }
  const camera: Camera = {
    view: [1, 0, 0, 0.05, 0, 1, 0, -0.03, 0, 0, 1, 0.1, 0, 0, 0, 1],
    fx: 40,
    fy: 42,
    cx: width / 2 + 0.3,
    cy: height / 2 - 0.2,
    width,
    height,
  };
  return { gaussians, camera, n };
}

/**
 * Thin, rotated, faint Gaussians: their ellipses miss many tiles of their tile rectangles (the
 * CPU binning's tile masks leave those out) and pass close to many tile corners. Faint
 * (opacity 0.01 to 0.25, a few near 1/255), so pixels rarely saturate and every (tile,
 * Gaussian) pair that reaches a pixel shows. `scale` multiplies the image and the focal length
 * (same view, Gaussians `scale` times as many pixels): at 2, with the CPU's 32 x 32 tiles,
 * the masks leave out about a quarter of the rectangles' pairs, as at 1 with 16 x 16 ones.
 */
export function thinGaussiansScene(seed: number, n = 250, scale = 1): Scene {
  const width = 96 * scale;
  const height = 80 * scale;
  const r = rng(seed);
  const arrays = gaussianArrays(n);
  const { means, quats, scales, opacities } = arrays;
  for (let i = 0; i < n; i++) {
    const z = 2 + r();
    means[3 * i] = (r() - 0.5) * 1.8 * z * (width / 2 / (60 * scale));
    means[3 * i + 1] = (r() - 0.5) * 1.8 * z * (height / 2 / (60 * scale));
    means[3 * i + 2] = z;
    // A turn about the view axis, tilted a little.
    const angle = Math.PI * r();
    const tilt = 0.2 * (r() - 0.5);
    quats.set([Math.cos(angle / 2), tilt, 0.5 * tilt, Math.sin(angle / 2)], 4 * i);
    const long = 0.1 + 0.6 * r(); // about 3 to 20 pixels of sigma at fx = 60
    const thin = long * (0.03 + 0.27 * r());
    scales.set([long, thin, thin], 3 * i);
    opacities[i] = i % 10 === 0 ? (1 + 2 * r()) / 255 : 0.01 + 0.24 * r();
  }
  const camera: Camera = {
    view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    fx: 60 * scale,
    fy: 60 * scale,
    cx: width / 2 + 0.37,
    cy: height / 2 - 0.21,
    width,
    height,
  };
  const gaussians = asInputs(arrays);
  gaussians.colors = { data: Float32Array.from({ length: n * 3 }, () => r()), shape: [n, 3] };
  return { gaussians, camera, n };
}

type Numeric = { data: ArrayLike<number> } | NdArray | Float32Array | Float64Array;

function values(a: Numeric): ArrayLike<number> {
  return ArrayBuffer.isView(a) ? a : (a.data as ArrayLike<number>);
}

/** max |a - b| / max |b|: the error relative to the reference tensor's scale. */
export function relativeError(a: Numeric, b: Numeric): number {
  const x = values(a);
  const y = values(b);
  if (x.length !== y.length) throw new Error(`length mismatch ${x.length} vs ${y.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

/** max |a - b|. */
export function maxAbsDiff(a: Numeric, b: Numeric): number {
  const x = values(a);
  const y = values(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
  return diff;
}

/** Uniform weights in [-0.5, 0.5) of the given shape, as a float32 array input. */
export function randomWeights(seed: number, shape: number[]): { data: Float32Array; shape: number[] } {
  const r = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: size }, () => r() - 0.5), shape };
}

/** sum(a * w) in float64. */
export function weightedSum(a: Numeric, w: { data: Float32Array }): number {
  const x = values(a);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * w.data[i]!;
  return s;
}
