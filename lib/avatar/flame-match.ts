/**
 * Which FLAME model a file was made with. FLAME 2020 and 2023 share a layout (5023 vertices,
 * 9976 faces, 300 + 100 components) but not their templates or expression bases, so priors,
 * datasets and avatars made with one go wrong silently with the other. ggtalker records the
 * model's {@link flameIdentity} in avatar files and priors folders and refuses a mismatch.
 * VHAP's teeth (120 vertices appended, 168 triangles after FLAME's) do not change what the
 * model is: they are compared on the FLAME part.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { flameIdentity } from '../flame/identity.js';
import type { FlameModel } from '../flame/model.js';
import { hasFlameTeeth } from '../flame/teeth.js';
import { FLAME_VERTEX_COUNT, TEETH_FACE_COUNT } from '../flame/teeth-data.js';

/** The identity of a model without VHAP's teeth (its own identity when it has none). */
export function flameBaseIdentity(model: FlameModel): string {
  if (!hasFlameTeeth(model)) return flameIdentity(model);
  // addFlameTeeth and VHAP append the teeth: FLAME's vertices and faces come first.
  return flameIdentity({
    ...model,
    vertexCount: FLAME_VERTEX_COUNT,
    vTemplate: model.vTemplate.subarray(0, FLAME_VERTEX_COUNT * 3),
    faces: model.faces.subarray(0, model.faces.length - TEETH_FACE_COUNT * 3),
  });
}

/**
 * Refuses two models that are not the same FLAME (teeth aside).
 *
 * @param given - The model the caller passed, named by `givenName`.
 * @param expected - The model something was made with, named by `expectedName`.
 * @throws {@link ValidationError} saying both identities and what to do.
 */
export function requireSameFlame(given: FlameModel, givenName: string, expected: FlameModel, expectedName: string): void {
  const a = flameBaseIdentity(given);
  const b = flameBaseIdentity(expected);
  if (a === b) return;
  throw new ValidationError(
    `${givenName} (${a}) is not the FLAME model ${expectedName} was made with (${b}): FLAME 2020 and 2023 share a layout but not a template or expression basis, ` +
      'so mixing them goes wrong silently. Use the same FLAME file for tracking, priors and adaptation.',
  );
}
