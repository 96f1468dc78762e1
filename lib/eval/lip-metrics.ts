/**
 * Motion metrics of talking heads: lip vertex error (FaceFormer), landmark distance (LMD) and
 * mouth-opening correlation. They compare a predicted mesh sequence (speech → A2E → FLAME) with
 * the ground-truth one on the same frames.
 *
 * Vertex sequences are flat row-major [T, V, 3] Float32Arrays in metres. The vertex count V is
 * not in a flat array, so it comes from `options.vertexCount`; passing `{ data, shape: [T, V, 3] }`
 * instead of the flat array gives it too. FLAME has V = 5023; the procedural head has its own V.
 *
 * @module
 */

import { optionalOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { pearson } from '../a2e/track-metrics.js';

/** A [T, V, 3] vertex sequence: flat (V from options.vertexCount) or with its shape. */
export type VertexSequence =
  | Float32Array
  | {
      /** The vertices, row-major. */
      data: Float32Array;
      /** [T, V, 3]. */
      shape: readonly [number, number, number] | readonly number[];
    };

/** Options of the vertex metrics. */
export interface VertexMetricOptions {
  /** V in a flat [T, V, 3] array (required when the sequences are flat Float32Arrays). */
  vertexCount?: number;
}

interface Seq {
  data: Float32Array;
  frames: number;
  vertices: number;
}

function sequence(name: string, value: VertexSequence, vertexCount: number | undefined): Seq {
  if (value instanceof Float32Array) {
    if (vertexCount === undefined)
      throw new ValidationError(`expected options.vertexCount (V) with a flat [T, V, 3] ${name}, received none (or pass { data, shape: [T, V, 3] })`);
    if (!Number.isInteger(vertexCount) || vertexCount <= 0) throw new ValidationError(`expected options.vertexCount to be a positive integer, received ${String(vertexCount)}`);
    if (value.length === 0 || value.length % (3 * vertexCount) !== 0)
      throw new ValidationError(`expected ${name} to be [T, ${vertexCount}, 3] (a length that is a positive multiple of ${3 * vertexCount}), received length ${value.length}`);
    return { data: value, frames: value.length / (3 * vertexCount), vertices: vertexCount };
  }
  const shape = value?.shape;
  if (!(value?.data instanceof Float32Array) || !shape || shape.length !== 3 || shape[2] !== 3 || shape[0]! * shape[1]! * 3 !== value.data.length || shape[0]! <= 0)
    throw new ValidationError(`expected ${name} to be a float32 [T, V, 3] array, received ${shape ? `shape [${shape.join(', ')}]` : String(value)}`);
  return { data: value.data, frames: shape[0]!, vertices: shape[1]! };
}

function pair(pred: VertexSequence, truth: VertexSequence, options: VertexMetricOptions): [Seq, Seq] {
  const p = sequence('pred', pred, options.vertexCount);
  const t = sequence('truth', truth, options.vertexCount);
  if (p.frames !== t.frames || p.vertices !== t.vertices)
    throw new ValidationError(`expected pred and truth of the same shape, received [${p.frames}, ${p.vertices}, 3] and [${t.frames}, ${t.vertices}, 3]`);
  return [p, t];
}

function requireIndices(name: string, indices: ArrayLike<number>, vertices: number): void {
  if (!indices || indices.length === 0) throw new ValidationError(`expected ${name} to be a non-empty list of vertex indices, received ${indices ? 'an empty list' : String(indices)}`);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vertices) throw new ValidationError(`expected ${name}[${i}] to be a vertex index in [0, ${vertices}), received ${v}`);
  }
}

/**
 * Lip vertex error as FaceFormer reports it: per frame, the largest L2 distance between predicted
 * and true positions over the lip vertices; averaged over frames.
 *
 * @param pred - Predicted vertices [T, V, 3] (metres).
 * @param truth - Ground-truth vertices [T, V, 3].
 * @param lipVertices - Indices of the lip vertices.
 * @returns Metres.
 * @throws {@link ValidationError} for mismatched shapes, a missing vertex count or bad indices.
 */
