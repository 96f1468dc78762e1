// Diffusion maths against closed forms computed here in float64.
import { describe, expect, it } from 'vitest';

import { diffusionSchedule, diffusionStep, ValidationError } from '../lib/index.js';
import { rng } from './helpers/scene.js';

const N = 1000;

function closeRel(a: number, b: number, tol: number) {
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(1e-12, Math.abs(b)));
}

describe('noise schedules', () => {
  it('linear: DDPM betas, cumulative products and posterior terms', async () => {
    const s = await diffusionSchedule(N, 'linear');
    let ac = 1;
    for (let t = 0; t < N; t++) {
      const beta = 1e-4 + ((0.02 - 1e-4) * t) / (N - 1);
      const prev = ac;
      ac *= 1 - beta;
      closeRel(s.betas[t]!, beta, 1e-6);
      closeRel(s.alphasCumprod[t]!, ac, 1e-5);
      closeRel(s.alphasCumprodPrev[t]!, prev, 1e-5);
      closeRel(s.posteriorVariance[t]!, (beta * (1 - prev)) / (1 - ac), 1e-5);
      closeRel(s.posteriorCoefX0[t]!, (Math.sqrt(prev) * beta) / (1 - ac), 1e-5);
      closeRel(s.posteriorCoefXt[t]!, (Math.sqrt(1 - beta) * (1 - prev)) / (1 - ac), 1e-5);
    }
    expect(s.posteriorVariance[0]).toBe(0);
  });

  it('cosine: alphas_cumprod = f(t + 1) / f(0), f(t) = cos²((t/N + s)/(1 + s) · π/2)', async () => {
    const s = await diffusionSchedule(N, 'cosine');
    const f = (t: number) => Math.cos(((t / N + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 1, 10, 100, 500, 900, 990]) closeRel(s.alphasCumprod[t]!, f(t + 1) / f(0), 1e-4);
    expect(Math.max(...Array.from(s.betas))).toBeLessThanOrEqual(0.999 + 1e-6);
  });
});

describe('diffusion steps', () => {
  const B = 3, D = 5;
  const r = rng(4);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const arr = (fn: () => number) => ({ data: Float32Array.from({ length: B * D }, fn), shape: [B, D] });
  const x0 = arr(() => r() * 2 - 1);
  const noise = arr(gauss);
  const t = { data: Int32Array.from([0, 400, 999]), shape: [B] };

  it('q: x_t = sqrt(ᾱ_t) x0 + sqrt(1 − ᾱ_t) ε', async () => {
    const s = await diffusionSchedule(N, 'linear');
    const xt = await diffusionStep({ step: 'q', steps: N, schedule: 'linear', x: x0, t, noise });
    for (let b = 0; b < B; b++) {
      const ac = s.alphasCumprod[t.data[b]!]!;
      for (let d = 0; d < D; d++) {
        expect(xt.get(b, d)).toBeCloseTo(Math.sqrt(ac) * x0.data[b * D + d]! + Math.sqrt(1 - ac) * noise.data[b * D + d]!, 5);
      }
    }
  });

  it('ddpm: posterior mean + σ ε, and no noise at t = 0', async () => {
    const s = await diffusionSchedule(N, 'cosine');
    const xt = arr(gauss);
    const out = await diffusionStep({ step: 'ddpm', steps: N, schedule: 'cosine', x: xt, x0Pred: x0, t, noise });
    for (let b = 0; b < B; b++) {
      const k = t.data[b]!;
      for (let d = 0; d < D; d++) {
        const i = b * D + d;
        const mean = s.posteriorCoefX0[k]! * x0.data[i]! + s.posteriorCoefXt[k]! * xt.data[i]!;
        const sigma = k === 0 ? 0 : Math.sqrt(s.posteriorVariance[k]!);
        expect(out.get(b, d)).toBeCloseTo(mean + sigma * noise.data[i]!, 5);
      }
    }
  });

  it('ddim (eta = 0) with a perfect x0 prediction lands exactly on the noised x0 at tPrev, and on x0 at −1', async () => {
    const s = await diffusionSchedule(N, 'linear');
    const xt = await diffusionStep({ step: 'q', steps: N, schedule: 'linear', x: x0, t, noise });
    const tPrev = { data: Int32Array.from([-1, 100, 500]), shape: [B] };
    const out = await diffusionStep({ step: 'ddim', steps: N, schedule: 'linear', x: xt, x0Pred: x0, t, tPrev, noise: arr(gauss) });
    for (let b = 0; b < B; b++) {
      const acPrev = tPrev.data[b]! < 0 ? 1 : s.alphasCumprod[tPrev.data[b]!]!;
      for (let d = 0; d < D; d++) {
        const i = b * D + d;
        expect(out.get(b, d)).toBeCloseTo(Math.sqrt(acPrev) * x0.data[i]! + Math.sqrt(1 - acPrev) * noise.data[i]!, 4);
      }
    }
  });

  it('rejects steps out of range and unknown schedules', async () => {
    await expect(diffusionStep({ step: 'q', steps: N, schedule: 'linear', x: x0, t: { data: Int32Array.from([0, 1, 1000]), shape: [B] }, noise })).rejects.toThrow(/t.*in \[0, 1000\)/);
    await expect(diffusionSchedule(N, 'quadratic' as 'linear')).rejects.toThrow(ValidationError);
    await expect(diffusionStep({ step: 'ddim', steps: N, schedule: 'linear', x: x0, x0Pred: x0, t, tPrev: t, noise })).rejects.toThrow(/t_prev below its t/);
  });
});
