/**
 * A studio identity's albedo map: a square texture (default 1024²) in the head's UV layout,
 * linear RGB in [0, 1], [H, W, 3], row 0 = v = 0 with v down (the studio mesh renderer's
 * convention). The base colours are the procedural head's own per-vertex colouring (skin tone,
 * lips, brows, lashes, nostrils, sclera, teeth, gums, tongue, cavity) interpolated into the
 * texels; on top come what a seed draws per texel, at sub-millimetre scale, which no per-vertex
 * colouring can hold: pore grain and pore dots, blotches and redness, freckles, moles, stubble,
 * make-up (eyeshadow, lipstick, blush), lip lines, brow hair strands, iris fibres and a limbal
 * ring, tongue papillae, and a cavity darkened towards the throat.
 *
 * @module
 */

import { assemble } from '../../flame/procedural/assemble.js';
import { vertexColors } from '../../flame/procedural/colors.js';
import { clamp, gauss, Random, smoothstep, type Vec3 } from '../../flame/procedural/math.js';
import type { ProceduralHead } from '../../flame/procedural/index.js';
import type { Rgb } from '../../flame/procedural/palettes.js';
import { smoothNoise } from './noise.js';
import { interpolateToTexels, rasterizeUv } from './uv-raster.js';

/** An RGB texture, [H, W, 3] linear in [0, 1], row 0 = v = 0 (v down). */
export interface Texture {
  data: Float32Array;
  width: number;
  height: number;
}

/** What a seed draws for the skin and face paint. */
export interface SkinLook {
  /** Per-texel grain amplitude (relative brightness) and pore-dot density. */
  pores: number;
  /** Pore-dot density. */
  poreDensity: number;
  /** Low-frequency blotch and redness amplitudes. */
  blotch: number;
  /** Redness amplitude. */
  redness: number;
  /** Freckle and mole counts. */
  freckles: number;
  /** Mole count. */
  moles: number;
  /** Stubble density in [0, 1] (0: clean-shaven). */
  stubble: number;
  /** Make-up colours, or null. */
  eyeshadow: Rgb | null;
  /** Lipstick colour, or null. */
  lipstick: Rgb | null;
  /** Blush strength in [0, 0.3]. */
  blush: number;
  /** Iris fibre contrast. */
  irisFibres: number;
}

/** Draws a skin look; the same generator state, the same look. */
export function drawSkinLook(rng: Random): SkinLook {
  const makeup = rng.uniform() < 0.3;
  const pick = (table: Vec3[]): Vec3 => table[Math.floor(rng.uniform() * table.length)]!;
  return {
    pores: rng.range(0.025, 0.07),
    poreDensity: rng.range(0.02, 0.08),
    blotch: rng.range(0.04, 0.1),
    redness: rng.range(0.015, 0.05),
    freckles: rng.uniform() < 0.35 ? Math.floor(rng.range(60, 500)) : 0,
    moles: Math.floor(rng.range(0, 5)),
    stubble: rng.uniform() < 0.35 ? rng.range(0.3, 1) : 0,
    eyeshadow: makeup && rng.uniform() < 0.8 ? pick([[0.35, 0.22, 0.3], [0.25, 0.3, 0.4], [0.45, 0.3, 0.2], [0.2, 0.15, 0.12]]) : null,
    lipstick: makeup && rng.uniform() < 0.8 ? pick([[0.6, 0.08, 0.12], [0.7, 0.3, 0.35], [0.45, 0.1, 0.15], [0.75, 0.4, 0.38]]) : null,
    blush: makeup ? rng.range(0.1, 0.3) : 0,
    irisFibres: rng.range(0.2, 0.45),
  };
}

/** What {@link makeAlbedo} needs of an identity. */
export interface AlbedoInput {
  seed: number;
  head: ProceduralHead;
  palette: { skin: Vec3; lip: Vec3; iris: Vec3; hair: Vec3; eyebrow: Vec3 };
  skin: SkinLook;
  /** Whether the scalp carries hair (painted hair-coloured under the hair geometry) or is bald skin. */
  hairOnScalp: boolean;
}

