/**
 * FLAME parameters as VHAP stores them: one `.npz` per timestep (`flame_param/NNNNN.npz`) and
 * `canonical_flame_param.npz`, with the keys `expr`, `rotation`, `neck_pose`, `jaw_pose`,
 * `eyes_pose`, `translation` (each [1, D]), `shape` ([S], no leading dimension) and optionally
 * `static_offset` ([1, V, 3]) and `dynamic_offset` (ignored).
 *
 * @module
 */

import type { FlameParams } from '../flame/flame.js';
import type { FlameModel } from '../flame/model.js';
import { optionalOptions, requireOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import type { NdArrayData } from './ndarray-data.js';
import { encodeNpz, parseNpz } from './npy.js';
import { readRegularFile } from './read-file.js';

/** One frame's FLAME parameters (plain vectors, float32), as ggtalker names them. */
export interface VhapFlameParams {
  /** Expression coefficients, [E] (E = 0 when the file has none). */
  expr: Float32Array;
  /** Global rotation, axis-angle, [3]. */
  rotation: Float32Array;
  /** Neck rotation, axis-angle, [3]. */
  neck: Float32Array;
  /** Jaw rotation, axis-angle, [3]. */
  jaw: Float32Array;
  /** Left then right eye rotation, axis-angle, [6]. */
  eyes: Float32Array;
  /** Translation, [3]. */
  translation: Float32Array;
  /** Identity shape coefficients, [S], when the file has them. */
  shape?: Float32Array;
  /** Per-vertex offsets, [V, 3] flattened, when the file has them. */
  staticOffset?: Float32Array;
}

/** FLAME parameters to write: any subset; missing ones are written as zeros. */
export interface VhapFlameInput {
  /** Expression coefficients per timestep, [T, E] flattened. */
  expr?: ArrayLike<number>;
  /** Global head rotation per timestep, axis-angle [T, 3] flattened. */
  rotation?: ArrayLike<number>;
  /** Neck rotation per timestep, axis-angle [T, 3] flattened. */
  neck?: ArrayLike<number>;
  /** Jaw rotation per timestep, axis-angle [T, 3] flattened. */
  jaw?: ArrayLike<number>;
  /** Eye rotations per timestep, axis-angle [T, 6] flattened (left, right). */
  eyes?: ArrayLike<number>;
  /** Head translation per timestep, [T, 3] flattened. */
  translation?: ArrayLike<number>;
  /** FLAME shape coefficients, [S]. */
  shape?: ArrayLike<number>;
  /** Static per-vertex offsets, [V, 3] flattened. */
  staticOffset?: ArrayLike<number>;
}

/** VHAP's key, ggtalker's name and the fixed width of each pose vector. */
const POSES = [
  ['rotation', 'rotation', 3],
  ['neck_pose', 'neck', 3],
  ['jaw_pose', 'jaw', 3],
  ['eyes_pose', 'eyes', 6],
  ['translation', 'translation', 3],
] as const;

/**
 * The index of the first value that is not finite (NaN, ±Infinity), or -1. Run it on float32
 * data (or after `Math.fround`): 1e300 is finite as a double but Infinity in float32.
 */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** A numeric array's values as float32 (float16 arrives widened), or a reason it is not one. */
function floatValues(array: NdArrayData): Float32Array | undefined {
  if (array.dtype === 'float32') return array.data;
  if (array.dtype === 'float64') return Float32Array.from(array.data);
  return undefined;
}

/**
 * Parses a VHAP FLAME `.npz` (already read into arrays).
 *
 * @param arrays - The archive's arrays by name.
 * @param path - The file, for messages.
 * @throws {@link FormatError} naming the file and the key for a non-float array, a value that
 *   is not finite in float32 (NaN, ±Infinity, or beyond float32's range), or a shape other than
 *   [D] / [1, D] ([V, 3] / [1, V, 3] for `static_offset`).
 */
export function parseVhapFlame(arrays: ReadonlyMap<string, NdArrayData>, path?: string): VhapFlameParams {
  const read = (key: string, width?: number): Float32Array | undefined => {
    const array = arrays.get(key);
    if (array === undefined) return undefined;
    const values = floatValues(array);
    if (values === undefined) throw new FormatError(`${key}: expected a float32 or float64 array, received ${array.dtype}`, { path });
    requireFiniteArray(key, values, path);
    const s = array.shape;
    const d = width === undefined ? 'D' : String(width);
    const vector = s.length === 1 || (s.length === 2 && s[0] === 1);
    if (!vector || (width !== undefined && s[s.length - 1] !== width)) {
      throw new FormatError(`${key}: expected shape [${d}] or [1, ${d}], received [${s.join(', ')}]`, { path });
    }
    return values;
  };
  const out: Partial<VhapFlameParams> = { expr: read('expr') ?? new Float32Array(0) };
  for (const [key, name, width] of POSES) out[name] = read(key, width) ?? new Float32Array(width);
  const shape = read('shape');
  if (shape) out.shape = shape;
  const offset = arrays.get('static_offset');
  if (offset !== undefined) {
    const values = floatValues(offset);
    if (values === undefined) throw new FormatError(`static_offset: expected a float32 or float64 array, received ${offset.dtype}`, { path });
    requireFiniteArray('static_offset', values, path);
    const s = offset.shape;
    if (!((s.length === 2 && s[1] === 3) || (s.length === 3 && s[0] === 1 && s[2] === 3))) {
      throw new FormatError(`static_offset: expected shape [V, 3] or [1, V, 3], received [${s.join(', ')}]`, { path });
    }
    out.staticOffset = values;
  }
  return out as VhapFlameParams;
}

/** Throws a {@link FormatError} naming the file, the key and the index of a non-finite value. */
function requireFiniteArray(key: string, values: Float32Array, path: string | undefined): void {
  const bad = firstNonFinite(values);
  if (bad >= 0) throw new FormatError(`${key}: expected finite values (in float32), received ${values[bad]} at index ${bad}`, { path });
}

/**
 * Reads one VHAP FLAME parameter file (`flame_param/NNNNN.npz` or `canonical_flame_param.npz`).
 * Missing keys read as zeros (`expr` as an empty vector); unknown keys are ignored.
 *
 * @throws {@link FormatError} naming the file and the key, or when the path is not a regular
 *   file; {@link FileSystemError} when it cannot be read.
 */
export async function loadVhapFlame(path: string): Promise<VhapFlameParams> {
  requirePath('loadVhapFlame', path);
  return parseVhapFlame(parseNpz(await readRegularFile(path, { what: 'the FLAME parameter file' }), path), path);
}

/** A vector of exactly `width` values (zeros when missing), as float32. */
function vector(name: string, value: ArrayLike<number> | undefined, width?: number): Float32Array {
  if (value === undefined) return new Float32Array(width ?? 0);
  if (width !== undefined && value.length !== width) throw new ValidationError(`expected flame.${name} to hold ${width} numbers, received ${value.length}`);
  const out = Float32Array.from(value);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new ValidationError(`expected flame.${name} to be finite, received ${out[i]} at index ${i}`);
  }
  return out;
}

