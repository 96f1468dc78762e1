// Error identity across module copies: an error made by one copy of lib/errors.ts must be
// `instanceof` the matching class of another copy (the package loaded twice: lib/ and dist/,
// or two installed versions), and still not of the wrong class nor of unrelated classes.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as errors from '../lib/errors.js';

type ErrorsModule = typeof errors;

let folder: string;
let copy: ErrorsModule;
let compiled: ErrorsModule;

beforeAll(async () => {
  // A real second copy: the same source under another path, so it is another module instance
  // with its own classes (not a cache hit of the first).
  folder = mkdtempSync(join(tmpdir(), 'ggt-errors-copy-'));
  copyFileSync(new URL('../lib/errors.ts', import.meta.url), join(folder, 'errors.ts'));
  copy = (await import(pathToFileURL(join(folder, 'errors.ts')).href)) as ErrorsModule;
  // And a compiled copy, as dist/ holds it (plain ES2022 JavaScript, loaded as such).
  const source = readFileSync(new URL('../lib/errors.ts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  writeFileSync(join(folder, 'errors.mjs'), outputText);
  compiled = (await import(pathToFileURL(join(folder, 'errors.mjs')).href)) as ErrorsModule;
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

function makeAll(m: ErrorsModule) {
  return {
    ValidationError: new m.ValidationError('v'),
    NativeError: new m.NativeError('n'),
    AbortError: new m.AbortError(),
    FormatError: new m.FormatError('f', { path: '/x' }),
    FileSystemError: new m.FileSystemError('fs', { path: '/x', systemCode: 'ENOENT' }),
    AddonLoadError: new m.AddonLoadError('a', { cause: undefined }),
  } as const;
}

const SUBCLASSES = ['ValidationError', 'NativeError', 'AbortError', 'FormatError', 'FileSystemError', 'AddonLoadError'] as const;

describe('error identity across module copies', () => {
  it('the copy is really another module (its classes are different objects)', () => {
    expect(copy.ValidationError).not.toBe(errors.ValidationError);
    expect(copy.GgtalkerError).not.toBe(errors.GgtalkerError);
    // Without the brand, the plain prototype check would fail across copies:
    expect(Function.prototype[Symbol.hasInstance].call(errors.ValidationError, new copy.ValidationError('x'))).toBe(false);
  });

  for (const [from, to, label] of [
    [() => copy, () => errors, 'copy -> main'],
    [() => errors, () => copy, 'main -> copy'],
    [() => compiled, () => errors, 'compiled (dist-like) -> main'],
    [() => errors, () => compiled, 'main -> compiled (dist-like)'],
  ] as const) {
    it(`${label}: each error is instanceof its own class and GgtalkerError, and of no other subclass`, () => {
      const made = makeAll(from());
      const target = to();
      for (const name of SUBCLASSES) {
        const e = made[name];
        expect(e instanceof target.GgtalkerError, `${name} instanceof GgtalkerError`).toBe(true);
        expect(e instanceof Error).toBe(true);
        for (const other of SUBCLASSES) {
          expect(e instanceof target[other], `${name} instanceof ${other}`).toBe(other === name);
        }
      }
    });
  }

  it('non-ggtalker errors and look-alikes are rejected', () => {
    for (const m of [errors, copy, compiled]) {
      expect(new Error('x') instanceof m.GgtalkerError).toBe(false);
      expect(new TypeError('x') instanceof m.ValidationError).toBe(false);
      // Same name and code, no brand: not ours.
      const fake = Object.assign(new Error('x'), { name: 'ValidationError', code: 'ERR_GGT_INVALID_ARGUMENT' });
      expect(fake instanceof m.ValidationError).toBe(false);
      expect(fake instanceof m.GgtalkerError).toBe(false);
      expect((null as unknown) instanceof m.GgtalkerError).toBe(false);
      expect((42 as unknown) instanceof m.GgtalkerError).toBe(false);
      expect({} instanceof m.GgtalkerError).toBe(false);
    }
  });

  it("a user's own subclass keeps ordinary instanceof semantics", () => {
    class MyError extends errors.ValidationError {}
    const mine = new MyError('m');
    expect(mine instanceof MyError).toBe(true);
    expect(mine instanceof errors.ValidationError).toBe(true);
    expect(mine instanceof copy.ValidationError).toBe(true);
    expect(mine instanceof copy.GgtalkerError).toBe(true);
    // A plain ValidationError is not a MyError, from either copy.
    expect(new errors.ValidationError('v') instanceof MyError).toBe(false);
    expect(new copy.ValidationError('v') instanceof MyError).toBe(false);
  });

  it('the brand is not enumerable (errors still print and serialise as before)', () => {
    const e = new errors.ValidationError('v');
    expect(Object.getOwnPropertyDescriptor(e, Symbol.for('ggtalker.error'))?.enumerable).toBe(false);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'ValidationError', code: 'ERR_GGT_INVALID_ARGUMENT' });
  });
});
