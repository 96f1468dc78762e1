/**
 * Expression blendshapes: displacements of the canonical head at coefficient 1 (a full
 * expression). Lid movements (blinks, wide eyes, squint, a smile's raised lower lids)
 * re-build the shell with the lids moved, so the lids slide over the eyeball instead of
 * cutting through it; the rest are smooth displacement fields around the mouth, cheeks and
 * brows. The jaw opening rotates
 * the lower face about the jaw joint by an angle that follows the skinning's jaw share, so
 * the lips and cheeks stretch between the still upper face and the lowered jaw. Eyeballs and
 * teeth are rigid: only the jaw opening moves the lower teeth and the tongue.
 *
 * @module
 */

import { PART, type Assembled } from './assemble.js';
import { LIDS_AT_REST, type LidState } from './eyelids.js';
import { blob2, browMask, cheekMask, cornerMask, eyesZone, faceFront, mouthMask } from './masks.js';
import { gauss, smoothstep, type Vec3 } from './math.js';
import { JOINT_COUNT, skinningWeights } from './skinning.js';
import { SPEC } from './spec.js';
import { surfacePositionsWithLids } from './surface.js';

const M = SPEC.mouth;
const sgn = (x: number): number => (x < 0 ? -1 : 1);

/** What an expression needs to know about a vertex. */
interface VertexInfo {
  p: Vec3;
  /** +1 upper lip's edge / the cavity's roof, -1 lower, 0 elsewhere. */
  lipSide: number;
}

type ExprField = (v: VertexInfo) => Vec3;

/** Jaw opening angle at coefficient 1 (radians, about +x: the chin goes down and back). */
export const JAW_OPEN_ANGLE = 0.2;

/** Vertices that never move with expressions (other than the jaw opening). */
const isRigid = (part: number): boolean => part !== PART.head && part !== PART.ear_left && part !== PART.ear_right;

/** Lips around the mouth, with the lips' centre moving less than their corners (by |x|). */
const cornerShare = (p: Vec3): number => Math.min(Math.abs(p[0]) / M.cornerX, 1.3) ** 1.4;

const FIELDS: Record<string, ExprField> = {
  lip_round: ({ p, lipSide }) => {
    const m = mouthMask(p, 0.024, 0.02);
    const centre = gauss((p[0] / 0.018) ** 2);
    // Narrow the mouth, push the lips forward (most at the centre), part them a little.
    const part = lipSide > 0 ? 0.0016 : lipSide < 0 ? -0.0021 : 0;
    return [-0.4 * p[0] * m, (0.0008 * Math.sign(p[1] - M.y) + part) * m * centre, 0.0095 * m * (0.45 + 0.55 * centre)];
  },
  lip_press: ({ p }) => {
    const m = mouthMask(p, 0.022, 0.011);
    // The vermilion rolls in: borders move towards the contact line, the bulge flattens.
    return [0, -0.45 * (p[1] - M.y) * m, -0.0018 * m];
  },
  smile: ({ p }) => {
    const s = sgn(p[0]);
    const c = cornerMask(p, s as 1 | -1, 0.013) + 0.6 * mouthMask(p, 0.026, 0.012) * cornerShare(p);
    const cheek = cheekMask(p, s as 1 | -1) + 0.7 * blob2(p, [0.038, -0.012, 0.06], [0.014, 0.012, 0.03]);
    return [s * 0.0058 * c, 0.0062 * c + 0.0028 * cheek, -0.0032 * c + 0.0016 * cheek];
  },
  lip_corner_down: ({ p }) => {
    const s = sgn(p[0]);
    const c = cornerMask(p, s as 1 | -1, 0.012) + 0.5 * mouthMask(p, 0.026, 0.012) * cornerShare(p);
    return [s * 0.0012 * c, -0.0052 * c, -0.0008 * c];
  },
  lip_stretch: ({ p }) => {
    const s = sgn(p[0]);
    const c = cornerMask(p, s as 1 | -1, 0.013) + 0.6 * mouthMask(p, 0.026, 0.012) * cornerShare(p);
    return [s * 0.0068 * c, -0.0006 * c, -0.0025 * c];
  },
  cheek_puff: ({ p }) => {
    const c = cheekMask(p, 1) + cheekMask(p, -1);
    return [sgn(p[0]) * 0.0065 * c, 0, 0.002 * c + 0.0015 * mouthMask(p, 0.02, 0.012)];
  },
  mouth_left: ({ p }) => [0.0065 * mouthMask(p, 0.026, 0.02), 0, 0],
  mouth_right: ({ p }) => [-0.0065 * mouthMask(p, 0.026, 0.02), 0, 0],
  upper_lip_raise: ({ p, lipSide }) => {
    // The upper lip (and its edge, so the upper teeth show) goes up; the lower one stays.
    const upper = lipSide > 0 ? 1 : lipSide < 0 ? 0 : smoothstep(M.y - 0.002, M.y + 0.003, p[1]);
    const m = mouthMask(p, 0.022, 0.018) * upper * smoothstep(SPEC.nose.subnasaleY + 0.004, M.y + 0.004, p[1]);
    return [0, 0.0042 * m, 0.0008 * m];
  },
  lower_lip_depress: ({ p, lipSide }) => {
    const lower = lipSide < 0 ? 1 : lipSide > 0 ? 0 : smoothstep(M.y + 0.002, M.y - 0.003, p[1]);
    const m = mouthMask(p, 0.022, 0.018) * lower * smoothstep(M.foldY - 0.006, M.y - 0.004, p[1]);
    return [0, -0.0045 * m, 0.0008 * m];
  },
  brow_raise: ({ p }) => {
    const m = browMask(p) + 0.45 * smoothstep(0.03, 0.05, p[1]) * smoothstep(0.11, 0.06, p[1]) * faceFront(p) * (1 - eyesZone(p));
    return [0, 0.0058 * Math.min(m, 1), 0.0004 * m];
  },
  brow_furrow: ({ p }) => {
    const m = browMask(p) * gauss(((Math.abs(p[0]) - 0.017) / 0.014) ** 2);
    return [-sgn(p[0]) * 0.0024 * m, -0.0032 * m, 0.0008 * m];
  },
};

