/**
 * Checkpoints of {@link adapt}: every parameter (map, per-frame FLAME, colour MLP,
 * inpainter) and which stages are done, in one safetensors file written atomically after each
 * stage and on abort. A later adapt() with the same frames resumes after the last finished
 * stage (an interrupted stage restarts from the parameters saved when it was aborted).
 *
 * @module
 */

import { arrayToHandle, handleToArray } from '../a2e/native-params.js';
import { FormatError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseJsonText, readRegularFile } from '../io/read-file.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { encodeSafetensors, parseSafetensors } from '../io/safetensors.js';
import type { NativeTensor } from '../native.js';

const FORMAT = 'ggtalker-adapt-checkpoint';

/** What an adaptation has done so far. */
export interface AdaptState {
  frames: number;
  uvSize: number;
  vertexCount: number;
  done: string[];
  stages: { name: string; steps: number; seconds: number; finalLoss: number }[];
  initial: Record<string, unknown>;
}

export async function writeAdaptCheckpoint(path: string, params: ReadonlyMap<string, NativeTensor>, state: AdaptState): Promise<void> {
  const tensors = new Map<string, NdArrayData>();
  for (const [name, t] of params) if (!name.startsWith('vgg.')) tensors.set(name, handleToArray(t));
  await writeFileAtomic(path, encodeSafetensors(tensors, { format: FORMAT, state: JSON.stringify(state) }));
}

/**
 * The checkpoint at `path`, or undefined when there is none.
 *
 * @throws {@link FormatError} naming the file and the field when it is not an adaptation
 *   checkpoint or its state or weights are malformed (a weight not float32 or not finite).
 */
export async function readAdaptCheckpoint(path: string): Promise<{ state: AdaptState; params: Map<string, NativeTensor> } | undefined> {
  if (!(await pathExists(path))) return undefined;
  const file = parseSafetensors(await readRegularFile(path, { what: 'the adaptation checkpoint' }), path);
  if (file.metadata.format !== FORMAT) throw new FormatError(`is not an adaptation checkpoint (metadata format ${JSON.stringify(file.metadata.format)})`, { path });
  const state = checkState(parseJsonText(file.metadata.state ?? '', path, 'metadata "state"'), path);
  const params = new Map<string, NativeTensor>();
  for (const [name, v] of file.tensors) {
    if (v.dtype !== 'float32') throw new FormatError(`${name}: expected float32, received ${v.dtype}`, { path });
    const bad = firstNonFinite(v.data as Float32Array);
    if (bad >= 0) throw new FormatError(`${name}: expected finite values, received ${v.data[bad]} at index ${bad}`, { path });
    params.set(name, arrayToHandle(v as { data: Float32Array; shape: number[] }));
  }
  return { state, params };
}

/** The metadata's state, field by field. */
function checkState(value: unknown, path: string): AdaptState {
  const fail = (message: string): never => {
    throw new FormatError(`metadata "state": ${message}`, { path });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  const s = value as Record<string, unknown>;
  for (const key of ['frames', 'uvSize', 'vertexCount'] as const) {
    if (!(typeof s[key] === 'number' && Number.isSafeInteger(s[key]) && (s[key] as number) >= 0)) fail(`${key}: expected a non-negative integer, received ${JSON.stringify(s[key]) ?? 'nothing'}`);
  }
  if (!(Array.isArray(s.done) && s.done.every((d) => typeof d === 'string'))) fail('done: expected an array of stage names');
  if (!Array.isArray(s.stages)) fail('stages: expected an array');
  if (typeof s.initial !== 'object' || s.initial === null) fail('initial: expected an object');
  return s as unknown as AdaptState;
}
