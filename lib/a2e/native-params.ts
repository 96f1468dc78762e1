/**
 * Named native tensors of the Audio-Expression model: the addon returns nested objects
 * ("cond.in_proj.weight" arrives as result.cond.in_proj.weight); these helpers flatten them
 * back to dotted names and copy them between JS arrays and handles.
 *
 * @module
 */

import { native, type NativeTensor, type RawArray } from '../native.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { nativeCall } from '../tensor.js';

/** Dotted names -> handles or arrays, from a nested addon result (below `prefix`). */
export function flattenNamed<T extends NativeTensor | RawArray>(value: unknown, prefix = ''): Map<string, T> {
  const out = new Map<string, T>();
  const walk = (v: unknown, name: string): void => {
    if (v === null || typeof v !== 'object') return;
    if (isLeaf(v)) {
      out.set(name, v as T);
      return;
    }
    for (const [k, child] of Object.entries(v)) walk(child, name === '' ? k : `${name}.${k}`);
  };
  walk(value, prefix);
  return out;
}

function isLeaf(v: object): boolean {
  if (v instanceof (native().Tensor as unknown as new () => object)) return true;
  const r = v as Partial<RawArray>;
  return ArrayBuffer.isView(r.data) && Array.isArray(r.shape);
}

/** A Map of handles as the plain object the addon reads. */
export function toParamObject(params: ReadonlyMap<string, NativeTensor>): Record<string, NativeTensor> {
  return Object.fromEntries(params);
}

/** Copies a handle's data out as float32 NdArrayData. */
export function handleToArray(t: NativeTensor): NdArrayData & { dtype: 'float32' } {
  const raw = nativeCall(() => t.toArray());
  const data = raw.data instanceof Float32Array ? raw.data : Float32Array.from(raw.data as ArrayLike<number>);
  return { dtype: 'float32', shape: raw.shape, data };
}

/** A new handle holding a float32 copy of `array`. */
export function arrayToHandle(array: { data: ArrayLike<number>; shape: number[] }): NativeTensor {
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
  return nativeCall(() => native().Tensor.fromArray(data, array.shape));
}

/** Deep copies of every handle (so training one model never changes another). */
export function cloneParams(params: ReadonlyMap<string, NativeTensor>): Map<string, NativeTensor> {
  return new Map([...params].map(([name, t]) => [name, arrayToHandle(handleToArray(t))]));
}
