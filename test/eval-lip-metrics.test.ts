// Lip vertex error (FaceFormer's max-over-lip-vertices, mean over frames), landmark distance and
// mouth-opening correlation on hand-computed cases.
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { landmarkDistance, lipVertexError, mouthOpening, mouthOpeningCorrelation } from '../lib/eval/lip-metrics.js';

describe('lip metrics', () => {
  // T = 2 frames, V = 3 vertices; truth all zeros.
  const truth = new Float32Array(2 * 3 * 3);
  const pred = new Float32Array([
    // frame 0: v0 off by (3, 4, 0) -> 5; v1 off by 1; v2 off by 10 (not a lip vertex)
    3, 4, 0, 0, 1, 0, 10, 0, 0,
    // frame 1: v0 off by 0; v1 off by (0, 0, 2) -> 2; v2 0
    0, 0, 0, 0, 0, 2, 0, 0, 0,
  ]);

  it('lip vertex error: per frame the worst lip vertex, averaged over frames', () => {
    // frame 0: max(5, 1) = 5; frame 1: max(0, 2) = 2 -> 3.5
    expect(lipVertexError(pred, truth, [0, 1], { vertexCount: 3 })).toBeCloseTo(3.5, 6);
    expect(lipVertexError({ data: pred, shape: [2, 3, 3] }, { data: truth, shape: [2, 3, 3] }, [0, 1])).toBeCloseTo(3.5, 6);
    // With v2 among the lips, frame 0's worst is 10 -> (10 + 2) / 2.
    expect(lipVertexError(pred, truth, [0, 1, 2], { vertexCount: 3 })).toBeCloseTo(6, 6);
  });

  it('landmark distance: mean pixel distance over frames and landmarks', () => {
    const a = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]); // [T=2, L=2, 2]
    const b = new Float32Array([3, 4, 1, 1, 2, 2, 3, 5]);
    expect(landmarkDistance(a, b)).toBeCloseTo((5 + 0 + 0 + 2) / 4, 6);
  });

  it('mouth opening and its Pearson correlation', () => {
    // V = 2 (upper lip 0, lower lip 1), T = 4: openings 1, 2, 3, 2 (truth) and 2, 4, 6, 4 (pred).
    const seq = (o: number[]) => new Float32Array(o.flatMap((d) => [0, 0, 0, 0, d, 0]));
    const t = seq([1, 2, 3, 2]);
    expect(Array.from(mouthOpening(t, [0], [1], { vertexCount: 2 }))).toEqual([1, 2, 3, 2]);
    expect(mouthOpeningCorrelation(seq([2, 4, 6, 4]), t, [0], [1], { vertexCount: 2 })).toBeCloseTo(1, 9);
    expect(mouthOpeningCorrelation(seq([3, 2, 1, 2]), t, [0], [1], { vertexCount: 2 })).toBeCloseTo(-1, 9);
    // By hand: x = (1, 2, 3, 2), y = (1, 3, 2, 2), both of mean 2; dx = (-1, 0, 1, 0),
    // dy = (-1, 1, 0, 0): Σdx·dy = 1, Σdx² = Σdy² = 2 -> r = 0.5.
    expect(mouthOpeningCorrelation(seq([1, 3, 2, 2]), t, [0], [1], { vertexCount: 2 })).toBeCloseTo(0.5, 9);
  });

  it('refuses bad inputs with ValidationErrors', () => {
    expect(() => lipVertexError(pred, truth, [0])).toThrow(/expected options\.vertexCount/);
    expect(() => lipVertexError(pred, truth, [0], null as never)).toThrow(/^lipVertexError: expected options to be an object, received null/);
    expect(() => mouthOpening(pred, [0], [1], 3 as never)).toThrow(/^mouthOpening: expected options to be an object, received 3/);
    expect(() => mouthOpeningCorrelation(pred, truth, [0], [1], [] as never)).toThrow(/^mouthOpeningCorrelation: expected options to be an object, received an array of length 0/);
    expect(() => lipVertexError(pred, truth, [0], { vertexCount: 4 })).toThrow(/expected pred to be \[T, 4, 3\]/);
    expect(() => lipVertexError(pred, truth, [3], { vertexCount: 3 })).toThrow(/expected lipVertices\[0\] to be a vertex index in \[0, 3\), received 3/);
    expect(() => lipVertexError(pred, truth.subarray(9), [0], { vertexCount: 3 })).toThrow(ValidationError);
    expect(() => landmarkDistance(new Float32Array(4), new Float32Array(6))).toThrow(ValidationError);
    expect(() => mouthOpeningCorrelation(pred, truth, [0, 1], [2], { vertexCount: 3 })).toThrow(/pair up/);
  });
});

