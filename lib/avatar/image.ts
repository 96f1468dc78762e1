/**
 * Image resizing for network inputs: ndarrays through the area-averaging resize of the image
 * loader (exact box weights, shrinking and growing).
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { resizeArea } from '../io/vhap-image.js';

/** [H, W, C] -> [height, width, C]. */
export function resizeImage(image: NdArray<Float32Array>, height: number, width: number): NdArray<Float32Array> {
  const [h, w, c] = image.shape as [number, number, number];
  const data = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = image.get(y, x, k);
  const out = resizeArea({ width: w, height: h, channels: c, data }, width, height);
  return ndarray(out.data, [height, width, c]);
}
