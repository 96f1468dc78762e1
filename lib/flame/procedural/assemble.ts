/**
 * Puts the parts together into one canonical mesh (the mean head at rest): the head's
 * surface with the mouth's cavity, eyeballs, teeth, tongue and ears, concatenated in a fixed
 * order, with each vertex's part remembered for skinning, blendshapes and colours.
 *
 * @module
 */

import { makeEar } from './ears.js';
import { makeEyeball } from './eyes.js';
import { makeTeeth, makeTongue, type TeethInfo } from './mouth.js';
import type { Part } from './mesh.js';
import type { Vec2 } from './math.js';
import { headSurface, type HeadSurface } from './surface.js';

/** Part order in the assembled mesh. */
export const PART_NAMES = ['head', 'eye_left', 'eye_right', 'teeth_upper', 'teeth_lower', 'tongue', 'ear_left', 'ear_right'] as const;
export type PartName = (typeof PART_NAMES)[number];
export const PART = Object.fromEntries(PART_NAMES.map((n, i) => [n, i])) as Record<PartName, number>;

export interface Assembled {
  vertexCount: number;
  faceCount: number;
  /** Rest positions [V, 3] of the canonical head. */
  positions: Float64Array;
  faces: Int32Array;
  faceRegion: string[];
  faceIsland: string[];
  faceUv: [Vec2, Vec2, Vec2][];
  /** Part index (into PART_NAMES) of each vertex, and each part's first vertex. */
  vertexPart: Uint8Array;
  partOffset: Record<PartName, number>;
  partSize: Record<PartName, number>;
  surface: HeadSurface;
  /** Global ids of each eyeball's equator ring (their mean is the eyeball's centre). */
  eyeEquator: { left: number[]; right: number[] };
  teeth: { upper: TeethInfo; lower: TeethInfo };
}

let cached: Assembled | undefined;

/** The canonical head (computed once; every identity and expression is built from it). */
export function assemble(): Assembled {
  if (cached) return cached;
  const surface = headSurface();
  const eyeL = makeEyeball(1);
  const eyeR = makeEyeball(-1);
  const upper = makeTeeth('upper');
  const lower = makeTeeth('lower');
  const parts: Record<PartName, Part> = {
    head: surface.part,
    eye_left: eyeL.part,
    eye_right: eyeR.part,
    teeth_upper: upper.part,
    teeth_lower: lower.part,
    tongue: makeTongue(),
    ear_left: makeEar(1),
    ear_right: makeEar(-1),
  };
  const V = PART_NAMES.reduce((n, k) => n + parts[k].positions.length, 0);
  const F = PART_NAMES.reduce((n, k) => n + parts[k].faces.length, 0);
  const positions = new Float64Array(V * 3);
  const faces = new Int32Array(F * 3);
  const vertexPart = new Uint8Array(V);
  const faceRegion: string[] = [];
  const faceIsland: string[] = [];
  const faceUv: [Vec2, Vec2, Vec2][] = [];
  const partOffset = {} as Record<PartName, number>;
  const partSize = {} as Record<PartName, number>;
  let v0 = 0;
  let f0 = 0;
  PART_NAMES.forEach((name, pi) => {
    const p = parts[name];
    partOffset[name] = v0;
    partSize[name] = p.positions.length;
    p.positions.forEach((q, i) => {
      positions.set(q, 3 * (v0 + i));
      vertexPart[v0 + i] = pi;
    });
    p.faces.forEach((f, i) => faces.set([f[0] + v0, f[1] + v0, f[2] + v0], 3 * (f0 + i)));
    faceRegion.push(...p.faceRegion);
    faceIsland.push(...p.faceIsland);
    faceUv.push(...p.faceUv);
    v0 += p.positions.length;
    f0 += p.faces.length;
  });
  cached = {
    vertexCount: V,
    faceCount: F,
    positions,
    faces,
    faceRegion,
    faceIsland,
    faceUv,
    vertexPart,
    partOffset,
    partSize,
    surface,
    eyeEquator: { left: eyeL.equator.map((i) => i + partOffset.eye_left), right: eyeR.equator.map((i) => i + partOffset.eye_right) },
    teeth: { upper, lower },
  };
  return cached;
}

/** Faces of the head's skin (the shell, without the mouth's cavity unless asked for). */
export function shellFaceIds(asm: Assembled, withCavity = false): number[] {
  const limit = withCavity ? asm.partOffset.head + asm.partSize.head : asm.surface.shellVertexCount;
  const out: number[] = [];
  for (let f = 0; f < asm.faceCount; f++) {
    if (asm.faces[3 * f]! < limit && asm.faces[3 * f + 1]! < limit && asm.faces[3 * f + 2]! < limit) out.push(f);
  }
  return out;
}
