/**
 * Calling native operations: every addon op takes one options object of named inputs and
 * resolves with named outputs. This module awaits them with AbortSignal support and turns
 * their `{data, shape}` outputs into ndarrays.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { AbortError } from './errors.js';
import type { RawArray } from './native.js';
import { nativeAsync } from './tensor.js';
import { requireAbortSignal } from './validate.js';

/**
 * Awaits an addon Promise, honouring `signal`: an abort rejects at once with AbortError (the
 * native call finishes in the background and its result is dropped).
 */
export async function awaitNative<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return nativeAsync(promise);
  // Callers check their options before native work; this is the backstop for any that did not.
  requireAbortSignal('options.signal', signal);
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new AbortError(undefined, { cause: signal.reason }));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void promise.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
  });
  return Promise.race([nativeAsync(promise), aborted]);
}

/**
 * Throws an AbortError (with the signal's reason as its cause) when `signal` has aborted. Use it
 * instead of `signal.throwIfAborted()`, which throws the bare reason (a DOMException), and
 * before starting native work, which would otherwise run on in the background.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal) requireAbortSignal('options.signal', signal);
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/** A native `{data, shape}` array as an ndarray (no copy). */
export function toNdarray<T extends Float32Array | Float64Array | Int32Array = Float32Array>(raw: RawArray): NdArray<T> {
  return ndarray(raw.data as T, raw.shape);
}

/** Every `{data, shape}` value of a record (one level) as an ndarray. */
export function toNdarrays<K extends string>(raw: Record<K, RawArray>): Record<K, NdArray<Float32Array>> {
  const out = {} as Record<K, NdArray<Float32Array>>;
  for (const key of Object.keys(raw) as K[]) if (raw[key]) out[key] = toNdarray(raw[key]);
  return out;
}
