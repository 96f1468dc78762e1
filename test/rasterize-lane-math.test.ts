// The CPU kernels' own maths, lane set by lane set, against float64: the projection's log
// (ln(255 o): the α ≥ 1/255 extent, tile masks and power threshold) and the blending exp
// (exp(power), every pixel's α). Each enters the renders only through tolerances, so an error
// of a few ulp would pass the reference tests; these bound it directly. Errors in units in the
// last place of the float result (ulp of the float64 value).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../lib/native.js';

type Variant = 'scalar' | 'avx2' | 'avx512';

// What this CPU runs (the AVX-512 kernels need AVX-512F, the AVX2 ones AVX2 and FMA).
const flags = ` ${readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? ''} `;
const runs: Record<Variant, boolean> = {
  scalar: true,
  avx2: flags.includes(' avx2 ') && flags.includes(' fma '),
  avx512: flags.includes(' avx512f '),
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** Floats from `lo` to `hi` (bit patterns, both positive) in `count` even steps of bits, plus both ends. */
function floatSweep(lo: number, hi: number, count: number, sign = 1): Float32Array {
  const a = bitsOf(lo), b = bitsOf(hi);
  const out = new Float32Array(count + 1);
  for (let k = 0; k <= count; k++) out[k] = sign * fromBits(a + Math.round(((b - a) * k) / count));
  return out;
}

/** Largest |y - reference| in ulp of the float reference, over normal float results. */
function maxUlp(x: Float32Array, y: Float32Array, reference: (v: number) => number): { ulp: number; at: number } {
  let worst = { ulp: 0, at: NaN };
  for (let i = 0; i < x.length; i++) {
    const r = reference(x[i]!);
    if (r === 0 || Math.abs(r) < 2 ** -126) continue;
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(r))) - 23);
    const e = Math.abs(y[i]! - r) / ulp;
    if (!(e <= worst.ulp)) worst = { ulp: e, at: x[i]! };
  }
  return worst;
}

describe('the CPU kernels\' lane maths against float64', () => {
  for (const variant of ['scalar', 'avx2', 'avx512'] as const) {
    it.runIf(runs[variant])(`${variant}: log within 1 ulp over [2^-20, 2^10), exact in sign around 1`, () => {
      const x = floatSweep(2 ** -20, 2 ** 10, 1_500_000);
      const y = native().laneMath('log', variant, x)!;
      expect(y).not.toBeNull();
      const { ulp, at } = maxUlp(x, y, Math.log);
      // Measured 0.827 ulp over every float of the range for the vector lane sets (Cephes'
      // coefficients); libm's logf for the scalar one.
      expect(ulp, `worst at x = ${at}`).toBeLessThan(1);
      // The sign decides culling at α = 1/255 (255 o = 1): exact at 1 and its neighbours, and
      // either side of sqrt(2), where the reduction switches.
      const near = new Float32Array([1, fromBits(bitsOf(1) + 1), fromBits(bitsOf(1) - 1), fromBits(bitsOf(Math.SQRT2)),
        fromBits(bitsOf(Math.SQRT2) + 1), 255, 0.5, 2]);
      const ny = native().laneMath('log', variant, near)!;
      expect(ny[0]).toBe(0);
      expect(ny[1]).toBeGreaterThan(0);
      expect(ny[2]).toBeLessThan(0);
      expect(maxUlp(near.subarray(3), ny.subarray(3), Math.log).ulp).toBeLessThan(1);
      // Infinity and NaN pass through (a culled Gaussian's opacity never reaches here as NaN,
      // but the lanes past the last Gaussian hold padding).
      const special = native().laneMath('log', variant, new Float32Array([Infinity, NaN]))!;
      expect(special[0]).toBe(Infinity);
      expect(special[1]).toBeNaN();
    });

    it.runIf(runs[variant])(`${variant}: exp within 1.05 ulp over [-87, 0]`, () => {
      // Blending takes exp of powers in [min_power, 0]; the lanes clamp below -87.
      const x = floatSweep(2 ** -24, 87, 1_500_000, -1);
      const y = native().laneMath('exp', variant, x)!;
      const { ulp, at } = maxUlp(x, y, Math.exp);
      // Stated in cpu_simd.h: 1.03 ulp (SLEEF's expf_u10 coefficients); libm's expf for scalar.
      expect(ulp, `worst at x = ${at}`).toBeLessThan(1.05);
      const zero = native().laneMath('exp', variant, new Float32Array([0, -0]))!;
      expect(Array.from(zero)).toEqual([1, 1]);
    });
  }

  it('refuses unknown operations and variants in the user\'s terms', () => {
    expect(() => native().laneMath('sin' as 'log', 'scalar', new Float32Array(1))).toThrow(/expected op 'log' or 'exp', received 'sin'/);
    expect(() => native().laneMath('log', 'sse9' as 'avx2', new Float32Array(1))).toThrow(/expected variant 'scalar', 'avx2' or 'avx512', received 'sse9'/);
  });
});
