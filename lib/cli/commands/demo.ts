/**
 * `ggtalker demo`: the procedural head speaking the bundled clip, lips driven by the shipped
 * Audio-Expression model (trained by scripts/train-demo-a2e.ts on synthetic speech) — no
 * downloads. Writes an MP4 (and a PNG of one frame).
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import ndarray from 'ndarray';

import { AudioExpressionModel } from '../../a2e/model.js';
import { proceduralAvatar } from '../../avatar/procedural-avatar.js';
import { writePng } from '../../io/png.js';
import { demoAssets } from '../../demo-assets.js';
import { synthesize } from '../../synthesize/synthesize.js';
import { integer, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { synthesisLabel } from '../progress.js';
import { sampler } from '../sampler-option.js';

export const help = `ggtalker demo [--out demo-output/demo.mp4] [--size 512] [--method ddim|ddpm|dpm-solver++] [--steps N] [--seed 0]

Writes an MP4 of the project's procedural head speaking the bundled clip
(assets/demo/hello.wav, made with espeak-ng), lips driven by the shipped
Audio-Expression model, with idle head sway, blinks and gaze shifts
(seeded by --seed). Needs ffmpeg. Also writes <out>.png, one frame.
--method   the expression sampler (default ddim); dpm-solver++ needs few steps
--steps    denoising steps (default 25; 8 with dpm-solver++)`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, { out: { type: 'string' }, size: { type: 'string' }, method: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' } });
  const out = (values.out as string | undefined) ?? 'demo-output/demo.mp4';
  const size = integer(values, 'size', 512)!;
  const assets = demoAssets();
  await mkdir(dirname(out), { recursive: true });
  const a2e = await AudioExpressionModel.load(assets.speechModel);
  const avatar = await proceduralAvatar({ size, uvSize: 256, a2e });
  const r = await synthesize({
    avatar,
    audio: assets.voiceClip,
    output: out,
    returnFrames: true,
    headPose: 'still',
    // A person speaking is never still: small head sway, blinks and gaze shifts (seeded).
    idle: { seed: integer(values, 'seed', 0)! },
    ...sampler(values),
    seed: integer(values, 'seed', 0)!,
    signal: ctx.signal,
    onProgress: (p) => ctx.progress.update(p.fraction, synthesisLabel(p)),
  });
  ctx.progress.done();
  // The frame where the mouth is widest open, eyes open.
  let best = 0;
  const open = (t: number): number => ((r.idle?.blink[t] ?? 0) > 0.1 ? -Infinity : r.jawPose.get(t, 0));
  for (let t = 1; t < r.frameCount; t++) if (open(t) > open(best)) best = t;
  const frameSize = size * size * 3;
  await writePng(out.replace(/\.mp4$/i, '') + '.png', ndarray(r.frames!.data.subarray(best * frameSize, (best + 1) * frameSize), [size, size, 3]));
  ctx.log(`wrote ${out} (${r.frameCount} frames, ${r.durationSeconds.toFixed(2)} s at ${r.fps} fps, ${(r.frameCount / r.timings.total).toFixed(1)} frames/s) and ${out.replace(/\.mp4$/i, '')}.png`);
}
