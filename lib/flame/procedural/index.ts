/**
 * A procedural head in FLAME format, deterministic from a seed: what the tests, the demo and
 * the synthetic studio use in place of the real FLAME model (DESIGN.md §7). Same keys and
 * semantics as FLAME (metres; +x the head's left, +y up, +z out of the face; joints root,
 * neck, jaw, left eye, right eye), about 7k vertices, with named shape and expression
 * components, pose correctives, a UV layout, the 68 iBUG landmarks, per-face regions and
 * per-vertex colours for debug renders.
 *
 * How it is built (one module each): a featureless head-and-neck blank (blank.ts) carries a
 * grid of meridian columns and rows (shell.ts) whose rows pass through the eye fissures and
 * the lips' contact line, which are slits; the face's features are a height field over the
 * blank (features.ts); the lids are laid over the eyeballs (eyelids.ts). Eyeballs, the mouth's
 * cavity, teeth, tongue and ears are separate parts (eyes.ts, mouth.ts, ears.ts) assembled in
 * assemble.ts. Skinning, shape components, expressions, pose correctives, UVs, landmarks and
 * colours are each computed from the assembled canonical head (skinning.ts, shapes.ts,
 * expressions.ts, posedirs.ts, uv.ts, landmarks.ts, colors.ts); a seed draws an identity
 * (identity.ts) as shape coefficients, small asymmetries and colours.
 *
 * @module
 */

import { ValidationError } from '../../errors.js';
import type { FlameModel } from '../model.js';
import { assemble, PART, type Assembled } from './assemble.js';
import { vertexColors } from './colors.js';
import { EXPRESSION_NAMES, expressionDirs } from './expressions.js';
import { drawIdentity } from './identity.js';
import { embedLandmarks } from './landmarks.js';
import { POSE_FEATURES, poseDirs } from './posedirs.js';
import { ASYMMETRIES, evaluateField, SHAPE_COMPONENTS, shapeDirs } from './shapes.js';
import { intendedJoints, jointRegressor, JOINT_COUNT, PARENTS, skinningWeights } from './skinning.js';
import { layoutUv } from './uv.js';
import { optionalOptions } from '../../arguments.js';

/** The jaw rotation (radians about +x) that the `jaw_open` expression at 1 corresponds to. */
export { JAW_OPEN_ANGLE } from './expressions.js';

/** Region names, indexed by the ids in {@link ProceduralHead.regions}.face. */
export const REGION_NAMES = [
  'scalp',
  'skin',
  'nose',
  'eyelid_left',
  'eyelid_right',
  'lip_upper',
  'lip_lower',
  'ear_left',
  'ear_right',
  'neck',
  'eye_left',
  'eye_left_iris',
  'eye_left_pupil',
  'eye_right',
  'eye_right_iris',
  'eye_right_pupil',
  'mouth_interior',
  'teeth_upper',
  'teeth_lower',
  'tongue',
] as const;

export interface ProceduralHead {
  /** The head as a FLAME-format model (template, bases, skinning, UVs, landmarks). */
  model: FlameModel;
  /**
   * Per-face regions: `names[face[f]]` is face f's region. Eyeballs are `eye_left` (sclera),
   * `eye_left_iris`, `eye_left_pupil` (and `eye_right*`): every name starting with `eye_left`
   * is the left eyeball.
   */
  regions: {
    /** Region names. */
    names: string[];
    /** Each face's region, an index into `names`, [F]. */
    face: Uint8Array;
  };
  /** Plausible albedo per vertex for debug renders, [V, 3] in [0, 1]. */
  vertexColors: Float32Array;
  /** Names of the expression components, [E]. */
  expressionNames: string[];
  /** Names of the shape components, [S]. */
  shapeNames: string[];
  /**
   * Where the joints are meant to be on this identity's template, [5, 3] (FLAME order): the
   * canonical joints moved by the identity's displacement field at their place. The model's
   * jRegressor applied to vTemplate reproduces them to within a few millimetres.
   */
  joints: Float32Array;
}

export interface ProceduralHeadOptions {
  /**
   * Identity seed (default 0: the mean head, with default colours). Any integer gives a valid
   * head; the same seed, the same head.
   */
  seed?: number;
}

