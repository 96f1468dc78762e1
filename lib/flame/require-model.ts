/**
 * Door checks for the FLAME values public functions take (a model, a UV mesh, a landmark
 * embedding): their kind only, cheap enough for every call, so a careless call
 * (`hasFlameTeeth()`, `attachFlameUv(model, 'head.obj')`) gets a ValidationError naming the
 * function instead of a TypeError from inside. Sizes are checked where they are used.
 *
 * @module
 */

import { requireOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import type { FlameLandmarks, FlameModel } from './model.js';

/**
 * Requires a FLAME model object: `vertexCount` a non-negative integer, `faces` an Int32Array
 * ([F, 3]) and `vTemplate` a Float32Array ([V, 3]). Their lengths, and the other arrays, are not
 * checked here (a model view with the teeth cut off keeps longer blendshapes).
 *
 * @param fn - The public function, for messages.
 * @param value - What the caller passed.
 * @param name - The argument's name (default `'model'`).
 * @throws ValidationError naming `fn` and the argument.
 */
export function requireFlameModel(fn: string, value: unknown, name = 'model'): FlameModel {
  const model = requireOptions(fn, value, name) as Partial<FlameModel>;
  const hint = '(a FlameModel, as loadFlame returns)';
  if (!Number.isSafeInteger(model.vertexCount) || model.vertexCount! < 0) {
    throw new ValidationError(`${fn}: expected ${name}.vertexCount to be a non-negative integer ${hint}, received ${describeValue(model.vertexCount)}`);
  }
  if (!(model.faces instanceof Int32Array)) throw new ValidationError(`${fn}: expected ${name}.faces to be an Int32Array ${hint}, received ${describeValue(model.faces)}`);
  if (!(model.vTemplate instanceof Float32Array)) {
    throw new ValidationError(`${fn}: expected ${name}.vTemplate to be a Float32Array ${hint}, received ${describeValue(model.vTemplate)}`);
  }
  return model as FlameModel;
}

/**
 * Requires a landmark embedding: `faceIdx` an Int32Array ([L]) and `bary` a Float32Array ([L, 3]).
 *
 * @throws ValidationError naming `fn` and the argument.
 */
export function requireFlameLandmarks(fn: string, value: unknown, name = 'landmarks'): FlameLandmarks {
  const landmarks = requireOptions(fn, value, name) as Partial<FlameLandmarks>;
  const hint = '(as parseFlameLandmarkEmbedding returns)';
  if (!(landmarks.faceIdx instanceof Int32Array)) {
    throw new ValidationError(`${fn}: expected ${name}.faceIdx to be an Int32Array ${hint}, received ${describeValue(landmarks.faceIdx)}`);
  }
  if (!(landmarks.bary instanceof Float32Array)) {
    throw new ValidationError(`${fn}: expected ${name}.bary to be a Float32Array ${hint}, received ${describeValue(landmarks.bary)}`);
  }
  return landmarks as FlameLandmarks;
}
