// Every function and class the package exports, called with careless arguments (nothing,
// undefined, null, wrong types, NaN, empty objects, missing files, an aborted signal): whatever
// happens must be a result or a GgtalkerError, never a TypeError from deep inside.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as api from '../../lib/index.js';
import type { FuzzCase } from '../helpers/fuzz.js';

/** Exports that are not callables taking user input (constants, the error classes). */
const NOT_INPUT = new Set(['GgtalkerError', 'ValidationError', 'NativeError', 'FormatError', 'AbortError', 'AddonLoadError', 'FileSystemError', 'EspeakError', 'DistributedError']);

/** Classes whose constructor is private in TypeScript (made by static factories only). */
const PRIVATE_CONSTRUCTORS = new Set(['Tensor', 'Wav2Vec2Encoder', 'IdentityGaussianGenerator', 'Lpips', 'VhapDatasetWriter', 'Flame', 'AudioExpressionModel']);

/**
 * Exports whose call with no options at all is legitimate long work (e.g. a paper-size model):
 * called with the careless arguments, not with nothing.
 */
const LONG_DEFAULT_CALLS = new Set(['AudioExpressionModel.create']);

/** Whether `args` is a valid "all defaults" call: nothing, undefined or empty options. */
function isDefaultCall(args: unknown[]): boolean {
  return args.every((a) => a === undefined || (typeof a === 'object' && a !== null && Object.keys(a).length === 0 && !ArrayBuffer.isView(a)));
}

function argumentLists(): unknown[][] {
  const aborted = AbortSignal.abort();
  const dir = mkdtempSync(join(tmpdir(), 'ggt-fuzz-api-'));
  // Calls given a relative path write there, not into the checkout.
  process.chdir(dir);
  return [
    [],
    [undefined],
    [null],
    [{}],
    [42],
    [Number.NaN],
    ['no-such-file.bin'],
    [join(dir, 'missing', 'x.bin')],
    [dir],
    ['/dev/zero'],
    [[1, 2, 3]],
    [new Float32Array(7)],
    [{ shape: [2, 2], data: new Float32Array(3) }],
    [{ signal: aborted }],
    [undefined, { signal: aborted }],
    [{}, {}],
    [null, null, null],
    ['x', 'y'],
    [Symbol('s')],
    [() => 1],
  ];
}

function describeArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === 'symbol' ? 'symbol' : typeof a === 'function' ? 'fn' : a instanceof Float32Array ? 'f32' : JSON.stringify(a) ?? String(a))).join(', ');
}

export function* cases(): Iterable<FuzzCase> {
  const lists = argumentLists();
  for (const [name, value] of Object.entries(api)) {
    if (NOT_INPUT.has(name) || typeof value !== 'function') continue;
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    for (const args of lists) {
      if (isClass) {
        if (!PRIVATE_CONSTRUCTORS.has(name)) yield { name: `new ${name}(${describeArgs(args)})`, run: () => new (value as new (...a: unknown[]) => unknown)(...args) };
        for (const key of Object.getOwnPropertyNames(value)) {
          const member = (value as unknown as Record<string, unknown>)[key];
          if (typeof member !== 'function' || ['length', 'name', 'prototype'].includes(key)) continue;
          if (LONG_DEFAULT_CALLS.has(`${name}.${key}`) && isDefaultCall(args)) continue;
          yield { name: `${name}.${key}(${describeArgs(args)})`, run: () => (member as (...a: unknown[]) => unknown).apply(value, args) };
        }
      } else {
        yield { name: `${name}(${describeArgs(args)})`, run: () => (value as (...a: unknown[]) => unknown)(...args) };
      }
    }
  }
}
