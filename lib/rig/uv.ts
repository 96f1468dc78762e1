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
import { requirePositiveInt, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';
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

/** Rasterizes a model's UV layout into an H x W grid. */
export async function uvLayout(uv: FlameUv, size: { height: number; width: number }): Promise<UvLayout> {
  const height = requirePositiveInt('size.height', size.height);
  const width = requirePositiveInt('size.width', size.width);
  if (height * width > 1 << 26) throw new ValidationError(`expected at most 2^26 texels, received ${height} x ${width}`);
  const dims: Dims = {};
  const vt = toFloat32Tensor('uv.vt', { data: uv.vt, shape: [uv.vt.length / 2, 2] }, ['VT', 2], dims);
  const ft = toInt32Tensor('uv.ft', { data: uv.ft, shape: [uv.ft.length / 3, 3] }, ['F', 3], dims, { min: 0, max: dims.VT! });
  const raw = await awaitNative(native().uvLayout({ vt, ft, height, width }), undefined);
  const face = toNdarray<Int32Array>(raw.face);
  let count = 0;
  for (const f of face.data) if (f >= 0) count++;
  return { face, bary: toNdarray(raw.bary), count };
}

/** Gaussians of a UV map: one per covered texel, in row-major texel order. */
export type UvGaussians = { [K in keyof Required<AvatarGaussians>]: NdArray<K extends 'face' ? Int32Array : Float32Array> };

/**
 * The Gaussians of a UV map [H, W, 14] under `layout`: per covered texel, its face and
 * barycentric anchor, and the map's channels (offset, logScale, quat, sh0, opacityLogit).
 */
export async function sampleUvGaussians(map: ArrayLike, layout: UvLayout): Promise<UvGaussians> {
  const [h, w] = layout.face.shape as [number, number];
  const m = toFloat32Tensor('map', map, [h, w, UV_MAP_CHANNELS]);
  const raw = await awaitNative(
    native().sampleUvGaussians({ map: m, layout: { face: { data: layout.face.data, shape: [h, w] }, bary: { data: layout.bary.data, shape: [h, w, 3] } } }),
    undefined,
  );
  return toNdarrays(raw) as unknown as UvGaussians;
}
