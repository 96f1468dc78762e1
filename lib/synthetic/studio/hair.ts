/**
 * Hair geometry off the FLAME surface: a shell over the scalp (and, for long hair, over the
 * back of the neck) pushed out along the normals by a style's thickness, tapered to the skin
 * at the hairline over two vertex rings, bumpy for curly hair, with its own strand texture
 * (azimuth × height UVs, strands along the height). Built once per identity in the identity's
 * rest pose; the scene moves it rigidly with the skull.
 *
 * @module
 */

import { clamp, type Random, type Vec3 } from '../../flame/procedural/math.js';
import type { ProceduralHead } from '../../flame/procedural/index.js';
import { vertexNormals } from './geometry.js';
import { smoothNoise } from './noise.js';
import type { Texture } from './albedo.js';

export type HairKind = 'bald' | 'short' | 'long' | 'curly';

/** A drawn hair style. */
export interface HairStyle {
  /** The hair style's kind. */
  kind: HairKind;
  /** Shell thickness over the crown, metres (0 when bald). */
  thickness: number;
  /** Relative amplitude of the curly bumps (0 for straight hair). */
  curl: number;
  /** Strand contrast and highlight strength. */
  contrast: number;
  /** Salt of the strand and bump patterns. */
  salt: number;
}

/** Draws a hair style: about 15 % bald, 40 % short, 25 % long, 20 % curly. */
export function drawHairStyle(rng: Random): HairStyle {
  const u = rng.uniform();
  const kind: HairKind = u < 0.15 ? 'bald' : u < 0.55 ? 'short' : u < 0.8 ? 'long' : 'curly';
  const thickness = kind === 'bald' ? 0 : kind === 'short' ? rng.range(0.005, 0.011) : kind === 'long' ? rng.range(0.01, 0.018) : rng.range(0.016, 0.028);
  return { kind, thickness, curl: kind === 'curly' ? rng.range(0.35, 0.6) : 0, contrast: rng.range(0.25, 0.5), salt: Math.floor(rng.uniform() * 2 ** 30) };
}

/** Hair geometry in the identity's rest pose. */
export interface HairMesh {
  /** [V, 3] rest positions; [F, 3] faces (outward CCW); [F, 3, 2] UVs (v down). */
  positions: Float32Array;
  faces: Uint32Array;
  uvs: Float32Array;
  /** Per hair vertex, the head vertex it grows from, and its height above it (metres), [V]. */
  root: Uint32Array;
  height: Float32Array;
}

/**
 * The hair shell of a style over a head in rest positions `rest` ([V, 3]: the template with
 * the identity's shape), or null when bald.
 */
