// Avatar adaptation (`npm run bench -- adapt`): a synthetic studio identity (espeak-ng speech,
// 256² front camera with held-out timesteps, ±30° side cameras for novel views) adapted on the
// CPU through every image stage; JSON lines with the wall time, held-out / novel-view PSNR and
// SSIM before and after, and each stage's time per iteration. Progress goes to stderr.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { adapt, backends, loadAvatarDataset } from '../index.js';
import { makeSyntheticSpeechDataset } from '../synthetic/speech-dataset.js';
import { makeSyntheticIdentity, renderSyntheticIdentityDataset, studioHead } from '../synthetic/studio/index.js';
import type { BenchArgs } from './run.js';
import { round } from './stats.js';


export async function adaptBench(args: BenchArgs): Promise<void> {
  const size = 256;
  const uvSize = 128;
  const steps = { map: 300, joint: 150, color: 100, inpainter: 100, a2e: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'ggt-bench-adapt-'));
  try {
    console.error('making the studio identity (speech, 256² renders)...');
    await makeSyntheticSpeechDataset({ out: join(dir, 'speech'), clips: 3, seed: 2, languages: ['en', 'de'] });
    const rendered = await renderSyntheticIdentityDataset({ identity: makeSyntheticIdentity({ seed: 21 }), out: join(dir, 'id'), speech: join(dir, 'speech'), size, heldOutEvery: 10 });
    const ds = await loadAvatarDataset(join(dir, 'id'));
    const threads = backends().threads;
    const t0 = performance.now();
    let last = '';
    const { report } = await adapt({
      frames: ds.frames,
      model: studioHead().model,
      shape: ds.shape,
      uvSize,
      steps,
      batch: 2,
      seed: args.reps ?? 0,
      onProgress: (p) => {
        const line = `${p.stage} ${p.step}/${p.steps} psnr ${p.psnr.toFixed(2)}`;
        if (p.stage !== last || p.step === p.steps) console.error(line);
        last = p.stage;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const count = (split: string, camera: (c: number) => boolean) => ds.frames.filter((f) => f.split === split && camera(f.cameraIndex ?? 0)).length;
    console.log(JSON.stringify({
      case: 'adapt', backend: 'cpu', threads, size, uv_size: uvSize, gaussians: 'uv texels',
      train_frames: count('train', () => true), held_out_frames: report.heldOut.final.frames, novel_view_frames: report.novelViews?.final.frames ?? 0,
      render_ms_per_image: round(rendered.msPerRender, 1),
      seconds: round(seconds, 1),
      held_out_psnr_initial: round(report.heldOut.initial.psnr, 2), held_out_psnr_final: round(report.heldOut.final.psnr, 2),
      held_out_ssim_initial: round(report.heldOut.initial.ssim), held_out_ssim_final: round(report.heldOut.final.ssim),
      novel_psnr_initial: round(report.novelViews?.initial.psnr ?? NaN, 2), novel_psnr_final: round(report.novelViews?.final.psnr ?? NaN, 2),
      novel_ssim_initial: round(report.novelViews?.initial.ssim ?? NaN), novel_ssim_final: round(report.novelViews?.final.ssim ?? NaN),
    }));
    for (const s of report.stages) {
      console.log(JSON.stringify({ case: 'adapt-stage', backend: 'cpu', threads, size, uv_size: uvSize, stage: s.name, steps: s.steps, batch: 2, seconds: round(s.seconds, 2), ms_per_iteration: round((s.seconds / s.steps) * 1000, 1), final_loss: round(s.finalLoss, 5) }));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
