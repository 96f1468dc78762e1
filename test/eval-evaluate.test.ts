// evaluate() and `ggtalker eval` end to end on a tiny synthetic studio identity (32×32, 30
// timesteps, every studio view): an adapted avatar against a mean-colour copy of it; the lip
// metrics against an oracle Audio-Expression model that returns the ground truth (LMD 0, lip
// vertex error 0, r 1) and one that returns it three frames late; report files with every
// field; LPIPS through evaluate(); typed errors; abort.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { handleToArray, arrayToHandle } from '../lib/a2e/native-params.js';
import { AudioExpressionModel } from '../lib/a2e/model.js';
import { adapt } from '../lib/avatar/adapt.js';
import { Avatar } from '../lib/avatar/avatar.js';
import { main } from '../lib/cli/main.js';
import { AbortError, FormatError, ValidationError } from '../lib/errors.js';
import { evaluate, type EvaluationReport } from '../lib/eval/evaluate.js';
import { Lpips } from '../lib/eval/lpips.js';
import { writeEvaluationReport } from '../lib/eval/report.js';
import { trainSyncScorerOnSpeech } from '../lib/eval/sync-confidence.js';
import { loadVhapFlame } from '../lib/io/vhap-flame.js';
import { writeSafetensors } from '../lib/io/safetensors.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { makeSyntheticIdentity, renderSyntheticIdentityDataset, studioHead } from '../lib/synthetic/studio/index.js';
import { hashedWeights } from './fixtures/lpips/hashed-weights.js';

