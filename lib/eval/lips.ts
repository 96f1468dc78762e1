/**
 * Which vertices are the lips, and which pairs of them measure the mouth's opening, for the
 * motion metrics ({@link lipVertexError}, {@link mouthOpeningCorrelation}).
 *
 * The procedural head names its regions per face (`lip_upper`, `lip_lower`); its topology is
 * the same for every identity seed, so any model with its vertex count gets them. Official
 * FLAME carries no regions: pass the lip vertices (and optionally the pairs) yourself.
 *
 * @module
 */

import { requireOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { makeProceduralHead } from '../flame/procedural/index.js';
import { describeValue, requireIndexList, requireTypedArray } from '../validate.js';
import type { FlameModel } from '../flame/model.js';

/** Lip vertices, and upper/lower pairs whose distances open with the mouth. */
export interface LipVertices {
  /** Every lip vertex (upper and lower), for the lip vertex error. */
  lips: number[];
  /** Paired inner-lip vertices: `upper[i]` faces `lower[i]`. */
  upper: number[];
  /** Paired inner-lip vertices: `lower[i]` faces `upper[i]`. */
  lower: number[];
}

/** How many inner-lip pairs {@link lipPairs} keeps. */
const PAIRS = 8;

/**
 * The inner-lip pairs of two lip vertex sets on a neutral mesh [V, 3]: each upper vertex's
 * nearest lower vertex, keeping the `PAIRS` closest pairs (where the lips meet; their
 * distances grow as the mouth opens).
 */
export function lipPairs(
  vertices: Float32Array,
  upper: readonly number[],
  lower: readonly number[],
  count = PAIRS,
): {
  /** Upper inner-lip vertices; `upper[i]` faces `lower[i]`. */
  upper: number[];
  /** Their lower partners. */
  lower: number[];
} {
  requireTypedArray('lipPairs', vertices, 'vertices', Float32Array);
  const vertexCount = Math.floor(vertices.length / 3);
  for (const [name, list] of [['upper', upper], ['lower', lower]] as const) {
    const outside = requireIndexList('lipPairs', list, name).find((v) => v >= vertexCount);
    if (outside !== undefined) throw new ValidationError(`lipPairs: expected ${name} to hold vertex indices below ${vertexCount} (vertices [V, 3]), received ${outside}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) throw new ValidationError(`lipPairs: expected count to be a non-negative integer, received ${describeValue(count)}`);
  const pairs = upper.map((u) => {
    let best = -1;
    let bestD = Infinity;
    for (const l of lower) {
      if (l === u) continue;
      const d = Math.hypot(vertices[3 * u]! - vertices[3 * l]!, vertices[3 * u + 1]! - vertices[3 * l + 1]!, vertices[3 * u + 2]! - vertices[3 * l + 2]!);
      if (d < bestD) {
        bestD = d;
        best = l;
      }
    }
    return { u, l: best, d: bestD };
  });
  pairs.sort((a, b) => a.d - b.d);
  const kept = pairs.filter((p) => p.l >= 0).slice(0, count);
  return { upper: kept.map((p) => p.u), lower: kept.map((p) => p.l) };
}

let procedural: { vertexCount: number; upper: number[]; lower: number[] } | undefined;

/**
 * The lip vertices of a procedural-head-topology model (undefined for any other vertex count):
 * the vertices of the `lip_upper` and `lip_lower` faces (a vertex on both is counted as upper).
 */
export function proceduralLipVertices(model: Pick<FlameModel, 'vertexCount' | 'vTemplate'>): LipVertices | undefined {
  requireOptions('proceduralLipVertices', model, 'model');
  requireTypedArray('proceduralLipVertices', model.vTemplate, 'model.vTemplate', Float32Array);
  if (!procedural) {
    const head = makeProceduralHead();
    const faces = head.model.faces;
    const upperId = head.regions.names.indexOf('lip_upper');
    const lowerId = head.regions.names.indexOf('lip_lower');
    const upper = new Set<number>();
    const lower = new Set<number>();
    head.regions.face.forEach((id, f) => {
      const target = id === upperId ? upper : id === lowerId ? lower : undefined;
      if (target) for (let k = 0; k < 3; k++) target.add(faces[3 * f + k]!);
    });
    for (const v of upper) lower.delete(v);
    procedural = { vertexCount: head.model.vertexCount, upper: [...upper].sort((a, b) => a - b), lower: [...lower].sort((a, b) => a - b) };
  }
  if (model.vertexCount !== procedural.vertexCount) return undefined;
  const pairs = lipPairs(model.vTemplate, procedural.upper, procedural.lower);
  return { lips: [...procedural.upper, ...procedural.lower], ...pairs };
}
