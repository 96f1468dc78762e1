// Benchmarks: `npm run bench -- <suite> [--reps N] [--cases a,b]`. Each suite prints one JSON
// object per line on stdout (progress goes to stderr).
import { a2eBench } from './a2e.js';
import { adaptBench } from './adapt.js';
import { audioBench } from './audio.js';
import { rasterizerBench } from './rasterizer.js';
import { rigBench } from './rig.js';

const suites: Record<string, (args: BenchArgs) => Promise<void>> = { adapt: adaptBench, a2e: a2eBench, audio: audioBench, rasterizer: rasterizerBench, rig: rigBench };

export interface BenchArgs {
  reps?: number;
  cases?: string[];
}

function parse(argv: string[]): { suite: string; args: BenchArgs } {
  const [suite = '', ...rest] = argv;
  const args: BenchArgs = {};
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--reps') args.reps = Number(rest[++i]);
    else if (rest[i] === '--cases') args.cases = String(rest[++i]).split(',');
    else throw new Error(`unknown option ${rest[i]}`);
  }
  return { suite, args };
}

const { suite, args } = parse(process.argv.slice(2));
const run = suites[suite];
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(suites).join('|')}> [--reps N] [--cases a,b]`);
  process.exit(2);
}
await run(args);