/** Both eyes' lids in one state. */
const both = (s: LidState): { left: LidState; right: LidState } => ({ left: s, right: s });

/** Lid states of the expressions that move the lids (a smile's cheeks push the lower lids up). */
const LIDS: Record<string, { left: LidState; right: LidState }> = {
  blink_left: { left: { close: 1, lowerRaise: 0 }, right: LIDS_AT_REST },
  blink_right: { left: LIDS_AT_REST, right: { close: 1, lowerRaise: 0 } },
  eye_wide: both({ close: -1, lowerRaise: -0.0004 }),
  squint: both({ close: 0.22, lowerRaise: 0.0021 }),
  smile: both({ close: 0.06, lowerRaise: 0.0012 }),
};

/** Expression names, in order (exprdirs' last axis). */
export const EXPRESSION_NAMES = [
  'jaw_open',
  'lip_round',
  'lip_press',
  'smile',
  'blink_left',
  'blink_right',
  'brow_raise',
  'brow_furrow',
  'lip_corner_down',
  'cheek_puff',
  'mouth_left',
  'mouth_right',
  'upper_lip_raise',
  'lower_lip_depress',
  'lip_stretch',
  'eye_wide',
  'squint',
] as const;

/**
 * The jaw opening: each vertex turns about the jaw's axis by the angle times its jaw share
 * (so the cheeks and the mouth's corners stretch between the still upper face and the jaw);
 * the mouth's corners are drawn in a little and the upper lip lifts off the teeth.
 */
function jawOpen(asm: Assembled): Float64Array {
  const W = skinningWeights(asm);
  const J = SPEC.joints.jaw;
  const out = new Float64Array(asm.vertexCount * 3);
  for (let i = 0; i < asm.vertexCount; i++) {
    const p: Vec3 = [asm.positions[3 * i]!, asm.positions[3 * i + 1]!, asm.positions[3 * i + 2]!];
    const w = W[i * JOINT_COUNT + 2]!;
    const a = JAW_OPEN_ANGLE * w;
    const [y, z] = [p[1] - J[1], p[2] - J[2]];
    // Rotation about +x: (y, z) -> (y cos a - z sin a, y sin a + z cos a).
    const d: Vec3 = [0, y * Math.cos(a) - z * Math.sin(a) - y, y * Math.sin(a) + z * Math.cos(a) - z];
    if (asm.vertexPart[i] === PART.head) {
      d[0] -= 0.06 * p[0] * mouthMask(p, 0.03, 0.014);
      const side = asm.surface.lipSide[i]!;
      const upper = side > 0 ? 1 : side < 0 ? 0 : smoothstep(M.y - 0.001, M.y + 0.004, p[1]);
      d[1] += 0.0014 * upper * mouthMask(p, 0.02, 0.012) * Math.max(1 - 2 * w, 0);
    }
    out.set(d, 3 * i);
  }
  return out;
}

/** Displacement [V, 3] of a field expression (zero on rigid parts and in the eyes' zones). */
function fieldDisplacement(asm: Assembled, field: ExprField): Float64Array {
  const d = new Float64Array(asm.vertexCount * 3);
  for (let i = 0; i < asm.vertexCount; i++) {
    if (isRigid(asm.vertexPart[i]!)) continue;
    const p: Vec3 = [asm.positions[3 * i]!, asm.positions[3 * i + 1]!, asm.positions[3 * i + 2]!];
    // Lids belong to the lid states: the fields leave the eyes' zones alone.
    const keep = 1 - eyesZone(p);
    const f = field({ p, lipSide: asm.surface.lipSide[i]! });
    d.set([f[0] * keep, f[1] * keep, f[2] * keep], 3 * i);
  }
  return d;
}

/** Expression blendshapes [V, 3, E] of the canonical head: each the sum of its jaw, field and lid parts. */
export function expressionDirs(asm: Assembled): Float64Array {
  const E = EXPRESSION_NAMES.length;
  const V = asm.vertexCount;
  const out = new Float64Array(V * 3 * E);
  const rest = surfacePositionsWithLids();
  EXPRESSION_NAMES.forEach((name, k) => {
    const parts: Float64Array[] = [];
    if (name === 'jaw_open') parts.push(jawOpen(asm));
    if (FIELDS[name]) parts.push(fieldDisplacement(asm, FIELDS[name]));
    if (LIDS[name]) {
      const moved = surfacePositionsWithLids(LIDS[name]);
      parts.push(moved.map((x, i) => x - rest[i]!));
    }
    if (parts.length === 0) throw new Error(`procedural head: expression ${name} has no definition`);
    for (const d of parts) d.forEach((x, i) => (out[i * E + k] += x));
  });
  return out;
}
