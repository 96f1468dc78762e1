// Addon load failures become AddonLoadErrors that name the cause and the fixes that fit it.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { AddonLoadError, backends, GgtalkerError, NativeError, Tensor, ValidationError } from '../lib/index.js';
import { checkAddonSurface, explainLoadFailure, guardAddon, native, type NativeAddon } from '../lib/native.js';

const require = createRequire(import.meta.url);

describe('addon loading', () => {
  it('explains a folder with no build for this platform (the real node-gyp-build error)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ggt-nobuild-'));
    let cause: unknown;
    try {
      (require('node-gyp-build') as (dir: string) => unknown)(empty);
    } catch (e) {
      cause = e;
    }
    const err = explainLoadFailure(cause);
    expect(err).toBeInstanceOf(AddonLoadError);
    expect(err.code).toBe('ERR_GGT_ADDON_LOAD');
    expect(err.message).toMatch(/not built for this platform/);
    expect(err.fixes.join('\n')).toMatch(/npm rebuild ggtalker/);
    expect(err.fixes.join('\n')).toMatch(/libtorch-dev/);
    expect(err.cause).toBe(cause);
  });

  it.each([
    ['libtorch_cpu.so: cannot open shared object file: No such file or directory', /needs LibTorch, but libtorch_cpu\.so/, /LD_LIBRARY_PATH/],
    ['libcudart.so.13: cannot open shared object file: No such file or directory', /built with CUDA, but libcudart\.so\.13/, /CUDA runtime/],
    ["The module was compiled against a different Node.js version using NODE_MODULE_VERSION 108", /another Node\.js version/, /rebuild/],
    ['undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs', /does not match the LibTorch/, /only one LibTorch/],
  ])('explains %s', (message, summary, fix) => {
    const err = explainLoadFailure(new Error(message));
    expect(err.message).toMatch(summary);
    expect(err.fixes.join('\n')).toMatch(fix);
  });

  it('rejects a stale binary that lacks functions this version calls, naming them', () => {
    const { flameForward: _, renderHead: __, ...stale } = native() as unknown as Record<string, unknown>;
    expect(() => checkAddonSurface(stale)).toThrow(AddonLoadError);
    expect(() => checkAddonSurface(stale)).toThrow(/older than this version of ggtalker \(it lacks flameForward, renderHead\)/);
    expect(checkAddonSurface(native())).toBe(native());
  });

  it('reports what the loaded binary has', () => {
    const b = backends();
    expect(b.cpu).toBe(true);
    expect(typeof b.cuda).toBe('boolean');
    expect(b.cudaDevices).toBeGreaterThanOrEqual(0);
    if (!b.cuda) expect(b.cudaDevices).toBe(0);
    expect(b.torchVersion).toMatch(/^\d+\.\d+/);
    expect(b.threads).toBeGreaterThanOrEqual(1);
  });
});

describe('the guarded addon: nothing untyped escapes a native call', () => {
  const camera = { view: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1]), fx: 10, fy: 10, cx: 4, cy: 4, width: 8, height: 8, near: 0.01, far: Infinity };
  const one = (n: number) => ({ data: new Float32Array(n).fill(0.5), shape: n === 1 ? [1] : [1, n] });
  const raw = { means: one(3), quats: { data: Float32Array.of(1, 0, 0, 0), shape: [1, 4] }, scales: one(3), opacities: one(1), colors: one(3), camera, background: [0, 0, 0] as [number, number, number], mode: 'classic' as const };

  it('a synchronous throw while a call is being made (before any Promise exists) is already typed', () => {
    // The real bindings: an argument the binding cannot convert throws a TypeError synchronously;
    // a failed native check (fx = Infinity) throws an ERR_GGT_NATIVE error synchronously.
    let thrown: unknown;
    try {
      void native().flameForward(42 as never);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).cause).toBeInstanceOf(TypeError);
    thrown = undefined;
    try {
      void native().rasterize({ ...raw, camera: { ...camera, fx: Infinity } });
    } catch (e) {
      thrown = e;
    }
    // Either thrown here or rejected later, it must be a NativeError.
    if (thrown !== undefined) expect(thrown).toBeInstanceOf(NativeError);
  });

  it('rejections become NativeErrors; class constructors and static methods stay usable and guarded', async () => {
    const bad = native().rasterize({ ...raw, means: { data: Float32Array.of(Number.NaN, 0, 0), shape: [1, 3] } });
    await expect(bad).rejects.toBeInstanceOf(NativeError);
    const flag = new (native().AbortFlag)();
    expect(flag.aborted).toBe(false);
    flag.abort();
    expect(flag.aborted).toBe(true);
    const t = native().Tensor.fromArray(Float32Array.of(1, 2), [2]);
    expect(t).toBeInstanceOf(native().Tensor as unknown as new () => object);
    expect(Tensor.wrap(t).shape).toEqual([2]);
    expect(() => native().Tensor.fromArray(Float32Array.of(1, 2), [3])).toThrow(GgtalkerError);
  });

  it('integer options reaching the bindings directly: NaN, Infinity, 1e300 and fractions are refused, not cast (undefined behaviour)', () => {
    const vt = { data: Float32Array.of(0, 0, 1, 0, 0, 1), shape: [3, 2] };
    const ft = { data: Int32Array.of(0, 1, 2), shape: [1, 3] };
    for (const height of [Number.NaN, Infinity, 1e300, 2.5]) {
      expect(() => native().uvLayout({ vt, ft, height, width: 4 }), String(height)).toThrow(/expected uvLayout\.height to be an integer/);
      expect(() => native().uvLayout({ vt, ft, height, width: 4 })).toThrow(ValidationError);
    }
  });

  it('guardAddon converts each kind of failure of a fake addon, and passes results through', async () => {
    const nativeError = Object.assign(new Error('expected x'), { code: 'ERR_GGT_NATIVE' });
    class Handle {
      static make(): never {
        throw new TypeError('expected a number');
      }
      constructor(ok: boolean) {
        if (!ok) throw nativeError;
      }
    }
    const fake = {
      syncType: () => {
        throw new TypeError('bad argument');
      },
      syncNative: () => {
        throw nativeError;
      },
      syncRange: () => {
        throw new RangeError('Invalid typed array length');
      },
      rejects: () => Promise.reject(nativeError),
      resolves: () => Promise.resolve(7),
      value: () => 3,
      Tensor: Handle,
    } as unknown as NativeAddon;
    const g = guardAddon(fake) as unknown as Record<string, (...a: unknown[]) => unknown> & { Tensor: typeof Handle };
    expect(() => g.syncType!()).toThrow(ValidationError);
    expect(() => g.syncRange!()).toThrow(ValidationError);
    expect(() => g.syncNative!()).toThrow(NativeError);
    await expect(g.rejects!()).rejects.toBeInstanceOf(NativeError);
    await expect(g.resolves!()).resolves.toBe(7);
    expect(g.value!()).toBe(3);
    expect(new g.Tensor(true)).toBeInstanceOf(Handle);
    expect(new g.Tensor(true)).toBeInstanceOf(g.Tensor);
    expect(() => new g.Tensor(false)).toThrow(NativeError);
    expect(() => g.Tensor.make()).toThrow(ValidationError);
  });
});
