/**
 * What the loaded native binary can do, and the CPU thread pool it runs on.
 *
 * @module
 */

import { native, type Backends } from './native.js';
import { requirePositiveInt } from './validate.js';

export type { Backends } from './native.js';

/**
 * The loaded binary's capabilities: CPU always; CUDA when it was built with nvcc against a
 * CUDA-enabled LibTorch, and how many devices are visible now.
 */
export function backends(): Backends {
  return native().backends();
}

/**
 * Sets the number of CPU threads the kernels use (default: all cores). Applies to every
 * later call in this process.
 */
export function setThreads(threads: number): void {
  native().setNumThreads(requirePositiveInt('threads', threads));
}
