// A model with FLAME's sizes (5023 vertices, 9976 faces, 300 + 100 components) for timing:
// a latitude-longitude sphere of head size (open at the neck, the last faces fanning across
// part of the opening), random blendshapes and correctives, and 100k Gaussians on its faces.
import type { AvatarGaussians, FlameModel } from '../index.js';

const RINGS = 62;
const SEGMENTS = 81; // 62 * 81 + 1 pole = 5023 vertices

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function flameSizedModel(seed = 0): FlameModel {
  const r = lcg(seed);
  const V = RINGS * SEGMENTS + 1;
  const vTemplate = new Float32Array(V * 3);
  vTemplate.set([0, 0.11, 0], 0); // top pole
  for (let ring = 0; ring < RINGS; ring++) {
    const theta = (Math.PI * (ring + 1)) / (RINGS + 4); // stops short of the bottom: the neck opening
    for (let s = 0; s < SEGMENTS; s++) {
      const phi = (2 * Math.PI * s) / SEGMENTS;
      const v = 1 + ring * SEGMENTS + s;
      vTemplate.set([0.08 * Math.sin(theta) * Math.sin(phi), 0.11 * Math.cos(theta), 0.1 * Math.sin(theta) * Math.cos(phi)], 3 * v);
    }
  }
  const faces: number[] = [];
  const at = (ring: number, s: number) => 1 + ring * SEGMENTS + (s % SEGMENTS);
  for (let s = 0; s < SEGMENTS; s++) faces.push(0, at(0, s + 1), at(0, s));
  for (let ring = 0; ring + 1 < RINGS; ring++) {
    for (let s = 0; s < SEGMENTS; s++) faces.push(at(ring, s), at(ring, s + 1), at(ring + 1, s), at(ring, s + 1), at(ring + 1, s + 1), at(ring + 1, s));
  }
  for (let s = 0; faces.length / 3 < 9976; s += 2) faces.push(at(RINGS - 1, s), at(RINGS - 1, s + 1), at(RINGS - 1, s + 2));
  const S = 300, E = 100;
  const noise = (n: number, scale: number) => Float32Array.from({ length: n }, () => (r() - 0.5) * scale);
  const lbsWeights = new Float32Array(V * 5);
  for (let v = 0; v < V; v++) {
    const y = vTemplate[3 * v + 1]!;
    const jaw = y < -0.03 ? Math.min(1, (-0.03 - y) / 0.04) : 0;
    lbsWeights.set([0, 1 - jaw, jaw, 0, 0], 5 * v);
  }
  const jRegressor = new Float32Array(5 * V);
  for (let j = 0; j < 5; j++) jRegressor[j * V + Math.floor(r() * V)] = 1;
  return {
    vertexCount: V,
    shapeCount: S,
    exprCount: E,
    vTemplate,
    faces: Int32Array.from(faces),
    shapedirs: noise(V * 3 * S, 1e-3),
    exprdirs: noise(V * 3 * E, 1e-3),
    posedirs: noise(V * 3 * 36, 1e-4),
    jRegressor,
    lbsWeights,
    parents: Int32Array.from([-1, 0, 1, 1, 1]),
  };
}

/** n Gaussians on random faces: near the surface, a few millimetres wide, opaque. */
export function gaussiansOnFaces(faceCount: number, n: number, seed = 1): AvatarGaussians<{ data: Float32Array | Int32Array; shape: number[] }> {
  const r = lcg(seed);
  const f32 = (length: number, fn: (i: number) => number) => Float32Array.from({ length }, (_, i) => fn(i));
  return {
    face: { data: Int32Array.from({ length: n }, () => Math.floor(r() * faceCount)), shape: [n] },
    offset: { data: f32(n * 3, () => (r() - 0.5) * 0.3), shape: [n, 3] },
    logScale: { data: f32(n * 3, () => Math.log(0.2 + 0.4 * r())), shape: [n, 3] },
    quat: { data: f32(n * 4, () => r() - 0.5), shape: [n, 4] },
    sh0: { data: f32(n * 3, () => r() * 2 - 1), shape: [n, 3] },
    opacityLogit: { data: f32(n, () => 1 + 2 * r()), shape: [n] },
  };
}
