/**
 * Plausible albedo per vertex for debug renders: skin with warmer cheeks, nose and ears,
 * red lips, eyebrows and a hair cap, dark lid margins (lashes), nostrils, white sclera with a
 * coloured iris and black pupil, white teeth with pink gums, a pink tongue and a dark mouth
 * interior. Colours are smooth functions of position so the boundaries do not follow the
 * mesh's rows.
 *
 * @module
 */

import { AXIS_Z } from './blank.js';
import { PART, type Assembled } from './assemble.js';
import { hairlineY, lipCoordinate } from './features.js';
import { clamp, gauss, lerp, lerp3, smoothstep, type Vec3 } from './math.js';
import { vertexNormals } from './mesh.js';
import { TONGUE } from './mouth.js';
import { EYE_ROW } from './shell.js';
import { eyeCentre, SPEC } from './spec.js';

/** An identity's colours (linear-ish RGB in [0, 1]). */
export interface Palette {
  skin: Vec3;
  hair: Vec3;
  iris: Vec3;
  lip: Vec3;
}

export const DEFAULT_PALETTE: Palette = {
  skin: [0.8, 0.6, 0.5],
  hair: [0.2, 0.13, 0.09],
  iris: [0.33, 0.22, 0.12],
  lip: [0.7, 0.33, 0.33],
};

const mix = (a: Vec3, b: Vec3, t: number): Vec3 => lerp3(a, b, clamp(t, 0, 1));
const mul = (a: Vec3, s: Vec3): Vec3 => [a[0] * s[0], a[1] * s[1], a[2] * s[2]];

/** Eyebrow coverage at a face point: an arched band over each eye, thick medially, tapering out. */
function eyebrow(x: number, y: number, z: number): number {
  if (z < 0.03) return 0;
  const ax = Math.abs(x);
  const t = (ax - 0.0115) / 0.047; // 0 medial end, 1 lateral tail
  if (t < -0.4 || t > 1.3) return 0;
  const tc = clamp(t, 0, 1);
  const centre = SPEC.brow.y + 0.0005 + 0.0052 * Math.sin(Math.PI * tc ** 0.7) - 0.004 * Math.max(tc - 0.7, 0);
  const half = lerp(0.0036, 0.0015, tc);
  const across = gauss(((y - centre) / half) ** 4);
  const along = smoothstep(-0.12, 0.1, t) * smoothstep(1.15, 0.85, t);
  return across * along;
}

/** Albedo of a point of the head's surface (skin, lips, brows, hair, lids, nostrils). */
function skinColor(p: Vec3, normal: Vec3, palette: Palette, lidMargin: number, hair = true): Vec3 {
  const [x, y, z] = p;
  const ax = Math.abs(x);
  let c = palette.skin;
  // Warmth: cheeks, nose tip, chin and ears are a little redder.
  const blush = 0.5 * gauss(((ax - 0.04) / 0.018) ** 2 + ((y + 0.005) / 0.016) ** 2) + 0.35 * gauss((x / 0.012) ** 2 + ((y - SPEC.nose.tipY) / 0.012) ** 2) + 0.15 * gauss((x / 0.015) ** 2 + ((y - SPEC.chin.y) / 0.01) ** 2);
  c = mix(c, mul(c, [1.05, 0.86, 0.84]), blush * (z > 0.03 ? 1 : 0));
  // Lips: the vermilion, with a soft border.
  if (z > 0.05 && ax < SPEC.mouth.cornerX + 0.004) {
    const w = Math.abs(lipCoordinate(ax, y));
    // A crisp vermilion border (real lips change colour within a millimetre or so).
    const lip = smoothstep(1.07, 0.95, w) * smoothstep(SPEC.mouth.cornerX + 0.002, SPEC.mouth.cornerX - 0.003, ax);
    c = mix(c, palette.lip, lip);
  }
  // Nostrils: dark on the nose's underside, either side of the columella.
  const nostril = gauss(((ax - 0.0064) / 0.0029) ** 2 + ((y - SPEC.nose.subnasaleY - 0.0034) / 0.0024) ** 2) * smoothstep(-0.1, -0.45, normal[1]);
  if (z > 0.06) c = mix(c, [0.1, 0.05, 0.04], nostril * 0.95);
  // Eyebrows and the hair cap.
  c = mix(c, palette.hair, 0.8 * eyebrow(x, y, z));
  const theta = Math.atan2(x, z - AXIS_Z);
  if (hair) c = mix(c, palette.hair, smoothstep(-0.006, 0.008, y - hairlineY(theta)));
  // Lid margins: lashes along the upper lid, a faint line on the lower.
  c = mix(c, [0.06, 0.04, 0.04], lidMargin);
  return c;
}

