/**
 * Neck, shoulders and clothing below the head: a lofted torso whose top continues the head's
 * neck (measured at its lower end, so it fits every shape) and widens to drawn shoulders; the
 * skin part runs down to a neckline (crew, V or scoop) where the garment starts, 3 mm out.
 * Built once per identity in the rest pose; the scene moves it rigidly with the vertices the
 * model binds to the root joint (the neck's base), so it follows the torso, not the head's nod.
 * Two meshes (skin, clothing), both coverage label 2 (outside the avatar's mask: the body
 * inpainter's work).
 *
 * @module
 */

import { clamp, type Random, smoothstep, type Vec3 } from '../../flame/procedural/math.js';
import type { ProceduralHead } from '../../flame/procedural/index.js';
import type { Rgb } from '../../flame/procedural/palettes.js';
import type { Texture } from './albedo.js';

export type Neckline = 'crew' | 'v' | 'scoop';
export type Pattern = 'plain' | 'stripes' | 'checks' | 'knit';

/** A drawn body and garment. */
export interface ClothingStyle {
  /** Shoulder half-width and chest half-depth, metres. */
  shoulders: number;
  /** Chest half-depth, metres. */
  depth: number;
  /** Shape of the garment's neck opening. */
  neckline: Neckline;
  /** The garment's pattern. */
  pattern: Pattern;
  /** The garment's main colour. */
  colour: Rgb;
  /** The pattern's second colour. */
  accent: Rgb;
  /** Pattern period, metres-ish (in texture units of the loft). */
  period: number;
}

/** Draws a garment and shoulders. */
export function drawClothing(rng: Random): ClothingStyle {
  const hue = 2 * Math.PI * rng.uniform();
  const light = rng.range(0.12, 0.75);
  const sat = rng.range(0.1, 0.7);
  const col = (h: number, l: number): Vec3 => [0, 1, 2].map((k) => clamp(l * (1 + sat * Math.cos(h - (2 * Math.PI * k) / 3)), 0, 1)) as Vec3;
  const necklines: Neckline[] = ['crew', 'v', 'scoop'];
  const patterns: Pattern[] = ['plain', 'stripes', 'checks', 'knit'];
  return {
    shoulders: rng.range(0.17, 0.22),
    depth: rng.range(0.09, 0.12),
    neckline: necklines[Math.floor(rng.uniform() * 3)]!,
    pattern: patterns[Math.floor(rng.uniform() * 4)]!,
    colour: col(hue, light),
    accent: col(hue + rng.range(1, 5), clamp(light + rng.range(-0.3, 0.3), 0.05, 0.9)),
    period: rng.range(0.01, 0.03),
  };
}

/** One lofted mesh in the rest pose (positions [V, 3], faces [F, 3], UVs [F, 3, 2] v down). */
export interface LoftMesh {
  positions: Float32Array;
  faces: Uint32Array;
  uvs: Float32Array;
}

/** The body: a skin part and a garment, in the rest pose. */
export interface BodyMeshes {
  skin: LoftMesh;
  clothing: LoftMesh;
}

/** Around-count and the torso's depth below the neck's base. */
const AROUND = 56;
const DEPTH = 0.42;

/**
 * Builds the body under a head in rest positions `rest` [V, 3]: the neck's cross-section is
 * measured from the neck region's lowest centimetre.
 */
