// The fixtures of test/fixtures/flame (written by make_fixtures.py with numpy and scipy) and
// comparisons against their expected.json, written independently of the readers under test.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The fixture folder. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/flame/', import.meta.url));

/** A fixture file's path. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** An array as expected.json lists it: shape and C-order values (bools as 0/1). */
export interface ExpectedArray {
  shape: number[];
  data: number[];
}

/** expected.json: the arrays numpy wrote into the fixtures. */
export interface Expected {
  model: Record<string, number[]> & {
    vertexCount: number;
    faceCount: number;
    shapeCount: number;
    exprCount: number;
    parents: number[];
  };
  arrays: Record<string, ExpectedArray & { indices?: number[]; indptr?: number[] }>;
  npy: Record<string, ExpectedArray & { descr: string; fortran: boolean }>;
  safetensors: Record<string, ExpectedArray>;
}

/** The parsed expected.json. */
export const expected: Expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'));

/**
 * Expects `actual` to hold exactly `values`: as float32 (each value rounded once, as numpy's
 * astype(float32) does) for Float32Array, as bigints for 64-bit integer arrays, else as-is.
 */
export function expectValues(actual: ArrayLike<number | bigint>, values: readonly number[], label = 'array'): void {
  expect(actual.length, `${label} length`).toBe(values.length);
  const want = (v: number): number | bigint =>
    actual instanceof Float32Array ? Math.fround(v) : actual instanceof BigInt64Array || actual instanceof BigUint64Array ? BigInt(v) : v;
  for (let i = 0; i < values.length; i++) {
    if (actual[i] !== want(values[i]!)) throw new Error(`${label}[${i}]: expected ${want(values[i]!)}, received ${actual[i]}`);
  }
}

/** Whether Debian's /usr/bin/python3 can import numpy (for checks that numpy reads our files). */
export const hasNumpy: boolean = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** Runs a Python snippet with `args` as sys.argv[1:] and returns its stdout parsed as JSON. */
export function runPython(code: string, ...args: string[]): unknown {
  const result = spawnSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}
