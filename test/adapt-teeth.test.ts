// A dataset tracked with VHAP's teeth (static offsets for 5143 vertices) adapts on FLAME's
// 5023-vertex model: adapt adds the same teeth (addFlameTeeth), so no tracked row is dropped
// and the avatar has Gaussians bound to the teeth triangles; the teeth do not make the model
// another FLAME. Model: the official-FLAME-shaped fixture (test/fixtures/flame-official).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, type AvatarFrame, type FlameModel } from '../lib/index.js';
import { flameBaseIdentity } from '../lib/avatar/flame-match.js';
import { flameIdentity } from '../lib/flame/identity.js';
import { addFlameTeeth, hasFlameTeeth } from '../lib/flame/teeth.js';
import { officialFlameModel } from './helpers/official-flame.js';

let dir: string;
let model: FlameModel;
const SIZE = 32;
const steps = { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 };
const frames: AvatarFrame[] = [0, 1].map((t) => ({
  image: ndarray(new Float32Array(SIZE * SIZE * 3).fill(0.5), [SIZE, SIZE, 3]),
  camera: { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.6, 0, 0, 0, 1], fx: 60, fy: 60, cx: SIZE / 2, cy: SIZE / 2, width: SIZE, height: SIZE },
  flame: {},
  split: 'train',
  timestep: t,
}));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-adapt-teeth-'));
  model = await officialFlameModel(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('adapt on data tracked with teeth', () => {
  it('adds the teeth, keeps every tracked offset row and binds Gaussians to the teeth', async () => {
    const offset = Float32Array.from({ length: 5143 * 3 }, (_, i) => ((i % 7) - 3) * 1e-4);
    const { avatar } = await adapt({ frames, model, staticOffset: offset, steps, color: false, inpainter: false, uvSize: 128 });
    expect(avatar.model.vertexCount).toBe(5143);
    expect(hasFlameTeeth(avatar.model)).toBe(true);
    const saved = avatar.params.get('flame.static_offset');
    expect(saved).toBeDefined();
    const teethFaces = new Set<number>();
    for (const f of avatar.layout.face.data) if (f >= 9976) teethFaces.add(f);
    expect(teethFaces.size).toBeGreaterThan(0);
  });

  it('leaves the model as it is for data tracked without teeth', async () => {
    const { avatar } = await adapt({ frames, model, staticOffset: new Float32Array(5023 * 3), steps, color: false, inpainter: false, uvSize: 32 });
    expect(avatar.model.vertexCount).toBe(5023);
    expect(avatar.flameIdentity).toBe(flameIdentity(model));
  });

  it('treats the model with teeth as the same FLAME (priors made without teeth accept it)', async () => {
    const teeth = addFlameTeeth(model);
    expect(flameIdentity(teeth)).not.toBe(flameIdentity(model));
    expect(flameBaseIdentity(teeth)).toBe(flameIdentity(model));
    const { avatar } = await adapt({ frames, model: teeth, priors: { model }, steps, color: false, inpainter: false, uvSize: 32 });
    expect(avatar.model.vertexCount).toBe(5143);
  });
});

describe('adapt with the official pickle alone', () => {
  it('names the template .obj to add when the model has no UV layout', async () => {
    const { uv: _uv, ...withoutUv } = model;
    await expect(adapt({ frames, model: withoutUv, steps, color: false, inpainter: false })).rejects.toThrow(
      /expected a FLAME model with a UV layout .*loadFlame\('flame2023\.pkl', \{ uv: 'head_template_mesh\.obj' \}\)/,
    );
  });
});
