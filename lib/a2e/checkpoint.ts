/**
 * Audio-Expression checkpoint files (docs/audio-expression-model.md, "Files"): `<stem>.json`
 * (format, config, features, speakers, training state) beside `<stem>.safetensors` (weights,
 * and Adam moments when saved by training) or a TorchScript file. Both files are written
 * atomically, weights first; the JSON records the weights' CRC-32 so a pair torn by a crash
 * between the two renames is detected instead of silently mixed.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { FormatError, ValidationError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { crc32 } from '../io/crc32.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { encodeSafetensors, parseSafetensors } from '../io/safetensors.js';
import { describeValue } from '../validate.js';
import type { AudioExpressionConfig } from './config.js';
import type { AudioFeatureSpec } from './features.js';

export const A2E_FORMAT = 'ggtalker-a2e';
export const A2E_VERSION = 1;

/** The JSON half of a checkpoint. */
export interface A2eCheckpointJson {
  format: typeof A2E_FORMAT;
  version: number;
  config: AudioExpressionConfig;
  features?: AudioFeatureSpec;
  speakers?: string[];
  expressionNames?: string[];
  /** `'safetensors'` (default) or `'torchscript'`. */
  weights?: 'safetensors' | 'torchscript';
  /** The weights file, relative to the JSON (default: the stem + `.safetensors` / `.pt`). */
  file?: string;
  /** TorchScript only: the output normalisation. */
  data?: { mean: number[]; std: number[] };
  weightsCrc32?: number;
  /** Training state (step, seed, history...), for resuming. */
  train?: Record<string, unknown>;
}

/** `x`, `x.json` or `x.safetensors` -> the pair of paths. */
export function checkpointPaths(path: string): { json: string; weights: string } {
  if (typeof path !== 'string' || path === '') throw new ValidationError(`expected a checkpoint path, received ${describeValue(path)}`);
  const stem = path.replace(/\.(json|safetensors|pt)$/i, '');
  return { json: `${stem}.json`, weights: `${stem}.safetensors` };
}

/** Writes weights then JSON, each atomically. */
export async function writeA2eCheckpoint(path: string, json: Omit<A2eCheckpointJson, 'format' | 'version' | 'weightsCrc32' | 'file'>, tensors: ReadonlyMap<string, NdArrayData>): Promise<{ json: string; weights: string }> {
  const paths = checkpointPaths(path);
  const bytes = encodeSafetensors(tensors, { format: 'pt', producer: 'ggtalker' });
  await writeFileAtomic(paths.weights, bytes);
  const full: A2eCheckpointJson = { format: A2E_FORMAT, version: A2E_VERSION, ...json, file: basename(paths.weights), weightsCrc32: crc32(bytes) };
  await writeFileAtomic(paths.json, new TextEncoder().encode(`${JSON.stringify(full, null, 2)}\n`));
  return paths;
}

/** A read checkpoint: its JSON, and its weights (safetensors) or the TorchScript path. */
export interface ReadA2eCheckpoint {
  json: A2eCheckpointJson;
  jsonPath: string;
  tensors?: Map<string, NdArrayData>;
  torchscriptPath?: string;
}

/**
 * Reads a checkpoint pair. `weightsPath` overrides where the weights are looked for.
 *
 * @throws {@link FormatError} naming the file for a missing, malformed or mismatched file.
 */
export async function readA2eCheckpoint(path: string, weightsPath?: string): Promise<ReadA2eCheckpoint> {
  const paths = checkpointPaths(path);
  let json: A2eCheckpointJson;
  try {
    json = JSON.parse(await readFile(paths.json, 'utf8')) as A2eCheckpointJson;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'no such checkpoint file (expected the JSON half of an Audio-Expression checkpoint)' : `is not valid JSON: ${(cause as Error).message}`, { path: paths.json, cause });
  }
  if (json === null || typeof json !== 'object' || json.format !== A2E_FORMAT) {
    throw new FormatError(`expected "format": "${A2E_FORMAT}", received ${describeValue((json as { format?: unknown } | null)?.format)}`, { path: paths.json });
  }
  if (json.version !== A2E_VERSION) throw new FormatError(`expected format version ${A2E_VERSION}, received ${describeValue(json.version)} (made by a newer ggtalker?)`, { path: paths.json });
  if (json.config === null || typeof json.config !== 'object') throw new FormatError('has no "config" object', { path: paths.json });
  const kind = json.weights ?? 'safetensors';
  const resolved = weightsPath ?? (json.file ? join(dirname(paths.json), json.file) : kind === 'torchscript' ? paths.weights.replace(/\.safetensors$/, '.pt') : paths.weights);
  if (kind === 'torchscript') return { json, jsonPath: paths.json, torchscriptPath: resolved };
  if (kind !== 'safetensors') throw new FormatError(`expected "weights" to be "safetensors" or "torchscript", received ${describeValue(kind)}`, { path: paths.json });
  let bytes: Uint8Array;
  try {
    bytes = await readFile(resolved);
  } catch (cause) {
    throw new FormatError(`cannot read the weights named by ${basename(paths.json)}: ${(cause as Error).message}`, { path: resolved, cause });
  }
  if (json.weightsCrc32 !== undefined && crc32(bytes) !== json.weightsCrc32) {
    throw new FormatError(`the weights do not match ${basename(paths.json)} (CRC-32 differs): the pair was torn by an interrupted save or mixed from two saves`, { path: resolved });
  }
  return { json, jsonPath: paths.json, tensors: parseSafetensors(bytes, resolved).tensors };
}
