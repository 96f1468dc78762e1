// Which devices a benchmark suite times.
import { backends, requireDevice, type Device } from '../backends.js';
import type { BenchArgs } from './run.js';

/** The devices a suite times: `args.device`, or the CPU and, when available, CUDA. */
export function benchDevices(args: BenchArgs): Device[] {
  if (args.device) return [requireDevice(args.device)];
  const b = backends();
  return ['cpu', ...(b.cuda && b.cudaDevices > 0 ? (['cuda'] as const) : [])];
}
