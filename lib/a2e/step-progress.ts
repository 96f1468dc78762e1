/**
 * Step progress of long native work (denoising steps of the Audio-Expression sampler, layers
 * of the wav2vec2 encoder) to a caller's `onProgress`. The work runs
 * on a worker thread and queues `(done, total)` after each step to the JS thread; reports can
 * arrive after the sampling Promise has settled (two separate queues), so this keeps them in
 * order, drops the late ones, and on success reports itself the steps not yet reported. An error thrown by
 * the caller's callback cannot propagate from a native callback: it is kept and rethrown once
 * sampling ends, so it rejects the call as it would from a JS loop.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Steps of long native work done: `step` of `steps` (1..steps, in order, each once). */
export interface StepReport {
  /** Steps done (1..steps). */
  step: number;
  /** Total steps. */
  steps: number;
}

/** Progress of {@link AudioExpressionModel.sample}: denoising steps done. */
export type SampleProgress = StepReport;

/** The native `onStep` callback and what to do when the native call settles. */
export interface StepProgress {
  /** Pass to the native sampler (undefined without `onProgress`). */
  onStep: ((done: number, total: number) => void) | undefined;
  /** Call after the work succeeded: reports the steps not yet reported, rethrows a callback's error. */
  finish(): void;
  /** Call after sampling failed: later reports are dropped. */
  close(): void;
}

/**
 * Wraps `onProgress` (undefined: no reports) for native work of `steps` steps.
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
      (onProgress as (p: StepReport) => void)({ step, steps: total });
    } catch (error) {
      failure = { error };
    }
  };
  return {
    onStep: report,
    finish() {
      // Every step is done once the work has returned: report those whose reports are still
      // queued (libuv delivers the work's completion before them in the same loop turn).
      for (let step = last + 1; step <= steps; step++) report(step, steps);
      open = false;
      if (failure) throw failure.error;
    },
    close() {
      open = false;
    },
  };
}