/** A fast integer hash of a texel and a salt to [0, 1). */
function hash(x: number, y: number, salt: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(salt, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Canonical 3D position of every covered texel, [H, W, 3], cached per model and size. */
const positionCache = new WeakMap<object, Map<number, Float32Array>>();
function texelPositions(head: ProceduralHead, size: number): Float32Array {
  let m = positionCache.get(head.model);
  if (!m) positionCache.set(head.model, (m = new Map()));
  let p = m.get(size);
  if (!p) m.set(size, (p = interpolateToTexels(head.model, rasterizeUv(head.model, size), head.model.vTemplate, 3)));
  return p;
}

/** The canonical (template) position of the model's landmark `i`. */
function landmark(head: ProceduralHead, i: number): Vec3 {
  const { faceIdx, bary } = head.model.landmarks!;
  const f = faceIdx[i]!;
  const out: Vec3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const v = head.model.faces[3 * f + k]!;
    for (let a = 0; a < 3; a++) out[a] += bary[3 * i + k]! * head.model.vTemplate[3 * v + a]!;
  }
  return out;
}

/**
 * Makes the albedo map (size × size texels). Deterministic in the input; about 0.3–0.6 s at
 * 1024² on one core.
 */
export function makeAlbedo(input: AlbedoInput, size = 1024): Texture {
  const { head, palette, skin: look } = input;
  const model = head.model;
  const raster = rasterizeUv(model, size);
  const pos = texelPositions(head, size);
  const names = head.regions.names;
  const regionOfFace = head.regions.face;
  const id = (n: string): number => names.indexOf(n);
  const R = {
    scalp: id('scalp'),
    skin: id('skin'),
    nose: id('nose'),
    neck: id('neck'),
    lipU: id('lip_upper'),
    lipL: id('lip_lower'),
    lidL: id('eyelid_left'),
    lidR: id('eyelid_right'),
    earL: id('ear_left'),
    earR: id('ear_right'),
    irisL: id('eye_left_iris'),
    irisR: id('eye_right_iris'),
    cavity: id('mouth_interior'),
    tongue: id('tongue'),
    teethU: id('teeth_upper'),
    teethL: id('teeth_lower'),
  };
  const skinLike = new Uint8Array(names.length);
  for (const r of [R.scalp, R.skin, R.nose, R.neck, R.lipU, R.lipL, R.lidL, R.lidR, R.earL, R.earR]) if (r >= 0) skinLike[r] = 1;

  // Base colours per vertex: brows painted with the brow colour; the scalp with the hair colour
  // (under hair geometry) or skin (bald). Hair coverage = where the two paints differ.
  const asm = assemble();
  const common = { skin: palette.skin, iris: palette.iris, lip: look.lipstick ?? palette.lip };
  const brows = vertexColors(asm, { ...common, hair: palette.eyebrow });
  const bare = vertexColors(asm, { ...common, hair: palette.skin });
  const scalpHair: Vec3 = [palette.hair[0] * 0.8, palette.hair[1] * 0.8, palette.hair[2] * 0.8];
  const capped = vertexColors(asm, { ...common, hair: scalpHair });
  const V = model.vertexCount;
  const denomBrow = Math.max(1e-3, ...[0, 1, 2].map((k) => Math.abs(palette.eyebrow[k] - palette.skin[k])));
  // [V, 4]: RGB base and hair coverage.
  const base = new Float32Array(V * 4);
  const onScalp = new Float32Array(V);
  for (let f = 0; f < model.faces.length / 3; f++) if (regionOfFace[f] === R.scalp) for (let k = 0; k < 3; k++) onScalp[model.faces[3 * f + k]!] = 1;
  for (let v = 0; v < V; v++) {
    let cover = 0;
    for (let k = 0; k < 3; k++) cover = Math.max(cover, Math.abs(brows[3 * v + k]! - bare[3 * v + k]!) / denomBrow);
    const scalp = onScalp[v]! > 0;
    for (let k = 0; k < 3; k++) {
      base[4 * v + k] = scalp ? (input.hairOnScalp ? capped[3 * v + k]! : bare[3 * v + k]!) : brows[3 * v + k]!;
    }
    base[4 * v + 3] = scalp ? (input.hairOnScalp ? cover : 0) : cover;
  }
  // Low-frequency fields per vertex (smooth at the vertex spacing), interpolated like the base.
  const rng = new Random(input.seed * 7 + 0xa1bed0);
  const blotch = smoothNoise(rng, { waves: 14, minWavelength: 0.02, maxWavelength: 0.08 });
  const redness = smoothNoise(rng, { waves: 10, minWavelength: 0.015, maxWavelength: 0.05 });
  const fields = new Float32Array(V * 2);
  for (let v = 0; v < V; v++) {
    const [x, y, z] = [model.vTemplate[3 * v]!, model.vTemplate[3 * v + 1]!, model.vTemplate[3 * v + 2]!];
    fields[2 * v] = blotch(x, y, z);
    fields[2 * v + 1] = redness(x, y, z);
  }
  const baseT = interpolateToTexels(model, raster, base, 4);
  const fieldT = interpolateToTexels(model, raster, fields, 2);

  // Landmarks that place the face paint: nose base (33), eye centres (joints 3, 4), cheeks.
  const noseBase = landmark(head, 33);
  const mouthY = (landmark(head, 51)[1] + landmark(head, 57)[1]) / 2;
  const eyes: Vec3[] = [3, 4].map((j) => [head.joints[3 * j]!, head.joints[3 * j + 1]!, head.joints[3 * j + 2]!] as Vec3);
  // Iris radius: the farthest iris vertex from its eye's axis.
  const irisRadius = [0, 0];
  for (let f = 0; f < model.faces.length / 3; f++) {
    const r = regionOfFace[f];
    if (r !== R.irisL && r !== R.irisR) continue;
    const e = r === R.irisL ? 0 : 1;
    for (let k = 0; k < 3; k++) {
      const v = model.faces[3 * f + k]!;
      irisRadius[e] = Math.max(irisRadius[e]!, Math.hypot(model.vTemplate[3 * v]! - eyes[e]![0], model.vTemplate[3 * v + 1]! - eyes[e]![1]));
    }
  }
  const fibrePhase = Array.from({ length: 24 }, () => [2 + Math.floor(rng.uniform() * 60), 2 * Math.PI * rng.uniform()] as const);
  const fibres = (angle: number): number => {
    let s = 0;
    for (const [k, ph] of fibrePhase) s += Math.sin(k * angle + ph);
    return s / Math.sqrt(fibrePhase.length / 2);
  };

  const W = size;
  const H = size;
  const out = new Float32Array(W * H * 3);
  const salt = input.seed | 0;
  for (let i = 0; i < W * H; i++) {
    const f = raster.face[i]!;
    if (f < 0) {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = 0.5;
      continue;
    }
    const region = regionOfFace[f]!;
    const x = pos[3 * i]!;
    const y = pos[3 * i + 1]!;
    const z = pos[3 * i + 2]!;
    const tx = i % W;
    const ty = (i / W) | 0;
    let r = baseT[4 * i]!;
    let g = baseT[4 * i + 1]!;
    let b = baseT[4 * i + 2]!;
    const hairCover = clamp(baseT[4 * i + 3]!, 0, 1);
    if (skinLike[region]) {
      // Blotches, redness and per-texel pore grain; sparse darker pore dots.
      const light = 1 + look.blotch * fieldT[2 * i]! + look.pores * (2 * hash(tx, ty, salt) - 1) - (hash(tx, ty, salt + 1) < look.poreDensity ? 0.12 : 0);
      const red = look.redness * fieldT[2 * i + 1]!;
      r = r * light + red;
      g = g * light - 0.5 * red;
      b = b * light - 0.5 * red;
      const ax = Math.abs(x);
      // Blush on the cheeks.
      if (look.blush > 0 && z > 0.03) {
        const w = look.blush * gauss(((ax - 0.045) / 0.015) ** 2 + ((y + 0.008) / 0.013) ** 2);
        r += w * (0.85 - r) * 0.6;
        g += w * (0.4 - g) * 0.6;
        b += w * (0.45 - b) * 0.6;
      }
      // Eyeshadow above each eye.
      if (look.eyeshadow && z > 0.04) {
        for (const e of eyes) {
          const w = 0.7 * gauss(((x - e[0]) / 0.016) ** 2 + ((y - e[1] - 0.01) / 0.008) ** 2) * smoothstep(e[1] - 0.004, e[1] + 0.004, y);
          r += w * (look.eyeshadow[0] - r);
          g += w * (look.eyeshadow[1] - g);
          b += w * (look.eyeshadow[2] - b);
        }
      }
      // Stubble: dense dark dots over the beard zone (below the nose, front of the face and upper neck; not the lips).
      if (look.stubble > 0 && region !== R.lipU && region !== R.lipL) {
        const zone = smoothstep(noseBase[1] + 0.002, noseBase[1] - 0.008, y) * smoothstep(-0.03, 0.01, z) * smoothstep(-0.115, -0.085, y) * smoothstep(0.075, 0.06, ax);
        if (zone > 0) {
          const dot = hash(tx, ty, salt + 2) < 0.45 * look.stubble ? 0.55 : 0;
          const w = zone * (0.12 * look.stubble + dot * look.stubble);
          r += w * (palette.hair[0] * 0.7 - r);
          g += w * (palette.hair[1] * 0.7 - g);
          b += w * (palette.hair[2] * 0.75 - b);
        }
      }
      // Vertical lines on the lips.
      if (region === R.lipU || region === R.lipL) {
        const line = 1 - 0.12 * Math.abs(Math.sin((x / 0.0014) * Math.PI + 3 * fieldT[2 * i]!)) * smoothstep(0.06, 0.2, Math.abs(y - mouthY) / 0.01);
        r *= line;
        g *= line;
        b *= line;
      }
      // Hair strands where the paint is hair (brows, the scalp under hair).
      if (hairCover > 0.05) {
        const strand = 1 + 0.35 * hairCover * (2 * hash(tx >> 0, ty >> 2, salt + 3) - 1);
        r *= strand;
        g *= strand;
        b *= strand;
      }
    } else if (region === R.irisL || region === R.irisR) {
      const e = eyes[region === R.irisL ? 0 : 1]!;
      const dx = x - e[0];
      const dy = y - e[1];
      const rr = Math.hypot(dx, dy) / Math.max(irisRadius[region === R.irisL ? 0 : 1]!, 1e-4);
      const s = (1 + look.irisFibres * fibres(Math.atan2(dy, dx))) * (1 - 0.6 * smoothstep(0.8, 1.0, rr)) * (1 + 0.25 * gauss(((rr - 0.45) / 0.12) ** 2));
      r *= s;
      g *= s;
      b *= s;
    } else if (region === R.cavity) {
      // Deeper is darker (towards the throat).
      const d = clamp((0.085 - z) / 0.06, 0, 1);
      r *= 1 - 0.7 * d;
      g *= 1 - 0.7 * d;
      b *= 1 - 0.7 * d;
    } else if (region === R.tongue) {
      const s = 1 + 0.12 * (2 * hash(tx, ty, salt + 4) - 1);
      r *= s;
      g *= s;
      b *= s;
    } else if (region === R.teethU || region === R.teethL) {
      const s = 1 + 0.03 * (2 * hash(tx, ty, salt + 5) - 1);
      r *= s;
      g *= s * 0.99;
      b *= s * 0.96;
    }
    out[3 * i] = clamp(r, 0, 1);
    out[3 * i + 1] = clamp(g, 0, 1);
    out[3 * i + 2] = clamp(b, 0, 1);
  }
  // Freckles and moles: discs at random skin texels of the face (freckles: nose and cheeks).
  const spots = (count: number, radius: [number, number], colour: (c: number) => number, strength: [number, number], where: (x: number, y: number, z: number) => boolean, saltK: number): void => {
    let placed = 0;
    for (let tries = 0; placed < count && tries < count * 40; tries++) {
      const tx = Math.floor(hash(tries, saltK, salt + 6) * W);
      const ty = Math.floor(hash(tries, saltK, salt + 7) * H);
      const i = ty * W + tx;
      const f = raster.face[i]!;
      if (f < 0 || !skinLike[regionOfFace[f]!] || regionOfFace[f] === R.scalp) continue;
      if (!where(pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!)) continue;
      const rad = radius[0] + (radius[1] - radius[0]) * hash(tries, saltK, salt + 8);
      const s = strength[0] + (strength[1] - strength[0]) * hash(tries, saltK, salt + 9);
      for (let yy = Math.floor(ty - rad); yy <= Math.ceil(ty + rad); yy++) {
        for (let xx = Math.floor(tx - rad); xx <= Math.ceil(tx + rad); xx++) {
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const d = Math.hypot(xx - tx, yy - ty) / rad;
          if (d > 1) continue;
          const j = yy * W + xx;
          const w = s * smoothstep(1, 0.5, d);
          for (let c = 0; c < 3; c++) out[3 * j + c] = out[3 * j + c]! * (1 - w) + w * out[3 * j + c]! * colour(c);
        }
      }
      placed++;
    }
  };
  spots(look.freckles, [1.2, 3.2], (c) => [0.72, 0.55, 0.45][c]!, [0.4, 0.9], (x, y, z) => z > 0.04 && y > noseBase[1] - 0.02 && y < eyes[0]![1] + 0.01, 11);
  spots(look.moles, [2.5, 5], (c) => [0.35, 0.25, 0.22][c]!, [0.7, 1], (_x, _y, z) => z > -0.03, 12);
  return { data: out, width: W, height: H };
}
