// The loader records which binary it loaded (node-gyp-build's resolution) and, when a
// prebuild fails to load and its manifest names another LibTorch than the installed one,
// says exactly that and how to build for the installed one.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { AddonLoadError } from '../lib/index.js';
import { binaryKind, explainLoadFailure, loadedBinary } from '../lib/native.js';
import type { PrebuildManifest, TorchBuild } from '../scripts/prebuild-torch.mjs';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'ggt-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const debian113: TorchBuild = { version: '1.13.0', cxx11Abi: true, cuda: false, source: "Debian's libtorch-dev", root: '/usr' };
const pip26: TorchBuild = { version: '2.6.0', cxx11Abi: true, cuda: false, source: 'PyTorch of python3', root: '/usr/lib/python3/dist-packages/torch' };
const manifest: PrebuildManifest = {
  package: 'ggtalker@0.1.0',
  binary: 'node.napi.glibc.node',
  platform: 'linux',
  arch: 'x64',
  libc: 'glibc',
  napi: 8,
  torch: { ...debian113, version: '1.13.0' },
  builtAt: '2026-12-03T00:00:00.000Z',
};
const prebuild = { path: '/app/node_modules/ggtalker/prebuilds/linux-x64/node.napi.glibc.node', kind: 'prebuild' as const };

/** A real loader error: what require() throws for a file that is not a shared object. */
function realLoadError(): unknown {
  const file = join(dir, 'broken.node');
  writeFileSync(file, 'not an ELF file');
  try {
    require(file);
  } catch (e) {
    return e;
  }
  throw new Error('a broken .node file loaded');
}

describe('which binary was loaded', () => {
  it("is node-gyp-build's resolution, a local build unless it lies in prebuilds/", () => {
    const resolved = (require('node-gyp-build') as { resolve(d: string): string }).resolve(repo);
    expect(loadedBinary()).toEqual({ path: resolved, kind: resolved.startsWith(join(repo, 'prebuilds')) ? 'prebuild' : 'local build' });
    expect(binaryKind(join(repo, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'), repo).kind).toBe('prebuild');
    expect(binaryKind(join(repo, 'build', 'Release', 'ggtalker.node'), repo).kind).toBe('local build');
    // A folder merely named like it elsewhere is not the package's prebuilds/.
    expect(binaryKind(join(repo, 'build', 'prebuilds', 'x.node'), repo).kind).toBe('local build');
  });
});

describe('a prebuild built for another LibTorch', () => {
  it('the AddonLoadError names both LibTorch versions and the fixes (npm rebuild, GGTALKER_BUILD_FROM_SOURCE=1)', () => {
    const cause = realLoadError();
    const err = explainLoadFailure(cause, { binary: prebuild, manifest, installed: pip26 });
    expect(err).toBeInstanceOf(AddonLoadError);
    expect(err.cause).toBe(cause);
    expect(err.message).toMatch(
      /^ggtalker's prebuilt addon \(\/app\/.*node\.napi\.glibc\.node\) was built for LibTorch 1\.13\.0 \(Debian's libtorch-dev at \/usr, C\+\+11 ABI, CPU only\), but the LibTorch installed here is 2\.6\.0 \(PyTorch of python3 at \/usr\/lib\/python3\/dist-packages\/torch/,
    );
    expect(err.fixes[0]).toMatch(/npm rebuild ggtalker/);
    expect(err.fixes[1]).toMatch(/GGTALKER_BUILD_FROM_SOURCE=1 npm install ggtalker/);
    expect(err.fixes[2]).toMatch(/install LibTorch 1\.13\.0/);
  });

  it('an ABI difference counts; a CUDA-only difference, an agreeing LibTorch or a local build fall back to the symptom', () => {
    const undefinedSymbol = new Error('undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs');
    expect(explainLoadFailure(undefinedSymbol, { binary: prebuild, manifest, installed: { ...debian113, cxx11Abi: false } }).message).toMatch(/C\+\+11 ABI.*installed here is 1\.13\.0 \(.*pre-C\+\+11 ABI/);
    for (const context of [
      { binary: prebuild, manifest, installed: { ...debian113, cuda: true } },
      { binary: prebuild, manifest, installed: debian113 },
      { binary: prebuild, manifest: null, installed: pip26 },
      { binary: prebuild, manifest, installed: null },
      { binary: { path: '/app/build/Release/ggtalker.node', kind: 'local build' as const }, manifest, installed: pip26 },
    ]) {
      const err = explainLoadFailure(undefinedSymbol, context);
      expect(err.message).toMatch(/does not match the LibTorch found at run time/);
    }
  });
});