/**
 * Encodes FLAME parameters as VHAP writes them: every pose key [1, D], `expr` [1, E], `shape`
 * [S] and `static_offset` [1, V, 3].
 *
 * @throws {@link ValidationError} for a vector of the wrong length.
 */
export function encodeVhapFlame(flame: VhapFlameInput): Uint8Array {
  const arrays: Record<string, NdArrayData> = {};
  for (const [key, name, width] of POSES) {
    arrays[key] = { dtype: 'float32', shape: [1, width], data: vector(name, flame[name], width) };
  }
  const expr = vector('expr', flame.expr);
  arrays.expr = { dtype: 'float32', shape: [1, expr.length], data: expr };
  if (flame.shape !== undefined) {
    const shape = vector('shape', flame.shape);
    arrays.shape = { dtype: 'float32', shape: [shape.length], data: shape };
  }
  if (flame.staticOffset !== undefined) {
    if (flame.staticOffset.length % 3 !== 0) throw new ValidationError(`expected flame.staticOffset to hold V·3 numbers, received ${flame.staticOffset.length}`);
    const offset = vector('staticOffset', flame.staticOffset);
    arrays.static_offset = { dtype: 'float32', shape: [1, offset.length / 3, 3], data: offset };
  }
  return encodeNpz(arrays);
}

