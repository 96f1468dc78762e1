/**
 * The teeth VHAP and GaussianAvatars add to FLAME (`FlameHead.add_teeth` in VHAP's
 * `vhap/model/flame.py` and GaussianAvatars' `flame_model/flame.py`): two rows of teeth
 * behind the lips, 120 vertices and 168 triangles, rigged to the neck (upper) and the jaw
 * (lower), so that Gaussians bound to them show teeth when the mouth opens.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { checkModel } from './flame.js';
import type { FlameModel } from './model.js';
import { requireFlameModel } from './require-model.js';
import {
  FLAME_VERTEX_COUNT,
  LIP_OUTSIDE_RING_LOWER,
  LIP_OUTSIDE_RING_UPPER,
  LOWER_TEETH_ROWS,
  TEETH_FACE_COUNT,
  TEETH_FACES_LOWER,
  TEETH_FACES_UPPER,
  TEETH_ROW_LENGTH,
  TEETH_ROWS,
  TEETH_UV_ROW_V,
  TEETH_UV_U_RANGE,
  TEETH_UV_V_RANGE,
  TEETH_UV_V_STEPS,
  TEETH_VERTEX_COUNT,
  UPPER_TEETH_ROWS,
} from './teeth-data.js';

/** FLAME's joints the teeth follow: the neck (upper teeth) and the jaw (lower teeth). */
const NECK = 1;
const JAW = 2;

/**
 * Adds VHAP's teeth to a FLAME 2020/2023 model. Its 120 vertices follow the model's own
 * (ids 5023-5142), in rows of 15 along the outer lip rings: upper root, lower root, upper edge,
 * lower edge, upper root back, upper edge back, lower root back, lower edge back. With d the
 * mean distance between paired upper and lower lip-ring vertices, the middle row is the pairs'
 * midpoints at their mean height, 1.5 d behind the lips; edges sit 0.1 d above / below it
 * (the lower one 0.4 d further back), roots 2 d beyond the edges, back rows d behind.
 *
 * - `shapedirs` of a teeth vertex: the mean of its paired lip-ring vertices' shape components;
 *   its `exprdirs` and `posedirs` are zero, as are its `jRegressor` columns (joints do not
 *   move); `lbsWeights`: upper teeth wholly on the neck joint, lower teeth on the jaw.
 * - `faces`: the 84 upper then 84 lower teeth triangles, after the model's (9976 + 168 for
 *   FLAME); landmarks keep their faces.
 * - `uv` (when the model has one): 120 texture coordinates after the model's, u from 0.62 to
 *   0.38 along each row, v from VHAP's table (rows of 1 - 0.0083 ... 1 - 0.0425); the teeth
 *   faces' `ft` are their `faces` with the model's VT added, as in VHAP.
 *
 * Idempotent: a model that already has the teeth (5143 vertices and the teeth triangles, as
 * this function or VHAP builds them, saved and loaded or not) is returned as it is.
 *
 * @param model - A FLAME 2020/2023 model (5023 vertices), not modified.
 * @returns A new model with the teeth, or `model` itself when it has them already.
 * @throws {@link ValidationError} when the model is inconsistent, or is not FLAME's
 *   topology (teeth need FLAME 2020/2023's 5023 vertices and its lip rings).
 *
 * @example
 * ```ts
 * const model = addFlameTeeth(await loadFlame('flame2023.pkl', { uv: 'head_template_mesh.obj' }));
 * model.vertexCount; // 5143
 * ```
 */
export function addFlameTeeth(model: FlameModel): FlameModel {
  requireFlameModel('addFlameTeeth', model);
  checkModel(model);
  if (hasFlameTeeth(model)) return model;
  const V = model.vertexCount;
  if (V !== FLAME_VERTEX_COUNT) {
    throw new ValidationError(
      `teeth need FLAME 2020/2023's topology (${FLAME_VERTEX_COUNT} vertices, whose lip rings VHAP's add_teeth builds on), ` +
        `received a model of ${V} vertices`,
    );
  }
  const N = TEETH_VERTEX_COUNT;
  const total = V + N;
  const { shapeCount: S, exprCount: E } = model;

  const vTemplate = new Float32Array(total * 3);
  vTemplate.set(model.vTemplate);
  vTemplate.set(teethVertices(model.vTemplate), V * 3);

  // Shape components: the mean of each lip-ring pair's, repeated along the 8 rows.
  const shapedirs = new Float32Array(total * 3 * S);
  shapedirs.set(model.shapedirs);
  for (let i = 0; i < TEETH_ROW_LENGTH; i++) {
    const up = LIP_OUTSIDE_RING_UPPER[i]! * 3 * S;
    const low = LIP_OUTSIDE_RING_LOWER[i]! * 3 * S;
    const mean = new Float32Array(3 * S);
    for (let k = 0; k < 3 * S; k++) mean[k] = (model.shapedirs[up + k]! + model.shapedirs[low + k]!) / 2;
    for (let row = 0; row < TEETH_ROWS; row++) shapedirs.set(mean, (V + row * TEETH_ROW_LENGTH + i) * 3 * S);
  }
  const exprdirs = new Float32Array(total * 3 * E);
  exprdirs.set(model.exprdirs);
  const posedirs = new Float32Array(total * 3 * 36);
  posedirs.set(model.posedirs);
  const jRegressor = new Float32Array(5 * total);
  for (let j = 0; j < 5; j++) jRegressor.set(model.jRegressor.subarray(j * V, (j + 1) * V), j * total);
  const lbsWeights = new Float32Array(total * 5);
  lbsWeights.set(model.lbsWeights);
  for (const [rows, joint] of [[UPPER_TEETH_ROWS, NECK], [LOWER_TEETH_ROWS, JAW]] as const) {
    for (const row of rows) {
      for (let i = 0; i < TEETH_ROW_LENGTH; i++) lbsWeights[(V + row * TEETH_ROW_LENGTH + i) * 5 + joint] = 1;
    }
  }

  const faceValues = model.faces.length;
  const faces = new Int32Array(faceValues + TEETH_FACE_COUNT * 3);
  faces.set(model.faces);
  faces.set(teethFaces(V), faceValues);

  let uv = model.uv;
  if (uv) {
    const VT = uv.vt.length / 2;
    const vt = new Float32Array(uv.vt.length + N * 2);
    vt.set(uv.vt);
    vt.set(teethUvs(), uv.vt.length);
    const ft = new Int32Array(uv.ft.length + TEETH_FACE_COUNT * 3);
    ft.set(uv.ft);
    ft.set(teethFaces(VT), uv.ft.length);
    uv = { vt, ft };
  }

  return {
    ...model,
    vertexCount: total,
    vTemplate,
    faces,
    shapedirs,
    exprdirs,
    posedirs,
    jRegressor,
    lbsWeights,
    ...(uv ? { uv } : {}),
  };
}

