/**
 * Synthetic studio identities (DESIGN.md §7): one shared procedural head topology (the mean
 * head, `makeProceduralHead({ seed: 0 })`) made into a person by FLAME shape coefficients (so
 * that a dataset's `shape` parameters carry the identity, as VHAP's do), a palette (skin tone,
 * lips, irises, hair, brows) and a look: skin detail and face paint for the 1024² albedo map
 * (albedo.ts: pores, freckles, moles, stubble, make-up), a hair style with geometry (hair.ts),
 * optional glasses (glasses.ts) and a garment (body.ts). The heavy assets (textures, meshes)
 * are made lazily by the scene (scene.ts `studioAssets`), so drawing identities stays cheap.
 * `vertexColors` (per-vertex albedo with a smooth low-frequency texture) remains for code that
 * colours Gaussians or debug renders; the studio's ground truth uses the textures.
 *
 * @module
 */

import { ValidationError } from '../../errors.js';
import { assemble } from '../../flame/procedural/assemble.js';
import { vertexColors, type Palette } from '../../flame/procedural/colors.js';
import { makeProceduralHead, type ProceduralHead } from '../../flame/procedural/index.js';
import { clamp, Random, type Vec3 } from '../../flame/procedural/math.js';
import { drawPalette, type DrawnPalette } from '../../flame/procedural/palettes.js';
import { drawSkinLook, type SkinLook } from './albedo.js';
import { drawClothing, type ClothingStyle } from './body.js';
import { drawGlasses, type GlassesStyle } from './glasses.js';
import { drawHairStyle, type HairStyle } from './hair.js';
import { smoothNoise, type NoiseField } from './noise.js';
import { requireOptions } from '../../arguments.js';

/** What a seed draws beyond shape and palette. */
export interface IdentityLook {
  /** Skin and face paint. */
  skin: SkinLook;
  /** Hair. */
  hair: HairStyle;
  /** Glasses, or null for none. */
  glasses: GlassesStyle | null;
  /** Body and garment. */
  clothing: ClothingStyle;
}

/** An identity's colours (RGB in [0, 1]). */
export type IdentityPalette = DrawnPalette;

/** A synthetic person: the shared head, shape coefficients and colours. */
export interface SyntheticIdentity {
  /** The seed the identity was drawn from. */
  seed: number;
  /** The shared procedural head (seed 0): topology, bases, regions. Not to be modified. */
  head: ProceduralHead;
  /** FLAME shape coefficients over the head's components (`head.shapeNames`), [S]. */
  shape: Float32Array;
  /** Skin, lip, iris and hair colours. */
  palette: IdentityPalette;
  /** Albedo per vertex, textured, [V, 3] in [0, 1]. */
  vertexColors: Float32Array;
  /** Everything else the seed drew: skin detail, hair, glasses, clothing. */
  look: IdentityLook;
}

/** Options of {@link makeSyntheticIdentity}. */
export interface SyntheticIdentityOptions {
  /** Any safe integer; the same seed, the same identity. */
  seed: number;
}

/** Standard deviation and bound of the shape coefficients (the basis is scaled so 1 is a clear but plausible change). */
const SHAPE_SPREAD = 0.75;
const SHAPE_LIMIT = 2;

/** Regions that are skin-like (textured as skin). */
const SKIN_REGIONS = new Set(['skin', 'nose', 'eyelid_left', 'eyelid_right', 'lip_upper', 'lip_lower', 'ear_left', 'ear_right', 'neck']);

let sharedHead: ProceduralHead | undefined;

/** The shared mean head every identity is built on (made once per process). */
export function studioHead(): ProceduralHead {
  sharedHead ??= makeProceduralHead({ seed: 0 });
  return sharedHead;
}

/**
 * Per vertex, the share of its faces in each of two groups: the scalp, and skin-like regions
 * (the rest is eyes, teeth, tongue and the mouth's interior).
 */
