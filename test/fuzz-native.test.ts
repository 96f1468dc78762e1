// Fuzz of the native boundary (issue 13): hostile values through every native entry point of
// rendering, rigging, FLAME, the avatar networks and the metrics, each case in a child process
// with a time limit and an RSS watch. Every case must end as its name says (test/fuzz/
// native.cases.ts): a correct result or the right GgtalkerError subclass; never a hang, a
// memory bomb, a crash or an untyped error.
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { fuzzFailures, runFuzzCases, type FuzzReport } from './helpers/fuzz.js';
import { expectedOf } from './fuzz/native.cases.js';

const CASES = fileURLToPath(new URL('./fuzz/native.cases.ts', import.meta.url));

/** Where a report disagrees with the outcome its case's name states. */
function mismatches(reports: FuzzReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    const expected = expectedOf(r.name);
    const got = r.outcome === 'ok' ? 'ok' : r.outcome === 'threw' ? r.errorName : r.outcome;
    const fine = expected === 'typed' ? r.outcome === 'ok' || (r.outcome === 'threw' && r.typed === true) : got === expected;
    if (!fine) out.push(`${r.name}: got ${got}${r.message ? ` (${r.message.slice(0, 160)})` : ''}`);
  }
  return out;
}

describe('fuzz: the native boundary', () => {
  it(
    'every hostile input ends in a correct result or the right typed error, within 10 s and 2.5 GiB each',
    async () => {
      const reports = await runFuzzCases(CASES, { perCaseMs: 10_000, maxRssMiB: 2560 });
      expect(fuzzFailures(reports)).toEqual([]);
      expect(mismatches(reports)).toEqual([]);
      expect(reports.length).toBeGreaterThan(500);
    },
    180_000,
  );

  it(
    'a 10,000-frame FLAME sequence stays under 1 GiB of RSS (posed in chunks: 593 MiB; in one call: 1288 MiB)',
    async () => {
      const reports = await runFuzzCases(CASES, { perCaseMs: 60_000, maxRssMiB: 1024, exportName: 'longSequences' });
      expect(fuzzFailures(reports)).toEqual([]);
      expect(mismatches(reports)).toEqual([]);
      expect(reports.map((r) => r.outcome)).toEqual(['ok']);
    },
    120_000,
  );
});
