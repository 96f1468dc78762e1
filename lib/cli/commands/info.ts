/**
 * `ggtalker info`: what the loaded native binary supports.
 *
 * @module
 */

import { backends } from '../../backends.js';
import { parse } from '../args.js';
import type { CommandContext } from '../context.js';

export const help = `ggtalker info [--json]

Prints what the loaded binary supports: LibTorch version, CPU threads, CUDA and its devices.`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  const b = backends();
  if (values.json) {
    ctx.out(JSON.stringify(b));
    return;
  }
  ctx.out(`LibTorch ${b.torchVersion}; CPU (${b.threads} threads); CUDA ${b.cuda ? `built in, ${b.cudaDevices} device(s)` : 'not built in'}`);
}
