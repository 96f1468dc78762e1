// meshUvMap on a one-triangle mesh, against values worked out by hand (float64, 1e-6), and its
// refusals of careless arguments: ValidationErrors naming the function and the argument.
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { meshUvMap } from '../lib/avatar/uv-map.js';
import { SH_C0 } from '../lib/rig/mesh-gaussians.js';
import type { FlameModel } from '../lib/flame/model.js';

// One right triangle with unit legs: area 1/2, |v1 - v0| = 1, height 1, so k = 1.
const model = { vertexCount: 3, faces: Int32Array.from([0, 1, 2]), vTemplate: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]) } as unknown as FlameModel;
const colors = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
// A 1 x 2 layout: texel 0 on the face at barycentric (0.5, 0.25, 0.25), texel 1 uncovered.
const layout = {
  face: ndarray(Int32Array.from([0, -1]), [1, 2]),
  bary: ndarray(Float32Array.from([0.5, 0.25, 0.25, 0, 0, 0]), [1, 2, 3]),
  count: 1,
};

describe('meshUvMap', () => {
  it('sizes the splat to the texels on its face and colours it at its barycentric point', () => {
    const map = meshUvMap(model, colors, layout);
    expect(map.shape).toEqual([1, 2, 14]);
    const t = Array.from(map.data.subarray(0, 14));
    // One texel on a face of area 1/2: spacing sqrt(1/2); size 0.8 of it, in units of k = 1.
    const logSize = Math.log(0.8 * Math.SQRT1_2);
    const want = [0, 0, 0, logSize, logSize + Math.log(0.1), logSize, 1, 0, 0, 0, (0.5 - 0.5) / SH_C0, (0.25 - 0.5) / SH_C0, (0.25 - 0.5) / SH_C0, Math.log(0.95 / 0.05)];
    t.forEach((v, i) => expect(Math.abs(v - want[i]!), `channel ${i}`).toBeLessThan(1e-6));
    expect(Array.from(map.data.subarray(14))).toEqual(new Array(14).fill(0));
  });

  it('refuses careless arguments, naming itself', () => {
    expect(() => meshUvMap(undefined as never, colors, layout)).toThrow(/^meshUvMap: expected model to be an object, received undefined/);
    expect(() => meshUvMap({ vertexCount: 3 } as never, colors, layout)).toThrow(/^meshUvMap: expected model\.faces to be an Int32Array/);
    expect(() => meshUvMap(model, colors, 'layout.png' as never)).toThrow(/^meshUvMap: expected layout to be an object, received "layout\.png"/);
    expect(() => meshUvMap(model, colors, layout, null as never)).toThrow(/^meshUvMap: expected options to be an object, received null/);
    expect(() => meshUvMap(model, colors, { ...layout, face: null } as never)).toThrow(/expected layout\.face to be a int32 array of shape \[H, W\], received null/);
    // A face index the model does not have would index past its faces.
    expect(() => meshUvMap(model, colors, { ...layout, face: ndarray(Int32Array.from([0, 1]), [1, 2]) })).toThrow(ValidationError);
    expect(() => meshUvMap(model, colors, { ...layout, bary: ndarray(new Float32Array(3), [1, 1, 3]) })).toThrow(/layout\.bary/);
  });
});
