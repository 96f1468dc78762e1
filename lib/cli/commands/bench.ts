/**
 * `ggtalker bench <suite>`: the benchmark suites, JSON lines on stdout.
 *
 * @module
 */

import { BENCH_SUITES, parseBenchArgs } from '../../bench/run.js';
import { UsageError } from '../args.js';
import type { CommandContext } from '../context.js';

export const help = `ggtalker bench <${Object.keys(BENCH_SUITES).join('|')}> [--reps N] [--cases a,b] [--device auto|cpu|cuda|cuda:N]

Runs a benchmark suite; one JSON object per line on stdout, progress on stderr. The rasterizer
and synthesize suites run on the CPU and, when this binary has CUDA and a GPU is visible, on
CUDA too; --device picks one.`;

export async function run(argv: string[], _ctx: CommandContext): Promise<void> {
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const suite = BENCH_SUITES[parsed.suite];
  if (!suite) throw new UsageError(`expected a suite: ${Object.keys(BENCH_SUITES).join(', ')}; received ${parsed.suite || 'nothing'}`);
  await suite(parsed.args);
}
