/**
 * Saving FLAME models (e.g. the procedural head) as `.npz` or safetensors files under the
 * official FLAME key names, which {@link loadFlame} and FLAME tooling read back.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { writeNpz } from '../io/npy.js';
import { writeSafetensors } from '../io/safetensors.js';
import { checkModel } from './flame.js';
import { FLAME_KEYS as K } from './format.js';
import type { FlameModel } from './model.js';

/**
 * A model's arrays under the official FLAME key names: `v_template` (V, 3) float32, `f`
 * (F, 3) int32, `shapedirs` (V, 3, S + E) float32 (shape then expression components),
 * `posedirs` (V, 3, 36), `J_regressor` (5, V) dense, `weights` (V, 5), `kintree_table`
 * (2, 5) int64 with -1 as the root's parent, `vt`/`ft` and `lmk_faces_idx`/`lmk_b_coords`
 * when the model has them, and `n_shape`/`n_expr` (0-d int64) recording the split.
 *
 * @param model - The model.
 * @returns The arrays by key (sharing memory with the model where no conversion is needed).
 * @throws {@link ValidationError} when the model's arrays disagree with its counts.
 */
export function flameToArrays(model: FlameModel): Record<string, NdArrayData> {
  checkModel(model);
  const { vertexCount: v, shapeCount: s, exprCount: e } = model;
  const faceCount = model.faces.length / 3;
  const arrays: Record<string, NdArrayData> = {
    [K.vTemplate]: { dtype: 'float32', shape: [v, 3], data: model.vTemplate },
    [K.faces]: { dtype: 'int32', shape: [faceCount, 3], data: model.faces },
    [K.shapedirs]: { dtype: 'float32', shape: [v, 3, s + e], data: concatComponents(model.shapedirs, s, model.exprdirs, e, v * 3) },
    [K.posedirs]: { dtype: 'float32', shape: [v, 3, 36], data: model.posedirs },
    [K.jRegressor]: { dtype: 'float32', shape: [5, v], data: model.jRegressor },
    [K.weights]: { dtype: 'float32', shape: [v, 5], data: model.lbsWeights },
    [K.kintreeTable]: { dtype: 'int64', shape: [2, 5], data: kintreeTable(model.parents) },
    [K.shapeCount]: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(s)) },
    [K.exprCount]: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(e)) },
  };
  if (model.uv) {
    const { vt, ft } = model.uv;
    requireIndices('model.uv.ft', ft, faceCount * 3, vt.length / 2, `[${faceCount}, 3] like faces`);
    if (vt.length % 2 !== 0) throw new ValidationError(`expected model.uv.vt to be [VT, 2], received ${vt.length} values`);
    arrays[K.vt] = { dtype: 'float32', shape: [vt.length / 2, 2], data: vt };
    arrays[K.ft] = { dtype: 'int32', shape: [faceCount, 3], data: ft };
  }
  if (model.landmarks) {
    const { faceIdx, bary } = model.landmarks;
    requireIndices('model.landmarks.faceIdx', faceIdx, faceIdx.length, faceCount, '[L]');
    if (bary.length !== faceIdx.length * 3) {
      throw new ValidationError(`expected model.landmarks.bary to be [${faceIdx.length}, 3] like faceIdx, received ${bary.length} values`);
    }
    arrays[K.lmkFacesIdx] = { dtype: 'int32', shape: [faceIdx.length], data: faceIdx };
    arrays[K.lmkBCoords] = { dtype: 'float32', shape: [faceIdx.length, 3], data: bary };
  }
  return arrays;
}

/**
 * Saves a model as a `.npz` file (see {@link flameToArrays} for its arrays), atomically.
 *
 * @param path - The file to write.
 * @param model - The model.
 * @throws {@link ValidationError} when the model is inconsistent; file-system errors as writing does.
 *
 * @example
 * ```ts
 * await saveFlameNpz('head.npz', model);
 * const again = await loadFlame('head.npz'); // same counts, same arrays
 * ```
 */
export async function saveFlameNpz(path: string, model: FlameModel): Promise<void> {
  await writeNpz(path, flameToArrays(model));
}

/**
 * Saves a model as a safetensors file (see {@link flameToArrays} for its tensors), atomically.
 *
 * @param path - The file to write.
 * @param model - The model.
 * @throws {@link ValidationError} when the model is inconsistent; file-system errors as writing does.
 */
export async function saveFlameSafetensors(path: string, model: FlameModel): Promise<void> {
  await writeSafetensors(path, flameToArrays(model), { format: 'flame' });
}

/** Shape then expression components side by side: (rows, s) + (rows, e) → (rows, s + e). */
function concatComponents(shape: Float32Array, s: number, expr: Float32Array, e: number, rows: number): Float32Array {
  const out = new Float32Array(rows * (s + e));
  for (let r = 0; r < rows; r++) {
    out.set(shape.subarray(r * s, (r + 1) * s), r * (s + e));
    out.set(expr.subarray(r * e, (r + 1) * e), r * (s + e) + s);
  }
  return out;
}

/** FLAME's kintree_table: row 0 the parents (-1 for the root), row 1 the joint ids 0..4. */
function kintreeTable(parents: Int32Array): BigInt64Array {
  const table = new BigInt64Array(10);
  parents.forEach((parent, j) => {
    table[j] = BigInt(parent < 0 ? -1 : parent);
    table[5 + j] = BigInt(j);
  });
  return table;
}

function requireIndices(name: string, data: Int32Array, length: number, bound: number, shape: string): void {
  if (!(data instanceof Int32Array) || data.length !== length) {
    throw new ValidationError(`expected ${name} to be an Int32Array of shape ${shape}, received ${data?.length ?? 'nothing'} values`);
  }
  const bad = data.findIndex((index) => !(index >= 0 && index < bound));
  if (bad >= 0) throw new ValidationError(`expected ${name} to hold indices in [0, ${bound}), received ${data[bad]} at ${bad}`);
}
