/**
 * The UV Gaussian map (GGTalker eq. 8, as GGHead does it): the template's UV layout
 * rasterized into an H x W grid, each covered texel holding a Gaussian anchored at its
 * barycentric point on its face. A map [H, W, 14] holds per texel: offset 3, log-scale 3,
 * rotation 4, colour (SH0) 3, opacity logit 1.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import type { FlameUv } from '../flame/model.js';
import { ValidationError } from '../errors.js';
import { native } from '../native.js';
import { awaitNative, toNdarray, toNdarrays } from '../ops.js';
import { describeValue, requirePositiveInt, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';
import type { AvatarGaussians } from './local-gaussians.js';

/** Channels of a UV Gaussian map. */
export const UV_MAP_CHANNELS = 14;

/**
 * Which face covers each texel: texel (row r, column c) samples
 * (u, v) = ((c + 0.5) / W, 1 - (r + 0.5) / H); texels on shared edges go to the lowest face.
 */
export interface UvLayout {
  /** Face index per texel, -1 where no face is, int32 [H, W]. */
  face: NdArray<Int32Array>;
  /** Barycentric coordinates in that face, [H, W, 3]. */
  bary: NdArray<Float32Array>;
  /** Number of covered texels (the Gaussians a map of this layout has). */
  count: number;
}

/** Default of the `maxTexels` option of {@link uvLayout}: 4096² texels (a layout of 4096² takes ~270 MB). */
export const DEFAULT_MAX_TEXELS = 4096 * 4096;

/**
 * Rasterizes a model's UV layout into an H x W grid.
 *
 * @param size - The grid.
 * @param size.height - Rows of the grid.
 * @param size.width - Columns of the grid.
 * @param size.maxTexels - Bounds height × width (default {@link DEFAULT_MAX_TEXELS}; 16 bytes
 *   per texel, more in the maps built on it): larger grids are refused with a ValidationError
 *   before any native allocation.
 */
export async function uvLayout(uv: FlameUv, size: { height: number; width: number; maxTexels?: number }): Promise<UvLayout> {
  if (typeof size !== 'object' || size === null) throw new ValidationError(`expected size to be an object {height, width}, received ${describeValue(size)}`);
  if (typeof uv !== 'object' || uv === null) throw new ValidationError(`expected uv to be an object {vt, ft}, received ${describeValue(uv)}`);
  const height = requirePositiveInt('size.height', size.height);
  const width = requirePositiveInt('size.width', size.width);
  const maxTexels = size.maxTexels === undefined ? DEFAULT_MAX_TEXELS : requirePositiveInt('size.maxTexels', size.maxTexels);
  if (height * width > maxTexels) {
    throw new ValidationError(`expected size.height x size.width to be at most maxTexels = ${maxTexels}, received ${height} x ${width} = ${height * width}; raise size.maxTexels if the machine has the memory`);
  }
  const dims: Dims = {};
  const vt = toFloat32Tensor('uv.vt', { data: uv.vt, shape: [flatRows('uv.vt', uv.vt, 2, Float32Array), 2] }, ['VT', 2], dims);
  const ft = toInt32Tensor('uv.ft', { data: uv.ft, shape: [flatRows('uv.ft', uv.ft, 3, Int32Array), 3] }, ['F', 3], dims, { min: 0, max: dims.VT! });
  const raw = await awaitNative(native().uvLayout({ vt, ft, height, width }), undefined);
  const face = toNdarray<Int32Array>(raw.face);
  let count = 0;
  for (const f of face.data) if (f >= 0) count++;
  return { face, bary: toNdarray(raw.bary), count };
}

/** Rows of a flat array of `width`-wide rows, refusing non-arrays and ragged lengths. */
function flatRows(name: string, data: unknown, width: number, ctor: Float32ArrayConstructor | Int32ArrayConstructor): number {
  if (!(data instanceof ctor) || data.length % width !== 0) {
    throw new ValidationError(`expected ${name} to be a ${ctor.name} of [rows, ${width}] values, received ${describeValue(data)}`);
  }
  return data.length / width;
}

/** Gaussians of a UV map: one per covered texel, in row-major texel order. */
export type UvGaussians = { [K in keyof Required<AvatarGaussians>]: NdArray<K extends 'face' ? Int32Array : Float32Array> };

/**
 * The Gaussians of a UV map [H, W, 14] under `layout`: per covered texel, its face and
 * barycentric anchor, and the map's channels (offset, logScale, quat, sh0, opacityLogit).
 */
export async function sampleUvGaussians(map: ArrayLike, layout: UvLayout): Promise<UvGaussians> {
  if (typeof layout !== 'object' || layout === null) throw new ValidationError(`expected layout to be a UvLayout {face, bary}, received ${describeValue(layout)}`);
  // The layout is checked too: the caller may have built or edited it.
  const dims: Dims = {};
  const face = toInt32Tensor('layout.face', layout.face, ['H', 'W'], dims, { min: -1 });
  const bary = toFloat32Tensor('layout.bary', layout.bary, ['H', 'W', 3], dims);
  const m = toFloat32Tensor('map', map, ['H', 'W', UV_MAP_CHANNELS], dims);
  const raw = await awaitNative(native().sampleUvGaussians({ map: m, layout: { face, bary } }), undefined);
  return toNdarrays(raw) as unknown as UvGaussians;
}
