// A silhouette of a triangle mesh seen by a pinhole camera, by filling each projected triangle's
// pixel centres (edge functions, float64): an image formation independent of the Gaussian
// rasterizer, for judging where an avatar's head is.
import type { Camera } from '../../lib/index.js';

/** 1 where a pixel centre lies inside a projected triangle in front of the camera, [H · W]. */
export function meshSilhouette(vertices: ArrayLike<number>, faces: ArrayLike<number>, camera: Camera): Uint8Array {
  const { width, height, fx, fy, cx, cy } = camera;
  const v = camera.view as ArrayLike<number>;
  const V = vertices.length / 3;
  const px = new Float64Array(V);
  const py = new Float64Array(V);
  const pz = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const [x, y, z] = [vertices[3 * i]!, vertices[3 * i + 1]!, vertices[3 * i + 2]!];
    const X = v[0]! * x + v[1]! * y + v[2]! * z + v[3]!;
    const Y = v[4]! * x + v[5]! * y + v[6]! * z + v[7]!;
    const Z = v[8]! * x + v[9]! * y + v[10]! * z + v[11]!;
    px[i] = (fx * X) / Z + cx;
    py[i] = (fy * Y) / Z + cy;
    pz[i] = Z;
  }
  const mask = new Uint8Array(width * height);
  for (let f = 0; f < faces.length / 3; f++) {
    const [a, b, c] = [faces[3 * f]!, faces[3 * f + 1]!, faces[3 * f + 2]!];
    if (pz[a]! <= 0 || pz[b]! <= 0 || pz[c]! <= 0) continue;
    const area = (px[b]! - px[a]!) * (py[c]! - py[a]!) - (py[b]! - py[a]!) * (px[c]! - px[a]!);
    if (area === 0) continue;
    const x0 = Math.max(0, Math.floor(Math.min(px[a]!, px[b]!, px[c]!)));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(px[a]!, px[b]!, px[c]!)));
    const y0 = Math.max(0, Math.floor(Math.min(py[a]!, py[b]!, py[c]!)));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(py[a]!, py[b]!, py[c]!)));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const [sx, sy] = [x + 0.5, y + 0.5];
        const w0 = ((px[c]! - px[b]!) * (sy - py[b]!) - (py[c]! - py[b]!) * (sx - px[b]!)) / area;
        const w1 = ((px[a]! - px[c]!) * (sy - py[c]!) - (py[a]! - py[c]!) * (sx - px[c]!)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 >= 0 && w1 >= 0 && w2 >= 0) mask[y * width + x] = 1;
      }
    }
  }
  return mask;
}

/** Intersection over union of two binary masks. */
export function maskIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > 0.5;
    const y = b[i]! > 0.5;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
