/**
 * The benchmark suites (`npm run bench -- <suite>` or `ggtalker bench <suite>`): each prints one
 * JSON object per line on stdout; progress goes to stderr.
 *
 * @module
 */

import { requireDevice, type Device } from '../backends.js';
import { a2eBench } from './a2e.js';
import { adaptBench } from './adapt.js';
import { audioBench } from './audio.js';
import { distributedBench } from './distributed.js';
import { rasterizerBench } from './rasterizer.js';
import { rigBench } from './rig.js';
import { studioBench } from './studio.js';
import { synthesizeBench } from './synthesize.js';

export interface BenchArgs {
  reps?: number;
  cases?: string[];
  /** Run on this device only (default: the CPU, and CUDA when the binary has it and a GPU is visible). */
  device?: Device;
}


export const BENCH_SUITES: Record<string, (args: BenchArgs) => Promise<void>> = {
  adapt: adaptBench,
  a2e: a2eBench,
  audio: audioBench,
  distributed: distributedBench,
  rasterizer: rasterizerBench,
  rig: rigBench,
  studio: studioBench,
  synthesize: synthesizeBench,
};

/** Parses `<suite> [--reps N] [--cases a,b] [--device D]`. */
export function parseBenchArgs(argv: string[]): { suite: string; args: BenchArgs } {
  const [suite = '', ...rest] = argv;
  const args: BenchArgs = {};
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--reps') args.reps = Number(rest[++i]);
    else if (rest[i] === '--cases') args.cases = String(rest[++i]).split(',');
    else if (rest[i] === '--device') args.device = requireDevice(rest[++i]);
    else throw new Error(`unknown option ${rest[i]}`);
  }
  return { suite, args };
}
