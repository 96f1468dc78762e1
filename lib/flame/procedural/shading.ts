/**
 * Baked lighting for the procedural head's colours, for renders that show colours as they are
 * (the procedural avatar: its UV map holds what the camera sees, as a captured avatar's does,
 * lighting included). Albedo alone reads flat: no jaw line, no depth in the mouth. Baked here:
 *
 * - a sky/ground hemisphere and a soft key light from above the camera, so surfaces facing
 *   down (under the jaw, the nose, the lower lip's underside) are darker than the face;
 * - the chin's cast shadow on the front of the upper neck, which draws the jaw line;
 * - occlusion inside the mouth, by depth behind the lips: the cavity, teeth and tongue darken
 *   towards the throat (incisors at the lips stay bright, molars and the palate go dark).
 *
 * The albedo itself ({@link vertexColors}) is unchanged: the synthetic studio lights it with
 * its own renderer.
 *
 * @module
 */

import { PART, type Assembled } from './assemble.js';
import { clamp, normalize, smoothstep, type Vec3 } from './math.js';
import { vertexNormals } from './mesh.js';
import { SPEC } from './spec.js';

/** Lighting parameters (unitless shares of the albedo). */
export const BAKED_LIGHT = {
  /** Hemisphere: sky from +y, ground from -y; a surface facing the camera gets their mean. */
  sky: 0.95,
  ground: 0.6,
  /** Key light from the camera side, raised (unit vector below); its share. */
  key: 0.3,
  keyDirection: normalize([0.25, 0.55, 1]) as Vec3,
  /** Depth behind the lips' front (metres) over which the mouth's inside falls to 1/e. */
  mouthDepth: 0.011,
  /** Darkest share deep in the mouth. */
  mouthFloor: 0.06,
  /** Strength of the chin's shadow on the neck. */
  neckShadow: 0.42,
} as const;

/** Where the mouth's occlusion starts: just in front of the upper incisors (the lips' inner edge). */
const MOUTH_FRONT_Z = SPEC.teeth.upperFrontZ + 0.002;

/** Light on the lips' inner edge, whose lining already faces into the mouth. */
const LIP_EDGE = 0.6;

/** How much further forward the tongue's upward-facing top is lit (metres). */
const TONGUE_LIFT = 0.02;

/** Occlusion of a point inside the mouth by its depth behind the lips (1 at the front). */
export function mouthOcclusion(z: number): number {
  const d = Math.max(0, MOUTH_FRONT_Z - z);
  return BAKED_LIGHT.mouthFloor + (1 - BAKED_LIGHT.mouthFloor) * Math.exp(-d / BAKED_LIGHT.mouthDepth);
}

/**
 * Shadow of the chin and jaw on the neck: strongest just under the menton, fading down the
 * neck and round to the sides (1 = unshadowed).
 */
export function neckShadow(p: Vec3): number {
  const below = smoothstep(SPEC.jawLineY + 0.003, SPEC.jawLineY - 0.008, p[1]) * smoothstep(SPEC.jawLineY - 0.06, SPEC.jawLineY - 0.02, p[1]);
  const front = smoothstep(-0.03, 0.02, p[2]);
  return 1 - BAKED_LIGHT.neckShadow * below * front;
}

/** Light reaching a surface with unit normal n (1 for a surface facing the camera). */
function irradiance(n: Vec3): number {
  const L = BAKED_LIGHT;
  const hemi = 0.5 * (L.sky + L.ground) + 0.5 * (L.sky - L.ground) * n[1];
  const key = Math.max(0, n[0] * L.keyDirection[0] + n[1] * L.keyDirection[1] + n[2] * L.keyDirection[2]);
  // Normalised so that a camera-facing surface (n = +z) keeps its albedo.
  const front = 0.5 * (L.sky + L.ground) + L.key * L.keyDirection[2];
  return (hemi + L.key * key) / front;
}

/**
 * Colours with baked lighting [V, 3] of a head whose template is `positions` [V, 3] (the
 * assembled canonical head's vertex order and parts), from albedo `colors` [V, 3].
 */
export function bakeLighting(asm: Assembled, positions: ArrayLike<number>, faces: ArrayLike<number>, colors: ArrayLike<number>): Float32Array {
  const normals = vertexNormals(positions, faces);
  const out = new Float32Array(asm.vertexCount * 3);
  const inMouth = (i: number): boolean => {
    const part = asm.vertexPart[i]!;
    return part === PART.teeth_upper || part === PART.teeth_lower || part === PART.tongue || (part === PART.head && i >= asm.surface.shellVertexCount);
  };
  for (let i = 0; i < asm.vertexCount; i++) {
    const p: Vec3 = [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
    const n: Vec3 = [normals[3 * i]!, normals[3 * i + 1]!, normals[3 * i + 2]!];
    // Inside the mouth, depth decides; the normals there face every way and mean little. The
    // tongue's top faces the opening, so it is lit as if 1 cm further forward.
    const part = asm.vertexPart[i]!;
    let light = inMouth(i) ? mouthOcclusion(p[2] + (part === PART.tongue ? TONGUE_LIFT * Math.max(n[1], 0) : 0)) : irradiance(n) * (part === PART.head ? neckShadow(p) : 1);
    // The lips' inner edge is where the mouth's shadow starts.
    if (part === PART.head && i < asm.surface.shellVertexCount && asm.surface.lipSide[i] !== 0) light *= LIP_EDGE;
    for (let a = 0; a < 3; a++) out[3 * i + a] = clamp(colors[3 * i + a]! * light, 0, 1);
  }
  return out;
}
