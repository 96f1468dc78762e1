/**
 * Idle motion for a speaking head: what a person does besides talking. A small, smooth head
 * sway (a sum of slow sinusoids per axis, with seeded incommensurate frequencies and phases,
 * so it never repeats within a clip and has no jumps), blinks (seeded intervals of 2–6 s, each
 * 150–250 ms: a fast close and a slower opening) and gaze (fixations of 0.4–2 s joined by
 * 40 ms saccades, both eyes together, most fixations near the camera).
 *
 * Numbers follow the literature on conversational behaviour: spontaneous blinks come every
 * 2–10 s (we keep to the busier half, as when speaking) and last 100–400 ms; head sway while
 * talking stays within a few degrees; saccades take 20–50 ms and fixations a few hundred
 * milliseconds to a few seconds.
 *
 * Pure and seeded: the same options, the same tracks.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { Random } from '../flame/procedural/math.js';
import { describeValue } from '../validate.js';

/** Options of {@link idleMotion}; every field has a default. */
export interface IdleMotionOptions {
  /** Seed of every draw. Default 0. */
  seed?: number;
  /** Peak head sway per axis, degrees [pitch, yaw, roll]. Default [2, 3, 1.5]. */
  swayDegrees?: [number, number, number];
  /** Range of the time between blink starts, seconds. Default [2, 6]. */
  blinkInterval?: [number, number];
  /** Range of a blink's length (closed and open again), seconds. Default [0.15, 0.25]. */
  blinkDuration?: [number, number];
  /** Largest gaze offset from the camera, degrees [pitch, yaw]. Default [3, 6]. */
  gazeDegrees?: [number, number];
  /** Range of a fixation's length, seconds. Default [0.4, 2]. */
  fixation?: [number, number];
}

/** Per-frame idle tracks. */
export interface IdleMotion {
  /** Frames of motion. */
  frames: number;
  /** Frames per second the motion was made for. */
  fps: number;
  /** Neck rotation, axis-angle [T, 3] (radians; small, so it adds to a base pose). */
  neck: Float32Array;
  /** Eye rotations, axis-angle [T, 6] (left eye, right eye). */
  eyes: Float32Array;
  /** Lid closure in [0, 1] per frame, [T]: the coefficient of the head's blink components. */
  blink: Float32Array;
  /** The blinks drawn: start and length in seconds (for tests and reports). */
  blinks: {
    /** Start, seconds. */
    start: number;
    /** Length, seconds. */
    duration: number;
  }[];
}

const DEG = Math.PI / 180;
/** Saccade length, seconds (a smoothstep from one fixation to the next). */
const SACCADE = 0.04;
/** Share of a blink spent closing (the lid falls faster than it rises). */
const CLOSING = 0.4;

function range(name: string, v: unknown, fallback: [number, number], min: number): [number, number] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || v[0] < min || v[1] < v[0]) {
    throw new ValidationError(`expected idle.${name} to be [lo, hi] with ${min} <= lo <= hi, received ${describeValue(v)}`);
  }
  return [v[0], v[1]];
}

/** Lid closure of one blink at time t (0 outside it): a raised-cosine close, then a slower open. */
function blinkShape(t: number, start: number, duration: number): number {
  const u = (t - start) / duration;
  if (u <= 0 || u >= 1) return 0;
  const phase = u < CLOSING ? u / CLOSING : 1 - (u - CLOSING) / (1 - CLOSING);
  return 0.5 - 0.5 * Math.cos(Math.PI * phase);
}

/**
 * Idle head sway, blinks and gaze for `frames` frames at `fps`, sampled at frame centres.
 *
 * @throws {@link ValidationError} on a non-positive frame count or fps, or malformed options.
 */
