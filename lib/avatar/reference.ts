/**
 * Choosing the reference frame of an identity (front-facing and sharp, GGTalker §3.4) and
 * colouring a mesh from it (the starting map when there is no generator prior).
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import type { FlameModel } from '../flame/model.js';
import { axisAngleToMatrix } from './rotation.js';
import type { AvatarFrame } from './frames.js';

/**
 * How frontal (cosine between the head's forward axis and the direction to the camera) and
 * how sharp (variance of the Laplacian of the grey image inside the mask) each frame is; the
 * reference is the sharpest of the frames within 0.02 of the most frontal.
 */
export function chooseReferenceFrame(frames: readonly AvatarFrame[], candidates: readonly number[]): number {
  const frontal = candidates.map((i) => frontality(frames[i]!));
  const best = Math.max(...frontal);
  let pick = candidates[0]!;
  let sharpest = -Infinity;
  candidates.forEach((i, k) => {
    if (frontal[k]! < best - 0.02) return;
    const s = sharpness(frames[i]!);
    if (s > sharpest) {
      sharpest = s;
      pick = i;
    }
  });
  return pick;
}

/** cos(angle) between the head's +z (FLAME faces +z) and the direction from the head to the camera. */
export function frontality(frame: AvatarFrame): number {
  const r = axisAngleToMatrix(frame.flame.rotation ?? new Float32Array(3));
  const forward = [r[2]!, r[5]!, r[8]!]; // R · (0, 0, 1)
  const v = frame.camera.view as ArrayLike<number>;
  // Camera centre c = −Rᵀ t; the head sits near the origin (plus translation).
  const t = [v[3]!, v[7]!, v[11]!];
  const c = [0, 1, 2].map((j) => -(v[j]! * t[0]! + v[4 + j]! * t[1]! + v[8 + j]! * t[2]!));
  const head = frame.flame.translation ?? new Float32Array(3);
  const d = c.map((x, j) => x - head[j]!);
  const n = Math.hypot(...d) || 1;
  return (forward[0]! * d[0]! + forward[1]! * d[1]! + forward[2]! * d[2]!) / n;
}

function sharpness(frame: AvatarFrame): number {
  const img = frame.image;
  const [h, w] = img.shape as [number, number];
  const grey = (y: number, x: number): number => (img.get(y, x, 0) + img.get(y, x, 1) + img.get(y, x, 2)) / 3;
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      if (frame.mask && frame.mask.get(y, x) < 0.5) continue;
      const l = 4 * grey(y, x) - grey(y - 1, x) - grey(y + 1, x) - grey(y, x - 1) - grey(y, x + 1);
      sum += l;
      sq += l * l;
      n++;
    }
  }
  return n > 0 ? sq / n - (sum / n) ** 2 : 0;
}

/**
 * Per-vertex colours [V, 3] of posed `vertices` [V, 3] seen in `image` from the frame's
 * camera: vertices facing the camera take the bilinear image colour (inside the mask);
 * the others take the mean of those.
 */
export function colorsFromImage(model: FlameModel, vertices: Float32Array, frame: AvatarFrame): Float32Array {
  const V = model.vertexCount;
  const normals = vertexNormals(model, vertices);
  const v = frame.camera.view as ArrayLike<number>;
  const { fx, fy, cx, cy, width, height } = frame.camera;
  const colors = new Float32Array(V * 3);
  const seen = new Uint8Array(V);
  const mean = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < V; i++) {
    const p = [vertices[3 * i]!, vertices[3 * i + 1]!, vertices[3 * i + 2]!];
    const cam = [0, 1, 2].map((r) => v[4 * r]! * p[0]! + v[4 * r + 1]! * p[1]! + v[4 * r + 2]! * p[2]! + v[4 * r + 3]!);
    if (cam[2]! <= 1e-6) continue;
    const nCam = [0, 1, 2].map((r) => v[4 * r]! * normals[3 * i]! + v[4 * r + 1]! * normals[3 * i + 1]! + v[4 * r + 2]! * normals[3 * i + 2]!);
    const facing = -(nCam[0]! * cam[0]! + nCam[1]! * cam[1]! + nCam[2]! * cam[2]!) / Math.hypot(...cam);
    if (facing < 0.3) continue;
    const x = (fx * cam[0]!) / cam[2]! + cx - 0.5;
    const y = (fy * cam[1]!) / cam[2]! + cy - 0.5;
    if (x < 0 || y < 0 || x > width - 1 || y > height - 1) continue;
    if (frame.mask && frame.mask.get(Math.round(y), Math.round(x)) < 0.5) continue;
    for (let c = 0; c < 3; c++) {
      const value = bilinear(frame.image, y, x, c);
      colors[3 * i + c] = value;
      mean[c]! += value;
    }
    seen[i] = 1;
    count++;
  }
  for (let c = 0; c < 3; c++) mean[c] = count > 0 ? mean[c]! / count : 0.5;
  for (let i = 0; i < V; i++) if (!seen[i]) colors.set(mean, 3 * i);
  return colors;
}

function bilinear(img: NdArray<Float32Array>, y: number, x: number, c: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, img.shape[1]! - 1);
  const y1 = Math.min(y0 + 1, img.shape[0]! - 1);
  const fx = x - x0;
  const fy = y - y0;
  return (1 - fy) * ((1 - fx) * img.get(y0, x0, c) + fx * img.get(y0, x1, c)) + fy * ((1 - fx) * img.get(y1, x0, c) + fx * img.get(y1, x1, c));
}

function vertexNormals(model: FlameModel, v: Float32Array): Float32Array {
  const n = new Float32Array(model.vertexCount * 3);
  for (let f = 0; f < model.faces.length; f += 3) {
    const [a, b, c] = [model.faces[f]!, model.faces[f + 1]!, model.faces[f + 2]!];
    const e1 = [0, 1, 2].map((k) => v[3 * b + k]! - v[3 * a + k]!);
    const e2 = [0, 1, 2].map((k) => v[3 * c + k]! - v[3 * a + k]!);
    const cr = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
    for (const i of [a, b, c]) for (let k = 0; k < 3; k++) n[3 * i + k]! += cr[k]!;
  }
  for (let i = 0; i < model.vertexCount; i++) {
    const l = Math.hypot(n[3 * i]!, n[3 * i + 1]!, n[3 * i + 2]!) || 1;
    for (let k = 0; k < 3; k++) n[3 * i + k]! /= l;
  }
  return n;
}
