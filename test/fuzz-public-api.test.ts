// Every export of the package called carelessly (test/fuzz/public-api.cases.ts): no hang, no
// memory bomb, no crash, and every error a GgtalkerError subclass naming what was wrong.
import { describe, expect, it } from 'vitest';

import { fuzzFailures, runEveryFuzzCase } from './helpers/fuzz.js';

describe('public API under careless calls', () => {
  it('answers every call with a result or a GgtalkerError, within time and memory', async () => {
    const reports = await runEveryFuzzCase('test/fuzz/public-api.cases.ts', { perCaseMs: 10_000, maxRssMiB: 3000 });
    // The cases cover the whole export list: a run that stopped early would pass vacuously.
    expect(reports.length).toBeGreaterThan(1500);
    expect(fuzzFailures(reports)).toEqual([]);
    // Most careless calls are refused; the refusals are ValidationErrors (the caller's mistake)
    // or FileSystemErrors/FormatErrors for the path-like arguments, never NativeErrors.
    const names = new Set(reports.filter((r) => r.outcome === 'threw').map((r) => r.errorName));
    expect([...names].sort()).toEqual(expect.arrayContaining(['ValidationError']));
  }, 900_000);
});
