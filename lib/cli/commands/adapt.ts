/**
 * `ggtalker adapt`: a tracked video (VHAP-format folder) -> an avatar file.
 *
 * @module
 */

import { adapt } from '../../avatar/adapt.js';
import { loadPriors, type Priors } from '../../avatar/priors.js';
import { studioHead } from '../../synthetic/studio/index.js';
import { integer, parse, required } from '../args.js';
import type { CommandContext } from '../context.js';
import { FLAME_HELP, FLAME_OPTIONS, flameFromOptions } from '../flame-option.js';

export const help = `ggtalker adapt --dataset DIR --out FILE.ggtavatar [--priors DIR] [--size N]
               [--flame FILE [--flame-uv OBJ] [--flame-landmarks NPY]] [--steps-map 300] [--steps-joint 200] [--steps-color 100]
               [--steps-inpainter 100] [--steps-a2e 200] [--checkpoint FILE] [--seed 0] [--allow-external-files]

Adapts an avatar to a VHAP / GaussianAvatars dataset folder (docs/data-preparation.md).
--priors  a folder made by savePriors (generator, inpainter, A2E model, head model);
          without one, the procedural head is the model (for synthetic studio data)
${FLAME_HELP}
--size    resize frames so the longer side has N pixels
--checkpoint  written after each stage and on Ctrl-C; run again to resume
--allow-external-files  read images, masks and FLAME files the dataset names outside its folder
          (absolute or ../ paths); refused by default, as a dataset from someone else could name any file`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, {
    dataset: { type: 'string' }, out: { type: 'string' }, priors: { type: 'string' }, size: { type: 'string' }, checkpoint: { type: 'string' }, seed: { type: 'string' },
    ...FLAME_OPTIONS,
    'steps-map': { type: 'string' }, 'steps-joint': { type: 'string' }, 'steps-color': { type: 'string' }, 'steps-inpainter': { type: 'string' }, 'steps-a2e': { type: 'string' },
    'allow-external-files': { type: 'boolean' },
  });
  const out = required(values, 'out');
  const priors: Priors = values.priors ? await loadPriors(values.priors as string) : {};
  const steps = {
    map: integer(values, 'steps-map', 300)!, joint: integer(values, 'steps-joint', 200)!, color: integer(values, 'steps-color', 100)!,
    inpainter: integer(values, 'steps-inpainter', 100)!, a2e: integer(values, 'steps-a2e', 200)!,
  };
  const size = integer(values, 'size');
  const { avatar, report } = await adapt({
    dataset: required(values, 'dataset'),
    allowExternalFiles: values['allow-external-files'] === true,
    ...(size ? { size } : {}),
    model: (await flameFromOptions(values)) ?? priors.model ?? studioHead().model,
    priors,
    steps,
    seed: integer(values, 'seed', 0)!,
    ...(values.checkpoint ? { checkpoint: values.checkpoint as string } : {}),
    signal: ctx.signal,
    onProgress: (p) => ctx.progress.update(p.fraction, `${p.stage} ${p.step}/${p.steps}, PSNR ${p.psnr.toFixed(2)} dB`),
  });
  ctx.progress.done();
  await avatar.save(out);
  const q = (x: { psnr: number; ssim: number }) => `${x.psnr.toFixed(2)} dB / SSIM ${x.ssim.toFixed(3)}`;
  ctx.log(`held-out frames: ${q(report.heldOut.initial)} -> ${q(report.heldOut.final)}`);
  if (report.novelViews) ctx.log(`novel views: ${q(report.novelViews.initial)} -> ${q(report.novelViews.final)}`);
  ctx.log(`wrote ${out} in ${report.seconds.toFixed(1)} s`);
}