export function makeBodyMeshes(head: ProceduralHead, rest: Float32Array, style: ClothingStyle): BodyMeshes {
  const neck = head.regions.names.indexOf('neck');
  const V = head.model.vertexCount;
  const inNeck = new Uint8Array(V);
  head.model.faces.forEach((v, i) => {
    if (head.regions.face[Math.floor(i / 3)] === neck) inNeck[v] = 1;
  });
  // Without a neck region (another head model), the head's lowest vertices stand in for it.
  if (!inNeck.some((x) => x === 1)) inNeck.fill(1);
  let bottom = Infinity;
  for (let v = 0; v < V; v++) if (inNeck[v]) bottom = Math.min(bottom, rest[3 * v + 1]!);
  let [x0, x1, z0, z1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let v = 0; v < V; v++) {
    if (!inNeck[v] || rest[3 * v + 1]! > bottom + 0.01) continue;
    x0 = Math.min(x0, rest[3 * v]!);
    x1 = Math.max(x1, rest[3 * v]!);
    z0 = Math.min(z0, rest[3 * v + 2]!);
    z1 = Math.max(z1, rest[3 * v + 2]!);
  }
  const cx = (x0 + x1) / 2;
  const cz = (z0 + z1) / 2;
  // Slightly inside the head's neck where they overlap, so the head's own surface shows there.
  const na = 0.985 * (x1 - x0) / 2;
  const nb = 0.985 * (z1 - z0) / 2;
  const top = bottom + 0.012;
  /** The torso's surface at depth d below the neck's base (d < 0: overlapping the neck) and angle θ (0 = front). */
  const surface = (d: number, theta: number, out: number): Vec3 => {
    const s = smoothstep(0.035, 0.12, d) ** 0.7;
    const a = na + (style.shoulders - na) * s;
    const b = nb + (style.depth - nb) * smoothstep(0.04, 0.2, d);
    // Squarer towards the shoulders; the chest sits a little forward.
    const e = 2 + 1.5 * s;
    const c = Math.cos(theta);
    const si = Math.sin(theta);
    const x = a * Math.sign(si) * Math.abs(si) ** (2 / e);
    const z = b * Math.sign(c) * Math.abs(c) ** (2 / e);
    // Shoulders slope down outwards.
    const slope = -0.35 * Math.max(0, Math.abs(x) - na * 1.4) * s;
    const r = Math.hypot(x, z) || 1;
    return [cx + x + (out * x) / r, bottom - d + slope, cz + 0.01 * s + z + (out * z) / r];
  };
  const neckline = (theta: number): number => {
    const front = Math.max(0, Math.cos(theta));
    if (style.neckline === 'v') return 0.045 + 0.07 * front ** 6;
    if (style.neckline === 'scoop') return 0.05 + 0.04 * front ** 2;
    return 0.04 + 0.012 * front ** 2;
  };
  const loft = (rows: number, depthAt: (t: number, theta: number) => number, out: number): LoftMesh => {
    const positions = new Float32Array((rows + 1) * (AROUND + 1) * 3);
    for (let r = 0; r <= rows; r++) {
      for (let k = 0; k <= AROUND; k++) {
        const theta = (2 * Math.PI * k) / AROUND;
        positions.set(surface(depthAt(r / rows, theta), theta, out), 3 * (r * (AROUND + 1) + k));
      }
    }
    const faces: number[] = [];
    const uvs: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < AROUND; k++) {
        const a = r * (AROUND + 1) + k;
        const b = a + 1;
        const c = a + AROUND + 1;
        const d = c + 1;
        // θ grows from the front towards +x (the left side): seen from outside, (a, c, b) is counter-clockwise.
        faces.push(a, c, b, b, c, d);
        const uv = (i: number): [number, number] => [(i % (AROUND + 1)) / AROUND, Math.floor(i / (AROUND + 1)) / rows];
        for (const i of [a, c, b, b, c, d]) uvs.push(...uv(i));
      }
    }
    return { positions, faces: Uint32Array.from(faces), uvs: Float32Array.from(uvs) };
  };
  const skin = loft(10, (t, theta) => bottom - top + t * (neckline(theta) + 0.004 - (bottom - top)), 0);
  const clothing = loft(24, (t, theta) => neckline(theta) + (DEPTH - neckline(theta)) * t ** 1.3, 0.003);
  return { skin, clothing };
}

/** The garment's texture (u around, v down the torso), size × size. */
export function makeClothingTexture(style: ClothingStyle, salt: number, size = 256): Texture {
  const data = new Float32Array(size * size * 3);
  // Metres around and down, roughly: the loft's circumference ~1 m, its height ~0.4 m.
  const p = style.period;
  for (let y = 0; y < size; y++) {
    const my = ((y + 0.5) / size) * DEPTH;
    for (let x = 0; x < size; x++) {
      const mx = ((x + 0.5) / size) * 1.0;
      let w = 0;
      if (style.pattern === 'stripes') w = Math.sin((2 * Math.PI * my) / p) > 0.3 ? 1 : 0;
      else if (style.pattern === 'checks') w = (Math.floor(mx / p) + Math.floor(my / p)) % 2 === 0 ? 0.7 : 0;
      const h = Math.imul(x * 0x27d4eb2d ^ y * 0x165667b1 ^ salt, 0x85ebca6b) >>> 0;
      // Weave/knit grain, and soft folds (low-frequency shading baked into the albedo).
      const grain = style.pattern === 'knit' ? 0.12 * Math.sin((2 * Math.PI * mx) / 0.004) * Math.sin((2 * Math.PI * my) / 0.005) : 0;
      const fold = 0.08 * Math.sin((2 * Math.PI * mx) / 0.11 + 3 * Math.sin((2 * Math.PI * my) / 0.3));
      const s = 1 + grain + fold + 0.05 * ((h / 4294967296) * 2 - 1);
      for (let c = 0; c < 3; c++) data[3 * (y * size + x) + c] = clamp((style.colour[c]! * (1 - w) + style.accent[c]! * w) * s, 0, 1);
    }
  }
  return { data, width: size, height: size };
}

/** A plain texture of a colour with a little grain (the body's skin), size × size. */
export function makeSkinTexture(colour: Vec3, salt: number, size = 64): Texture {
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const h = (Math.imul((i + 1) ^ salt, 0x9e3779b1) >>> 0) / 4294967296;
    for (let c = 0; c < 3; c++) data[3 * i + c] = clamp(colour[c]! * (1 + 0.04 * (2 * h - 1)), 0, 1);
  }
  return { data, width: size, height: size };
}
