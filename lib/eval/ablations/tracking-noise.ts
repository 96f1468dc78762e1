/**
 * Tracking error for the joint-FLAME ablation: seeded Gaussian noise on every frame's tracked
 * head rotation, translation, jaw pose and expressions, as a tracker's jitter (the true
 * parameters stay on the original frames, for evaluation). Independent per frame.
 *
 * @module
 */

import type { AvatarFrame } from '../../avatar/frames.js';
import { mulberry32 } from '../../random.js';
import type { AblationPreset } from './preset.js';

/** Standard normal draws from a seeded uniform source (Box–Muller). */
function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Frames with noisy FLAME parameters (images, cameras and splits unchanged). */
export function withTrackingNoise(frames: readonly AvatarFrame[], noise: AblationPreset['trackingNoise'], seed: number): AvatarFrame[] {
  const n = normal(mulberry32(seed));
  const jitter = (v: Float32Array | undefined, std: number) => v && Float32Array.from(v, (x) => x + std * n());
  return frames.map((f) => ({
    ...f,
    flame: {
      ...f.flame,
      rotation: jitter(f.flame.rotation ?? new Float32Array(3), noise.rotation),
      translation: jitter(f.flame.translation ?? new Float32Array(3), noise.translation),
      jaw: jitter(f.flame.jaw ?? new Float32Array(3), noise.jaw),
      expr: jitter(f.flame.expr, noise.expr),
    },
  }));
}
