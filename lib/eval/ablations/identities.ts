/**
 * The Expression-Visual ablations' people: synthetic studio identities (DESIGN.md §7) speaking
 * the A2E training speech, rendered as VHAP datasets (front camera: train / val / test
 * timesteps; held-out views: novel views) and read back as adapt() reads any tracked video.
 * The studio writes the true FLAME parameters plus tracking error (`trackingNoise`, a factor on
 * its default magnitudes; 0: the truth itself). Rendering the same identity and seed with two
 * noise levels gives the same images with tracked and true parameters.
 *
 * @module
 */

import { join } from 'node:path';

import type { AvatarFrame } from '../../avatar/frames.js';
import { loadAvatarDataset } from '../../avatar/dataset.js';
import { AbortError } from '../../errors.js';
import { makeSyntheticIdentity } from '../../synthetic/studio/identity.js';
import { renderSyntheticIdentityDataset } from '../../synthetic/studio/render.js';
import { loadSpeechClips } from '../../synthetic/studio/speech.js';
import type { TrackingNoiseOption } from '../../synthetic/studio/tracking-noise.js';
import type { AblationPreset } from './preset.js';

/** One identity's tracked video. */
export interface StudioPerson {
  seed: number;
  frames: AvatarFrame[];
  shape?: Float32Array;
}

/** Seeds: training identities 1000.., held-out identities 2000.. (never trained on). */
export const identitySeeds = (e2v: AblationPreset['e2v']) => ({
  train: Array.from({ length: e2v.trainIdentities }, (_, i) => 1000 + i),
  heldOut: Array.from({ length: e2v.heldOutIdentities }, (_, i) => 2000 + i),
});

/**
 * Renders and loads identities `seeds` speaking clips of the speech dataset `speechDir` (each
 * identity a different run of `speechClips` consecutive clips).
 */
export async function renderPeople(dir: string, speechDir: string, seeds: number[], e2v: AblationPreset['e2v'], trackingNoise: TrackingNoiseOption | undefined, log: (m: string) => void, signal?: AbortSignal): Promise<StudioPerson[]> {
  const pool = await loadSpeechClips(speechDir, Math.max(e2v.speechClips, 12));
  const people: StudioPerson[] = [];
  for (const [k, seed] of seeds.entries()) {
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    const out = join(dir, `identity-${seed}-noise-${JSON.stringify(trackingNoise ?? 'default')}`);
    const speech = Array.from({ length: e2v.speechClips }, (_, i) => pool[(k * e2v.speechClips + i) % pool.length]!);
    const t0 = performance.now();
    await renderSyntheticIdentityDataset({ identity: makeSyntheticIdentity({ seed }), out, speech, size: e2v.size, frames: e2v.frames, ...(trackingNoise !== undefined ? { trackingNoise } : {}), ...(signal ? { signal } : {}) });
    const ds = await loadAvatarDataset(out, signal ? { signal } : {});
    people.push({ seed, frames: ds.frames, ...(ds.shape ? { shape: ds.shape } : {}) });
    log(`identities: ${seed} rendered (${ds.frames.length} images, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return people;
}
