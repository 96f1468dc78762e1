/**
 * Tracking error for the joint-FLAME ablation: the studio's own model of a tracker's error
 * (lib/synthetic/studio/tracking-noise.ts: smooth drifts of rotation, translation, neck, jaw,
 * expressions and eyes per timestep, a constant shape error) added to a person's true
 * parameters. The frames of one timestep (every camera) share its error, as a tracker's
 * per-timestep estimate does; the true parameters stay on the original frames, for scoring.
 *
 * @module
 */

import type { AvatarFrame } from '../../avatar/frames.js';
import { trackingError, trackingNoiseScales, type TrackingNoiseOption } from '../../synthetic/studio/tracking-noise.js';
import type { StudioPerson } from './identities.js';

/** The person as a tracker would report them: noisy per-frame FLAME parameters and shape (images, cameras, splits unchanged). */
export function withTrackingNoise(person: StudioPerson, option: TrackingNoiseOption, fps = 25): StudioPerson {
  const first = person.frames[0]!.flame;
  const E = first.expr?.length ?? 0;
  const S = person.shape?.length ?? 0;
  const T = Math.max(...person.frames.map((f) => f.timestep ?? 0)) + 1;
  const err = trackingError(T, fps, E, S, trackingNoiseScales(option), person.seed);
  const add = (v: Float32Array | undefined, width: number, noise: Float32Array, t: number) =>
    Float32Array.from(v ?? new Float32Array(width), (x, k) => x + noise[t * width + k]!);
  const frames = person.frames.map((f): AvatarFrame => {
    const t = f.timestep ?? 0;
    return {
      ...f,
      flame: {
        ...f.flame,
        rotation: add(f.flame.rotation, 3, err.rotation, t),
        translation: add(f.flame.translation, 3, err.translation, t),
        neck: add(f.flame.neck, 3, err.neck, t),
        jaw: add(f.flame.jaw, 3, err.jaw, t),
        eyes: add(f.flame.eyes, 6, err.eyes, t),
        ...(E > 0 ? { expr: add(f.flame.expr, E, err.expr, t) } : {}),
      },
    };
  });
  return { ...person, frames, ...(person.shape ? { shape: Float32Array.from(person.shape, (x, k) => x + err.shape[k]!) } : {}) };
}
