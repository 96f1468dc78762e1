/**
 * Audio-Expression checkpoint files (docs/audio-expression-model.md, "Files"): `<stem>.json`
 * (format, config, features, speakers, training state) beside `<stem>.safetensors` (weights,
 * and Adam moments when saved by training) or a TorchScript file. Both files are written
 * atomically, weights first; the JSON records the weights' CRC-32 so a pair torn by a crash
 * between the two renames is detected instead of silently mixed.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import { optionalOptions } from '../arguments.js';
import { FileSystemError, FormatError, ValidationError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { resolveContained } from '../io/contained-path.js';
import { readJsonFile, readRegularFile, withFileErrors } from '../io/read-file.js';
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
  /** Always `'ggtalker-a2e'`: what the file is. */
  format: typeof A2E_FORMAT;
  /** Format version of the checkpoint (1). */
  version: number;
  /** The model's architecture. */
  config: AudioExpressionConfig;
  /** What the model's audio features are made with (default: log-mel, 25 fps). */
  features?: AudioFeatureSpec;
  /** Speaker names, one embedding row each. */
  speakers?: string[];
  /** Names of the expression coefficients, when known. */
  expressionNames?: string[];
  /** `'safetensors'` (default) or `'torchscript'`. */
  weights?: 'safetensors' | 'torchscript';
  /** The weights file, relative to the JSON (default: the stem + `.safetensors` / `.pt`). */
  file?: string;
  /** TorchScript only: the output normalisation. */
  data?: {
    /** Per-channel mean [outputDim]. */
    mean: number[];
    /** Per-channel standard deviation [outputDim]. */
    std: number[];
  };
  /** CRC-32 of the weights file, checked on load (a truncated or swapped file is refused). */
  weightsCrc32?: number;
  /** Training state (step, seed, history...), for resuming. */
  train?: Record<string, unknown>;
}

/** `x`, `x.json` or `x.safetensors` -> the pair of paths. */
export function checkpointPaths(path: string): {
  /** The JSON half: `<stem>.json`. */
  json: string;
  /** The weights: `<stem>.safetensors`. */
  weights: string;
} {
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
  /** The checkpoint's JSON half, validated. */
  json: A2eCheckpointJson;
  /** Where the JSON was read from. */
  jsonPath: string;
  /** The weights file read (safetensors checkpoints). */
  weightsPath?: string;
  /** The weights by name (safetensors checkpoints). */
  tensors?: Map<string, NdArrayData>;
  /** The TorchScript file (TorchScript checkpoints). */
  torchscriptPath?: string;
}

/** Options of {@link readA2eCheckpoint}. */
export interface ReadA2eCheckpointOptions {
  /** Where the weights are (overrides the JSON's `file`; the caller's own path, so not confined). */
  weights?: string | undefined;
  /**
   * Accept a `"file"` in the JSON that is absolute or leads outside the JSON's folder. Default
   * false (a {@link FormatError} naming the JSON and the field): a checkpoint from someone else
   * must not make ggtalker open `/etc/passwd`. Pass `true` only for checkpoints you trust.
   */
  allowExternalFiles?: boolean | undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the JSON half's fields (types only: the config's values are checked by resolveA2eConfig). */
