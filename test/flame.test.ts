// FLAME forward against an independent float64 implementation, properties, gradients by
// finite differences of that reference, and input errors.
import { describe, expect, it } from 'vitest';

import { Flame, ValidationError } from '../lib/index.js';
import { FLAME_FRAMES_PER_CALL } from '../lib/flame/flame.js';
import { flameReference, randomFlameModel, type RefParams } from './helpers/flame-reference.js';
import { rng } from './helpers/scene.js';

const model = randomFlameModel(1);
const flame = Flame.from(model);
const f32 = (values: number[], shape: number[]) => ({ data: Float32Array.from(values), shape });

function randomParams(seed: number, scale = 0.4): RefParams {
  const r = rng(seed);
  const u = () => (r() - 0.5) * 2 * scale;
  return {
    shape: Array.from({ length: model.shapeCount }, u),
    expr: Array.from({ length: model.exprCount }, u),
    pose: Array.from({ length: 15 }, u),
    translation: Array.from({ length: 3 }, () => u() * 0.1),
  };
}

function asParams(frames: RefParams[]) {
  const t = frames.length;
  const stack = (get: (p: RefParams) => number[], width: number) => f32(frames.flatMap(get), [t, width]);
  return {
    shape: stack((p) => p.shape, model.shapeCount),
    expr: stack((p) => p.expr, model.exprCount),
    rotation: stack((p) => p.pose.slice(0, 3), 3),
    neck: stack((p) => p.pose.slice(3, 6), 3),
    jaw: stack((p) => p.pose.slice(6, 9), 3),
    eyes: stack((p) => p.pose.slice(9, 15), 6),
    translation: stack((p) => p.translation, 3),
  };
}

