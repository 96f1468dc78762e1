/**
 * FLAME's landmark embedding files: which face each facial landmark lies on and where in it
 * (barycentric coordinates), read into {@link FlameLandmarks}.
 *
 * Two layouts are read:
 * - `landmark_embedding_with_eyes.npy` (VHAP, GaussianAvatars; 68 face + 2 eye landmarks) and
 *   DECA's `landmark_embedding.npy` (68): `np.save` of a dict, so a 0-d object array whose
 *   data is a pickle. Keys `full_lmk_faces_idx` (int64, [1, L]) and `full_lmk_bary_coords`
 *   (float64, [1, L, 3]) are what VHAP's `FlameHead` uses and what is read; the dict also
 *   holds `static_lmk_*` numpy arrays and `dynamic_lmk_*` PyTorch tensors, which are left
 *   unread (the unpickler runs nothing and keeps only their names).
 * - FLAME's `flame_static_embedding.pkl` (TF_FLAME, FLAME_PyTorch; 51 landmarks): a pickled
 *   dict with `lmk_face_idx` ([L], integers) and `lmk_b_coords` ([L, 3]).
 *
 * Both are read by ggtalker's data-only unpickler: nothing in them runs.
 *
 * @module
 */

import { extname } from 'node:path';
import { requirePath } from '../arguments.js';
import { FormatError } from '../errors.js';
import { requireParseArguments } from '../io/bytes.js';
import { isNdArrayData, type NdArrayData } from '../io/ndarray-data.js';
import { parseObjectNpy } from '../io/npy.js';
import { describePickled, PickleUnread } from '../io/pickle-objects.js';
import { unpickle, type UnpickleOptions } from '../io/pickle.js';
import { readRegularFile } from '../io/read-file.js';
import type { FlameLandmarks } from './model.js';

/** The key pairs read, in order of preference: face indices, barycentric coordinates. */
const KEY_SETS = [
  { faces: 'full_lmk_faces_idx', bary: 'full_lmk_bary_coords' },
  { faces: 'lmk_face_idx', bary: 'lmk_b_coords' },
] as const;

/** PyTorch objects in the embedding dicts (DECA's and VHAP's `dynamic_lmk_*`) are left unread. */
const UNREAD_TORCH: UnpickleOptions = { unread: (module) => module === 'torch' || module.startsWith('torch.') };

/**
 * Parses a FLAME landmark embedding file (see the module documentation for the layouts).
 *
 * @param bytes - The file's contents: a `.npy` of a saved dict, or a pickle of one.
 * @param path - The file it came from, for messages (its extension helps recognise a pickle
 *   of protocol 0 or 1).
 * @returns The landmarks: face indices [L] and barycentric coordinates [L, 3]. Face indices
 *   are checked against a model's faces when attached to it (`attachFlameLandmarks`).
 * @throws {@link FormatError} for an unrecognised or malformed file, a pickle naming a class
 *   outside the unpickler's allow-list, or a dict without either key pair (the message lists
 *   the keys it has), or arrays of the wrong type or shape.
 *
 * @example
 * ```ts
 * const lmk = parseFlameLandmarkEmbedding(await readFile('landmark_embedding_with_eyes.npy'));
 * lmk.faceIdx.length; // 70
 * ```
 */
