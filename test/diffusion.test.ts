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

  it('dpm-solver++ without x0Before is DDIM (eta 0); with it, the second-order correction of Lu et al. (2022)', async () => {
    const xt = arr(gauss);
    const x0b = arr(gauss);
    const tPrev = { data: Int32Array.from([-1, 100, 500]), shape: [B] };
    const tBefore = { data: Int32Array.from([10, 700, 999]), shape: [B] };
    t.data.set([3, 400, 998]);
    for (const schedule of ['linear', 'cosine'] as const) {
      const s = await diffusionSchedule(N, schedule);
      const ddim = await diffusionStep({ step: 'ddim', steps: N, schedule, x: xt, x0Pred: x0, t, tPrev, noise });
      const first = await diffusionStep({ step: 'dpm-solver++', steps: N, schedule, x: xt, x0Pred: x0, t, tPrev, noise });
      const second = await diffusionStep({ step: 'dpm-solver++', steps: N, schedule, x: xt, x0Pred: x0, t, tPrev, x0Before: x0b, tBefore, noise });
      // Closed form in float64: α = sqrt(ᾱ), σ = sqrt(1 − ᾱ), λ = log(α/σ), r = (λ_t − λ_before)/(λ_prev − λ_t).
      const as = (k: number) => (k < 0 ? [1, 0] : [Math.sqrt(s.alphasCumprod[k]!), Math.sqrt(1 - s.alphasCumprod[k]!)]) as [number, number];
      const lambda = (k: number) => Math.log(as(k)[0] / as(k)[1]);
      for (let b = 0; b < B; b++) {
        const [k, kp, kb] = [t.data[b]!, tPrev.data[b]!, tBefore.data[b]!];
        const [a, sg] = as(k);
        const [an, sn] = as(kp);
        const halfInvR = kp < 0 ? 0 : (lambda(kp) - lambda(k)) / (2 * (lambda(k) - lambda(kb)));
        for (let d = 0; d < D; d++) {
          const i = b * D + d;
          expect(first.get(b, d)).toBeCloseTo(ddim.get(b, d), 5);
          const dd = x0.data[i]! + halfInvR * (x0.data[i]! - x0b.data[i]!);
          expect(second.get(b, d)).toBeCloseTo((sn / sg) * xt.data[i]! + (an - (sn * a) / sg) * dd, 4);
        }
      }
    }
    t.data.set([0, 400, 999]);
  });

  it('on Gaussian data (exact x0 prediction, exact ODE solution) dpm-solver++ at 4 steps beats DDIM at 16', async () => {
    // Data x0 ~ N(μ_d, s_d²) per dimension. Then E[x0 | x_t] = μ + α s² (x_t − α μ) / (α² s² + σ²),
    // and the probability-flow ODE keeps z = (x_t − α μ) / sqrt(α² s² + σ²) constant: from
    // x_{N−1} it ends at μ + s z at the clean end. Both solvers run as the sampler runs them
    // (docs/audio-expression-model.md, "Sampling"): DDIM evaluates at `steps` timesteps evenly
    // spaced from N − 1 to 0 and returns the last x̂0; DPM-Solver++ evaluates at the first `steps`
    // of steps + 1 timesteps t_i = round((N − 1)(1 − i/steps)²) and returns x at t = 0.
    const Dg = 64;
    const mu = Float64Array.from({ length: Dg }, (_, d) => Math.sin(d) * 2);
    const sd = Float64Array.from({ length: Dg }, (_, d) => 0.05 + (0.6 * (d % 7)) / 6);
    const z = Float64Array.from({ length: Dg }, gauss);
    const vec = (v: ArrayLike<number>) => ({ data: Float32Array.from(v), shape: [1, Dg] });
    const one = (k: number) => ({ data: Int32Array.from([k]), shape: [1] });
    const zeros = vec(new Float64Array(Dg));
    const even = (count: number) => Array.from({ length: count }, (_, i) => Math.round((N - 1) * (1 - (count === 1 ? 0 : i / (count - 1)))));
    const quadratic = (steps: number) => Array.from({ length: steps + 1 }, (_, i) => Math.round((N - 1) * (1 - i / steps) ** 2));
    const errors: Record<string, { ddim: number[]; dpm: number[] }> = {};
    for (const schedule of ['cosine', 'linear'] as const) {
      const s = await diffusionSchedule(N, schedule);
      const ac = (k: number) => s.alphasCumprod[k]!;
      const x0Of = (x: ArrayLike<number>, k: number) => Array.from(mu, (m, d) => m + (Math.sqrt(ac(k)) * sd[d]! ** 2 * (x[d]! - Math.sqrt(ac(k)) * m)) / (ac(k) * sd[d]! ** 2 + 1 - ac(k)));
      const start = Array.from(mu, (m, d) => Math.sqrt(ac(N - 1)) * m + Math.sqrt(ac(N - 1) * sd[d]! ** 2 + 1 - ac(N - 1)) * z[d]!);
      const exact = Array.from(mu, (m, d) => m + sd[d]! * z[d]!);
      const rms = (x: ArrayLike<number>) => Math.sqrt(exact.reduce((a, e, d) => a + (x[d]! - e) ** 2, 0) / Dg);
      const e = (errors[schedule] = { ddim: [] as number[], dpm: [] as number[] });
      for (const steps of [2, 4, 8, 16]) {
        const ts = even(steps);
        let x: ArrayLike<number> = start;
        for (const [i, k] of ts.entries()) {
          const pred = x0Of(x, k);
          x = i + 1 < ts.length ? (await diffusionStep({ step: 'ddim', steps: N, schedule, x: vec(x), x0Pred: vec(pred), t: one(k), tPrev: one(ts[i + 1]!), noise: zeros })).data : pred;
        }
        e.ddim.push(rms(x));
      }
      for (const steps of [2, 4, 8]) {
        const ts = quadratic(steps);
        let x: ArrayLike<number> = start;
        let before: { x0: number[]; k: number } | undefined;
        for (const [i, k] of ts.slice(0, -1).entries()) {
          const pred = x0Of(x, k);
          const memory = before ? { x0Before: vec(before.x0), tBefore: one(before.k) } : {};
          x = (await diffusionStep({ step: 'dpm-solver++', steps: N, schedule, x: vec(x), x0Pred: vec(pred), t: one(k), tPrev: one(ts[i + 1]!), ...memory, noise: zeros })).data;
          before = { x0: pred, k };
        }
        e.dpm.push(rms(x));
      }
    }
    const fmt = (v: number[]) => v.map((x) => x.toFixed(3)).join(' ');
    console.log(`Gaussian ODE rms error: ${Object.entries(errors).map(([k, v]) => `${k}: DDIM 2/4/8/16 steps ${fmt(v.ddim)}, dpm-solver++ 2/4/8 ${fmt(v.dpm)}`).join('; ')}`);
    // Measured (cosine; linear): DDIM 0.39 0.17 0.086 0.043; 0.38 0.26 0.14 0.076. dpm-solver++
    // 0.17 0.023 0.022; 0.16 0.036 0.046 (the data's narrowest dimensions, s = 0.05, limit it).
    for (const [schedule, v] of Object.entries(errors)) {
      for (let i = 0; i < 3; i++) expect(v.dpm[i]!, `${schedule}, ${2 ** (i + 1)} steps`).toBeLessThan(0.5 * v.ddim[i]!);
      expect(v.dpm[1]!, `${schedule}: dpm-solver++ 4 steps vs DDIM 16`).toBeLessThan(v.ddim[3]!);
    }
  });

  it('rejects steps out of range and unknown schedules', async () => {
    await expect(diffusionStep({ step: 'q', steps: N, schedule: 'linear', x: x0, t: { data: Int32Array.from([0, 1, 1000]), shape: [B] }, noise })).rejects.toThrow(/t.*in \[0, 1000\)/);
    await expect(diffusionSchedule(N, 'quadratic' as 'linear')).rejects.toThrow(ValidationError);
    await expect(diffusionStep({ step: 'ddim', steps: N, schedule: 'linear', x: x0, x0Pred: x0, t, tPrev: t, noise })).rejects.toThrow(/t_prev below its t/);
  });
});
