/**
 * An identity's static offsets: per-vertex displacements [V, 3] that VHAP tracks alongside the
 * FLAME shape and adds to the template before skinning (vhap/model/flame.py FlameHead.forward:
 * `v_shaped += static_offset`), and that GaussianAvatars keeps in every FLAME forward. Adaptation,
 * the avatar file and synthesis carry them as the parameter `flame.static_offset` [V, 3].
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import type { FlameModel } from '../flame/model.js';
import { TEETH_VERTEX_COUNT } from '../flame/teeth-data.js';

/**
 * Checks static offsets against the model: V·3 finite numbers. Returns them as [V, 3] for a
 * native parameter.
 *
 * @param where - How the user named them, for messages (e.g. "the dataset's static_offset").
 * @throws {@link ValidationError} for another vertex count (saying when it is VHAP's teeth) or a
 *   value that is not finite.
 */
export function staticOffsetParam(model: Pick<FlameModel, 'vertexCount'>, offset: Float32Array, where: string): { data: Float32Array; shape: number[] } {
  const V = model.vertexCount;
  if (offset.length !== V * 3) {
    const rows = offset.length / 3;
    const teeth =
      rows === V + TEETH_VERTEX_COUNT
        ? ` The data was tracked with VHAP's ${TEETH_VERTEX_COUNT} teeth vertices: use the model with teeth (addFlameTeeth(model)).`
        : rows === V - TEETH_VERTEX_COUNT
          ? ` The model has ${TEETH_VERTEX_COUNT} teeth vertices that the data was tracked without: use the model without teeth.`
          : '';
    throw new ValidationError(`expected ${where} to hold ${V} vertices × 3 (the FLAME model's), received ${Number.isInteger(rows) ? `${rows} vertices` : `${offset.length} numbers`}.${teeth}`);
  }
  for (let i = 0; i < offset.length; i++) {
    if (!Number.isFinite(offset[i]!)) throw new ValidationError(`expected ${where} to be finite, received ${offset[i]} at vertex ${Math.floor(i / 3)}`);
  }
  return { data: offset, shape: [V, 3] };
}
