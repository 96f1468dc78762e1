// Child side of the fuzz harness (see fuzz.ts): imports a cases module given on the command
// line, runs its cases one at a time and reports each on stdout as one JSON line, so the parent
// knows which case was running when it had to kill the process (hang or memory bomb).
import { pathToFileURL } from 'node:url';

import { GgtalkerError } from '../../lib/errors.js';
import type { FuzzCase, FuzzReport } from './fuzz.js';

const [casesFile, exportName = 'cases'] = process.argv.slice(2);
const mod = (await import(pathToFileURL(casesFile!).href)) as Record<string, () => Iterable<FuzzCase> | AsyncIterable<FuzzCase>>;
const write = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

// GGT_FUZZ_SKIP: cases already run by an earlier child (a run continues after a killed case).
let skip = Number(process.env['GGT_FUZZ_SKIP'] ?? 0);
for await (const c of mod[exportName]!()) {
  if (skip-- > 0) continue;
  write({ start: c.name });
  const t0 = performance.now();
  let report: FuzzReport;
  try {
    await c.run();
    report = { name: c.name, outcome: 'ok', ms: performance.now() - t0 };
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; constructor?: { name?: string } };
    report = {
      name: c.name,
      outcome: 'threw',
      ms: performance.now() - t0,
      typed: error instanceof GgtalkerError,
      errorName: typeof e?.name === 'string' ? e.name : String(e?.constructor?.name),
      code: typeof e?.code === 'string' ? e.code : undefined,
      message: typeof e?.message === 'string' ? e.message.slice(0, 400) : String(error).slice(0, 400),
    };
  }
  // The kernel's peak RSS of this process so far (KiB): catches a spike between two samples.
  write({ end: { ...report, maxRssKiB: process.resourceUsage().maxRSS } });
}
write({ done: true });