let dir: string;
let data: string;
let avatar: Avatar;
let T: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-eval-'));
  data = join(dir, 'id');
  await makeSyntheticSpeechDataset({ out: join(dir, 'speech'), clips: 1, seed: 4, languages: ['en'] });
  T = (await renderSyntheticIdentityDataset({ identity: makeSyntheticIdentity({ seed: 11 }), out: data, speech: join(dir, 'speech'), size: 32, frames: 30 })).timesteps;
  const model = studioHead().model;
  const a2e = await AudioExpressionModel.create({ config: { dModel: 32, heads: 4, ffDim: 64, condLayers: 1, decoderLayers: 1, speakerDim: 8, maxFrames: 16, expressionCount: model.exprCount, diffusionSteps: 100 } });
  ({ avatar } = await adapt({ dataset: data, model, priors: { a2e }, uvSize: 32, steps: { map: 60, joint: 20, color: 10, inpainter: 0, a2e: 0 }, inpainter: false }));
  await avatar.save(join(dir, 'id.ggtavatar'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The avatar with every Gaussian's colour (SH0, map channels 10..12) replaced by the mean colour. */
function meanColourAvatar(a: Avatar): Avatar {
  const map = handleToArray(a.params.get('map')!);
  const d = Float32Array.from(map.data);
  const texels = d.length / 14;
  const sum = [0, 0, 0];
  let n = 0;
  for (let t = 0; t < texels; t++) {
    if (d.subarray(14 * t, 14 * t + 14).every((x) => x === 0)) continue; // uncovered texel
    for (let c = 0; c < 3; c++) sum[c]! += d[14 * t + 10 + c]!;
    n++;
  }
  for (let t = 0; t < texels; t++) for (let c = 0; c < 3; c++) if (d[14 * t + 13] !== 0) d[14 * t + 10 + c] = sum[c]! / n;
  const params = new Map(a.params);
  params.set('map', arrayToHandle({ data: d, shape: map.shape }));
  return new Avatar({ model: a.model, layout: a.layout, description: a.description, params, ...(a.track ? { track: a.track } : {}), ...(a.a2e ? { a2e: a.a2e } : {}) });
}

/** An Audio-Expression stand-in whose samples are the dataset's true expression + jaw, `lag` frames late. */
async function oracleA2e(lag: number): Promise<AudioExpressionModel> {
  const E = avatar.model.exprCount;
  const truth: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    const p = await loadVhapFlame(join(data, 'flame_param_truth', `${String(t).padStart(5, '0')}.npz`));
    const row = new Float32Array(E + 3);
    row.set(p.expr!.subarray(0, E));
    row.set(p.jaw!, E);
    truth.push(row);
  }
  const real = avatar.a2e!;
  return Object.assign(Object.create(Object.getPrototypeOf(real) as object), real, {
    sample: async (features: { shape: number[] }) => {
      const n = features.shape[0]!;
      const out = new Float32Array(n * (E + 3));
      for (let t = 0; t < n; t++) out.set(truth[Math.max(0, t - lag)]!, t * (E + 3));
      return ndarray(out, [n, E + 3]);
    },
  }) as AudioExpressionModel;
}

function withA2e(a: Avatar, a2e: AudioExpressionModel | undefined): Avatar {
  return new Avatar({ model: a.model, layout: a.layout, description: a.description, params: a.params, ...(a.track ? { track: a.track } : {}), ...(a2e ? { a2e } : {}) });
}

describe('evaluate', () => {
  let report: EvaluationReport;

  it('scores the adapted avatar above a mean-colour copy of it, full image and inside the head mask', async () => {
    const stages = new Set<string>();
    report = await evaluate({ avatar, dataset: data, a2e: { steps: 3 }, onProgress: (p) => stages.add(p.stage) });
    const flat = await evaluate({ avatar: meanColourAvatar(avatar), dataset: data, audio: false });
    expect(report.frames).toBe(flat.frames);
    expect(report.frames).toBeGreaterThan(10);
    expect(report.image.full.psnr!).toBeGreaterThan(flat.image.full.psnr! + 0.5);
    expect(report.image.mask!.psnr!).toBeGreaterThan(flat.image.mask!.psnr! + 1);
    expect(report.image.mask!.ssim!).toBeGreaterThan(flat.image.mask!.ssim!);
    // The head is the hard part: inside the mask scores below the whole frame (whose background is the frame's own).
    expect(report.image.mask!.psnr!).toBeLessThan(report.image.full.psnr!);
    expect([...stages]).toEqual(['load', 'render', 'a2e']);
    expect(flat.motion).toBeNull();
    expect(flat.motionSkipped).toBe('audio: false');
  });

  it('reports per view with the cameras\' yaw and pitch (front first), per frame, and time per stage', () => {
    expect(report.split).toBe('test');
    expect(report.perView.length).toBeGreaterThan(1);
    expect(report.perView[0]!.cameraIndex).toBe(0);
    expect(Math.abs(report.perView[0]!.yaw)).toBeLessThan(1e-3);
    expect(report.perView.some((v) => Math.abs(v.yaw) > 10)).toBe(true);
    expect(report.perView.reduce((n, v) => n + v.frames, 0)).toBe(report.frames);
    expect(report.perFrame).toHaveLength(report.frames);
    for (const f of report.perFrame) {
      expect(Number.isFinite(f.full.psnr!)).toBe(true);
      expect(f.mask!.ssim!).toBeLessThanOrEqual(1);
    }
    for (const k of ['load', 'render', 'metrics', 'lpips', 'a2e', 'flame', 'total'] as const) expect(report.timings[k]).toBeGreaterThanOrEqual(0);
    expect(report.timings.render).toBeGreaterThan(0);
    expect(report.motion!.truth).toBe('flame_param_truth');
    expect(report.motion!.frames).toBeGreaterThan(0);
  });

  it('lip metrics: an oracle A2E scores LMD 0, lip vertex error 0, r 1; three frames late it does not', async () => {
    // A sync scorer trained on the clip itself (this checks the wiring, not generalisation: test/eval-sync.test.ts does that).
    const sync = await trainSyncScorerOnSpeech(join(dir, 'speech'));
    const exact = await evaluate({ avatar: withA2e(avatar, await oracleA2e(0)), dataset: data, split: 'all', views: [0], audio: true, sync });
    expect(exact.motion!.sync!.predicted).toEqual(exact.motion!.sync!.truth);
    expect(exact.motion!.sync!.truth.offsets).toEqual([0]);
    expect(exact.motion!.frameSource).toBe('split');
    expect(exact.motion!.frames).toBe(T);
    expect(exact.motion!.lmd!).toBeLessThan(1e-3);
    expect(exact.motion!.lipVertexError).toBeLessThan(1e-6);
    expect(exact.motion!.mouthOpeningCorrelation!).toBeCloseTo(1, 6);
    const late = await evaluate({ avatar: withA2e(avatar, await oracleA2e(3)), dataset: data, split: 'all', views: [0], audio: true, sync });
    expect(late.motion!.sync!.predicted.offsets).toEqual([3]);
    expect(late.motion!.sync!.predicted.distance).toBeGreaterThan(late.motion!.sync!.truth.distance);
    expect(late.motion!.lmd!).toBeGreaterThan(0.03); // measured 0.063 px at 32×32
    expect(late.motion!.lipVertexError).toBeGreaterThan(1e-4);
    expect(late.motion!.mouthOpeningCorrelation!).toBeLessThan(0.95);
  });

  it('writes report.json (every field) and report.md (the tables)', async () => {
    const out = join(dir, 'report');
    const written = await writeEvaluationReport(report, out);
    const json = JSON.parse(await readFile(written.json, 'utf8')) as EvaluationReport;
    expect(Object.keys(json).sort()).toEqual(
      ['avatar', 'dataset', 'format', 'frames', 'height', 'image', 'lpipsNetwork', 'maskDefinition', 'motion', 'perFrame', 'perView', 'split', 'timings', 'version', 'width'].sort(),
    );
    expect(json.image.mask!.psnr).toBeCloseTo(report.image.mask!.psnr!, 9);
    expect(Object.keys(json.motion!).sort()).toEqual(['clips', 'frameSource', 'frames', 'lipVertexError', 'lmd', 'mouthOpeningCorrelation', 'truth']);
    const md = await readFile(written.markdown, 'utf8');
    for (const h of ['## Image quality', '## Per view', '## Lip sync', '## Time per stage', '| head mask |', 'LMD', 'lip vertex error']) expect(md).toContain(h);
    expect(md.split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(report.perView.length);
  });

  it('computes LPIPS (full and masked) when weights are given', async () => {
    const path = join(dir, 'alex.safetensors');
    await writeSafetensors(path, hashedWeights('alex', 1));
    const r = await evaluate({ avatar, dataset: data, lpips: await Lpips.load(path), views: [0], audio: false, maxFrames: 2 });
    // Batched (two pairs per native call) equals one at a time.
    const one = await evaluate({ avatar, dataset: data, lpips: await Lpips.load(path), views: [0], audio: false, maxFrames: 1 });
    expect(one.perFrame[0]!.full.lpips!).toBeCloseTo(r.perFrame[0]!.full.lpips!, 6);
    expect(one.perFrame[0]!.mask!.lpips!).toBeCloseTo(r.perFrame[0]!.mask!.lpips!, 6);
    expect(r.lpipsNetwork).toBe('alex');
    for (const f of r.perFrame) {
      expect(f.full.lpips!).toBeGreaterThan(0);
      expect(f.mask!.lpips!).toBeGreaterThan(0);
    }
    expect(r.image.full.lpips).toBeCloseTo((r.perFrame[0]!.full.lpips! + r.perFrame[1]!.full.lpips!) / 2, 9);
  });

  it('refuses bad inputs with typed errors, and stops on abort', async () => {
    await expect(evaluate({ avatar, dataset: data, split: 'holdout' as 'test' })).rejects.toThrow(ValidationError);
    await expect(evaluate({ avatar: 42 as never, dataset: data })).rejects.toThrow(/expected options\.avatar to be an Avatar or an avatar file path, received/);
    await expect(evaluate({ avatar, dataset: join(dir, 'missing') })).rejects.toThrow(FormatError);
    await expect(evaluate({ avatar, dataset: data, views: [99] })).rejects.toThrow(/no.*frames|none in split/);
    await expect(evaluate({ avatar: withA2e(avatar, undefined), dataset: data, audio: true })).rejects.toThrow(/Audio-Expression model/);
    const controller = new AbortController();
    await expect(
      evaluate({ avatar, dataset: data, audio: false, signal: controller.signal, onProgress: (p) => p.stage === 'render' && controller.abort() }),
    ).rejects.toThrow(AbortError);
  });
});

describe('ggtalker eval', () => {
  it('writes report.json and report.md for an avatar file', async () => {
    const out = join(dir, 'cli');
    const code = await main(['eval', '--avatar', join(dir, 'id.ggtavatar'), '--dataset', data, '--out', out, '--views', '0,1', '--a2e-steps', '2', '--sync-speech', join(dir, 'speech'), '--quiet']);
    expect(code).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as EvaluationReport;
    expect(new Set(json.perView.map((v) => v.cameraIndex))).toEqual(new Set([0, 1]));
    expect(json.motion!.sync!.truth.offsets).toEqual([0]);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('SyncNet-style');
    expect(await main(['eval', '--avatar', join(dir, 'id.ggtavatar'), '--dataset', data, '--out', out, '--split', 'nope', '--quiet'])).toBe(2);
  });
});
