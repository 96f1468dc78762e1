/**
 * Checkpoints of {@link adapt}: every parameter (map, per-frame FLAME, colour MLP,
 * inpainter) and which stages are done, in one safetensors file written atomically after each
 * stage and on abort. A later adapt() with the same frames resumes after the last finished
 * stage (an interrupted stage restarts from the parameters saved when it was aborted).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';

import { arrayToHandle, handleToArray } from '../a2e/native-params.js';
import { FormatError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import { writeFileAtomic } from '../io/atomic.js';
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

/** The checkpoint at `path`, or undefined when there is none. */
export async function readAdaptCheckpoint(path: string): Promise<{ state: AdaptState; params: Map<string, NativeTensor> } | undefined> {
  if (!(await pathExists(path))) return undefined;
  const file = parseSafetensors(await readFile(path), path);
  if (file.metadata.format !== FORMAT) throw new FormatError(`is not an adaptation checkpoint (metadata format ${JSON.stringify(file.metadata.format)})`, { path });
  const state = JSON.parse(file.metadata.state ?? '{}') as AdaptState;
  const params = new Map<string, NativeTensor>();
  for (const [name, v] of file.tensors) params.set(name, arrayToHandle(v as { data: Float32Array; shape: number[] }));
  return { state, params };
}
