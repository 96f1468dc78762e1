/**
 * Puts idle motion ({@link idleMotion}) on synthesis frames: the sway adds to the neck
 * rotation, the gaze to the eyes' rotations, and blinks raise the head's `blink_left` /
 * `blink_right` expression components (never lowering what the speech model put there). The
 * jaw and every other expression coefficient stay as the speech made them.
 *
 * @module
 */

import type { FrameFlame } from '../avatar/frames.js';
import { requireOptions } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';
import { idleMotion, type IdleMotion, type IdleMotionOptions } from './idle-motion.js';

/** `true` (defaults), `false` (none), or the idle motion's options. */
export type IdleOption = boolean | IdleMotionOptions;

/** Names of the blink components, when the head has them. */
const BLINKS = ['blink_left', 'blink_right'] as const;

/**
 * Frames with idle motion added (new objects; the input is not changed), and the idle tracks
 * used (undefined when `idle` is false).
 *
 * @param frames - Per-frame FLAME parameters; expr [E] where present, neck [3], eyes [6].
 * @param idle - The synthesize option.
 * @param context - fps of the frames, the head's expression names ([E]) and, for a stream's
 *   chunk, the index of its first frame (default 0).
 * @param context.fps - Frames per second of `frames`.
 * @param context.expressionNames - The head's expression names, [E] (blinks need `blink_left` / `blink_right`).
 * @param context.startFrame - Index of the first frame in the whole sequence (a stream's chunk). Default 0.
 */
export function addIdleMotion(frames: FrameFlame[], idle: IdleOption, context: { fps: number; expressionNames: readonly string[]; startFrame?: number }): FrameFlame[] & {
  /** The idle motion added, when `idle` was on. */
  idle?: IdleMotion;
} {
  if (!Array.isArray(frames)) throw new ValidationError(`addIdleMotion: expected frames to be an array of FLAME frames, received ${describeValue(frames)}`);
  requireOptions('addIdleMotion', context, 'context');
  if (idle === false) return frames;
  if (idle !== true && (idle === null || typeof idle !== 'object')) throw new ValidationError(`expected idle to be a boolean or idle-motion options, received ${describeValue(idle)}`);
  // A stream's chunk starts at startFrame: idle tracks are prefix-consistent (frame i is the
  // same whatever the length drawn), so the chunk takes frames start..start+n of a longer draw.
  const start = context.startFrame ?? 0;
  const full = idleMotion(start + frames.length, context.fps, idle === true ? {} : idle);
  const motion: IdleMotion = {
    ...full,
    frames: frames.length,
    neck: full.neck.subarray(3 * start),
    eyes: full.eyes.subarray(6 * start),
    blink: full.blink.subarray(start),
  };
  const blinkIds = BLINKS.map((n) => context.expressionNames.indexOf(n));
  const canBlink = blinkIds.every((k) => k >= 0);
  const out = frames.map((f, t) => {
    const neck = Float32Array.from({ length: 3 }, (_, a) => (f.neck?.[a] ?? 0) + motion.neck[3 * t + a]!);
    const eyes = Float32Array.from({ length: 6 }, (_, a) => (f.eyes?.[a] ?? 0) + motion.eyes[6 * t + a]!);
    const frame: FrameFlame = { ...f, neck, eyes };
    if (canBlink && f.expr) {
      const expr = Float32Array.from(f.expr);
      for (const k of blinkIds) expr[k] = Math.max(expr[k]!, motion.blink[t]!);
      frame.expr = expr;
    }
    return frame;
  }) as FrameFlame[] & { idle?: IdleMotion };
  out.idle = motion;
  return out;
}