function checkJson(json: unknown, path: string): A2eCheckpointJson {
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  if (!isPlainObject(json)) return fail(`expected a JSON object {"format": "${A2E_FORMAT}", ...}, received ${describeValue(json)}`);
  if (json.format !== A2E_FORMAT) fail(`format: expected "${A2E_FORMAT}", received ${describeValue(json.format)}`);
  if (json.version !== A2E_VERSION) fail(`version: expected format version ${A2E_VERSION}, received ${describeValue(json.version)} (made by a newer ggtalker?)`);
  if (!isPlainObject(json.config)) fail(`config: expected an object, received ${describeValue(json.config)}`);
  if (json.features !== undefined && !isPlainObject(json.features)) fail(`features: expected an object, received ${describeValue(json.features)}`);
  const names = (key: 'speakers' | 'expressionNames'): void => {
    const v = json[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) fail(`${key}: expected an array of names, received ${describeValue(v)}`);
  };
  names('speakers');
  names('expressionNames');
  if (json.weights !== undefined && json.weights !== 'safetensors' && json.weights !== 'torchscript') {
    fail(`weights: expected "safetensors" or "torchscript", received ${describeValue(json.weights)}`);
  }
  if (json.file !== undefined && (typeof json.file !== 'string' || json.file === '')) fail(`file: expected the weights' file name, received ${describeValue(json.file)}`);
  const crc = json.weightsCrc32;
  if (crc !== undefined && !(typeof crc === 'number' && Number.isInteger(crc) && crc >= 0 && crc < 2 ** 32)) fail(`weightsCrc32: expected a CRC-32 (an integer in [0, 2^32)), received ${describeValue(crc)}`);
  if (json.data !== undefined) {
    const d = json.data as Record<string, unknown>;
    const vector = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(Math.fround(x)));
    if (!isPlainObject(d) || !vector(d.mean) || !vector(d.std)) fail('data: expected {"mean": [...], "std": [...]} of numbers finite in float32');
  }
  if (json.train !== undefined && !isPlainObject(json.train)) fail(`train: expected an object, received ${describeValue(json.train)}`);
  return json as unknown as A2eCheckpointJson;
}

/**
 * Whether `bytes` start like a safetensors file: an 8-byte little-endian header length that
 * fits, then a JSON object. Checked before parsing, so that a foreign file named as the weights
 * is refused without its bytes (e.g. its first 8 as a header length) appearing in a message.
 */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return length >= 2n && length <= BigInt(bytes.length - 8) && bytes[8] === 0x7b; // '{'
}

/**
 * Reads a checkpoint pair. `options.weights` overrides where the weights are looked for.
 *
 * @throws {@link FormatError} naming the file (and the field) for a malformed JSON, weights
 *   named outside the JSON's folder (unless `allowExternalFiles`), weights that are not a
 *   regular file or not safetensors, or a pair whose CRC-32 differs; {@link FileSystemError}
 *   for a file that cannot be read.
 */
export async function readA2eCheckpoint(path: string, options: ReadA2eCheckpointOptions | string = {}): Promise<ReadA2eCheckpoint> {
  const opts = typeof options === 'string' ? { weights: options } : optionalOptions('readA2eCheckpoint', options);
  const paths = checkpointPaths(path);
  const text = await readJsonFile(paths.json, { what: 'the checkpoint JSON' }).catch((error: unknown) => {
    if (error instanceof FileSystemError && error.systemCode === 'ENOENT') {
      throw new FileSystemError('no such checkpoint file (expected the JSON half of an Audio-Expression checkpoint)', { path: paths.json, systemCode: 'ENOENT', cause: error });
    }
    throw error;
  });
  const json = checkJson(text, paths.json);
  const kind = json.weights ?? 'safetensors';
  const folder = dirname(paths.json);
  const named =
    json.file !== undefined
      ? resolveContained(folder, json.file, { allowExternal: opts.allowExternalFiles === true, from: paths.json, field: '"file"', optIn: 'allowExternalFiles: true' })
      : undefined;
  const resolved = opts.weights ?? named ?? (kind === 'torchscript' ? paths.weights.replace(/\.safetensors$/, '.pt') : paths.weights);
  if (kind === 'torchscript') {
    // The native loader opens it: refuse a FIFO or a device before it can block there.
    const isFile = await withFileErrors(resolved, 'read', () => stat(resolved)).then((s) => s.isFile());
    if (!isFile) throw new FormatError(`the TorchScript weights named by ${basename(paths.json)} are not a regular file`, { path: resolved });
    return { json, jsonPath: paths.json, torchscriptPath: resolved };
  }
  const bytes = await readRegularFile(resolved, { what: `the weights named by ${basename(paths.json)}` });
  if (json.weightsCrc32 !== undefined && crc32(bytes) !== json.weightsCrc32) {
    throw new FormatError(`the weights do not match ${basename(paths.json)} (CRC-32 differs): the pair was torn by an interrupted save or mixed from two saves`, { path: resolved });
  }
  if (!looksLikeSafetensors(bytes)) throw new FormatError(`the weights named by ${basename(paths.json)} are not a safetensors file`, { path: resolved });
  return { json, jsonPath: paths.json, weightsPath: resolved, tensors: parseSafetensors(bytes, resolved).tensors };
}
