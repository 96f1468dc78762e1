/**
 * `--method` and `--steps` of the commands that sample expressions from speech (demo,
 * synthesize): the sampler, checked here as a usage error, and its step count, whose default
 * follows the sampler (25 for ddim and ddpm, 8 for dpm-solver++).
 *
 * @module
 */

import { defaultSampleSteps, SAMPLE_METHODS, type SampleMethod } from '../a2e/model.js';
import { integer, UsageError } from './args.js';

/** The sampler options of `values` (parsed with `method` and `steps` string options). */
export function sampler(values: Record<string, unknown>): { method?: SampleMethod; steps: number } {
  const method = values.method;
  if (method !== undefined && !(SAMPLE_METHODS as readonly unknown[]).includes(method)) {
    throw new UsageError(`expected --method to be one of ${SAMPLE_METHODS.join(', ')}, received ${String(method)}`);
  }
  const m = method as SampleMethod | undefined;
  return { ...(m !== undefined ? { method: m } : {}), steps: integer(values, 'steps', defaultSampleSteps(m))! };
}
