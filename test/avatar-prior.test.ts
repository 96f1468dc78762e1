// The Expression-Visual prior: training the Identity-Gaussian Generator over identities makes
// its map of a reference image render the identity's held-out frames far better than the
// untrained generator (its mean map); the inpainter pre-trains alongside; save/load.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, IdentityGaussianGenerator, makeProceduralHead, meshUvMap, trainExpressionVisualPrior, uvLayout, type GeneratorConfig } from '../lib/index.js';
import { syntheticIdentity, type SyntheticIdentity } from './helpers/avatar-data.js';

const config: Partial<GeneratorConfig> = { imageSize: 64, uvSize: 32, latentSize: 4, channels: 8, maxChannels: 32 };
const head = makeProceduralHead({ seed: 0 });
let dir: string;
let a: SyntheticIdentity;
let b: SyntheticIdentity;
let trained: Awaited<ReturnType<typeof trainExpressionVisualPrior>>;
let base: ReturnType<typeof meshUvMap>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-prior-'));
  a = await syntheticIdentity({ size: 64, train: 8, heldOut: 2, side: 0, seed: 3 });
  b = await syntheticIdentity({ size: 64, train: 8, heldOut: 2, side: 0, seed: 5 });
  base = meshUvMap(head.model, head.vertexColors, await uvLayout(head.model.uv!, { height: 32, width: 32 }));
  const generator = await IdentityGaussianGenerator.create({ config, base });
  trained = await trainExpressionVisualPrior({ identities: [{ frames: a.frames }, { frames: b.frames }], model: head.model, generator, steps: 150, lr: 1e-3, batch: 4 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const startingQuality = async (generator: IdentityGaussianGenerator, id: SyntheticIdentity) =>
  (await adapt({ frames: id.frames, model: head.model, priors: { generator }, steps: { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 }, color: false, inpainter: false })).report.heldOut.initial;

describe('trainExpressionVisualPrior', () => {
  it('lowers the loss and makes G(reference) render held-out frames far better (measured 16.5 -> 27 dB)', async () => {
    const first = trained.losses.slice(0, 10).reduce((x, y) => x + y) / 10;
    const last = trained.losses.slice(-10).reduce((x, y) => x + y) / 10;
    expect(last).toBeLessThan(0.5 * first);
    const untrained = await IdentityGaussianGenerator.create({ config, base });
    const before = await startingQuality(untrained, a);
    const after = await startingQuality(trained.generator, a);
    expect(after.psnr).toBeGreaterThan(before.psnr + 5);
  });

  it('saves and loads the generator exactly', async () => {
    const path = join(dir, 'g.safetensors');
    await trained.generator.save(path);
    const loaded = await IdentityGaussianGenerator.load(path);
    expect(loaded.config).toEqual(trained.generator.config);
    const x = await trained.generator.generate(a.frames[0]!.image);
    const y = await loaded.generate(a.frames[0]!.image);
    expect(x.shape).toEqual([32, 32, 14]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });

  it('pre-trains the body inpainter alongside', async () => {
    const bg = await syntheticIdentity({ size: 64, train: 4, heldOut: 0, side: 0, seed: 7, background: true });
    const generator = await IdentityGaussianGenerator.create({ config, base });
    const r = await trainExpressionVisualPrior({ identities: [{ frames: bg.frames }], model: head.model, generator, inpainter: { channels: 4, levels: 2 }, steps: 10, lr: 1e-3, batch: 2 });
    expect(r.inpainter!.config).toEqual({ channels: 4, levels: 2 });
    expect([...r.inpainter!.params.keys()]).toContain('inpaint.out.weight');
    const w = r.inpainter!.params.get('inpaint.out.weight')!.toArray().data as Float32Array;
    expect(w.some((v) => v !== 0)).toBe(true); // trained away from its zero start
  });

  it('rejects identities without training frames', async () => {
    await expect(trainExpressionVisualPrior({ identities: [{ frames: a.frames.filter((f) => f.split !== 'train') }], model: head.model, steps: 1, config })).rejects.toThrow(/identities\[0\] has no training frames/);
  });
});

describe('priors folder', () => {
  it('saves and loads generator, inpainter, A2E model and head model; adapt starts from them', async () => {
    const { AudioExpressionModel, BodyInpainter, loadPriors, savePriors } = await import('../lib/index.js');
    const inpainter = await BodyInpainter.create({ config: { channels: 4, levels: 2 }, seed: 1 });
    const a2e = await AudioExpressionModel.create({ config: { dModel: 16, heads: 2, ffDim: 16, condLayers: 1, decoderLayers: 1, speakerDim: 4, maxFrames: 16, expressionCount: 17 }, seed: 1 });
    const folder = join(dir, 'priors');
    await savePriors(folder, { generator: trained.generator, inpainter, a2e, model: head.model });
    const p = await loadPriors(folder);
    expect(p.generator!.config).toEqual(trained.generator.config);
    expect(p.inpainter!.config).toEqual({ channels: 4, levels: 2 });
    expect(p.a2e!.config).toEqual(a2e.config);
    expect(p.model!.vertexCount).toBe(head.model.vertexCount);
    const r = await adapt({ frames: a.frames, priors: p, steps: { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 }, color: false });
    expect(r.avatar.description.inpainter).toEqual({ channels: 4, levels: 2 });
    const w = r.avatar.params.get('inpaint.in.weight')!.toArray().data;
    expect(Array.from(w)).toEqual(Array.from(inpainter.params.get('inpaint.in.weight')!.toArray().data));
    await expect(loadPriors(join(dir, 'nowhere'))).rejects.toThrow(/priors\.json/);
  });
});
