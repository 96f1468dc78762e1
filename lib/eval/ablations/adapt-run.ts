/**
 * One adaptation as the Expression-Visual ablations run it: adapt() on a studio person's frames
 * with the studio head, the preset's stage steps (no inpainter, no A2E stage), optionally from
 * the trained generator, then scored on held-out frames and novel views.
 *
 * @module
 */

import type { Avatar } from '../../avatar/avatar.js';
import { adapt, type AdaptReport, type AdaptSteps } from '../../avatar/adapt.js';
import type { AvatarFrame } from '../../avatar/frames.js';
import type { IdentityGaussianGenerator } from '../../avatar/generator.js';
import { studioHead } from '../../synthetic/studio/identity.js';
import { avatarRenderer, scoreHeldOut, type ImageScores, type ViewScores } from './image-eval.js';
import type { Lpips } from '../lpips.js';
import type { AblationPreset } from './preset.js';
import type { StudioPerson } from './identities.js';

export interface AdaptRun {
  /** Frames to fit (the person's, or noisy copies). */
  frames: AvatarFrame[];
  generator?: IdentityGaussianGenerator;
  steps: Pick<AdaptSteps, 'map' | 'joint' | 'color'>;
  color: boolean;
  /** Also score LPIPS with these weights. */
  lpips?: Lpips;
}

/** Runs one adaptation of `person` and scores it. */
export async function adaptAndScore(person: StudioPerson, run: AdaptRun, e2v: AblationPreset['e2v'], signal?: AbortSignal): Promise<{ scores: ImageScores; report: AdaptReport; avatar: Avatar }> {
  const { avatar, report } = await adapt({
    frames: run.frames,
    model: studioHead().model,
    ...(person.shape ? { shape: person.shape } : {}),
    ...(run.generator ? { priors: { generator: run.generator } } : { uvSize: e2v.uvSize }),
    steps: { ...run.steps, inpainter: 0, a2e: 0 },
    ...(run.color ? {} : { color: false as const }),
    inpainter: false,
    seed: person.seed,
    ...(signal ? { signal } : {}),
  });
  return { scores: await scoreHeldOut(run.frames, avatarRenderer(avatar), run.lpips), report, avatar };
}

/** Mean of scores over people. */
export function meanScores(all: ImageScores[]): ImageScores {
  const avg = (pick: (s: ImageScores) => ViewScores) => ({
    psnr: all.reduce((a, s) => a + pick(s).psnr, 0) / all.length,
    ssim: all.reduce((a, s) => a + pick(s).ssim, 0) / all.length,
    ...(all[0] && pick(all[0]).lpips !== undefined ? { lpips: all.reduce((a, s) => a + pick(s).lpips!, 0) / all.length } : {}),
    frames: all.reduce((a, s) => a + pick(s).frames, 0),
  });
  return { heldOut: avg((s) => s.heldOut), novel: avg((s) => s.novel) };
}
