/**
 * A UV Gaussian map [H, W, 14] initialised on a mesh (the mean map of an untrained
 * Identity-Gaussian Generator, and the starting point of an avatar without a generator):
 * every covered texel a flat splat on its face, sized to the texels that share the face,
 * coloured from per-vertex colours.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { optionalOptions, requireOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { requireFlameModel } from '../flame/require-model.js';
import { describeValue, requireFinite, requirePositiveFloat32, toFloat32Tensor, toInt32Tensor, type Dims } from '../validate.js';
import type { FlameModel } from '../flame/model.js';
import { SH_C0 } from '../rig/mesh-gaussians.js';
import { UV_MAP_CHANNELS, type UvLayout } from '../rig/uv.js';

/** Options of {@link meshUvMap}. */
export interface MeshUvMapOptions {
  /** In-plane splat size relative to the texel spacing on the face. Default 0.8. */
  size?: number;
  /** Thickness along the normal relative to the in-plane size. Default 0.1. */
  thickness?: number;
  /** Opacity in (0, 1). Default 0.95. */
  opacity?: number;
}

/**
 * Channels per texel: offset (0), log-scale (in units of the face's k), rotation (identity),
 * SH0 from `colors` [V, 3] at the texel's barycentric point, opacity logit; uncovered texels are 0.
 */
export function meshUvMap(model: FlameModel, colors: Float32Array, layout: UvLayout, options: MeshUvMapOptions = {}): NdArray<Float32Array> {
  requireFlameModel('meshUvMap', model);
  requireOptions('meshUvMap', layout, 'layout');
  options = optionalOptions('meshUvMap', options);
  if (!(colors instanceof Float32Array) || colors.length !== model.vertexCount * 3) {
    throw new ValidationError(`expected colors to be a Float32Array of ${model.vertexCount * 3} values ([V, 3]), received ${describeValue(colors)}`);
  }
  requireFinite('colors', colors, [model.vertexCount, 3]);
  const opacity = options.opacity ?? 0.95;
  if (!(typeof opacity === 'number' && opacity > 0 && opacity < 1)) throw new ValidationError(`expected opacity in (0, 1), received ${describeValue(opacity)}`);
  // Both end up as float32 log-scales: 0 (or 0 in float32) would be -Infinity there.
  const size = requirePositiveFloat32('size', options.size ?? 0.8);
  const thickness = requirePositiveFloat32('thickness', options.thickness ?? 0.1);
  const faceCount = model.faces.length / 3;
  // Read as contiguous arrays: face [H, W] (each -1 or a face of the model), bary [H, W, 3].
  const dims: Dims = {};
  const layoutFace = toInt32Tensor('layout.face', layout.face, ['H', 'W'], dims, { min: -1, max: faceCount });
  const layoutBary = toFloat32Tensor('layout.bary', layout.bary, ['H', 'W', 3], dims);
  const [h, w] = layoutFace.shape as [number, number];
  const texels = new Int32Array(faceCount);
  for (const f of layoutFace.data) if (f >= 0) texels[f]!++;
  const v = model.vTemplate;
  // Per face: area and the rigging scale k = (|v1 - v0| + |a2 · (v2 - v0)|) / 2 (DESIGN §3).
  const logSize = new Float32Array(faceCount);
  for (let f = 0; f < faceCount; f++) {
    if (texels[f] === 0) continue;
    const [a, b, c] = [0, 1, 2].map((k) => model.faces[3 * f + k]!) as [number, number, number];
    const e1 = [0, 1, 2].map((i) => v[3 * b + i]! - v[3 * a + i]!);
    const e2 = [0, 1, 2].map((i) => v[3 * c + i]! - v[3 * a + i]!);
    const cross = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
    const area2 = Math.hypot(...cross);
    const l1 = Math.hypot(...e1);
    const height = l1 > 0 ? area2 / l1 : 0; // |a2 · (v2 − v0)|: the triangle's height over e1
    const k = (l1 + height) / 2;
    const spacing = Math.sqrt(area2 / 2 / texels[f]!);
    logSize[f] = k > 0 && spacing > 0 ? Math.log((size * spacing) / k) : -5;
  }
  const logThin = Math.log(thickness);
  const logit = Math.log(opacity / (1 - opacity));
  const out = new Float32Array(h * w * UV_MAP_CHANNELS);
  for (let t = 0; t < h * w; t++) {
    const f = layoutFace.data[t]!;
    if (f < 0) continue;
    const o = t * UV_MAP_CHANNELS;
    out[o + 3] = logSize[f]!;
    out[o + 4] = logSize[f]! + logThin; // axis 1 of the face frame is the normal
    out[o + 5] = logSize[f]!;
    out[o + 6] = 1; // quaternion (1, 0, 0, 0)
    for (let ch = 0; ch < 3; ch++) {
      let colour = 0;
      for (let k = 0; k < 3; k++) colour += layoutBary.data[3 * t + k]! * colors[3 * model.faces[3 * f + k]! + ch]!;
      out[o + 10 + ch] = (colour - 0.5) / SH_C0;
    }
    out[o + 13] = logit;
  }
  return ndarray(out, [h, w, UV_MAP_CHANNELS]);
}
