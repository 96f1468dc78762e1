/**
 * AbortSignal -> native abort flag: long native loops (training steps, denoising steps) poll
 * the flag between steps and stop, instead of finishing in the background after the Promise
 * was rejected.
 *
 * @module
 */

import { native, type NativeAbortFlag } from './native.js';
import { requireAbortSignal } from './validate.js';

/**
 * A native flag that `signal` sets when it aborts (undefined without a signal); call
 * `release()` when the native call settles to drop the listener.
 */
export function nativeAbortFlag(signal: AbortSignal | undefined): { flag: NativeAbortFlag | undefined; release: () => void } {
  if (!signal) return { flag: undefined, release: () => undefined };
  requireAbortSignal('options.signal', signal);
  const flag = new (native().AbortFlag)();
  const onAbort = (): void => flag.abort();
  if (signal.aborted) flag.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { flag, release: () => signal.removeEventListener('abort', onAbort) };
}