export function lipVertexError(pred: VertexSequence, truth: VertexSequence, lipVertices: ArrayLike<number>, options: VertexMetricOptions = {}): number {
  options = optionalOptions('lipVertexError', options);
  const [p, t] = pair(pred, truth, options);
  requireIndices('lipVertices', lipVertices, p.vertices);
  let total = 0;
  for (let f = 0; f < p.frames; f++) {
    let worst = 0;
    for (let i = 0; i < lipVertices.length; i++) {
      const o = 3 * (f * p.vertices + lipVertices[i]!);
      const d = Math.hypot(p.data[o]! - t.data[o]!, p.data[o + 1]! - t.data[o + 1]!, p.data[o + 2]! - t.data[o + 2]!);
      if (d > worst) worst = d;
    }
    total += worst;
  }
  return total / p.frames;
}

/**
 * Mouth opening per frame: the mean L2 distance between paired upper- and lower-lip vertices
 * (`upper[i]` faces `lower[i]`), [T] in metres.
 */
export function mouthOpening(vertices: VertexSequence, upper: ArrayLike<number>, lower: ArrayLike<number>, options: VertexMetricOptions = {}): Float64Array {
  options = optionalOptions('mouthOpening', options);
  const s = sequence('vertices', vertices, options.vertexCount);
  requireIndices('upper', upper, s.vertices);
  requireIndices('lower', lower, s.vertices);
  if (upper.length !== lower.length) throw new ValidationError(`expected upper and lower to pair up (the same length), received ${upper.length} and ${lower.length}`);
  const out = new Float64Array(s.frames);
  for (let f = 0; f < s.frames; f++) {
    let sum = 0;
    for (let i = 0; i < upper.length; i++) {
      const a = 3 * (f * s.vertices + upper[i]!);
      const b = 3 * (f * s.vertices + lower[i]!);
      sum += Math.hypot(s.data[a]! - s.data[b]!, s.data[a + 1]! - s.data[b + 1]!, s.data[a + 2]! - s.data[b + 2]!);
    }
    out[f] = sum / upper.length;
  }
  return out;
}

/**
 * Pearson correlation over frames of the predicted and true mouth openings
 * ({@link mouthOpening}). NaN when either sequence is constant (e.g. one frame).
 *
 * @throws {@link ValidationError} for mismatched shapes or bad index lists.
 */
export function mouthOpeningCorrelation(
  pred: VertexSequence,
  truth: VertexSequence,
  upper: ArrayLike<number>,
  lower: ArrayLike<number>,
  options: VertexMetricOptions = {},
): number {
  options = optionalOptions('mouthOpeningCorrelation', options);
  pair(pred, truth, options);
  return pearson(mouthOpening(pred, upper, lower, options), mouthOpening(truth, upper, lower, options));
}

/**
 * Landmark distance (LMD): the mean over frames and landmarks of the pixel distance between
 * predicted and true 2-D landmarks.
 *
 * @param pred - [T, L, 2] pixel positions (L = 68 for the usual set; any L is accepted).
 * @param truth - [T, L, 2].
 * @returns Pixels.
 * @throws {@link ValidationError} for arrays of different or odd lengths.
 */
export function landmarkDistance(pred: Float32Array, truth: Float32Array): number {
  if (!(pred instanceof Float32Array) || !(truth instanceof Float32Array)) throw new ValidationError('expected pred and truth to be Float32Arrays [T, L, 2]');
  if (pred.length !== truth.length || pred.length === 0 || pred.length % 2 !== 0)
    throw new ValidationError(`expected pred and truth to be [T, L, 2] of the same non-zero length, received lengths ${pred.length} and ${truth.length}`);
  let sum = 0;
  for (let i = 0; i < pred.length; i += 2) sum += Math.hypot(pred[i]! - truth[i]!, pred[i + 1]! - truth[i + 1]!);
  return sum / (pred.length / 2);
}