/** Everything that does not depend on the seed, computed once per process. */
interface Canonical {
  asm: Assembled;
  shapedirs: Float64Array;
  exprdirs: Float64Array;
  posedirs: Float64Array;
  weights: Float64Array;
  regressor: Float64Array;
  uv: ReturnType<typeof layoutUv>;
  landmarks: ReturnType<typeof embedLandmarks>;
  regionIds: Uint8Array;
}

let canonical: Canonical | undefined;

function getCanonical(): Canonical {
  if (canonical) return canonical;
  const asm = assemble();
  const regionIds = Uint8Array.from(asm.faceRegion, (name) => {
    const id = (REGION_NAMES as readonly string[]).indexOf(name);
    if (id < 0) throw new Error(`procedural head: unknown region ${name}`);
    return id;
  });
  canonical = {
    asm,
    shapedirs: shapeDirs(asm),
    exprdirs: expressionDirs(asm),
    posedirs: poseDirs(asm, intendedJoints()),
    weights: skinningWeights(asm),
    regressor: jointRegressor(asm),
    uv: layoutUv(asm),
    landmarks: embedLandmarks(asm),
    regionIds,
  };
  return canonical;
}

/**
 * Builds a procedural head. Deterministic: the same seed gives bit-identical arrays; other
 * seeds vary proportions and small asymmetries (and colours) within a plausible range.
 *
 * @throws {@link ValidationError} when the seed is not an integer.
 */
export function makeProceduralHead(options: ProceduralHeadOptions = {}): ProceduralHead {
  const seed = optionalOptions('makeProceduralHead', options).seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected options.seed to be an integer, received ${String(seed)}`);
  const c = getCanonical();
  const { asm } = c;
  const V = asm.vertexCount;
  const S = SHAPE_COMPONENTS.length;
  const identity = drawIdentity(seed);

  // The identity's template: the canonical head moved along the shape components by the
  // drawn coefficients, plus its asymmetries (the same rigid-part rules as the components).
  const template = Float64Array.from(asm.positions);
  for (let i = 0; i < V * 3; i++) {
    let d = 0;
    for (let k = 0; k < S; k++) d += c.shapedirs[i * S + k]! * identity.shape[k]!;
    template[i] += d;
  }
  ASYMMETRIES.forEach((field, k) => {
    const d = evaluateField(asm, field);
    for (let i = 0; i < V * 3; i++) template[i] += d[i]! * identity.asymmetry[k]!;
  });

  // Intended joints follow the identity: each canonical joint moved by the identity's
  // displacement field at that point (the eyes by their eyeball's translation).
  const joints = new Float32Array(JOINT_COUNT * 3);
  intendedJoints().forEach((p, j) => {
    const d = [0, 0, 0];
    SHAPE_COMPONENTS.forEach((comp, k) => comp.field(p, PART.head).forEach((x, a) => (d[a] += x * identity.shape[k]!)));
    ASYMMETRIES.forEach((field, k) => field(p, PART.head).forEach((x, a) => (d[a] += x * identity.asymmetry[k]!)));
    for (let a = 0; a < 3; a++) joints[3 * j + a] = p[a]! + d[a]!;
  });

  const model: FlameModel = {
    vertexCount: V,
    shapeCount: S,
    exprCount: EXPRESSION_NAMES.length,
    vTemplate: Float32Array.from(template),
    faces: Int32Array.from(asm.faces),
    shapedirs: Float32Array.from(c.shapedirs),
    exprdirs: Float32Array.from(c.exprdirs),
    posedirs: Float32Array.from(c.posedirs),
    jRegressor: Float32Array.from(c.regressor),
    lbsWeights: Float32Array.from(c.weights),
    parents: Int32Array.from(PARENTS),
    uv: { vt: Float32Array.from(c.uv.vt), ft: Int32Array.from(c.uv.ft) },
    landmarks: { faceIdx: Int32Array.from(c.landmarks.faceIdx), bary: Float32Array.from(c.landmarks.bary) },
  };
  if (model.posedirs.length !== V * 3 * POSE_FEATURES) throw new Error('procedural head: posedirs has the wrong size');
  return {
    model,
    regions: { names: [...REGION_NAMES], face: Uint8Array.from(c.regionIds) },
    vertexColors: vertexColors(asm, identity.palette),
    expressionNames: [...EXPRESSION_NAMES],
    shapeNames: SHAPE_COMPONENTS.map((s) => s.name),
    joints,
  };
}