/**
 * Whether a model has VHAP's teeth: FLAME's 5023 + 120 vertices, and the 168 teeth triangles
 * (upper then lower, on vertices 5023-5142) among its faces.
 *
 * @param model - A FLAME-format model.
 * @returns Whether it has the teeth.
 */
export function hasFlameTeeth(model: FlameModel): boolean {
  requireFlameModel('hasFlameTeeth', model);
  if (model.vertexCount !== FLAME_VERTEX_COUNT + TEETH_VERTEX_COUNT) return false;
  const expected = teethFaces(FLAME_VERTEX_COUNT);
  const { faces } = model;
  for (let start = 0; start + expected.length <= faces.length; start += 3) {
    if (faces[start] !== expected[0] || faces[start + 1] !== expected[1] || faces[start + 2] !== expected[2]) continue;
    let k = 3;
    while (k < expected.length && faces[start + k] === expected[k]) k++;
    if (k === expected.length) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Internals

/** The teeth triangles, upper then lower, with `offset` added to every index. */
function teethFaces(offset: number): Int32Array {
  const out = new Int32Array(TEETH_FACE_COUNT * 3);
  out.set(TEETH_FACES_UPPER);
  out.set(TEETH_FACES_LOWER, TEETH_FACES_UPPER.length);
  for (let i = 0; i < out.length; i++) out[i]! += offset;
  return out;
}

/** The 120 teeth vertices, [120, 3], placed from the lip rings of the template (float64 maths). */
function teethVertices(template: Float32Array): Float64Array {
  const L = TEETH_ROW_LENGTH;
  const at = (vertex: number, axis: number): number => template[vertex * 3 + axis]!;
  let meanDistance = 0;
  let meanY = 0;
  const middle = new Float64Array(L * 3);
  for (let i = 0; i < L; i++) {
    const up = LIP_OUTSIDE_RING_UPPER[i]!;
    const low = LIP_OUTSIDE_RING_LOWER[i]!;
    meanDistance += Math.hypot(at(up, 0) - at(low, 0), at(up, 1) - at(low, 1), at(up, 2) - at(low, 2)) / L;
    for (let a = 0; a < 3; a++) middle[i * 3 + a] = (at(up, a) + at(low, a)) / 2;
    meanY += middle[i * 3 + 1]! / L;
  }
  if (!(meanDistance > 0 && Number.isFinite(meanDistance))) {
    throw new ValidationError(
      `teeth need FLAME 2020/2023's topology: its upper and lower lip rings coincide in this model (mean distance ${meanDistance})`,
    );
  }
  const d = meanDistance;
  // Per row: the offset from the middle (x stays), as [dy, dz] in units of d.
  const rows: readonly (readonly [number, number])[] = [
    [0.1 + 2, -1.5], // upper root
    [-0.1 - 2, -1.5 - 0.4], // lower root
    [0.1, -1.5], // upper edge
    [-0.1, -1.5 - 0.4], // lower edge
    [0.1 + 2, -1.5 - 1], // upper root, back
    [0.1, -1.5 - 1], // upper edge, back
    [-0.1 - 2, -1.5 - 0.4 - 1], // lower root, back
    [-0.1, -1.5 - 0.4 - 1], // lower edge, back
  ];
  const out = new Float64Array(TEETH_VERTEX_COUNT * 3);
  rows.forEach(([dy, dz], row) => {
    for (let i = 0; i < L; i++) {
      const o = (row * L + i) * 3;
      out[o] = middle[i * 3]!;
      out[o + 1] = meanY + dy * d;
      out[o + 2] = middle[i * 3 + 2]! + dz * d;
    }
  });
  return out;
}

/** The 120 teeth texture coordinates, [120, 2]: u along each row, v per row from VHAP's table. */
function teethUvs(): Float64Array {
  const linspace = (from: number, to: number, steps: number, i: number): number => from + ((to - from) * i) / (steps - 1);
  const out = new Float64Array(TEETH_VERTEX_COUNT * 2);
  for (let row = 0; row < TEETH_ROWS; row++) {
    const v = linspace(TEETH_UV_V_RANGE[0], TEETH_UV_V_RANGE[1], TEETH_UV_V_STEPS, TEETH_UV_ROW_V[row]!);
    for (let i = 0; i < TEETH_ROW_LENGTH; i++) {
      out[(row * TEETH_ROW_LENGTH + i) * 2] = linspace(TEETH_UV_U_RANGE[0], TEETH_UV_U_RANGE[1], TEETH_ROW_LENGTH, i);
      out[(row * TEETH_ROW_LENGTH + i) * 2 + 1] = v;
    }
  }
  return out;
}