export function parseFlameLandmarkEmbedding(bytes: Uint8Array, path?: string): FlameLandmarks {
  requireParseArguments('parseFlameLandmarkEmbedding', bytes, path, 'loadFlameLandmarkEmbedding(path)');
  const fail = (message: string): never => {
    throw new FormatError(message, { path });
  };
  const dict = readDict(bytes, path, fail);
  const keys = KEY_SETS.find((set) => dict.has(set.faces) && dict.has(set.bary));
  if (keys === undefined) {
    const present = [...dict.keys()].map(String);
    return fail(
      `expected a FLAME landmark embedding: full_lmk_faces_idx with full_lmk_bary_coords, or lmk_face_idx with lmk_b_coords; ` +
        `received a dict of ${present.length ? present.join(', ') : 'nothing'}`,
    );
  }
  const faces = array(dict.get(keys.faces), keys.faces, fail);
  const bary = array(dict.get(keys.bary), keys.bary, fail);
  // VHAP's file stores [1, L] and [1, L, 3] (a batch of one); the static embedding [L] and [L, 3].
  const faceShape = faces.shape.length === 2 && faces.shape[0] === 1 ? faces.shape.slice(1) : faces.shape;
  const baryShape = bary.shape.length === 3 && bary.shape[0] === 1 ? bary.shape.slice(1) : bary.shape;
  if (faceShape.length !== 1) fail(`expected ${keys.faces} to be of shape [L] or [1, L], received [${faces.shape.join(', ')}]`);
  const count = faceShape[0]!;
  if (baryShape.length !== 2 || baryShape[0] !== count || baryShape[1] !== 3) {
    fail(`expected ${keys.bary} to be of shape [${count}, 3] or [1, ${count}, 3] like ${keys.faces}, received [${bary.shape.join(', ')}]`);
  }
  if (faces.dtype.startsWith('float') || faces.dtype === 'bool') fail(`expected ${keys.faces} to be an integer array, received ${faces.dtype} data`);
  if (!bary.dtype.startsWith('float')) fail(`expected ${keys.bary} to be a float array, received ${bary.dtype} data`);
  const faceIdx = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const value = Number(faces.data[i]!);
    if (!(value >= 0 && value <= 0x7fffffff)) fail(`expected ${keys.faces} to hold face indices (>= 0), received ${value} at ${i}`);
    faceIdx[i] = value;
  }
  const coords = new Float32Array(bary.data as Float32Array | Float64Array);
  const bad = coords.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(`expected ${keys.bary} to be finite, received ${coords[bad]} at ${bad}`);
  return { faceIdx, bary: coords };
}

/**
 * Reads a FLAME landmark embedding file.
 *
 * @param path - The file, e.g. `landmark_embedding_with_eyes.npy`.
 * @returns The landmarks, as {@link parseFlameLandmarkEmbedding} returns them.
 * @throws {@link FormatError} as {@link parseFlameLandmarkEmbedding} does, and for a path that
 *   is not a regular file; `FileSystemError` when it cannot be read.
 */
export async function loadFlameLandmarkEmbedding(path: string): Promise<FlameLandmarks> {
  requirePath('loadFlameLandmarkEmbedding', path);
  return parseFlameLandmarkEmbedding(await readRegularFile(path, { what: 'the landmark embedding file' }), path);
}

// ---------------------------------------------------------------------------------------------
// Internals

function readDict(bytes: Uint8Array, path: string | undefined, fail: (message: string) => never): ReadonlyMap<unknown, unknown> {
  const isNpy = bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY';
  const isPickle = (bytes[0] === 0x80 && bytes[1]! <= 5) || ['.pkl', '.pickle'].includes(extname(path ?? '').toLowerCase());
  let value: unknown;
  if (isNpy) {
    const array = parseObjectNpy(bytes, path, UNREAD_TORCH);
    if (array.shape.length !== 0) fail(`expected a saved dict (a 0-d object array), received an object array of shape [${array.shape.join(', ')}]`);
    value = array.items[0];
  } else if (isPickle) {
    value = unpickle(bytes, path, UNREAD_TORCH);
  } else {
    return fail('unrecognised FLAME landmark embedding: expected a .npy file of a saved dict or a pickle (.pkl) of one');
  }
  if (!(value instanceof Map)) fail(`expected the landmark embedding to be a dict, received ${describePickled(value)}`);
  return value as ReadonlyMap<unknown, unknown>;
}

function array(value: unknown, key: string, fail: (message: string) => never): NdArrayData {
  if (value instanceof PickleUnread) fail(`expected ${key} to be a numpy array, received a PyTorch object (${value.typeName}), which is not read`);
  if (!isNdArrayData(value)) fail(`expected ${key} to be a numpy array, received ${describePickled(value)}`);
  return value as NdArrayData;
}
