/**
 * The head's UV layout rasterised once per texture size: for every texel, the face that covers
 * it and the texel centre's barycentric coordinates in that face, so that per-identity albedo
 * maps are per-texel loops (no triangle work) and any per-vertex quantity can be interpolated
 * into texture space. Texels just outside the islands copy their nearest island texel (a
 * dilation of a few texels), so that bilinear sampling at island borders does not bleed in the
 * empty background.
 *
 * Texture convention (as the studio's mesh renderer): row 0 is v = 0 with v pointing down,
 * while the model's UVs have v up (.obj), so texel row r covers v_obj = 1 − (r + 0.5) / H.
 *
 * @module
 */

import type { FlameModel } from '../../flame/model.js';

/** Per texel (row-major [H, W]): face id (−1 empty), and barycentrics of corners 1 and 2. */
export interface UvRaster {
  width: number;
  height: number;
  face: Int32Array;
  b1: Float32Array;
  b2: Float32Array;
}

/** How many texels the islands are grown by. */
const DILATE = 3;

const cache = new WeakMap<FlameModel, Map<number, UvRaster>>();

/** The model's UV layout rasterised at size × size texels (cached per model and size). */
export function rasterizeUv(model: FlameModel, size: number): UvRaster {
  let bySize = cache.get(model);
  if (!bySize) cache.set(model, (bySize = new Map()));
  const hit = bySize.get(size);
  if (hit) return hit;
  const { vt, ft } = model.uv!;
  const W = size;
  const H = size;
  const face = new Int32Array(W * H).fill(-1);
  const b1 = new Float32Array(W * H);
  const b2 = new Float32Array(W * H);
  const F = ft.length / 3;
  const px = (i: number): [number, number] => [vt[2 * i]! * W, (1 - vt[2 * i + 1]!) * H];
  for (let f = 0; f < F; f++) {
    const [x0, y0] = px(ft[3 * f]!);
    const [x1, y1] = px(ft[3 * f + 1]!);
    const [x2, y2] = px(ft[3 * f + 2]!);
    const det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (Math.abs(det) < 1e-12) continue;
    const xa = Math.max(0, Math.floor(Math.min(x0, x1, x2)));
    const xb = Math.min(W - 1, Math.ceil(Math.max(x0, x1, x2)));
    const ya = Math.max(0, Math.floor(Math.min(y0, y1, y2)));
    const yb = Math.min(H - 1, Math.ceil(Math.max(y0, y1, y2)));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const cx = x + 0.5;
        const cy = y + 0.5;
        const l1 = ((cx - x0) * (y2 - y0) - (x2 - x0) * (cy - y0)) / det;
        const l2 = ((x1 - x0) * (cy - y0) - (cx - x0) * (y1 - y0)) / det;
        if (l1 < -1e-6 || l2 < -1e-6 || l1 + l2 > 1 + 1e-6) continue;
        const i = y * W + x;
        face[i] = f;
        b1[i] = l1;
        b2[i] = l2;
      }
    }
  }
  // Dilation: empty texels take a 4-neighbour's face and barycentrics (extrapolated colours stay close).
  for (let pass = 0; pass < DILATE; pass++) {
    const src = Int32Array.from(face);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (src[i]! >= 0) continue;
        for (const j of [x > 0 ? i - 1 : -1, x < W - 1 ? i + 1 : -1, y > 0 ? i - W : -1, y < H - 1 ? i + W : -1]) {
          if (j >= 0 && src[j]! >= 0) {
            face[i] = src[j]!;
            b1[i] = b1[j]!;
            b2[i] = b2[j]!;
            break;
          }
        }
      }
    }
  }
  const raster = { width: W, height: H, face, b1, b2 };
  bySize.set(size, raster);
  return raster;
}

/**
 * Interpolates a per-vertex quantity [V, C] at every covered texel: [H, W, C] (zeros where
 * empty).
 */
export function interpolateToTexels(model: FlameModel, raster: UvRaster, values: ArrayLike<number>, channels: number): Float32Array {
  const out = new Float32Array(raster.width * raster.height * channels);
  const { faces } = model;
  for (let i = 0; i < raster.face.length; i++) {
    const f = raster.face[i]!;
    if (f < 0) continue;
    const l1 = raster.b1[i]!;
    const l2 = raster.b2[i]!;
    const l0 = 1 - l1 - l2;
    const a = faces[3 * f]! * channels;
    const b = faces[3 * f + 1]! * channels;
    const c = faces[3 * f + 2]! * channels;
    for (let k = 0; k < channels; k++) out[i * channels + k] = l0 * values[a + k]! + l1 * values[b + k]! + l2 * values[c + k]!;
  }
  return out;
}