function vertexRegionShares(head: ProceduralHead): { scalp: Float32Array; skin: Float32Array } {
  const V = head.model.vertexCount;
  const count = new Float32Array(V);
  const scalp = new Float32Array(V);
  const skin = new Float32Array(V);
  const { faces } = head.model;
  for (let f = 0; f < faces.length / 3; f++) {
    const name = head.regions.names[head.regions.face[f]!]!;
    for (let k = 0; k < 3; k++) {
      const v = faces[3 * f + k]!;
      count[v]! += 1;
      if (name === 'scalp') scalp[v]! += 1;
      else if (SKIN_REGIONS.has(name)) skin[v]! += 1;
    }
  }
  for (let v = 0; v < V; v++) {
    if (count[v]! > 0) {
      scalp[v] = scalp[v]! / count[v]!;
      skin[v] = skin[v]! / count[v]!;
    }
  }
  return { scalp, skin };
}

/**
 * Makes an identity: shape coefficients drawn over every component, a palette, and the
 * textured vertex colours. Deterministic: the same seed gives bit-identical arrays.
 *
 * @throws {@link ValidationError} when the seed is not a safe integer.
 */
export function makeSyntheticIdentity(options: SyntheticIdentityOptions): SyntheticIdentity {
  const seed = requireOptions('makeSyntheticIdentity', options).seed;
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected options.seed to be an integer, received ${String(seed)}`);
  const head = studioHead();
  // A salt keeps identity draws apart from makeProceduralHead's draws for the same seed.
  const rng = new Random(seed * 2 + 0x5eed1);
  const shape = Float32Array.from(head.shapeNames, () => clamp(SHAPE_SPREAD * rng.normal(), -SHAPE_LIMIT, SHAPE_LIMIT));
  const palette = drawPalette(rng);

  // Colours from the procedural head's own colouring, twice: with the hair colour (for the
  // scalp) and with the eyebrow colour (everywhere else), blended by each vertex's scalp share.
  const asm = assemble();
  const common: Omit<Palette, 'hair'> = { skin: palette.skin, iris: palette.iris, lip: palette.lip };
  const withHair = vertexColors(asm, { ...common, hair: palette.hair });
  const withBrows = vertexColors(asm, { ...common, hair: palette.eyebrow });
  const { scalp, skin } = vertexRegionShares(head);

  // Texture: smooth noise on the canonical surface (a few centimetres across) modulating
  // brightness and redness of the skin, and finer streaks in the hair.
  const blotch: NoiseField = smoothNoise(rng, { waves: 14, minWavelength: 0.025, maxWavelength: 0.09 });
  const redness: NoiseField = smoothNoise(rng, { waves: 10, minWavelength: 0.02, maxWavelength: 0.06 });
  const streaks: NoiseField = smoothNoise(rng, { waves: 16, minWavelength: 0.008, maxWavelength: 0.025 });
  const skinAmount = rng.range(0.05, 0.09);
  const rednessAmount = rng.range(0.015, 0.035);
  const hairAmount = rng.range(0.1, 0.18);

  const V = head.model.vertexCount;
  const p = head.model.vTemplate;
  const colors = new Float32Array(V * 3);
  for (let v = 0; v < V; v++) {
    const x = p[3 * v]!;
    const y = p[3 * v + 1]!;
    const z = p[3 * v + 2]!;
    const s = scalp[v]!;
    const k = skin[v]! + s; // textured share
    const light = 1 + k * ((1 - s) * skinAmount * blotch(x, y, z) + s * hairAmount * streaks(x, y, z));
    const red = (1 - s) * k * rednessAmount * redness(x, y, z);
    for (let c = 0; c < 3; c++) {
      const base = s * withHair[3 * v + c]! + (1 - s) * withBrows[3 * v + c]!;
      colors[3 * v + c] = clamp(base * light + red * (c === 0 ? 1 : -0.5), 0, 1);
    }
  }
  // The look from its own stream, so that shape and palette stay what they were for a seed.
  const lookRng = new Random(seed * 2 + 0x100c);
  const look: IdentityLook = { skin: drawSkinLook(lookRng), hair: drawHairStyle(lookRng), glasses: drawGlasses(lookRng), clothing: drawClothing(lookRng) };
  return { seed, head, shape, palette, vertexColors: colors, look };
}
