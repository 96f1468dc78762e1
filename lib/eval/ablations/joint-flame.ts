/**
 * Ablation 4, joint FLAME optimisation under tracking noise: the held-out identities rendered
 * by the studio with `trackingNoise` (its smooth tracking error at preset.trackingNoise × its
 * default magnitudes, and a shape error), then prior + adaptation with the joint stage (map
 * and per-frame FLAME parameters) or without it (its steps go to the map stage). Scored on the
 * held-out frames rendered with their noisy tracked parameters (what a user has) and with the
 * true ones (the same identities rendered without noise: the map's quality alone).
 *
 * @module
 */

import type { IdentityGaussianGenerator } from '../../avatar/generator.js';
import { adaptAndScore, meanScores } from './adapt-run.js';
import type { ImageRow } from './e2v.js';
import { avatarRenderer, scoreHeldOut, type ImageScores } from './image-eval.js';
import type { StudioPerson } from './identities.js';
import type { AblationPreset } from './preset.js';
import type { Lpips } from '../lpips.js';

export async function runJointAblation(noisy: StudioPerson[], truth: StudioPerson[], generator: IdentityGaussianGenerator, preset: AblationPreset, log: (m: string) => void, signal?: AbortSignal, lpips?: Lpips): Promise<ImageRow[]> {
  const { e2v } = preset;
  const { map, joint, color } = e2v.adapt;
  const runs = { on: { map, joint, color }, off: { map: map + joint, joint: 0, color } };
  const scores = new Map<string, ImageScores[]>();
  const add = (name: string, s: ImageScores) => scores.set(name, [...(scores.get(name) ?? []), s]);
  for (const [k, person] of noisy.entries()) {
    for (const [name, steps] of Object.entries(runs)) {
      const r = await adaptAndScore(person, { frames: person.frames, generator, steps, color: true, lpips }, e2v, signal);
      add(`joint FLAME ${name} (noisy tracking; scored with tracked params)`, r.scores);
      add(`joint FLAME ${name} (noisy tracking; scored with true params)`, await scoreHeldOut(truth[k]!.frames, avatarRenderer(r.avatar), lpips));
    }
    log(`joint FLAME: identity ${person.seed} done`);
  }
  return [...scores].map(([method, s]) => ({ method, scores: meanScores(s) }));
}
