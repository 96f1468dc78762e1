// Evaluation suites: `npm run eval -- <suite> [--preset small|full] [--out dir] [--lpips w.safetensors]`.
// Progress on stderr; the results as one JSON object on stdout; table.md and results.json in
// --out. Ctrl-C aborts cleanly (the working folder is removed).
import { parseArgs } from 'node:util';

import { AbortError } from '../lib/errors.js';
import { runAblations } from '../lib/eval/ablations/run.js';

const SUITES = ['ablations'] as const;
const usage = `usage: npm run eval -- <${SUITES.join('|')}> [--preset small|full] [--out dir] [--lpips weights.safetensors]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { preset: { type: 'string', default: 'small' }, out: { type: 'string' }, lpips: { type: 'string' } },
});
const [suite] = positionals;
if (!SUITES.includes(suite as (typeof SUITES)[number]) || positionals.length !== 1 || (values.preset !== 'small' && values.preset !== 'full')) {
  console.error(usage);
  process.exit(2);
}

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('interrupted: stopping after the current step...');
  controller.abort();
});
const t0 = performance.now();
try {
  const results = await runAblations({
    preset: values.preset,
    ...(values.out ? { out: values.out } : {}),
    ...(values.lpips ? { lpips: values.lpips } : {}),
    command: `npm run eval -- ${process.argv.slice(2).join(' ')}`,
    log: (m) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`),
    signal: controller.signal,
  });
  console.log(JSON.stringify(results));
} catch (error) {
  if (error instanceof AbortError) {
    console.error('aborted');
    process.exit(130);
  }
  throw error;
}