/** Eyeball: black pupil, iris darkening outwards with a dark limbal ring, white sclera (pinker towards the back). */
function eyeColor(p: Vec3, side: 1 | -1, palette: Palette): Vec3 {
  const E = SPEC.eye;
  const centre = eyeCentre(side);
  const r = Math.hypot(p[0] - centre[0], p[1] - centre[1]);
  const front = p[2] > centre[2];
  if (front && r < E.pupilRadius * 1.02) return [0.02, 0.02, 0.02];
  if (front && r < E.irisRadius * 0.98) return mix(palette.iris, mul(palette.iris, [0.55, 0.55, 0.55]), (r - E.pupilRadius) / (E.irisRadius - E.pupilRadius));
  if (front && r < E.irisRadius * 1.03) return mul(palette.iris, [0.35, 0.35, 0.35]);
  return mix([0.93, 0.91, 0.88], [0.85, 0.62, 0.6], smoothstep(0.6, 0.1, (p[2] - centre[2]) / E.radius) * 0.6);
}

/** Teeth: enamel, darker in the gaps between teeth, pink gums. */
function teethColor(gum: number, gap: number): Vec3 {
  return mix(mix([0.9, 0.87, 0.79], [0.55, 0.5, 0.45], gap * 0.7), [0.78, 0.42, 0.42], gum);
}

/**
 * Mouth cavity: dark red mucosa, near black further in (the throat). The vestibule under the
 * lower lip (in front of the lower teeth, below the lips' edge) is lip lining: it is only ever
 * seen through the lower lip's and chin's skin, a few millimetres in front of it, and there
 * a dark colour drew a ghost line under the lip.
 */
function cavityColor(p: Vec3, palette: Palette): Vec3 {
  const deep = mix([0.3, 0.08, 0.08], [0.05, 0.012, 0.012], clamp((SPEC.teeth.upperFrontZ + 0.004 - p[2]) / 0.04, 0, 1));
  const vestibule = smoothstep(SPEC.teeth.upperFrontZ - 0.006, SPEC.teeth.upperFrontZ - 0.001, p[2]) * smoothstep(SPEC.mouth.y - 0.005, SPEC.mouth.y - 0.009, p[1]);
  return mix(deep, mix(palette.lip, palette.skin, 0.5), vestibule);
}

/** Tongue: muted pink on top, darker underneath. */
function tongueColor(p: Vec3): Vec3 {
  return mix([0.72, 0.36, 0.37], [0.45, 0.18, 0.2], smoothstep(0.0, -0.006, p[1] - TONGUE.centre[1]));
}

/** Ears: skin (no hair), a little redder, darker in the concha around the ear's centre. */
function earColor(p: Vec3, normal: Vec3, palette: Palette): Vec3 {
  const e = SPEC.ear.centre;
  const bowl = gauss(((Math.abs(p[0]) - e[0] + 0.004) / 0.006) ** 2 + ((p[1] - e[1]) / 0.009) ** 2 + ((p[2] - e[2]) / 0.008) ** 2);
  return mix(mul(skinColor(p, normal, palette, 0, false), [1.02, 0.93, 0.92]), mul(palette.skin, [0.62, 0.42, 0.4]), 0.6 * bowl);
}

/** How dark a shell vertex's lid margin is: lashes on the upper lid, a faint line on the lower. */
function lidMargin(asm: Assembled, i: number): number {
  const { vertices, layout } = asm.surface.shell;
  const v = vertices[i]!;
  const inEye = (['eye_left', 'eye_right'] as const).some((k) => v.c >= layout.slits[k].first && v.c <= layout.slits[k].last);
  if (!inEye) return 0;
  if (v.j === EYE_ROW) return v.side >= 0 ? 0.85 : 0.45;
  return v.j === EYE_ROW - 1 ? 0.35 : 0;
}

/** Per-vertex colours [V, 3] of the assembled head. */
export function vertexColors(asm: Assembled, palette: Palette = DEFAULT_PALETTE): Float32Array {
  const out = new Float32Array(asm.vertexCount * 3);
  const normals = vertexNormals(asm.positions, asm.faces);
  for (let i = 0; i < asm.vertexCount; i++) {
    const p: Vec3 = [asm.positions[3 * i]!, asm.positions[3 * i + 1]!, asm.positions[3 * i + 2]!];
    const n: Vec3 = [normals[3 * i]!, normals[3 * i + 1]!, normals[3 * i + 2]!];
    const part = asm.vertexPart[i]!;
    let c: Vec3;
    if (part === PART.head && i < asm.surface.shellVertexCount) {
      c = skinColor(p, n, palette, lidMargin(asm, i));
      // The lips' inner edge turns into the mouth's darker lining.
      if (asm.surface.lipSide[i] !== 0) c = mix(c, mul(palette.lip, [0.75, 0.6, 0.6]), 0.6);
    } else if (part === PART.head) c = cavityColor(p, palette);
    else if (part === PART.eye_left || part === PART.eye_right) c = eyeColor(p, part === PART.eye_left ? 1 : -1, palette);
    else if (part === PART.teeth_upper || part === PART.teeth_lower) {
      const [info, k] = part === PART.teeth_upper ? [asm.teeth.upper, i - asm.partOffset.teeth_upper] : [asm.teeth.lower, i - asm.partOffset.teeth_lower];
      c = teethColor(info.gum[k]!, info.gap[k]!);
    } else if (part === PART.tongue) c = tongueColor(p);
    else c = earColor(p, n, palette);
    out.set(c.map((x) => clamp(x, 0, 1)), 3 * i);
  }
  return out;
}
