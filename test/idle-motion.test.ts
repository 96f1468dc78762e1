// Idle motion (lib/synthesize/idle-motion.ts), judged on the tracks it produces: blinks come
// every 2–6 s and last 150–250 ms (measured from the blink track's support, not read from
// the drawn list), the head sway stays within its stated amplitude yet uses most of it and
// moves smoothly (no step above the analytic slope bound), the eyes make saccades between
// fixations, and everything is seeded. addIdleMotion keeps the speech's jaw and expressions.
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { addIdleMotion } from '../lib/synthesize/idle-frames.js';
import { idleMotion } from '../lib/synthesize/idle-motion.js';

const FPS = 25;
const T = 120 * FPS; // two minutes
const DEG = Math.PI / 180;

/** Blink events found in a track: runs of frames with closure > 0, as [first, last] frames. */
function runs(track: Float32Array, above = 0): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < track.length; i++) {
    if (track[i]! > above && (i === 0 || !(track[i - 1]! > above))) out.push([i, i]);
    if (track[i]! > above) out[out.length - 1]![1] = i;
  }
  return out;
}

describe('idleMotion', () => {
  for (const seed of [0, 1, 7]) {
    it(`blinks every 2-6 s for 150-250 ms, lids fully closing (seed ${seed})`, () => {
      const m = idleMotion(T, FPS, { seed });
      const events = runs(m.blink);
      expect(events.length).toBeGreaterThanOrEqual(120 / 6 - 1);
      expect(events.length).toBeLessThanOrEqual(120 / 2 + 1);
      // Length from the support: frames with closure > 0 span the blink to within one frame.
      for (const [a, b] of events) {
        const seconds = (b - a + 1) / FPS;
        expect(seconds).toBeGreaterThanOrEqual(0.15 - 1 / FPS);
        expect(seconds).toBeLessThanOrEqual(0.25 + 1 / FPS);
        let peak = 0;
        for (let i = a; i <= b; i++) peak = Math.max(peak, m.blink[i]!);
        // Frame sampling can miss the exact peak by half a frame (20 ms): >= 0.7 of a closure.
        expect(peak).toBeGreaterThan(0.7);
      }
      for (let k = 1; k < events.length; k++) {
        const gap = (events[k]![0] - events[k - 1]![0]) / FPS;
        expect(gap).toBeGreaterThanOrEqual(2 - 2 / FPS);
        expect(gap).toBeLessThanOrEqual(6 + 2 / FPS);
      }
      // Open in between: most of the time the lids are up.
      expect(m.blink.filter((x) => x === 0).length / T).toBeGreaterThan(0.85);
    });

    it(`sways the head by a few degrees, smoothly (seed ${seed})`, () => {
      const m = idleMotion(T, FPS, { seed });
      const amp = [2, 3, 1.5];
      for (let a = 0; a < 3; a++) {
        let peak = 0;
        let step = 0;
        let second = 0;
        for (let i = 0; i < T; i++) {
          peak = Math.max(peak, Math.abs(m.neck[3 * i + a]!));
          if (i > 0) step = Math.max(step, Math.abs(m.neck[3 * i + a]! - m.neck[3 * (i - 1) + a]!));
          if (i > 1) second = Math.max(second, Math.abs(m.neck[3 * i + a]! - 2 * m.neck[3 * (i - 1) + a]! + m.neck[3 * (i - 2) + a]!));
        }
        expect(peak).toBeLessThanOrEqual(amp[a]! * DEG * 1.0001);
        expect(peak).toBeGreaterThan(0.3 * amp[a]! * DEG);
        // Slope bound of the sinusoids (<= 0.45 Hz): 2π·0.45·amp per second; 0.12·amp per frame.
        expect(step).toBeLessThan(0.12 * amp[a]! * DEG);
        // Curvature: (2π·0.45)²·amp per s², i.e. 0.013·amp per frame², no kinks.
        expect(second).toBeLessThan(0.015 * amp[a]! * DEG);
      }
    });

    it(`moves the eyes in saccades between fixations (seed ${seed})`, () => {
      const m = idleMotion(T, FPS, { seed });
      let saccades = 0;
      let still = 0;
      let peakYaw = 0;
      for (let i = 0; i < T; i++) {
        // Both eyes turn together.
        for (let a = 0; a < 3; a++) expect(m.eyes[6 * i + a]).toBe(m.eyes[6 * i + 3 + a]);
        peakYaw = Math.max(peakYaw, Math.abs(m.eyes[6 * i + 1]!));
        if (i === 0) continue;
        const d = Math.hypot(m.eyes[6 * i]! - m.eyes[6 * (i - 1)]!, m.eyes[6 * i + 1]! - m.eyes[6 * (i - 1) + 1]!);
        if (d > 0.5 * DEG) saccades++;
        if (d === 0) still++;
      }
      // Fixations of 0.4–2 s: 60–300 changes in two minutes, half of them back to the centre.
      expect(saccades).toBeGreaterThan(30);
      expect(saccades).toBeLessThan(300);
      // Fixating most of the time (a saccade is 40 ms: at most two frames).
      expect(still / T).toBeGreaterThan(0.7);
      expect(peakYaw).toBeLessThanOrEqual(6 * DEG * 1.0001);
      expect(peakYaw).toBeGreaterThan(2 * DEG);
    });
  }

  it('is seeded: the same seed gives the same tracks, another seed others', () => {
    const a = idleMotion(500, FPS, { seed: 3 });
    const b = idleMotion(500, FPS, { seed: 3 });
    const c = idleMotion(500, FPS, { seed: 4 });
    expect(a.neck).toEqual(b.neck);
    expect(a.blink).toEqual(b.blink);
    expect(a.eyes).toEqual(b.eyes);
    expect(a.neck).not.toEqual(c.neck);
    expect(a.blinks).not.toEqual(c.blinks);
  });

  it('is prefix-consistent: a frame is the same whatever the length drawn (what streaming relies on)', () => {
    const long = idleMotion(1000, FPS, { seed: 5 });
    const short = idleMotion(437, FPS, { seed: 5 });
    expect(short.neck).toEqual(long.neck.subarray(0, 437 * 3));
    expect(short.eyes).toEqual(long.eyes.subarray(0, 437 * 6));
    expect(short.blink).toEqual(long.blink.subarray(0, 437));
  });

  it('refuses bad input with typed errors', () => {
    expect(() => idleMotion(-1, FPS)).toThrow(ValidationError);
    expect(() => idleMotion(10, 0)).toThrow(/expected fps to be a positive number, received 0/);
    expect(() => idleMotion(10, FPS, { blinkInterval: [5, 2] })).toThrow(/expected idle.blinkInterval/);
    expect(() => idleMotion(10, FPS, { swayDegrees: [1, 2] as unknown as [number, number, number] })).toThrow(ValidationError);
    expect(() => addIdleMotion([], 'yes' as never, { fps: FPS, expressionNames: [] })).toThrow(/expected idle to be a boolean/);
  });
});

