// The Expression-Visual prior: training the Identity-Gaussian Generator over identities makes
// its map of a held-out identity's reference image render that identity's held-out frames far
// better than the untrained generator (its mean map) and than the same trained generator fed
// the training identities' images (what a generator that ignores its input would give); the
// inpainter pre-trains alongside; save/load. Identities are photographed by the studio's mesh
// camera and differ in look (albedo detail, skin, hair geometry and colour, glasses, lights),
// so the generator can only win by reading the image.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, IdentityGaussianGenerator, makeProceduralHead, meshUvMap, trainExpressionVisualPrior, uvLayout, type AvatarFrame, type GeneratorConfig } from '../lib/index.js';
import { syntheticIdentity, type SyntheticIdentity } from './helpers/avatar-data.js';

const config: Partial<GeneratorConfig> = { imageSize: 64, uvSize: 32, latentSize: 4, channels: 8, maxChannels: 32 };
const head = makeProceduralHead({ seed: 0 });
const TRAIN_SEEDS = [3, 5, 7, 9, 13, 15, 17, 19];
const HELD_OUT_SEED = 11;
let dir: string;
let a: SyntheticIdentity;
let identities: SyntheticIdentity[];
let heldOut: SyntheticIdentity;
let trained: Awaited<ReturnType<typeof trainExpressionVisualPrior>>;
let base: ReturnType<typeof meshUvMap>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-prior-'));
  identities = [];
  for (const seed of TRAIN_SEEDS) identities.push(await syntheticIdentity({ size: 64, train: 3, heldOut: 0, side: 0, seed }));
  a = identities[0]!;
  // Never seen in training: its training frames only give the reference image.
  heldOut = await syntheticIdentity({ size: 64, train: 4, heldOut: 3, side: 0, seed: HELD_OUT_SEED });
  base = meshUvMap(head.model, head.vertexColors, await uvLayout(head.model.uv!, { height: 32, width: 32 }));
  const generator = await IdentityGaussianGenerator.create({ config, base });
  trained = await trainExpressionVisualPrior({ identities: identities.map((id) => ({ frames: id.frames })), model: head.model, generator, steps: 440, lr: 2.5e-3, batch: 4 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Held-out quality of the map G makes of the reference frame chosen among `frames`' training frames. */
const startingQuality = async (generator: IdentityGaussianGenerator, frames: AvatarFrame[]) =>
  (await adapt({ frames, model: head.model, priors: { generator }, steps: { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 }, color: false, inpainter: false })).report.heldOut.initial;

describe('synthetic identities', () => {
  it('differ from seed to seed in look alone: two seeds posed alike differ by a mean of > 0.07 inside the head and hair', async () => {
    // The same poses (poseSeed) for both: any difference is the look (albedo, hair, glasses, lights).
    const look = (seed: number) => syntheticIdentity({ size: 64, train: 1, heldOut: 0, side: 0, seed, poseSeed: 1 });
    const [x, y, x2] = [await look(3), await look(5), await look(3)];
    const meanDiff = (f: AvatarFrame, g: AvatarFrame) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < f.image.data.length; i++) {
        const p = Math.floor(i / 3);
        if (Math.min(f.mask!.data[p]!, g.mask!.data[p]!) < 0.9) continue;
        sum += Math.abs(f.image.data[i]! - g.image.data[i]!);
        n++;
      }
      return sum / n;
    };
    expect(meanDiff(x.frames[0]!, x2.frames[0]!)).toBe(0); // the same seed: the same photograph
    expect(meanDiff(x.frames[0]!, y.frames[0]!)).toBeGreaterThan(0.07); // measured 0.103 (0 when the seed draws only poses)
  });
});

describe('trainExpressionVisualPrior', () => {
  it('lowers the loss; on a held-out identity G(its reference) beats the untrained generator and G fed other identities (measured on photographed identities 18.0 -> 24.3 dB; others 21.6 on average; 220 steps left only 0.7 dB over the others)', async () => {
    const untrained = await IdentityGaussianGenerator.create({ config, base });
    const before = await startingQuality(untrained, heldOut.frames);
    const after = await startingQuality(trained.generator, heldOut.frames);
    expect(after.frames).toBe(3);
    // The input-blind baseline: the held-out identity's frames rendered from the map G makes
    // of another identity's image (each training identity's, in the reference's place).
    const others: number[] = [];
    for (const other of identities) {
      const swapped = heldOut.frames.map((f, i) => (f.split === 'train' ? { ...f, image: other.frames[i % other.frames.length]!.image } : f));
      others.push((await startingQuality(trained.generator, swapped)).psnr);
    }
    const blind = others.reduce((x, y) => x + y) / others.length;
    expect(after.psnr).toBeGreaterThan(before.psnr + 4);
    expect(after.psnr).toBeGreaterThan(blind + 1.5);
    const first = trained.losses.slice(0, 10).reduce((x, y) => x + y) / 10;
    const last = trained.losses.slice(-10).reduce((x, y) => x + y) / 10;
    expect(last).toBeLessThan(0.5 * first);
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
    await expect(trainExpressionVisualPrior({ identities: [{ frames: heldOut.frames.filter((f) => f.split !== 'train') }], model: head.model, steps: 1, config })).rejects.toThrow(/identities\[0\] has no training frames/);
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
    const r = await adapt({ frames: heldOut.frames, priors: p, steps: { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 }, color: false });
    expect(r.avatar.description.inpainter).toEqual({ channels: 4, levels: 2 });
    const w = r.avatar.params.get('inpaint.in.weight')!.toArray().data;
    expect(Array.from(w)).toEqual(Array.from(inpainter.params.get('inpaint.in.weight')!.toArray().data));
    await expect(loadPriors(join(dir, 'nowhere'))).rejects.toThrow(/priors\.json/);
  });
});
