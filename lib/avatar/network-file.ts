/**
 * One network's weights in one file: safetensors (numbers only) with `format` and `config`
 * (JSON) in its metadata. Used by the generator, the inpainter and the priors folder.
 *
 * @module
 */

import { arrayToHandle, handleToArray } from '../a2e/native-params.js';
import { requirePath } from '../arguments.js';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseJsonText, readRegularFile } from '../io/read-file.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { encodeSafetensors, parseSafetensors } from '../io/safetensors.js';
import type { NativeTensor } from '../native.js';

/** Writes `params` with `format` and `config` in the metadata, atomically. */
export async function saveNetworkFile(path: string, format: string, config: object, params: ReadonlyMap<string, NativeTensor>): Promise<void> {
  requirePath(`saving ${format}`, path);
  const tensors = new Map<string, NdArrayData>();
  for (const [name, t] of params) tensors.set(name, handleToArray(t));
  await writeFileAtomic(path, encodeSafetensors(tensors, { format, config: JSON.stringify(config) }));
}

/**
 * Reads a network file written by {@link saveNetworkFile}.
 *
 * @throws {@link FormatError} naming the file (and the field) when its format is not `format`,
 *   its config is not a JSON object, or a weight is not float32 or not finite;
 *   {@link FileSystemError} when it cannot be read.
 */
export async function loadNetworkFile(path: string, format: string, what: string): Promise<{ config: Record<string, unknown>; params: Map<string, NativeTensor> }> {
  requirePath(`loading ${what}`, path);
  const file = parseSafetensors(await readRegularFile(path, { what }), path);
  if (file.metadata.format !== format) throw new FormatError(`is not ${what} (metadata format ${JSON.stringify(file.metadata.format)}, expected "${format}")`, { path });
  const config = parseJsonText(file.metadata.config ?? '{}', path, 'metadata "config"');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new FormatError(`metadata "config": expected a JSON object, received ${JSON.stringify(config)}`, { path });
  const params = new Map<string, NativeTensor>();
  for (const [name, v] of file.tensors) {
    if (v.dtype !== 'float32') throw new FormatError(`expected weight ${name} to be float32, received ${v.dtype}`, { path });
    const bad = firstNonFinite(v.data as Float32Array);
    if (bad >= 0) throw new FormatError(`${name}: expected finite weights, received ${v.data[bad]} at index ${bad}`, { path });
    params.set(name, arrayToHandle(v as { data: Float32Array; shape: number[] }));
  }
  return { config: config as Record<string, unknown>, params };
}
