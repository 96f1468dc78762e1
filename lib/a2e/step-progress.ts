/**
 * Denoising-step progress from the native sampler to a caller's `onProgress`. The sampler runs
 * on a worker thread and queues `(done, total)` after each step to the JS thread; reports can
 * arrive after the sampling Promise has settled (two separate queues), so this keeps them in
 * order, drops the late ones, and reports the last step itself on success. An error thrown by
 * the caller's callback cannot propagate from a native callback: it is kept and rethrown once
 * sampling ends, so it rejects the call as it would from a JS loop.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Progress of {@link AudioExpressionModel.sample}: denoising steps done. */
export interface SampleProgress {
  /** Steps done, 1..steps. */
  step: number;
  steps: number;
}

/** The native `onStep` callback and what to do when the native call settles. */
export interface StepProgress {
  /** Pass to the native sampler (undefined without `onProgress`). */
  onStep: ((done: number, total: number) => void) | undefined;
  /** Call after sampling succeeded: reports the last step if it has not been, rethrows a callback's error. */
  finish(): void;
  /** Call after sampling failed: later reports are dropped. */
  close(): void;
}

/**
 * Wraps `onProgress` (undefined: no reports) for a native sampler of `steps` steps.
 *
 * @throws {@link ValidationError} when `onProgress` is neither a function nor undefined.
 */
export function stepProgress(onProgress: unknown, steps: number): StepProgress {
  if (onProgress === undefined) return { onStep: undefined, finish: () => undefined, close: () => undefined };
  if (typeof onProgress !== 'function') throw new ValidationError(`expected onProgress to be a function, received ${describeValue(onProgress)}`);
  let open = true;
  let last = 0;
  let failure: { error: unknown } | undefined;
  const report = (step: number, total: number): void => {
    // Only new steps, in order: a late or repeated report would move a progress bar backwards.
    if (!open || failure || step <= last) return;
    last = step;
    try {
      (onProgress as (p: SampleProgress) => void)({ step, steps: total });
    } catch (error) {
      failure = { error };
    }
  };
  return {
    onStep: report,
    finish() {
      report(steps, steps);
      open = false;
      if (failure) throw failure.error;
    },
    close() {
      open = false;
    },
  };
}