describe('camera helpers of evaluate()', () => {
  it('projects with a pinhole camera and reads yaw/pitch from the view matrix', async () => {
    const { projectPoints, cameraAngles } = await import('../lib/eval/evaluate.js');
    // Camera 2 m in front of the origin (world→camera: translate z by +2), fx 100, fy 50, cx 16, cy 8.
    const view = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1];
    const uv = projectPoints([0.2, -0.4, 0], { view, fx: 100, fy: 50, cx: 16, cy: 8 });
    expect(uv[0]).toBeCloseTo(16 + (100 * 0.2) / 2, 5);
    expect(uv[1]).toBeCloseTo(8 + (50 * -0.4) / 2, 5);
    // The camera centre is at z = −2: straight behind → yaw 180.
    expect(Math.abs(cameraAngles(view).yaw)).toBeCloseTo(180, 6);
    // A camera at (1, 0, 1)·(1/√2) looking at the origin: yaw 45°, pitch 0.
    const s = Math.SQRT1_2;
    const R = [-s, 0, s, 0, 1, 0, -s, 0, -s]; // rows: camera axes in world coordinates (x right, y, z forward)
    const c = [s, 0, s];
    const t = [0, 1, 2].map((i) => -(R[3 * i]! * c[0]! + R[3 * i + 1]! * c[1]! + R[3 * i + 2]! * c[2]!));
    const v2 = [R[0]!, R[1]!, R[2]!, t[0]!, R[3]!, R[4]!, R[5]!, t[1]!, R[6]!, R[7]!, R[8]!, t[2]!, 0, 0, 0, 1];
    expect(cameraAngles(v2).yaw).toBeCloseTo(45, 6);
    expect(cameraAngles(v2).pitch).toBeCloseTo(0, 6);
  });
});

describe('lip vertex pairs: careless calls', () => {
  it('lipPairs pairs each upper vertex with its nearest lower one, and refuses careless arguments naming itself', async () => {
    const { lipPairs } = await import('../lib/eval/lips.js');
    // Vertices 0, 1 (upper) above 2, 3 (lower): 0 is 0.1 above 2, 1 is 0.3 above 3.
    const v = Float32Array.from([0, 0.1, 0, 1, 0.3, 0, 0, 0, 0, 1, 0, 0]);
    expect(lipPairs(v, [0, 1], [2, 3])).toEqual({ upper: [0, 1], lower: [2, 3] });
    expect(lipPairs(v, [0, 1], [2, 3], 1)).toEqual({ upper: [0], lower: [2] });
    expect(() => lipPairs(undefined as never, [0], [1])).toThrow(/^lipPairs: expected vertices to be a Float32Array, received undefined/);
    expect(() => lipPairs(v, undefined as never, [1])).toThrow(/^lipPairs: expected upper to be an array of non-negative integers, received undefined/);
    expect(() => lipPairs(v, [0], [1.5])).toThrow(/^lipPairs: expected lower to be an array of non-negative integers, received an array of length 1 holding 1\.5/);
    expect(() => lipPairs(v, [0], [4])).toThrow(/^lipPairs: expected lower to hold vertex indices below 4 \(vertices \[V, 3\]\), received 4/);
    expect(() => lipPairs(v, [0], [2], -1)).toThrow(ValidationError);
  });

  it('proceduralLipVertices wants a model object', async () => {
    const { proceduralLipVertices } = await import('../lib/eval/lips.js');
    expect(() => proceduralLipVertices(undefined as never)).toThrow(/^proceduralLipVertices: expected model to be an object, received undefined/);
    expect(() => proceduralLipVertices({ vertexCount: 3 } as never)).toThrow(/^proceduralLipVertices: expected model\.vTemplate to be a Float32Array, received undefined/);
    expect(proceduralLipVertices({ vertexCount: 1, vTemplate: new Float32Array(3) })).toBeUndefined();
  });
});
