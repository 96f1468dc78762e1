/**
 * Expression tracks as meshes, for the lip metrics: the studio head (the procedural FLAME-format
 * head every synthetic identity shares) posed by per-frame expressions and jaw pose, and its
 * lip vertices (regions `lip_upper` and `lip_lower`) with upper/lower pairs for the mouth
 * opening.
 *
 * @module
 */

import { Flame } from '../../flame/flame.js';
import { studioHead } from '../../synthetic/studio/identity.js';

/** The head's lip vertices, and upper-lip vertices each paired with the lower-lip vertex facing it. */
export interface LipVertices {
  vertexCount: number;
  lips: number[];
  upper: number[];
  lower: number[];
}

let cached: { flame: Flame; lips: LipVertices } | undefined;

function setup(): { flame: Flame; lips: LipVertices } {
  if (cached) return cached;
  const head = studioHead();
  const { faces, vTemplate, vertexCount } = head.model;
  const regionVertices = (name: string): number[] => {
    const id = head.regions.names.indexOf(name);
    const set = new Set<number>();
    for (let f = 0; f < faces.length / 3; f++) if (head.regions.face[f] === id) for (let k = 0; k < 3; k++) set.add(faces[3 * f + k]!);
    return [...set].sort((a, b) => a - b);
  };
  const up = regionVertices('lip_upper');
  const low = regionVertices('lip_lower');
  // Pairs: each upper-lip vertex with the lower-lip vertex nearest in x and z (across the mouth
  // line), in the template (mouth closed); their distance then measures the opening.
  const lower = up.map((u) => {
    let best = low[0]!;
    let bestD = Infinity;
    for (const l of low) {
      const d = (vTemplate[3 * u]! - vTemplate[3 * l]!) ** 2 + (vTemplate[3 * u + 2]! - vTemplate[3 * l + 2]!) ** 2;
      if (d < bestD) [best, bestD] = [l, d];
    }
    return best;
  });
  cached = { flame: Flame.from(head.model), lips: { vertexCount, lips: [...new Set([...up, ...low])].sort((a, b) => a - b), upper: up, lower } };
  return cached;
}

/** The studio head's lip vertex sets. */
export function lipVertices(): LipVertices {
  return setup().lips;
}

/**
 * The studio head posed by `tracks` [T, E + 3] (expressions, then jaw pose; E = the head's
 * expression count), neutral shape and pose otherwise: vertices [T, V, 3] flattened.
 */
export async function tracksToVertices(tracks: Float32Array, signal?: AbortSignal): Promise<Float32Array> {
  const { flame } = setup();
  const E = studioHead().model.exprCount;
  const K = E + 3;
  const T = tracks.length / K;
  const expr = new Float32Array(T * E);
  const jaw = new Float32Array(T * 3);
  for (let t = 0; t < T; t++) {
    expr.set(tracks.subarray(t * K, t * K + E), t * E);
    jaw.set(tracks.subarray(t * K + E, (t + 1) * K), t * 3);
  }
  const out = await flame.forward({ expr: { data: expr, shape: [T, E] }, jaw: { data: jaw, shape: [T, 3] } }, signal ? { signal } : {});
  return out.vertices.data;
}
