/**
 * The seeded benchmark scenes of DESIGN.md §8, drawn natively so the TypeScript benchmark and
 * the C++ check program time exactly the same data.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { native } from '../native.js';
import { requireOneOf } from '../validate.js';
import type { Camera } from './camera.js';
import type { Gaussians } from './rasterize.js';

/** A benchmark scene: Gaussians (colours, SH degree 0) and the camera that frames them. */
export interface BenchScene {
  /** The Gaussians, activated values with colours. */
  gaussians: Required<Omit<Gaussians<NdArray<Float32Array>>, 'sh'>>;
  /** The camera that frames them (near and far set). */
  camera: Required<Camera>;
}

/**
 * `'head'`: 100k Gaussians on a head-sized ellipsoid shell seen at 512x512; `'scene'`: 1M
 * Gaussians in a cube at 1024x1024; `'small'`: the head distribution, 400 Gaussians at 64x64.
 */
export function benchScene(name: 'head' | 'scene' | 'small', seed = 0): BenchScene {
  const s = native().benchScene(requireOneOf('name', name, ['head', 'scene', 'small'] as const), seed);
  const nd = (a: { data: unknown; shape: number[] }): NdArray<Float32Array> => ndarray(a.data as Float32Array, a.shape);
  return {
    gaussians: { means: nd(s.means), quats: nd(s.quats), scales: nd(s.scales), opacities: nd(s.opacities), colors: nd(s.colors) },
    camera: s.camera,
  };
}
