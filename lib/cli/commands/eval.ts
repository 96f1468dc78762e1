/**
 * `ggtalker eval`: an avatar on a tracked dataset's held-out frames -> report.json + report.md
 * (PSNR, SSIM, LPIPS full and inside the head mask, per view; LMD, lip vertex error and
 * mouth-opening correlation from the dataset's speech; time per stage). See lib/eval/evaluate.ts.
 *
 * @module
 */

import { evaluate } from '../../eval/evaluate.js';
import { writeEvaluationReport } from '../../eval/report.js';
import { trainSyncScorerOnSpeech } from '../../eval/sync-confidence.js';
import { integer, parse, required, UsageError } from '../args.js';
import type { CommandContext } from '../context.js';

export const help = `ggtalker eval --avatar FILE.ggtavatar --dataset DIR --out REPORT_DIR [--split test|val|train|all]
              [--lpips WEIGHTS.safetensors [--lpips-net alex|vgg]] [--audio auto|on|off] [--views 0,1,2]
              [--max-frames N] [--a2e-steps 25] [--seed 0] [--device auto|cpu|cuda|cuda:N] [--sync-speech SPEECH_DIR]

Scores an adapted avatar against a VHAP-format dataset (docs/evaluation.md) and writes
REPORT_DIR/report.json and REPORT_DIR/report.md.
--split      which frames are scored (default test)
--lpips      LPIPS weights (torchvision AlexNet/VGG-16 features + the lpips package's lin layers, safetensors);
             without them LPIPS is left out
--audio      lip-sync metrics from the dataset's audio.wav + speech.json through the avatar's
             Audio-Expression model: auto (default: when both are there), on (required), off
--views      camera indices to score (default all)
--sync-speech  a synthetic speech dataset (docs/synthetic-speech.md) to train the SyncNet-style
             lip-sync scorer on; its distance / offset / confidence are added to the lip-sync table`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, {
    avatar: { type: 'string' }, dataset: { type: 'string' }, out: { type: 'string' }, split: { type: 'string' },
    lpips: { type: 'string' }, 'lpips-net': { type: 'string' }, audio: { type: 'string' }, views: { type: 'string' },
    'max-frames': { type: 'string' }, 'sync-speech': { type: 'string' }, 'a2e-steps': { type: 'string' }, seed: { type: 'string' }, device: { type: 'string' },
  });
  const out = required(values, 'out');
  const split = (values.split as string | undefined) ?? 'test';
  if (!['train', 'val', 'test', 'all'].includes(split)) throw new UsageError(`--split: expected train, val, test or all, received ${split}`);
  const net = (values['lpips-net'] as string | undefined) ?? 'alex';
  if (net !== 'alex' && net !== 'vgg') throw new UsageError(`--lpips-net: expected alex or vgg, received ${net}`);
  const audio = (values.audio as string | undefined) ?? 'auto';
  if (!['auto', 'on', 'off'].includes(audio)) throw new UsageError(`--audio: expected auto, on or off, received ${audio}`);
  const views = values.views === undefined ? undefined : (values.views as string).split(',').map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--views: expected camera indices like 0,1,2, received ${values.views as string}`);
    return n;
  });
  const maxFrames = integer(values, 'max-frames');
  const sync = values['sync-speech'] ? await trainSyncScorerOnSpeech(values['sync-speech'] as string) : undefined;
  const report = await evaluate({
    avatar: required(values, 'avatar'),
    dataset: required(values, 'dataset'),
    split: split as 'test',
    ...(views ? { views } : {}),
    ...(maxFrames ? { maxFrames } : {}),
    ...(values.lpips ? { lpips: values.lpips as string, lpipsNetwork: net } : {}),
    ...(audio === 'auto' ? {} : { audio: audio === 'on' }),
    a2e: { steps: integer(values, 'a2e-steps', 25)!, seed: integer(values, 'seed', 0)! },
    ...(values.device ? { device: values.device as 'cpu' } : {}),
    ...(sync ? { sync } : {}),
    signal: ctx.signal,
    onProgress: (p) => ctx.progress.update(p.fraction, `${p.stage} ${p.done}/${p.total}`),
  });
  ctx.progress.done();
  const written = await writeEvaluationReport(report, out);
  const f = report.image.full;
  const m = report.image.mask;
  const n = (x: number | null, d: number) => (x === null ? '-' : x.toFixed(d));
  ctx.log(`${report.frames} frames: PSNR ${n(f.psnr, 2)} dB, SSIM ${n(f.ssim, 4)}${f.lpips !== null ? `, LPIPS ${n(f.lpips, 4)}` : ''}${m ? `; head mask: PSNR ${n(m.psnr, 2)} dB, SSIM ${n(m.ssim, 4)}` : ''}`);
  if (report.motion) ctx.log(`lip sync on ${report.motion.frames} frames: LMD ${n(report.motion.lmd, 2)} px, lip vertex error ${(report.motion.lipVertexError * 1000).toFixed(2)} mm, mouth-opening r ${n(report.motion.mouthOpeningCorrelation, 3)}`);
  else ctx.log(`lip sync: not computed (${report.motionSkipped ?? ''})`);
  ctx.out(written.json);
  ctx.out(written.markdown);
}
