// Addon load failures become AddonLoadErrors that name the cause and the fixes that fit it.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { AddonLoadError, backends } from '../lib/index.js';
import { checkAddonSurface, explainLoadFailure, native } from '../lib/native.js';

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
