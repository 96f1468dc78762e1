// Which FLAME a file was made with: avatars and priors folders record the model's
// flameIdentity, a file whose model does not match its record is refused, and adapt refuses a
// model that is another FLAME than the priors' (FLAME 2020 and 2023 share a layout, so mixing
// them would otherwise go unnoticed).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, FormatError, loadPriors, makeProceduralHead, proceduralAvatar, savePriors, ValidationError, type FlameModel } from '../lib/index.js';
import { Avatar } from '../lib/avatar/avatar.js';
import { flameIdentity } from '../lib/flame/identity.js';
import { saveFlameSafetensors } from '../lib/flame/save.js';
import { encodeSafetensors, parseSafetensors } from '../lib/io/safetensors.js';

let dir: string;
let model: FlameModel;
/** The same topology with another template: what FLAME 2020 is to 2023. */
let other: FlameModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-flame-id-'));
  model = makeProceduralHead({ seed: 0 }).model;
  const vTemplate = Float32Array.from(model.vTemplate, (x, i) => x + (i % 3 === 2 ? 0.001 : 0));
  other = { ...model, vTemplate };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FLAME identity in files', () => {
  it('is recorded in avatar files, and a file whose model disagrees with its record is refused', async () => {
    const avatar = await proceduralAvatar({ size: 32, uvSize: 32 });
    const path = join(dir, 'a.ggtavatar');
    await avatar.save(path);
    const file = parseSafetensors(await readFile(path), path);
    expect(file.metadata.flame).toBe(flameIdentity(avatar.model));
    expect((await Avatar.load(path)).flameIdentity).toBe(avatar.flameIdentity);
    // The same file claiming another model.
    const edited = join(dir, 'edited.ggtavatar');
    await writeFile(edited, encodeSafetensors(file.tensors, { ...file.metadata, flame: flameIdentity(other) }));
    await expect(Avatar.load(edited)).rejects.toThrow(FormatError);
    await expect(Avatar.load(edited)).rejects.toThrow(/records FLAME model flame-[0-9a-f]{16} but holds flame-[0-9a-f]{16}/);
  });

  it('is recorded in priors folders, and a swapped flame.safetensors is refused', async () => {
    const priorsDir = join(dir, 'priors');
    await savePriors(priorsDir, { model });
    const manifest = JSON.parse(await readFile(join(priorsDir, 'priors.json'), 'utf8')) as { flame: string };
    expect(manifest.flame).toBe(flameIdentity(model));
    expect(flameIdentity((await loadPriors(priorsDir)).model!)).toBe(manifest.flame);
    await saveFlameSafetensors(join(priorsDir, 'flame.safetensors'), other);
    await expect(loadPriors(priorsDir)).rejects.toThrow(/flame.safetensors: holds FLAME model .* but priors.json records/);
  });

  it('makes adapt refuse a model that is another FLAME than the priors\'', async () => {
    const camera = { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, 1], fx: 30, fy: 30, cx: 8, cy: 8, width: 16, height: 16 };
    const frames = [{ image: ndarray(new Float32Array(16 * 16 * 3), [16, 16, 3]), camera, flame: {}, split: 'train' as const }];
    const steps = { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 };
    const run = adapt({ frames, model: other, priors: { model }, steps, color: false, inpainter: false, uvSize: 16 });
    await expect(run).rejects.toThrow(ValidationError);
    await expect(adapt({ frames, model: other, priors: { model }, steps })).rejects.toThrow(/options.model \(flame-[0-9a-f]{16}\) is not the FLAME model the priors/);
    // The same model is accepted.
    const { avatar } = await adapt({ frames, model, priors: { model }, steps, color: false, inpainter: false, uvSize: 16 });
    expect(avatar.flameIdentity).toBe(flameIdentity(model));
  });
});
