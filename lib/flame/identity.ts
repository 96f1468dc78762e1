/**
 * A short fingerprint of a FLAME model's geometry, so that files made with one model (an
 * avatar's Gaussians bound to its triangles) can tell when they meet another.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { HOST_LITTLE_ENDIAN } from '../io/ndarray-data.js';
import type { FlameModel } from './model.js';
import { requireFlameModel } from './require-model.js';

/**
 * The identity of a FLAME model's template and topology: `"flame-"` and the first 16 hex
 * digits of the SHA-256 of a version tag, the vertex and face counts, the template vertices
 * as little-endian float32 and the faces as little-endian int32. FLAME 2020 and 2023 differ
 * (their templates differ), and so do a model with and without teeth ({@link addFlameTeeth});
 * the identity survives saving and loading (float32 values are kept exactly). Blendshapes,
 * skinning, the UV layout and landmarks do not enter it: models that share a template and
 * faces bind Gaussians to the same triangles.
 *
 * @param model - The model.
 * @returns E.g. `"flame-3f2a9c0d1e4b5a67"`.
 * @throws {@link ValidationError} when the template or faces are not typed arrays of [V, 3] and [F, 3].
 *
 * @example
 * ```ts
 * const id = flameIdentity(await loadFlame('flame2023.pkl'));
 * if (avatar.flameIdentity !== id) throw new Error('this avatar was made with another FLAME model');
 * ```
 */
export function flameIdentity(model: FlameModel): string {
  const { vTemplate, faces, vertexCount } = requireFlameModel('flameIdentity', model);
  if (vTemplate.length !== vertexCount * 3) {
    throw new ValidationError(`flameIdentity: expected model.vTemplate to be a Float32Array of shape [${vertexCount}, 3], received ${vTemplate.length} values`);
  }
  if (faces.length % 3 !== 0) {
    throw new ValidationError(`flameIdentity: expected model.faces to be an Int32Array of shape [F, 3], received ${faces.length} values`);
  }
  const hash = createHash('sha256');
  hash.update(`ggtalker-flame-identity-v1 V=${vertexCount} F=${faces.length / 3}\n`);
  hash.update(littleEndian(vTemplate));
  hash.update(littleEndian(faces));
  return `flame-${hash.digest('hex').slice(0, 16)}`;
}

/** The bytes of a 4-byte-element array in little-endian order. */
function littleEndian(array: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    swapped[i] = bytes[i + 3]!;
    swapped[i + 1] = bytes[i + 2]!;
    swapped[i + 2] = bytes[i + 1]!;
    swapped[i + 3] = bytes[i]!;
  }
  return swapped;
}
