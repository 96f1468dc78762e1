/**
 * Ablation 3, the colour MLP (paper Table 3, "w/o color MLP"): prior + adaptation with and
 * without the colour MLP stage. Without it, the colour stage's steps go to the map stage, so
 * both runs take the same number of optimisation steps. The run with it is the E2V ablation's
 * "prior + adaptation" (adaptation is deterministic), passed in as `on`.
 *
 * @module
 */

import type { IdentityGaussianGenerator } from '../../avatar/generator.js';
import { adaptAndScore, meanScores } from './adapt-run.js';
import type { ImageRow } from './e2v.js';
import type { ImageScores } from './image-eval.js';
import type { StudioPerson } from './identities.js';
import type { AblationPreset } from './preset.js';
import type { Lpips } from '../lpips.js';

export async function runColorAblation(heldOut: StudioPerson[], generator: IdentityGaussianGenerator, on: ImageScores, e2v: AblationPreset['e2v'], log: (m: string) => void, signal?: AbortSignal, lpips?: Lpips): Promise<ImageRow[]> {
  const off = [];
  const { map, joint, color } = e2v.adapt;
  for (const person of heldOut) {
    off.push((await adaptAndScore(person, { frames: person.frames, generator, steps: { map: map + color, joint, color: 0 }, color: false, lpips }, e2v, signal)).scores);
    log(`colour MLP: identity ${person.seed} done`);
  }
  return [
    { method: 'colour MLP on', scores: on },
    { method: 'colour MLP off', scores: meanScores(off) },
  ];
}
