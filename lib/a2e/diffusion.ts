/**
 * Gaussian diffusion maths of the Audio-Expression prior, computed natively: noise schedules
 * (DDPM's linear, the cosine schedule), forward noising, and x0-prediction DDPM, DDIM and
 * DPM-Solver++(2M) steps.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { ValidationError } from '../errors.js';
import { native } from '../native.js';
import { requireOptions } from '../arguments.js';
import { awaitNative, toNdarray } from '../ops.js';
import { requireOneOf, requirePositiveInt, requireFiniteNumber, toFloat32Tensor, toInt32Tensor, type ArrayLike, type Dims } from '../validate.js';

/** `'linear'`: DDPM's betas 1e-4..0.02 (rescaled to the step count); `'cosine'`: Nichol & Dhariwal, s = 0.008. */
export type NoiseSchedule = 'linear' | 'cosine';

/** A schedule's tables, one value per step t = 0 .. steps - 1. */
export interface DiffusionScheduleTables {
  /** β_t: the noise added at step t. */
  betas: Float32Array;
  /** ᾱ_t = Π_{s ≤ t} (1 − β_s). */
  alphasCumprod: Float32Array;
  /** ᾱ_{t−1} (1 at t = 0). */
  alphasCumprodPrev: Float32Array;
  /** β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t). */
  posteriorVariance: Float32Array;
  /** Posterior mean = coefX0 · x0 + coefXt · x_t. */
  posteriorCoefX0: Float32Array;
  /** Posterior mean coefficient of x_t (see `posteriorCoefX0`). */
  posteriorCoefXt: Float32Array;
}

/** The tables of a schedule of `steps` steps. */
export async function diffusionSchedule(steps: number, schedule: NoiseSchedule): Promise<DiffusionScheduleTables> {
  const raw = await awaitNative(native().diffusionSchedule(scheduleOptions(steps, schedule)), undefined);
  const out = {} as Record<keyof DiffusionScheduleTables, Float32Array>;
  for (const [key, value] of Object.entries(raw)) out[key as keyof DiffusionScheduleTables] = value.data as Float32Array;
  return out;
}

/** Inputs of {@link diffusionStep}; `x` and the other arrays are [B, ...], `t` int32 [B]. */
export interface DiffusionStepInput {
  /**
   * `'q'`: noise x0 = x to step t; `'ddpm'`: x_t = x to x_{t−1}; `'ddim'`: x_t = x to x_{tPrev};
   * `'dpm-solver++'`: x_t = x to x_{tPrev} by DPM-Solver++(2M) (second order with `x0Before`,
   * first order, which equals DDIM with eta 0, without; docs/audio-expression-model.md, "Sampling").
   */
  step: 'q' | 'ddpm' | 'ddim' | 'dpm-solver++';
  /** Diffusion steps N of the schedule. */
  steps: number;
  /** The noise schedule. */
  schedule: NoiseSchedule;
  /** The sequence to step: x0 for `'q'`, x_t otherwise. */
  x: ArrayLike;
  /** The network's prediction of the clean sequence (ddpm, ddim). */
  x0Pred?: ArrayLike;
  /** Step of each batch row, int32 [B]. */
  t: ArrayLike;
  /** Target step of a DDIM or DPM-Solver++ step, below t; −1 is the clean end. */
  tPrev?: ArrayLike;
  /** DPM-Solver++: the previous step's x0 prediction (like x), made at `tBefore`. */
  x0Before?: ArrayLike;
  /** DPM-Solver++: the step of `x0Before`, above t, int32 [B]. */
  tBefore?: ArrayLike;
  /** DDIM stochasticity (0 = deterministic). Default 0. */
  eta?: number;
  /** Standard normal noise, same shape as x (ignored where a step adds none). */
  noise: ArrayLike;
}

/** One diffusion step (see {@link DiffusionStepInput}). */
export async function diffusionStep(input: DiffusionStepInput): Promise<NdArray<Float32Array>> {
  requireOptions('diffusionStep', input, 'input');
  const step = requireOneOf('step', input.step, ['q', 'ddpm', 'ddim', 'dpm-solver++'] as const);
  const steps = requirePositiveInt('steps', input.steps);
  const dims: Dims = {};
  const shape = Array.isArray((input.x as { shape?: unknown })?.shape) ? [...input.x.shape] : [];
  const x = toFloat32Tensor('x', input.x, shape, dims);
  const options: Record<string, unknown> = {
    ...scheduleOptions(steps, input.schedule),
    step,
    x,
    noise: toFloat32Tensor('noise', input.noise, x.shape),
    t: toInt32Tensor('t', input.t, [x.shape[0]!], dims, { min: 0, max: steps }),
  };
  if (input.x0Pred !== undefined) options.x0Pred = toFloat32Tensor('x0Pred', input.x0Pred, x.shape);
  if (input.tPrev !== undefined) options.tPrev = toInt32Tensor('tPrev', input.tPrev, [x.shape[0]!], dims, { min: -1, max: steps });
  if ((input.x0Before === undefined) !== (input.tBefore === undefined)) throw new ValidationError('expected x0Before and tBefore together');
  if (input.x0Before !== undefined) options.x0Before = toFloat32Tensor('x0Before', input.x0Before, x.shape);
  if (input.tBefore !== undefined) options.tBefore = toInt32Tensor('tBefore', input.tBefore, [x.shape[0]!], dims, { min: 0, max: steps });
  if (input.eta !== undefined) options.eta = requireFiniteNumber('eta', input.eta, { min: 0 });
  const raw = await awaitNative(native().diffusionStep(options), undefined);
  return toNdarray(raw.x);
}

function scheduleOptions(steps: number, schedule: NoiseSchedule) {
  return { steps: requirePositiveInt('steps', steps), schedule: requireOneOf('schedule', schedule, ['linear', 'cosine'] as const) };
}
