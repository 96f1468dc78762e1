/**
 * Head motion for synthesis: the identity's tracked motion (played forwards and backwards so
 * any length loops without a jump), a still head, or a given sequence.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue, requireNonNegativeInt } from '../validate.js';
import { Avatar } from '../avatar/avatar.js';
import type { FrameFlame } from '../avatar/frames.js';

/** Per-frame pose arrays, [T, 3] (eyes [T, 6]) flattened; any may be absent (zeros). */
export interface HeadPoseSequence {
  /** Global head rotation per frame, axis-angle [frames, 3] flattened (default: none). */
  rotation?: ArrayLike<number>;
  /** Neck rotation per frame, axis-angle [frames, 3] flattened. */
  neck?: ArrayLike<number>;
  /** Eye rotations per frame, axis-angle [frames, 6] flattened (left, right). */
  eyes?: ArrayLike<number>;
  /** Head translation per frame [frames, 3] flattened, world units. */
  translation?: ArrayLike<number>;
}

/** `'tracked'` (default when the avatar has a track), `'still'` (the first tracked pose), or a sequence. */
export type HeadPose = 'tracked' | 'still' | HeadPoseSequence;

const WIDTHS = { rotation: 3, neck: 3, eyes: 6, translation: 3 } as const;

/** The pose of each of `frames` frames. */
export function headPoses(avatar: Avatar, pose: HeadPose, frames: number): Pick<FrameFlame, 'rotation' | 'neck' | 'eyes' | 'translation'>[] {
  if (!(avatar instanceof Avatar)) throw new ValidationError(`headPoses: expected avatar to be an Avatar, received ${describeValue(avatar)}`);
  requireNonNegativeInt('frames', frames);
  const track = avatar.track;
  const out: Pick<FrameFlame, 'rotation' | 'neck' | 'eyes' | 'translation'>[] = [];
  if (pose === 'tracked' || pose === 'still') {
    const n = track?.frames ?? 0;
    for (let i = 0; i < frames; i++) {
      if (n === 0) {
        out.push({});
        continue;
      }
      const period = Math.max(1, 2 * n - 2);
      const k = pose === 'still' ? 0 : i % period;
      const f = k < n ? k : period - k;
      out.push({
        rotation: track!.rotation.slice(3 * f, 3 * f + 3),
        neck: track!.neck.slice(3 * f, 3 * f + 3),
        eyes: track!.eyes.slice(6 * f, 6 * f + 6),
        translation: track!.translation.slice(3 * f, 3 * f + 3),
      });
    }
    return out;
  }
  if (pose === null || typeof pose !== 'object') throw new ValidationError(`expected headPose 'tracked', 'still' or {rotation, neck, eyes, translation} arrays, received ${String(pose)}`);
  for (const [key, w] of Object.entries(WIDTHS)) {
    const v = pose[key as keyof HeadPoseSequence];
    if (v !== undefined && v.length !== frames * w) {
      throw new ValidationError(`expected headPose.${key} to hold ${frames} frames x ${w} values (${frames * w}), received ${v.length}`);
    }
  }
  for (let i = 0; i < frames; i++) {
    const frame: Pick<FrameFlame, 'rotation' | 'neck' | 'eyes' | 'translation'> = {};
    for (const [key, w] of Object.entries(WIDTHS) as [keyof typeof WIDTHS, number][]) {
      const v = pose[key];
      if (v) frame[key] = Float32Array.from({ length: w }, (_, j) => v[i * w + j]!);
    }
    out.push(frame);
  }
  return out;
}
