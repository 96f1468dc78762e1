// adapt() end to end on a synthetic studio identity (VHAP-format folder with audio.wav and
// speech.json, written by the project's own studio): every stage including the
// Audio-Expression fine-tune on the identity's speech; held-out frames and novel side views.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, Avatar, AudioExpressionModel, loadAvatarDataset, meshUvMap, trainExpressionVisualPrior, uvLayout } from '../lib/index.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { makeSyntheticIdentity, renderSyntheticIdentityDataset, studioHead } from '../lib/synthetic/studio/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-studio-adapt-'));
  await makeSyntheticSpeechDataset({ out: join(dir, 'speech'), clips: 2, seed: 4, languages: ['en'] });
  // Held-out views every 10th timestep (instead of every 5th) keep the render cheap.
  await renderSyntheticIdentityDataset({ identity: makeSyntheticIdentity({ seed: 11 }), out: join(dir, 'id'), speech: join(dir, 'speech'), size: 64, heldOutEvery: 10 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('adapt on a studio identity', () => {
  it('reads the dataset with its speech clips', async () => {
    const ds = await loadAvatarDataset(join(dir, 'id'));
    expect(ds.fps).toBe(25);
    expect(ds.shape!.length).toBe(studioHead().model.shapeCount);
    const splits = new Set(ds.frames.map((f) => f.split));
    expect(splits).toEqual(new Set(['train', 'val', 'test']));
    expect(ds.speech!.clips.length).toBe(2);
    for (const c of ds.speech!.clips) {
      expect(c.features.shape).toEqual([c.frames.length, 80]);
      expect(c.frames.every((i) => ds.frames[i]!.cameraIndex === 0)).toBe(true);
    }
  });

  it('trains the Expression-Visual prior from dataset folders', async () => {
    const head = studioHead();
    const base = meshUvMap(head.model, head.vertexColors, await uvLayout(head.model.uv!, { height: 16, width: 16 }));
    const r = await trainExpressionVisualPrior({ identities: [join(dir, 'id')], model: head.model, config: { imageSize: 32, uvSize: 16, latentSize: 4, channels: 4, maxChannels: 16 }, base, steps: 5, lr: 1e-3, batch: 2 });
    expect(r.losses).toHaveLength(5);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    await expect(trainExpressionVisualPrior({ identities: [join(dir, 'missing')], model: head.model, steps: 1 })).rejects.toThrow(/missing/);
  });

  it('adapts every stage, fine-tunes the Audio-Expression model on the identity, and the file keeps it all', async () => {
    const a2e = await AudioExpressionModel.create({ config: { dModel: 32, heads: 4, ffDim: 64, condLayers: 1, decoderLayers: 1, speakerDim: 8, maxFrames: 16, expressionCount: 17, diffusionSteps: 100 } });
    const { avatar, report } = await adapt({
      dataset: join(dir, 'id'),
      model: studioHead().model,
      priors: { a2e },
      uvSize: 32,
      steps: { map: 80, joint: 30, color: 20, inpainter: 20, a2e: 30 },
      inpainter: { channels: 8, levels: 2 },
    });
    expect(report.stages.map((s) => s.name)).toEqual(['map', 'joint', 'color', 'inpainter', 'a2e']);
    expect(report.heldOut.final.psnr).toBeGreaterThan(report.heldOut.initial.psnr + 3);
    expect(report.novelViews!.final.psnr).toBeGreaterThan(report.novelViews!.initial.psnr);
    expect(avatar.a2e!.speakers).toEqual(['default', 'identity']);
    const path = join(dir, 'id.ggtavatar');
    await avatar.save(path);
    const loaded = await Avatar.load(path);
    expect(loaded.a2e!.speakers).toEqual(['default', 'identity']);
    expect(loaded.track!.frames).toBe(avatar.track!.frames);
    const f = new Float32Array(20 * 80).map((_, i) => Math.sin(i));
    const x = await avatar.a2e!.sample({ data: f, shape: [20, 80] }, { seed: 1, steps: 5, speaker: 'identity' });
    const y = await loaded.a2e!.sample({ data: f, shape: [20, 80] }, { seed: 1, steps: 5, speaker: 'identity' });
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });
});
