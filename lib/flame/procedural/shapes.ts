/**
 * Identity (shape) components: each is a smooth displacement field over the canonical head,
 * named after what it changes, scaled so that a coefficient of 1 is about one standard
 * deviation of that trait in adults (FLAME's convention: coefficients ~ N(0, 1)). Rigid parts
 * do not deform: eyeballs, teeth and tongue take the field's value at their anchor (a pure
 * translation), and the skin around each eye moves with its eyeball, so lids stay on it.
 *
 * @module
 */

import { PART, type Assembled } from './assemble.js';
import { blob, blob2, browMask, cheekMask, eyeZone, faceFront, mouthMask, neckAxisDistance } from './masks.js';
import { gauss, smoothstep, type Vec3 } from './math.js';
import { TONGUE } from './mouth.js';
import { eyeCentre, SPEC } from './spec.js';

/** A displacement field: metres at coefficient 1, for a point of the given part. */
export type Field = (p: Vec3, part: number) => Vec3;

const M = SPEC.mouth;
const sgn = (x: number): number => (x < 0 ? -1 : 1);
const isEar = (part: number): boolean => part === PART.ear_left || part === PART.ear_right;
/** The neck's share of a point (fields that shape the head leave the neck's cut alone). */
const aboveNeck = (p: Vec3): number => smoothstep(-0.125, -0.07, p[1]);
/** Nose region (bridge to alae), for nose components. */
const noseMask = (p: Vec3): number => gauss((p[0] / 0.014) ** 2 + ((p[1] + 0.004) / 0.02) ** 2) * smoothstep(0.07, 0.09, p[2]);
/** Lower face (below the nose), for face-height components. */
const lowerFace = (p: Vec3): number => smoothstep(-0.02, -0.075, p[1]) * smoothstep(-0.035, 0.0, p[2]) * aboveNeck(p);
/** The ear's own frame: its centre, for size and protrusion. */
const earCentre = (side: number): Vec3 => [side * SPEC.ear.centre[0], SPEC.ear.centre[1], SPEC.ear.centre[2]];

/** The shape components, in order (shapedirs' last axis). */
export const SHAPE_COMPONENTS: readonly { name: string; field: Field }[] = [
  { name: 'head_width', field: (p) => [0.032 * p[0] * aboveNeck(p), 0, 0] },
  { name: 'head_length', field: (p) => [0, 0, -0.006 * smoothstep(0.02, -0.06, p[2]) * smoothstep(-0.06, -0.01, p[1])] },
  { name: 'cranium_height', field: (p) => [0, 0.006 * smoothstep(0.02, 0.12, p[1]), 0] },
  { name: 'face_height', field: (p) => [0, -0.0045 * lowerFace(p), 0] },
  { name: 'face_width', field: (p) => [sgn(p[0]) * 0.0035 * blob2(p, [0.058, -0.005, 0.02], [0.025, 0.03, 0.04]), 0, 0] },
  { name: 'jaw_width', field: (p) => [sgn(p[0]) * 0.0045 * smoothstep(0.015, 0.045, Math.abs(p[0])) * gauss(((p[1] + 0.072) / 0.025) ** 2) * smoothstep(-0.04, -0.01, p[2]), 0, 0] },
  { name: 'jaw_angle', field: (p) => [0, -0.003 * blob2(p, [0.052, -0.075, -0.008], [0.02, 0.02, 0.025]), 0] },
  { name: 'chin_protrusion', field: (p) => [0, 0, 0.0038 * gauss((p[0] / 0.02) ** 2 + ((p[1] + 0.088) / 0.016) ** 2) * faceFront(p)] },
  { name: 'chin_height', field: (p) => [0, -0.003 * gauss((p[0] / 0.025) ** 2 + ((p[1] + 0.092) / 0.014) ** 2) * faceFront(p), 0] },
  { name: 'nose_length', field: (p) => [0, -0.0028 * noseMask(p) * smoothstep(0.02, -0.005, p[1]), 0] },
  { name: 'nose_width', field: (p) => [sgn(p[0]) * 0.0022 * blob2(p, [0.013, -0.019, 0.09], [0.008, 0.009, 0.02]), 0, 0] },
  { name: 'nose_bridge', field: (p) => [0, 0, 0.0025 * gauss((p[0] / 0.009) ** 2 + ((p[1] - 0.008) / 0.016) ** 2) * smoothstep(0.07, 0.085, p[2])] },
  { name: 'nose_tip', field: (p) => [0, 0.0016 * blob(p, [0, SPEC.nose.tipY, 0.105], [0.009, 0.008, 0.015]), 0.0012 * blob(p, [0, SPEC.nose.tipY, 0.105], [0.009, 0.008, 0.015])] },
  { name: 'cheekbones', field: (p) => [sgn(p[0]) * 0.0016 * blob2(p, [0.05, 0.0, 0.05], [0.016, 0.012, 0.03]), 0, 0.0022 * blob2(p, [0.05, 0.0, 0.05], [0.016, 0.012, 0.03])] },
  { name: 'cheek_fullness', field: (p) => [sgn(p[0]) * 0.0025 * (cheekMask(p, 1) + cheekMask(p, -1)), 0, 0.001 * (cheekMask(p, 1) + cheekMask(p, -1))] },
  { name: 'brow_ridge', field: (p) => [0, 0, 0.0024 * browMask(p) * gauss(((p[1] - SPEC.brow.y) / 0.01) ** 2)] },
  { name: 'forehead_slope', field: (p) => [0, 0, -0.0045 * smoothstep(0.05, 0.11, p[1]) * faceFront(p)] },
  { name: 'eye_spacing', field: (p) => [sgn(p[0]) * 0.0018 * Math.max(eyeZoneWide(p, 1), eyeZoneWide(p, -1)), 0, 0] },
  { name: 'eye_height', field: (p) => [0, 0.002 * Math.max(eyeZoneWide(p, 1), eyeZoneWide(p, -1)), 0] },
  { name: 'eye_depth', field: (p) => [0, 0, -0.0016 * Math.max(eyeZoneWide(p, 1), eyeZoneWide(p, -1))] },
  { name: 'lip_fullness', field: (p) => [0, 0.0009 * Math.sign(p[1] - M.y) * mouthMask(p, 0.016, 0.008), 0.0016 * mouthMask(p, 0.018, 0.01)] },
  { name: 'mouth_width', field: (p) => [0.09 * p[0] * mouthMask(p, 0.026, 0.014), 0, 0] },
  { name: 'ear_size', field: (p, part) => (isEar(part) ? scale3(sub3(p, earCentre(sgn(p[0]))), 0.07) : [0, 0, 0]) },
  { name: 'ear_protrusion', field: (p, part) => (isEar(part) ? [sgn(p[0]) * 0.0045 * smoothstep(-0.005, -0.03, p[2]), 0, 0] : [0, 0, 0]) },
  { name: 'neck_thickness', field: (p) => {
    const w = 0.003 * smoothstep(-0.06, -0.1, p[1]);
    const r = neckAxisDistance(p) || 1;
    return [(w * p[0]) / r, 0, (w * (p[2] - SPEC.neckAxisZ)) / r];
  } },
  { name: 'occiput', field: (p) => [0, 0, -0.004 * gauss(((p[1] - 0.03) / 0.035) ** 2) * smoothstep(-0.03, -0.08, p[2])] },
];

