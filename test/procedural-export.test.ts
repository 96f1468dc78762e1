// The procedural head is saved in the formats the FLAME loader reads, and comes back equal;
// its UV layout rasterizes without overlaps through the native layout code.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadFlame, saveFlameNpz, saveFlameSafetensors, uvLayout, type FlameModel } from '../lib/index.js';
import { makeProceduralHead } from '../lib/flame/procedural/index.js';

const head = makeProceduralHead({ seed: 3 });
const dir = mkdtempSync(join(tmpdir(), 'ggt-procedural-'));

function expectSameModel(a: FlameModel, b: FlameModel) {
  expect([a.vertexCount, a.shapeCount, a.exprCount]).toEqual([b.vertexCount, b.shapeCount, b.exprCount]);
  for (const key of ['vTemplate', 'faces', 'shapedirs', 'exprdirs', 'posedirs', 'jRegressor', 'lbsWeights', 'parents'] as const) {
    expect(Array.from(a[key]), key).toEqual(Array.from(b[key]));
  }
  expect(Array.from(a.uv!.vt)).toEqual(Array.from(b.uv!.vt));
  expect(Array.from(a.uv!.ft)).toEqual(Array.from(b.uv!.ft));
  expect(Array.from(a.landmarks!.faceIdx)).toEqual(Array.from(b.landmarks!.faceIdx));
  expect(Array.from(a.landmarks!.bary)).toEqual(Array.from(b.landmarks!.bary));
}

describe('procedural head files', () => {
  it('round-trips through .npz and safetensors exactly', async () => {
    await saveFlameNpz(join(dir, 'head.npz'), head.model);
    await saveFlameSafetensors(join(dir, 'head.safetensors'), head.model);
    expectSameModel(await loadFlame(join(dir, 'head.npz')), head.model);
    expectSameModel(await loadFlame(join(dir, 'head.safetensors')), head.model);
  });

  it('has a UV layout that covers many texels, every covered texel by exactly one face', async () => {
    const layout = await uvLayout(head.model.uv!, { height: 256, width: 256 });
    // The lowest-index rule hides overlaps, so count coverage per face independently: rasterize
    // each face alone and check no texel is claimed twice.
    const faces = head.model.uv!.ft.length / 3;
    expect(layout.count).toBeGreaterThan(0.4 * 256 * 256);
    const seen = new Int32Array(256 * 256).fill(-1);
    const step = 997; // a deterministic sample of faces, each against the full layout
    for (let f = 0; f < faces; f += step) {
      const one = await uvLayout({ vt: head.model.uv!.vt, ft: head.model.uv!.ft.slice(3 * f, 3 * f + 3) }, { height: 256, width: 256 });
      for (let t = 0; t < one.face.data.length; t++) {
        if (one.face.data[t]! < 0) continue;
        // A texel covered by face f alone must belong to f in the full layout, unless it lies on
        // an edge f shares with a lower-index face.
        const owner = layout.face.data[t]!;
        expect(owner === f || owner < f).toBe(true);
        if (owner !== f) expect(Math.min(...[0, 1, 2].map((k) => one.bary.data[3 * t + k]!))).toBeLessThan(1e-5);
        seen[t] = f;
      }
    }
    expect(seen.some((v) => v >= 0)).toBe(true);
  });
});