/**
 * Shape or expression coefficients padded with zeros to the model's count (datasets may track
 * fewer components than the model has: VHAP's `n_shape` / `n_expr`).
 *
 * @throws {@link ValidationError} when the dataset holds more than the model.
 */
export function padComponents(name: string, values: Float32Array | undefined, width: number): Float32Array {
  if (values !== undefined && values.length === width) return values;
  const data = new Float32Array(width);
  if (values !== undefined) {
    if (values.length > width) {
      throw new ValidationError(`the dataset's ${name} holds ${values.length} coefficients but the model has ${width}: was it tracked with another FLAME model?`);
    }
    data.set(values);
  }
  return data;
}

/** Options of {@link vhapFlameToParams}. */
export interface VhapFlameToParamsOptions {
  /**
   * What to do with static offsets for more vertices than the model has. VHAP tracks FLAME
   * with 120 teeth vertices appended (5143 in all; the first 5023 are FLAME's own): `'drop'`
   * keeps the first V rows; `'error'` (default) throws.
   */
  extraVertices?: 'error' | 'drop';
}

/**
 * Parameters read from a dataset as {@link FlameParams} for a model: `shape` and `expr` padded
 * with zeros to the model's counts (datasets may track fewer components than the model has).
 *
 * @throws {@link ValidationError} when the dataset holds more shape or expression components
 *   than the model, or static offsets for another vertex count: the dataset was tracked with
 *   another model (see {@link VhapFlameToParamsOptions.extraVertices} for VHAP's teeth).
 */
export function vhapFlameToParams(
  params: VhapFlameParams,
  model: Pick<FlameModel, 'shapeCount' | 'exprCount' | 'vertexCount'>,
  options: VhapFlameToParamsOptions = {},
): FlameParams<{
  /** The elements, row-major. */
  data: Float32Array;
  /** Size of each dimension, outermost first. */
  shape: number[];
}> {
  const fn = 'vhapFlameToParams';
  requireOptions(fn, params, 'params');
  for (const key of ['expr', 'rotation', 'neck', 'jaw', 'eyes', 'translation', 'shape', 'staticOffset'] as const) {
    const value: unknown = params[key];
    const optional = key === 'shape' || key === 'staticOffset';
    if (!(value instanceof Float32Array) && !(optional && value === undefined)) {
      throw new ValidationError(`${fn}: expected params.${key} to be a Float32Array${optional ? ' or undefined' : ''} (as loadVhapFlame returns), received ${describeValue(value)}`);
    }
  }
  requireOptions(fn, model, 'model');
  for (const key of ['shapeCount', 'exprCount', 'vertexCount'] as const) {
    const n: unknown = model[key];
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new ValidationError(`${fn}: expected model.${key} to be a non-negative integer (a FLAME model's), received ${describeValue(n)}`);
  }
  options = optionalOptions(fn, options);
  const padded = (name: string, values: Float32Array | undefined, width: number): { data: Float32Array; shape: number[] } => ({ data: padComponents(name, values, width), shape: [width] });
  const v = (data: Float32Array): { data: Float32Array; shape: number[] } => ({ data, shape: [data.length] });
  const out: FlameParams<{ data: Float32Array; shape: number[] }> = {
    shape: padded('shape', params.shape, model.shapeCount),
    expr: padded('expr', params.expr, model.exprCount),
    rotation: v(params.rotation),
    neck: v(params.neck),
    jaw: v(params.jaw),
    eyes: v(params.eyes),
    translation: v(params.translation),
  };
  if (params.staticOffset !== undefined) {
    const V = model.vertexCount;
    const stored = params.staticOffset.length / 3;
    let data = params.staticOffset;
    if (stored > V && options.extraVertices === 'drop') data = data.subarray(0, V * 3);
    else if (stored !== V) {
      const hint = stored > V ? ` (VHAP appends ${stored - V === 120 ? '120 teeth vertices' : 'vertices'} to FLAME: pass { extraVertices: 'drop' } to keep the first ${V})` : '';
      throw new ValidationError(`the dataset's static_offset holds ${stored} vertices but the model has ${V}${hint}`);
    }
    out.staticOffset = { data, shape: [V, 3] };
  }
  return out;
}