export function idleMotion(frames: number, fps: number, options: IdleMotionOptions = {}): IdleMotion {
  if (!Number.isInteger(frames) || frames < 0) throw new ValidationError(`expected frames to be a non-negative integer, received ${describeValue(frames)}`);
  if (!(Number.isFinite(fps) && fps > 0)) throw new ValidationError(`expected fps to be a positive number, received ${describeValue(fps)}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected idle.seed to be an integer, received ${describeValue(seed)}`);
  const sway = options.swayDegrees ?? [2, 3, 1.5];
  if (!Array.isArray(sway) || sway.length !== 3 || !sway.every((x) => typeof x === 'number' && x >= 0 && x <= 30)) {
    throw new ValidationError(`expected idle.swayDegrees to be [pitch, yaw, roll] in 0..30 degrees, received ${describeValue(sway)}`);
  }
  const interval = range('blinkInterval', options.blinkInterval, [2, 6], 0.3);
  const length = range('blinkDuration', options.blinkDuration, [0.15, 0.25], 0.02);
  const gaze = options.gazeDegrees === undefined ? ([3, 6] as [number, number]) : range('gazeDegrees', options.gazeDegrees, [3, 6], 0);
  const fixation = range('fixation', options.fixation, [0.4, 2], SACCADE * 2);
  if (length[1] >= interval[0]) throw new ValidationError(`expected idle.blinkDuration to be shorter than idle.blinkInterval, received ${length[1]} s and ${interval[0]} s`);

  // Separate streams per behaviour, so changing one option does not reshuffle the others.
  const rngSway = new Random(seed * 3 + 1);
  const rngBlink = new Random(seed * 3 + 2);
  const rngGaze = new Random(seed * 3 + 3);
  const duration = frames / fps;
  const time = (i: number): number => (i + 0.5) / fps;

  // Sway: per axis three sinusoids at 0.07–0.45 Hz with weights 1, 1/2, 1/4; the sum's peak
  // (at most 1.75) is scaled to the axis's amplitude. Largest slope: 2π·0.45 Hz·amplitude.
  const neck = new Float32Array(frames * 3);
  for (let a = 0; a < 3; a++) {
    const waves = [1, 0.5, 0.25].map((w) => ({ w, f: rngSway.range(0.07, 0.45), phase: rngSway.range(0, 2 * Math.PI) }));
    const amp = (sway[a]! * DEG) / 1.75;
    for (let i = 0; i < frames; i++) {
      let s = 0;
      for (const { w, f, phase } of waves) s += w * Math.sin(2 * Math.PI * f * time(i) + phase);
      neck[3 * i + a] = amp * s;
    }
  }

  // Blinks: the first within the first interval, then one per drawn interval.
  const blinks: { start: number; duration: number }[] = [];
  for (let t = rngBlink.range(0.3, interval[1]); t < duration; t += rngBlink.range(interval[0], interval[1])) {
    blinks.push({ start: t, duration: rngBlink.range(length[0], length[1]) });
  }
  const blink = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    for (const b of blinks) blink[i] = Math.max(blink[i]!, blinkShape(time(i), b.start, b.duration));
  }

  // Gaze: fixations (half of them back at the camera), joined by saccades.
  const fixations: { start: number; pitch: number; yaw: number }[] = [{ start: -1, pitch: 0, yaw: 0 }];
  for (let t = rngGaze.range(0, fixation[1]); t < duration; t += rngGaze.range(fixation[0], fixation[1])) {
    const centre = rngGaze.uniform() < 0.5;
    fixations.push({ start: t, pitch: centre ? 0 : rngGaze.range(-1, 1) * gaze[0] * DEG, yaw: centre ? 0 : rngGaze.range(-1, 1) * gaze[1] * DEG });
  }
  const eyes = new Float32Array(frames * 6);
  let k = 0;
  for (let i = 0; i < frames; i++) {
    const t = time(i);
    while (k + 1 < fixations.length && fixations[k + 1]!.start <= t) k++;
    const cur = fixations[k]!;
    const prev = fixations[Math.max(k - 1, 0)]!;
    const u = Math.min((t - cur.start) / SACCADE, 1);
    const s = u * u * (3 - 2 * u);
    const pitch = prev.pitch + (cur.pitch - prev.pitch) * s;
    const yaw = prev.yaw + (cur.yaw - prev.yaw) * s;
    // Both eyes turn together: +x pitch (down), +y yaw (towards the head's left).
    eyes.set([pitch, yaw, 0, pitch, yaw, 0], 6 * i);
  }
  return { frames, fps, neck, eyes, blink, blinks };
}