describe('addIdleMotion', () => {
  const names = ['jaw_open', 'blink_left', 'blink_right', 'smile'];
  const frames = Array.from({ length: 300 }, (_, t) => ({
    expr: Float32Array.from([0, 0.05, 0.05, (t % 7) / 7]),
    jaw: Float32Array.from([0.1 + (t % 5) / 50, 0, 0]),
    neck: Float32Array.from([0.01, 0, 0]),
  }));

  it('keeps the jaw and the other expressions, adds sway to the neck and raises the blink components', () => {
    const out = addIdleMotion(frames, { seed: 2 }, { fps: FPS, expressionNames: names });
    const idle = out.idle!;
    out.forEach((f, t) => {
      expect(f.jaw).toEqual(frames[t]!.jaw);
      expect(f.expr![0]).toBe(0);
      expect(f.expr![3]).toBeCloseTo(frames[t]!.expr[3]!, 6);
      expect(f.expr![1]).toBeCloseTo(Math.max(0.05, idle.blink[t]!), 6);
      expect(f.neck![0]).toBeCloseTo(0.01 + idle.neck[3 * t]!, 6);
      expect(f.eyes![1]).toBeCloseTo(idle.eyes[6 * t + 1]!, 6);
    });
    expect(Math.max(...out.map((f) => f.expr![2]!))).toBeGreaterThan(0.7);
    // The input frames are not changed.
    expect(frames[0]!.neck[0]).toBe(Math.fround(0.01));
  });

  it('gives a stream chunk the frames it would have in one piece', () => {
    const whole = addIdleMotion(frames, { seed: 4 }, { fps: FPS, expressionNames: names });
    const chunk = addIdleMotion(frames.slice(120, 170), { seed: 4 }, { fps: FPS, expressionNames: names, startFrame: 120 });
    chunk.forEach((f, t) => {
      expect(f.neck).toEqual(whole[120 + t]!.neck);
      expect(f.eyes).toEqual(whole[120 + t]!.eyes);
      expect(f.expr).toEqual(whole[120 + t]!.expr);
    });
  });

  it('skips blinks on a head without blink components, and does nothing when off', () => {
    const out = addIdleMotion(frames, true, { fps: FPS, expressionNames: ['jaw_open', 'smile'] });
    out.forEach((f, t) => expect(f.expr).toEqual(frames[t]!.expr));
    expect(out.some((f) => Math.abs(f.neck![1]!) > 0.005)).toBe(true);
    expect(addIdleMotion(frames, false, { fps: FPS, expressionNames: names })).toBe(frames);
  });
});
