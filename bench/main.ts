// Benchmarks: `npm run bench -- <suite> [--reps N] [--cases a,b]` (the suites live in lib/bench/
// so that the installed `ggtalker bench` runs them too). One JSON object per line on stdout.
import { BENCH_SUITES, parseBenchArgs } from '../lib/bench/run.js';

const { suite, args } = parseBenchArgs(process.argv.slice(2));
const run = BENCH_SUITES[suite];
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCH_SUITES).join('|')}> [--reps N] [--cases a,b]`);
  process.exit(2);
}
await run(args);
