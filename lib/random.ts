/**
 * mulberry32: a small seeded generator of uniforms in [0, 1), the same sequence on every
 * platform. What the project's seeded plans and procedural content draw from.
 *
 * @module
 */

/** A generator of uniforms in [0, 1) started from a 32-bit `seed` (taken modulo 2³²). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