describe('FLAME forward', () => {
  it('matches the float64 reference over a batch of frames (1e-5 m)', async () => {
    const frames = [randomParams(2), randomParams(3), randomParams(4, 1.2)];
    const out = await flame.forward(asParams(frames));
    expect(out.vertices.shape).toEqual([3, model.vertexCount, 3]);
    let worst = 0;
    frames.forEach((p, t) => {
      const ref = flameReference(model, p);
      ref.vertices.forEach((v, i) => v.forEach((x, c) => (worst = Math.max(worst, Math.abs(out.vertices.get(t, i, c) - x)))));
      ref.joints.forEach((v, j) => v.forEach((x, c) => expect(out.joints.get(t, j, c)).toBeCloseTo(x, 5)));
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('all-zero pose gives the template plus blendshapes exactly (no skinning change)', async () => {
    const p = randomParams(5);
    const out = await flame.forward({ shape: f32(p.shape, [model.shapeCount]), expr: f32(p.expr, [model.exprCount]) });
    for (let v = 0; v < model.vertexCount; v++) {
      for (let c = 0; c < 3; c++) {
        let x = model.vTemplate[3 * v + c]!;
        for (let k = 0; k < model.shapeCount; k++) x += model.shapedirs[(v * 3 + c) * model.shapeCount + k]! * p.shape[k]!;
        for (let k = 0; k < model.exprCount; k++) x += model.exprdirs[(v * 3 + c) * model.exprCount + k]! * p.expr[k]!;
        expect(Math.abs(out.vertices.get(0, v, c) - x)).toBeLessThan(1e-6);
      }
    }
  });

  it('a global rotation moves the mesh rigidly', async () => {
    const rest = await flame.forward({});
    const turned = await flame.forward({ rotation: f32([0.3, -0.7, 0.2], [3]), translation: f32([0.1, 0, -0.2], [3]) });
    const dist = (o: typeof rest, a: number, b: number) =>
      Math.hypot(...[0, 1, 2].map((c) => o.vertices.get(0, a, c) - o.vertices.get(0, b, c)));
    for (let i = 0; i < 30; i++) {
      const a = (i * 7) % model.vertexCount, b = (i * 13 + 5) % model.vertexCount;
      expect(Math.abs(dist(turned, a, b) - dist(rest, a, b))).toBeLessThan(1e-6);
    }
    // And it is not the identity.
    expect(Math.abs(turned.vertices.get(0, 0, 0) - rest.vertices.get(0, 0, 0))).toBeGreaterThan(1e-3);
  });

  it('landmarks are the barycentric points of their faces', async () => {
    const p = randomParams(6);
    const out = await flame.forward(asParams([p]));
    const lm = model.landmarks!;
    for (let l = 0; l < lm.faceIdx.length; l++) {
      for (let c = 0; c < 3; c++) {
        let x = 0;
        for (let k = 0; k < 3; k++) x += lm.bary[3 * l + k]! * out.vertices.get(0, model.faces[3 * lm.faceIdx[l]! + k]!, c);
        expect(out.landmarks!.get(0, l, c)).toBeCloseTo(x, 6);
      }
    }
  });

  it('gradients to every parameter match central differences of the float64 reference', async () => {
    const p = randomParams(7);
    const r = rng(8);
    const weights = Float32Array.from({ length: model.vertexCount * 3 }, () => r() - 0.5);
    const loss = (q: RefParams) => flameReference(model, q).vertices.flat().reduce((s, x, i) => s + x * weights[i]!, 0);
    const { grads } = await flame.forwardWithGradients(asParams([p]), { outputGrads: { vertices: { data: weights, shape: [1, model.vertexCount, 3] } } });
    const check = (name: string, key: keyof RefParams, index: number, analytic: number) => {
      const h = 1e-6;
      const plus = structuredClone(p), minus = structuredClone(p);
      plus[key][index]! += h;
      minus[key][index]! -= h;
      const fd = (loss(plus) - loss(minus)) / (2 * h);
      expect(Math.abs(analytic - fd), `${name}[${index}]: ${analytic} vs ${fd}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    };
    for (let k = 0; k < model.shapeCount; k++) check('shape', 'shape', k, grads.shape!.get(0, k));
    for (let k = 0; k < model.exprCount; k++) check('expr', 'expr', k, grads.expr!.get(0, k));
    const poseKeys = ['rotation', 'neck', 'jaw'] as const;
    poseKeys.forEach((name, j) => [0, 1, 2].forEach((c) => check(name, 'pose', 3 * j + c, grads[name]!.get(0, c))));
    for (let c = 0; c < 6; c++) check('eyes', 'pose', 9 + c, grads.eyes!.get(0, c));
    for (let c = 0; c < 3; c++) check('translation', 'translation', c, grads.translation!.get(0, c));
  });

  it('long sequences are posed in chunks with the same result: frames around chunk boundaries match the reference', async () => {
    // More than two chunks; the per-frame parameters differ every frame, so a misplaced chunk shows.
    const T = 2 * FLAME_FRAMES_PER_CALL + 88;
    const frames = Array.from({ length: T }, (_, t) => randomParams(1000 + t));
    const shared = randomParams(999).shape;
    const params = { ...asParams(frames), shape: f32(shared, [model.shapeCount]) };
    const out = await flame.forward(params);
    expect(out.vertices.shape).toEqual([T, model.vertexCount, 3]);
    expect(out.landmarks!.shape[0]).toBe(T);
    let worst = 0;
    for (const t of [0, FLAME_FRAMES_PER_CALL - 1, FLAME_FRAMES_PER_CALL, FLAME_FRAMES_PER_CALL + 1, 2 * FLAME_FRAMES_PER_CALL, T - 1]) {
      const ref = flameReference(model, { ...frames[t]!, shape: shared });
      ref.vertices.forEach((v, i) => v.forEach((x, c) => (worst = Math.max(worst, Math.abs(out.vertices.get(t, i, c) - x)))));
      ref.joints.forEach((v, j) => v.forEach((x, c) => (worst = Math.max(worst, Math.abs(out.joints.get(t, j, c) - x)))));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it("chunked gradients: per-frame parameters get their frame's gradient, a shared one the sum over all frames", async () => {
    const T = FLAME_FRAMES_PER_CALL + 40;
    const frames = Array.from({ length: T }, (_, t) => randomParams(2000 + t));
    const shared = randomParams(1999).shape;
    const r = rng(9);
    const weights = { data: Float32Array.from({ length: T * model.vertexCount * 3 }, () => r() - 0.5), shape: [T, model.vertexCount, 3] };
    const perFrame = asParams(frames.map((p) => ({ ...p, shape: shared })));
    const a = await flame.forwardWithGradients({ ...perFrame, shape: f32(shared, [model.shapeCount]) }, { outputGrads: { vertices: weights } });
    const b = await flame.forwardWithGradients(perFrame, { outputGrads: { vertices: weights } });
    expect(a.grads.shape!.shape).toEqual([model.shapeCount]);
    expect(b.grads.shape!.shape).toEqual([T, model.shapeCount]);
    for (let k = 0; k < model.shapeCount; k++) {
      let sum = 0; // float64 sum of the per-frame gradients: an independent reduction
      for (let t = 0; t < T; t++) sum += b.grads.shape!.get(t, k);
      expect(Math.abs(a.grads.shape!.get(0 + k) - sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)));
    }
    // Per-frame gradients are identical whether the shape is shared or not (same frame, same chunk maths).
    for (const t of [0, FLAME_FRAMES_PER_CALL - 1, FLAME_FRAMES_PER_CALL, T - 1]) {
      for (let k = 0; k < model.exprCount; k++) expect(a.grads.expr!.get(t, k)).toBeCloseTo(b.grads.expr!.get(t, k), 5);
    }
    await expect(flame.forwardWithGradients(perFrame, { outputGrads: { vertices: { data: new Float32Array(6), shape: [1, 2, 3] } } })).rejects.toThrow(
      new RegExp(`outputGrads\\.vertices to be a float32 array of shape \\[${T}, ${model.vertexCount}, 3\\]`),
    );
  });

  it('rejects bad parameters and models in the user terms', async () => {
    await expect(flame.forward({ jaw: f32([1, 2], [2]) })).rejects.toThrow(/expected jaw to be a float32 array of shape \[3\], received shape \[2\]/);
    await expect(flame.forward({ jaw: f32([0, 0, 0, 0, 0, 0], [2, 3]), neck: f32([0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 3]) })).rejects.toThrow(/expected jaw .*\[T, 3\] \(T = 3 from neck\), received shape \[2, 3\]/);
    expect(() => Flame.from({ ...model, lbsWeights: new Float32Array(3) })).toThrow(ValidationError);
    expect(() => Flame.from(model, null as never)).toThrow(/^Flame\.from: expected options to be an object, received null/);
    await expect(flame.forward({}, { signal: 42 as never })).rejects.toThrow(/^expected options\.signal to be an AbortSignal .*received 42/);
    expect(() => Flame.from(model, 'cuda' as never)).toThrow(/^Flame\.from: expected options to be an object, received "cuda"/);
    expect(() => Flame.from({ ...model, faces: Int32Array.from([0, 1, 999]) })).toThrow(/face indices in \[0, 40\), received 999/);
  });
});
