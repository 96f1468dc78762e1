/**
 * What the loaded native binary can do, and the CPU thread pool it runs on.
 *
 * @module
 */

import { native, type Backends } from './native.js';
import { ValidationError } from './errors.js';
import { requirePositiveInt } from './validate.js';

export type { Backends } from './native.js';

/**
 * Where native work runs: the CPU, the current CUDA device, CUDA device N, or `'auto'`: CUDA
 * when the loaded binary has the CUDA kernels and a GPU is visible, else the CPU (see
 * {@link requireDevice}). Every `device` option and the CLI's `--device` accept all four.
 */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

/** A {@link Device} other than `'auto'`: what `'auto'` resolves to, and what native calls receive. */
export type ResolvedDevice = Exclude<Device, 'auto'>;

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
 * What `'auto'` means for a binary with these capabilities: `'cuda'` (the current CUDA device)
 * when it was built with the CUDA kernels and at least one GPU is visible, else `'cpu'`.
 *
 * @param b - The loaded binary's {@link backends} (or any object with `cuda` and `cudaDevices`).
 */
export function resolveAutoDevice(b: Pick<Backends, 'cuda' | 'cudaDevices'>): ResolvedDevice {
  return b.cuda && b.cudaDevices > 0 ? 'cuda' : 'cpu';
}

/**
 * Validates a device name against the loaded binary and resolves `'auto'` (to CUDA when the
 * binary has the CUDA kernels and a GPU is visible, else the CPU): a CUDA device needs a
 * binary built with the CUDA kernels (docs/gpu-build.md) and a visible GPU. Throws a
 * ValidationError otherwise.
 *
 * @param device - `'auto'`, `'cpu'`, `'cuda'` or `'cuda:N'`.
 * @returns The device native calls receive (never `'auto'`).
 */
export function requireDevice(device: unknown): ResolvedDevice {
  if (typeof device !== 'string' || !/^(auto|cpu|cuda(:\d+)?)$/.test(device)) {
    throw new ValidationError(`expected device to be 'cpu', 'cuda' or 'cuda:N' (or 'auto'), received ${JSON.stringify(device)}`);
  }
  if (device === 'auto') return resolveAutoDevice(native().backends());
  if (device.startsWith('cuda')) {
    const b = native().backends();
    if (!b.cuda) throw new ValidationError(`device '${device}' was requested, but this ggtalker binary has no CUDA kernels (built against LibTorch ${b.torchVersion} without CUDA); see docs/gpu-build.md`);
    if (b.cudaDevices === 0) throw new ValidationError(`device '${device}' was requested, but no CUDA device is visible`);
    const index = device.includes(':') ? Number(device.slice(5)) : 0;
    if (index >= b.cudaDevices) throw new ValidationError(`device '${device}' was requested, but only ${b.cudaDevices} CUDA device(s) are visible (cuda:0 to cuda:${b.cudaDevices - 1})`);
  }
  return device as ResolvedDevice;
}
