// The byte-level parsers under hostile and careless input (issue 13): seeded mutations of valid
// files of every format, and the named hostile constructions (quadratic pickles, a PLY list that
// never advances, decompression bombs in .npz and PNG, FLAME arrays declaring 1e9 rows, FIFOs
// and /dev/zero), each run in a child process (test/helpers/fuzz.ts) with a 10 s limit per case
// and an RSS limit of 1 GiB. Each case must end in a result or a GgtalkerError; the named ones
// in the outcome HOSTILE_EXPECTED gives (a FormatError naming the field, or a correct result).
// The hostile inputs are sized so that the superlinear or unbounded behaviour they target would
// pass the time or memory limit (e.g. a 1 MB LONG4 took hours, 200 KB 171 s), while the parsers
// answer each in well under a second: no timing is asserted here.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { parseObj, readObj } from '../lib/io/obj.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from '../lib/io/torch-checkpoint.js';
import { fuzzFailures, runFuzzCases, type FuzzReport } from './helpers/fuzz.js';
import { HOSTILE_EXPECTED, LAST_CASE } from './fuzz/parsers.cases.js';

const CASES = fileURLToPath(new URL('./fuzz/parsers.cases.ts', import.meta.url));
const LIMITS = { perCaseMs: 10_000, maxRssMiB: 1024 };

/** Cases per seed file, by the file's name. */
function perSeed(reports: FuzzReport[]): Map<string, FuzzReport[]> {
  const out = new Map<string, FuzzReport[]>();
  for (const report of reports) {
    const seed = report.name.split('/')[0]!;
    out.set(seed, [...(out.get(seed) ?? []), report]);
  }
  return out;
}

describe('byte-level parsers under mutated input', () => {
  it('every mutation of every seed file ends in a result or a typed error, within 10 s and 1 GiB', async () => {
    const reports = await runFuzzCases(CASES, LIMITS);
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.at(-1)?.name).toBe(LAST_CASE);
    const seeds = perSeed(reports.slice(0, -1));
    // The seeds themselves load; every seed got its mutations (truncations, flips, smashed fields).
    for (const [seed, list] of seeds) {
      expect(list[0], seed).toMatchObject({ name: `${seed}/seed`, outcome: 'ok' });
      expect(list.length, seed).toBeGreaterThanOrEqual(seed === 'flame_fake.pkl' ? 25 : 100);
    }
    expect(seeds.size).toBeGreaterThanOrEqual(20);
    // Not every mutation is refused: flips in array data still load (the parsers do not refuse blindly).
    expect(reports.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(100);
    // Every refusal is a FormatError (none is a ValidationError of an argument the test did not give).
    const names = new Set(reports.filter((r) => r.outcome === 'threw').map((r) => r.errorName));
    expect([...names]).toEqual(['FormatError']);
  }, 180_000);
});

describe('byte-level parsers under the hostile constructions of issue 13', () => {
  it('each ends as HOSTILE_EXPECTED says, within 10 s and 1 GiB', async () => {
    const reports = await runFuzzCases(CASES, { ...LIMITS, exportName: 'hostile' });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.at(-1)?.name).toBe(LAST_CASE);
    const byName = new Map(reports.map((r) => [r.name, r]));
    for (const [name, expected] of Object.entries(HOSTILE_EXPECTED)) {
      const report = byName.get(name);
      expect(report, name).toBeDefined();
      if (expected === 'ok') {
        expect({ name, outcome: report!.outcome, message: report!.message }).toEqual({ name, outcome: 'ok', message: undefined });
      } else {
        expect({ name, errorName: report!.errorName }).toEqual({ name, errorName: 'FormatError' });
        expect(report!.message, name).toMatch(expected);
      }
    }
    expect(byName.size).toBe(Object.keys(HOSTILE_EXPECTED).length + 1);
  }, 180_000);
});

// The parsers without a test file of their own, called carelessly (the others' careless calls
// are tested beside them: ply, npy, pickle, png, safetensors, flame-load).
describe('careless calls to parseObj, readObj, parseTorchCheckpoint, readTorchCheckpoint', () => {
  it('give ValidationErrors naming the function; a missing file a FileSystemError', async () => {
    expect(() => parseObj(undefined as never)).toThrow(ValidationError);
    expect(() => parseObj('head.obj' as never)).toThrow(/^parseObj: expected bytes to be a Uint8Array or Buffer, received .*use readObj\(path\)/);
    expect(() => parseObj(new Uint8Array(0), 42 as never)).toThrow(/^parseObj: expected path/);
    await expect(readObj({} as never)).rejects.toThrow(/^readObj: expected path/);
    expect(() => parseTorchCheckpoint(null as never)).toThrow(/^parseTorchCheckpoint: expected bytes .*received null/);
    await expect(readTorchCheckpoint(undefined as never)).rejects.toThrow(/^readTorchCheckpoint: expected path/);
    await expect(readTorchCheckpoint('/no/such/folder/model.bin')).rejects.toMatchObject({ name: 'FileSystemError', systemCode: 'ENOENT' });
    // Valid (empty) calls are untouched.
    expect(parseObj(new Uint8Array(0), 'empty.obj').faces.length).toBe(0);
  });
});
