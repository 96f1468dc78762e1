/**
 * `ggtalker info`: which native binary was loaded, from where, against which LibTorch, with
 * which CPU kernels and GPUs (like node-llama-cpp's `inspect gpu`).
 *
 * @module
 */

import { formatNativeInfo, nativeInfo } from '../../native-info.js';
import { parse } from '../args.js';
import type { CommandContext } from '../context.js';

export const help = `ggtalker info [--json]

Prints what the loaded native binary is and supports: its path and whether it is a prebuild
or a local build, the LibTorch it was built for (and its prebuild manifest), the LibTorch
loaded at run time, the CPU kernels (avx512/avx2/scalar) and what the CPU supports, threads,
CUDA and the visible GPUs. --json prints the same as one JSON object.`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  const info = nativeInfo();
  if (values.json) {
    ctx.out(JSON.stringify(info));
    return;
  }
  for (const line of formatNativeInfo(info)) ctx.out(line);
}
