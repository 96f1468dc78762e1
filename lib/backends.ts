/**
 * What the loaded native binary can do, and the CPU thread pool it runs on.
 *
 * @module
 */

import { native, type Backends } from './native.js';
import { ValidationError } from './errors.js';
import { requirePositiveInt } from './validate.js';

export type { Backends } from './native.js';

/** Where native work runs: the CPU, the current CUDA device, or CUDA device N. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * The loaded binary's capabilities: CPU always; CUDA when it was built with nvcc against a
 * CUDA-enabled LibTorch, and how many devices are visible now.
 */
export function backends(): Backends {
  return native().backends();
}

/** The most CPU threads {@link setThreads} accepts: beyond it the thread pool itself is the hazard. */
export const MAX_THREADS = 1024;

/**
 * Sets the number of CPU threads the kernels use (default: all cores). Applies to every
 * later call in this process.
 *
 * @param threads - An integer in [1, {@link MAX_THREADS}].
 */
export function setThreads(threads: number): void {
  const n = requirePositiveInt('threads', threads);
  if (n > MAX_THREADS) throw new ValidationError(`expected threads to be at most ${MAX_THREADS}, received ${n}`);
  native().setNumThreads(n);
}

/**
 * Validates a device name against the loaded binary: a CUDA device needs a binary built with
 * the CUDA kernels (docs/gpu-build.md) and a visible GPU. Throws a ValidationError otherwise.
 */
export function requireDevice(device: unknown): Device {
  if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device)) {
    throw new ValidationError(`expected device to be 'cpu', 'cuda' or 'cuda:N', received ${JSON.stringify(device)}`);
  }
  if (device.startsWith('cuda')) {
    const b = native().backends();
    if (!b.cuda) throw new ValidationError(`device '${device}' was requested, but this ggtalker binary has no CUDA kernels (built against LibTorch ${b.torchVersion} without CUDA); see docs/gpu-build.md`);
    if (b.cudaDevices === 0) throw new ValidationError(`device '${device}' was requested, but no CUDA device is visible`);
    const index = device.includes(':') ? Number(device.slice(5)) : 0;
    if (index >= b.cudaDevices) throw new ValidationError(`device '${device}' was requested, but only ${b.cudaDevices} CUDA device(s) are visible (cuda:0 to cuda:${b.cudaDevices - 1})`);
  }
  return device as Device;
}