export function makeHairMesh(head: ProceduralHead, rest: Float32Array, style: HairStyle, rng: Random): HairMesh | null {
  if (style.kind === 'bald' || style.thickness <= 0) return null;
  const { faces } = head.model;
  const F = faces.length / 3;
  const names = head.regions.names;
  const scalp = names.indexOf('scalp');
  const neck = names.indexOf('neck');
  const skin = names.indexOf('skin');
  // Faces the hair covers: the scalp; long hair also the back of the neck and the skin behind the ears.
  const covered: number[] = [];
  for (let f = 0; f < F; f++) {
    const region = head.regions.face[f]!;
    let take = region === scalp;
    if (!take && style.kind === 'long' && (region === neck || region === skin)) {
      let cz = 0;
      let cy = 0;
      for (let k = 0; k < 3; k++) {
        cz += rest[3 * faces[3 * f + k]! + 2]! / 3;
        cy += rest[3 * faces[3 * f + k]! + 1]! / 3;
      }
      take = cz < -0.035 + (region === neck ? 0.02 : 0) && cy > -0.125;
    }
    if (take) covered.push(f);
  }
  // Hair vertices: the covered faces' vertices, renumbered.
  const map = new Map<number, number>();
  const root: number[] = [];
  for (const f of covered) {
    for (let k = 0; k < 3; k++) {
      const v = faces[3 * f + k]!;
      if (!map.has(v)) {
        map.set(v, root.length);
        root.push(v);
      }
    }
  }
  const hv = root.length;
  const hfaces = new Uint32Array(covered.length * 3);
  covered.forEach((f, i) => {
    for (let k = 0; k < 3; k++) hfaces[3 * i + k] = map.get(faces[3 * f + k]!)!;
  });
  // Distance in vertex rings from the shell's border (border = a vertex with a face not covered).
  const coveredSet = new Uint8Array(F);
  for (const f of covered) coveredSet[f] = 1;
  const border = new Uint8Array(head.model.vertexCount);
  for (let f = 0; f < F; f++) if (!coveredSet[f]) for (let k = 0; k < 3; k++) border[faces[3 * f + k]!] = 1;
  const ring = new Int32Array(hv).fill(-1);
  const adjacency: number[][] = Array.from({ length: hv }, () => []);
  for (let i = 0; i < covered.length; i++) {
    for (let k = 0; k < 3; k++) {
      const a = hfaces[3 * i + k]!;
      const b = hfaces[3 * i + ((k + 1) % 3)]!;
      adjacency[a]!.push(b);
      adjacency[b]!.push(a);
    }
  }
  let frontier: number[] = [];
  for (let i = 0; i < hv; i++) if (border[root[i]!]) ((ring[i] = 0), frontier.push(i));
  for (let d = 1; frontier.length && d < 3; d++) {
    const next: number[] = [];
    for (const a of frontier) for (const b of adjacency[a]!) if (ring[b] === -1) ((ring[b] = d), next.push(b));
    frontier = next;
  }
  const normals = vertexNormals(rest, faces);
  const bumps = smoothNoise(rng, { waves: 24, minWavelength: 0.012, maxWavelength: 0.03 });
  const positions = new Float32Array(hv * 3);
  const height = new Float32Array(hv);
  for (let i = 0; i < hv; i++) {
    const v = root[i]!;
    const p: Vec3 = [rest[3 * v]!, rest[3 * v + 1]!, rest[3 * v + 2]!];
    const taper = ring[i] === -1 ? 1 : ring[i]! / 3;
    // Hair thins towards the nape and the temples; curls bulge.
    const lower = clamp((p[1] + 0.03) / 0.08, 0.35, 1);
    const h = style.thickness * taper * lower * (1 + style.curl * 2 * bumps(p[0], p[1], p[2])) + (ring[i] === 0 ? 0 : 0.0008);
    height[i] = Math.max(h, 0);
    for (let a = 0; a < 3; a++) positions[3 * i + a] = p[a] + normals[3 * v + a]! * height[i]!;
  }
  // UVs: u = azimuth about the vertical axis (seam at the back), v = height from the crown (down).
  const uvs = new Float32Array(covered.length * 6);
  for (let i = 0; i < covered.length; i++) {
    const us: number[] = [];
    for (let k = 0; k < 3; k++) {
      const j = hfaces[3 * i + k]!;
      us.push(Math.atan2(positions[3 * j]!, positions[3 * j + 2]!) / (2 * Math.PI) + 0.5);
      uvs[6 * i + 2 * k + 1] = clamp((0.14 - positions[3 * j + 1]!) / 0.3, 0, 1);
    }
    // A face across the seam: bring its corners to one side.
    const straddles = Math.max(...us) - Math.min(...us) > 0.5;
    for (let k = 0; k < 3; k++) uvs[6 * i + 2 * k] = straddles && us[k]! < 0.5 ? 1 : us[k]!;
  }
  return { positions, faces: hfaces, uvs, root: Uint32Array.from(root), height };
}

/**
 * The hair's strand texture, size × size: strands run along v; their brightness is a periodic
 * function of u (so the seam does not show) with fine jitter along v; curly hair waves.
 */
export function makeHairTexture(colour: Vec3, style: HairStyle, size = 256): Texture {
  let a = style.salt >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const waves = Array.from({ length: 48 }, () => [Math.floor(40 + next() * 400), 2 * Math.PI * next(), 0.5 + next()] as const);
  const total = Math.sqrt(waves.reduce((s, w) => s + (w[2] * w[2]) / 2, 0));
  // One strand profile over u (periodic), sampled 4× finer than the texture; rows shift it.
  const fine = 4 * size;
  const profile = new Float32Array(fine);
  for (let x = 0; x < fine; x++) {
    let s = 0;
    for (const [k, ph, amp] of waves) s += amp * Math.sin((2 * Math.PI * k * x) / fine + ph);
    profile[x] = s / total;
  }
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const v = (y + 0.5) / size;
    const shift = style.curl > 0 ? Math.round(fine * 0.004 * Math.sin(2 * Math.PI * v * 40)) : 0;
    // A sheen: a soft highlight band part way down.
    const sheen = 0.15 * Math.exp(-(((v - 0.25) / 0.08) ** 2));
    for (let x = 0; x < size; x++) {
      const s = clamp(1 + style.contrast * profile[(((4 * x + shift) % fine) + fine) % fine]!, 0.2, 2) + sheen;
      for (let c = 0; c < 3; c++) data[3 * (y * size + x) + c] = clamp(colour[c]! * s + sheen * 0.15, 0, 1);
    }
  }
  return { data, width: size, height: size };
}
