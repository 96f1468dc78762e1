// PSNR and SSIM (whole image and inside a head mask) against scikit-image in float64
// (test/fixtures/image-metrics/make_fixture.py). Tolerances: SSIM 1e-6 absolute, PSNR 1e-4 dB
// (float32 inputs, float64 accumulation on both sides).
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { psnr, ssim } from '../lib/eval/image-metrics.js';
import { readNpz } from '../lib/io/npy.js';

const fx = await readNpz(new URL('./fixtures/image-metrics/image_metrics.npz', import.meta.url).pathname);
const f32 = (k: string) => fx.get(k)!.data as Float32Array;
const num = (k: string) => (fx.get(k)!.data as Float64Array)[0]!;
const [H, W] = fx.get('a')!.shape as [number, number, number];

describe('image metrics', () => {
  it("SSIM matches scikit-image's structural_similarity (Gaussian σ 1.5, population covariance)", () => {
    expect(Math.abs(ssim(f32('a'), f32('b'), W, H) - num('ssim'))).toBeLessThan(1e-6);
    expect(ssim(f32('a'), f32('a'), W, H)).toBeCloseTo(1, 12);
  });

  it('SSIM inside a mask is the mask-weighted mean of the map', () => {
    const got = ssim(f32('a'), f32('b'), W, H, { mask: f32('mask') });
    expect(Math.abs(got - num('ssim_masked'))).toBeLessThan(1e-6);
    expect(Math.abs(got - num('ssim'))).toBeGreaterThan(1e-3); // the mask changes the number
    // A mask of ones is the unmasked SSIM.
    expect(ssim(f32('a'), f32('b'), W, H, { mask: new Float32Array(W * H).fill(1) })).toBeCloseTo(num('ssim'), 12);
  });

  it('PSNR over all pixels and over masked pixels matches', () => {
    expect(Math.abs(psnr(f32('a'), f32('b')) - num('psnr'))).toBeLessThan(1e-4);
    expect(Math.abs(psnr(f32('a'), f32('b'), { mask: f32('mask') }) - num('psnr_masked'))).toBeLessThan(1e-4);
    expect(psnr(f32('a'), f32('a'))).toBe(Number.POSITIVE_INFINITY);
    // Hand case: every channel off by 0.1 -> MSE 0.01 -> 20 dB; pixels outside the mask do not count.
    const a = new Float32Array([0, 0, 0, 0.5, 0.5, 0.5]);
    const b = new Float32Array([0.1, 0.1, 0.1, 0, 0, 0]);
    expect(psnr(a, b, { mask: new Float32Array([1, 0]) })).toBeCloseTo(20, 5);
  });

  it('refuses bad inputs with ValidationErrors', () => {
    expect(() => psnr(f32('a'), f32('a').subarray(3))).toThrow(ValidationError);
    expect(() => psnr(f32('a'), f32('b'), { mask: new Float32Array(3) })).toThrow(/expected options\.mask to be a Float32Array \[H·W\] of length 1920, received length 3/);
    expect(() => ssim(f32('a'), f32('b'), W + 1, H)).toThrow(/expected width × height to be the images' pixel count 1920, received 49 × 40/);
    expect(() => ssim(new Float32Array(300), new Float32Array(300), 10, 10)).toThrow(/at least 11×11/);
    expect(() => psnr(f32('a'), f32('b'), null as never)).toThrow(/^psnr: expected options to be an object, received null/);
    expect(() => ssim(f32('a'), f32('b'), W, H, 'mask' as never)).toThrow(/^ssim: expected options to be an object, received "mask"/);
  });
});