/** Eye features move the eye, its lids and socket together, fading over the surrounding brow and cheek. */
function eyeZoneWide(p: Vec3, side: 1 | -1): number {
  const c = eyeCentre(side);
  return gauss(((p[0] - c[0]) / 0.019) ** 2 + ((p[1] - c[1]) / 0.017) ** 2) * smoothstep(c[2] - 0.025, c[2] - 0.01, p[2]);
}

function sub3(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function scale3(a: Vec3, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/** Where each rigid part takes its translation from. */
function rigidAnchor(part: number): Vec3 | undefined {
  const zf = SPEC.teeth.upperFrontZ;
  if (part === PART.eye_left) return eyeCentre(1);
  if (part === PART.eye_right) return eyeCentre(-1);
  if (part === PART.teeth_upper) return [0, M.y + 0.006, zf - 0.012];
  if (part === PART.teeth_lower) return [0, M.y - 0.008, zf - 0.012];
  if (part === PART.tongue) return TONGUE.centre;
  return undefined;
}

/**
 * A field evaluated on the canonical head [V, 3], with rigid parts translated and the skin of
 * each eye's zone blended towards its eyeball's translation.
 */
export function evaluateField(asm: Assembled, field: Field): Float64Array {
  const out = new Float64Array(asm.vertexCount * 3);
  const eyeT = [eyeCentre(1), eyeCentre(-1)].map((c) => field(c, PART.head));
  const cache = new Map<number, Vec3>();
  for (let i = 0; i < asm.vertexCount; i++) {
    const part = asm.vertexPart[i]!;
    const p: Vec3 = [asm.positions[3 * i]!, asm.positions[3 * i + 1]!, asm.positions[3 * i + 2]!];
    const anchor = rigidAnchor(part);
    let d: Vec3;
    if (anchor) {
      if (!cache.has(part)) cache.set(part, field(anchor, PART.head));
      d = cache.get(part)!;
    } else {
      d = field(p, part);
      for (const [k, side] of [
        [0, 1],
        [1, -1],
      ] as const) {
        const w = eyeZone(p, side);
        if (w > 0) d = [d[0] + (eyeT[k]![0] - d[0]) * w, d[1] + (eyeT[k]![1] - d[1]) * w, d[2] + (eyeT[k]![2] - d[2]) * w];
      }
    }
    out.set(d, 3 * i);
  }
  return out;
}

/** Shape blendshapes [V, 3, S] of the canonical head. */
export function shapeDirs(asm: Assembled): Float64Array {
  const S = SHAPE_COMPONENTS.length;
  const out = new Float64Array(asm.vertexCount * 3 * S);
  SHAPE_COMPONENTS.forEach((c, k) => {
    const d = evaluateField(asm, c.field);
    for (let i = 0; i < asm.vertexCount * 3; i++) out[i * S + k] = d[i]!;
  });
  return out;
}

/**
 * Small left-right asymmetries that make a drawn identity less perfect (not components:
 * they only enter the template): a deviated nose, one eye higher, a tilted mouth, a chin off
 * the midline, one ear higher. Metres at amplitude 1.
 */
export const ASYMMETRIES: readonly Field[] = [
  (p) => [0.0013 * noseMask(p) * smoothstep(0.025, 0.0, p[1]), 0, 0],
  (p) => [0, 0.0009 * eyeZoneWide(p, 1), 0],
  (p) => [0, 0.0009 * (p[0] / M.cornerX) * mouthMask(p, 0.026, 0.016), 0],
  (p) => [0.0013 * gauss((p[0] / 0.025) ** 2 + ((p[1] + 0.085) / 0.02) ** 2) * faceFront(p), 0, 0],
  (_p, part) => [0, part === PART.ear_left ? 0.0018 : 0, 0],
];
