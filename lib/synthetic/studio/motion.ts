/**
 * What a studio subject does besides speaking: a slow, smooth head motion (global rotation
 * within ±8°, a little neck), a drifting gaze, and blinks every few seconds. Seeded, and a
 * function of time, so any frame rate samples the same motion.
 *
 * @module
 */

import { Random, smoothstep } from '../../flame/procedural/math.js';
import { smoothSignal } from './noise.js';

/** Per-timestep tracks, row-major. */
export interface StudioMotion {
  /** Global rotation, axis-angle, [T, 3]. */
  rotation: Float32Array;
  /** Neck rotation, axis-angle, [T, 3]. */
  neck: Float32Array;
  /** Left then right eye rotation, axis-angle, [T, 6]. */
  eyes: Float32Array;
  /** Blink weight in [0, 1] (both eyes), [T]. */
  blink: Float32Array;
  /** The times (seconds) at which blinks start. */
  blinkStarts: number[];
}

const DEG = Math.PI / 180;

/** Bounds of the motion, radians: rotation pitch, yaw, roll; neck pitch, yaw; gaze pitch, yaw. */
export const MOTION_LIMITS = {
  rotation: [5 * DEG, 8 * DEG, 3 * DEG],
  neck: [3 * DEG, 2 * DEG, 0],
  gaze: [2.5 * DEG, 4 * DEG],
} as const;

/** A blink's closing, closed and opening durations (seconds). */
const BLINK = { close: 0.08, hold: 0.04, open: 0.16 };

/** How closed the lids are `tau` seconds after a blink starts. */
export function blinkProfile(tau: number): number {
  if (tau < 0) return 0;
  if (tau < BLINK.close) return smoothstep(0, BLINK.close, tau);
  if (tau < BLINK.close + BLINK.hold) return 1;
  return 1 - smoothstep(BLINK.close + BLINK.hold, BLINK.close + BLINK.hold + BLINK.open, tau);
}

/**
 * The motion of `frames` timesteps at `fps` (frame i at time i / fps).
 *
 * @param frames - Number of timesteps.
 * @param fps - Timesteps per second.
 * @param seed - Integer seed.
 */
export function studioMotion(frames: number, fps: number, seed: number): StudioMotion {
  const rng = new Random(seed * 3 + 0x0b11c);
  const signal = () => smoothSignal(rng, { waves: 3, minHz: 0.05, maxHz: 0.35 });
  const rot = [signal(), signal(), signal()];
  const neck = [signal(), signal()];
  const gaze = [signal(), signal()];
  const duration = frames / fps;
  const blinkStarts: number[] = [];
  for (let t = rng.range(0.4, 2.0); t < duration; t += rng.range(2.0, 5.0)) blinkStarts.push(t);

  const out: StudioMotion = {
    rotation: new Float32Array(frames * 3),
    neck: new Float32Array(frames * 3),
    eyes: new Float32Array(frames * 6),
    blink: new Float32Array(frames),
    blinkStarts,
  };
  for (let i = 0; i < frames; i++) {
    const t = i / fps;
    for (let a = 0; a < 3; a++) out.rotation[3 * i + a] = MOTION_LIMITS.rotation[a]! * rot[a]!(t);
    for (let a = 0; a < 2; a++) out.neck[3 * i + a] = MOTION_LIMITS.neck[a]! * neck[a]!(t);
    const pitch = MOTION_LIMITS.gaze[0] * gaze[0]!(t);
    const yaw = MOTION_LIMITS.gaze[1] * gaze[1]!(t);
    out.eyes.set([pitch, yaw, 0, pitch, yaw, 0], 6 * i);
    let blink = 0;
    for (const start of blinkStarts) blink = Math.max(blink, blinkProfile(t - start));
    out.blink[i] = blink;
  }
  return out;
}
