/**
 * Image resizing for network inputs: area averaging when shrinking, bilinear when growing.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

/** [H, W, C] -> [height, width, C]. */
export function resizeImage(image: NdArray<Float32Array>, height: number, width: number): NdArray<Float32Array> {
  const [h, w, c] = image.shape as [number, number, number];
  const out = new Float32Array(height * width * c);
  if (h === height && w === width) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = image.get(y, x, k);
    return ndarray(out, [height, width, c]);
  }
  const sy = h / height;
  const sx = w / width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (sy >= 1 && sx >= 1) {
        // Average the source pixels whose centres fall in this output pixel.
        const y0 = Math.floor(y * sy), y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
        const x0 = Math.floor(x * sx), x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += image.get(yy, xx, k);
          out[(y * width + x) * c + k] = s / ((y1 - y0) * (x1 - x0));
        }
      } else {
        const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
        const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const y0 = Math.floor(fy), x0 = Math.floor(fx);
        const y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
        const ay = fy - y0, ax = fx - x0;
        for (let k = 0; k < c; k++) {
          out[(y * width + x) * c + k] =
            (1 - ay) * ((1 - ax) * image.get(y0, x0, k) + ax * image.get(y0, x1, k)) + ay * ((1 - ax) * image.get(y1, x0, k) + ax * image.get(y1, x1, k));
        }
      }
    }
  }
  return ndarray(out, [height, width, c]);
}
