// The install step's decision (use the binary found, or build from source, and why), the
// parallelism of the build, and the readings it rests on: torch/version.h and /proc/self/maps.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import {
  BYTES_PER_JOB,
  buildJobs,
  decideInstall,
  parseTorchVersionHeader,
  torchFromMaps,
  type PrebuildManifest,
  type ProbeResult,
  type TorchBuild,
} from '../scripts/prebuild-torch.mjs';

const debian113: TorchBuild = { version: '1.13.0', cxx11Abi: true, cuda: false, source: "Debian's libtorch-dev", root: '/usr' };
const manifest = (torch: TorchBuild): PrebuildManifest => ({
  package: 'ggtalker@0.1.0',
  binary: 'node.napi.glibc.node',
  platform: 'linux',
  arch: 'x64',
  libc: 'glibc',
  napi: 8,
  torch: { ...torch, version: torch.version! },
  builtAt: '2026-12-03T00:00:00.000Z',
});
const prebuild = { path: 'prebuilds/linux-x64/node.napi.glibc.node', kind: 'prebuild' as const };
const loads: ProbeResult = { ok: true, torchVersion: '1.13.0', cuda: false, runtime: null };
const matching = { binary: prebuild, manifest: manifest(debian113), installed: debian113, env: {}, load: loads };

describe('decideInstall', () => {
  it('uses a prebuild made for the installed LibTorch that loads', () => {
    const d = decideInstall(matching);
    expect(d.action).toBe('use-prebuild');
    expect(d.reason).toMatch(/matches the installed LibTorch 1\.13\.0/);
  });

  it('builds when the installed LibTorch differs from the one the manifest names, saying both', () => {
    const pip26 = { version: '2.6.0', cxx11Abi: true, cuda: false, source: '$LIBTORCH', root: '/opt/libtorch' };
    const d = decideInstall({ ...matching, installed: pip26 });
    expect(d.action).toBe('build');
    expect(d.reason).toMatch(/built for LibTorch 1\.13\.0 \(Debian's libtorch-dev at \/usr.*but the LibTorch installed here is 2\.6\.0 \(\$LIBTORCH at \/opt\/libtorch/);
  });

  it('builds for a C++ ABI difference, and for a LibTorch that can build the CUDA kernels a CPU prebuild lacks', () => {
    expect(decideInstall({ ...matching, installed: { ...debian113, cxx11Abi: false } })).toMatchObject({ action: 'build', reason: expect.stringMatching(/C\+\+11 ABI vs pre-C\+\+11 ABI/) });
    expect(decideInstall({ ...matching, installed: { ...debian113, cuda: true } })).toMatchObject({ action: 'build', reason: expect.stringMatching(/CUDA kernels/) });
    // ...but a CUDA prebuild next to a CPU-only LibTorch is judged by whether it loads.
    expect(decideInstall({ ...matching, manifest: manifest({ ...debian113, cuda: true }) }).action).toBe('use-prebuild');
  });

  it('without a manifest, compares what the binary reports it was compiled against', () => {
    expect(decideInstall({ ...matching, manifest: null }).action).toBe('use-prebuild');
    const d = decideInstall({ ...matching, manifest: null, load: { ...loads, torchVersion: '2.5.1' } });
    expect(d).toMatchObject({ action: 'build', reason: expect.stringMatching(/built for LibTorch 2\.5\.1.*installed here is 1\.13\.0/) });
  });

  it('GGTALKER_BUILD_FROM_SOURCE=1 and `npm rebuild` force a build even though the prebuild matches and loads', () => {
    for (const value of ['1', 'true', 'YES']) {
      expect(decideInstall({ ...matching, env: { GGTALKER_BUILD_FROM_SOURCE: value } })).toMatchObject({ action: 'build', reason: expect.stringMatching(/GGTALKER_BUILD_FROM_SOURCE/) });
    }
    for (const value of ['0', '', 'false']) expect(decideInstall({ ...matching, env: { GGTALKER_BUILD_FROM_SOURCE: value } }).action).toBe('use-prebuild');
    expect(decideInstall({ ...matching, env: { npm_command: 'rebuild' } })).toMatchObject({ action: 'build', reason: expect.stringMatching(/npm rebuild/) });
    expect(decideInstall({ ...matching, env: { npm_command: 'install' } }).action).toBe('use-prebuild');
    expect(decideInstall({ ...matching, env: { npm_command: 'ci' } }).action).toBe('use-prebuild');
  });

  it('builds when no binary fits or the binary does not load, quoting the loader', () => {
    expect(decideInstall({ ...matching, binary: null, manifest: null, load: null })).toMatchObject({ action: 'build', reason: expect.stringMatching(/no prebuild fits/) });
    const failed = decideInstall({ ...matching, load: { ok: false, error: 'Error: libtorch_cpu.so.2.6: cannot open shared object file' } });
    expect(failed.action).toBe('build');
    expect(failed.reason).toMatch(/prebuild prebuilds\/linux-x64\/node\.napi\.glibc\.node does not load \(Error: libtorch_cpu\.so\.2\.6: cannot open/);
  });

  it('keeps a local build that loads, and a prebuild that loads when there is no LibTorch to build against', () => {
    expect(decideInstall({ ...matching, binary: { path: 'build/Release/ggtalker.node', kind: 'local build' }, manifest: null }).action).toBe('use-local-build');
    expect(decideInstall({ ...matching, installed: null })).toMatchObject({ action: 'use-prebuild', reason: expect.stringMatching(/no LibTorch to build against/) });
  });
});

describe('buildJobs', () => {
  it('honours JOBS, else one job per core capped by free memory at one per 1.5 GB, at least one', () => {
    expect(BYTES_PER_JOB).toBe(1.5 * 1024 ** 3);
    expect(buildJobs({ env: { JOBS: '7' }, cores: 2, freeBytes: 0 })).toBe('7');
    expect(buildJobs({ env: { JOBS: 'max' }, cores: 2, freeBytes: 0 })).toBe('max');
    expect(buildJobs({ env: {}, cores: 16, freeBytes: 3.2 * 1024 ** 3 })).toBe('2');
    expect(buildJobs({ env: {}, cores: 2, freeBytes: 64 * 1024 ** 3 })).toBe('2');
    expect(buildJobs({ env: { JOBS: ' ' }, cores: 8, freeBytes: 0.4 * 1024 ** 3 })).toBe('1');
  });
});

describe('LibTorch readings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ggt-torchread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = (major: number, minor: number, patch: number) =>
    `#pragma once\n#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n#define TORCH_VERSION \\\n  "${major}.${minor}.${patch}"\n`;

  it('reads major.minor.patch from torch/version.h', () => {
    expect(parseTorchVersionHeader(header(2, 6, 0))).toBe('2.6.0');
    expect(parseTorchVersionHeader('#define TORCH_VERSION_MAJOR 2\n')).toBeNull();
  });

  it("finds libtorch_cpu.so in /proc/self/maps: the version from Debian's file name, else from the LibTorch folder's version.h", () => {
    const line = (path: string) => `7f1c2a000000-7f1c2b000000 r-xp 00000000 08:01 1234   ${path}`;
    const debian = [line('/usr/lib/x86_64-linux-gnu/libc10.so.1.13.0'), line('/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0'), ''].join('\n');
    expect(torchFromMaps(debian)).toEqual({ path: '/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0', version: '1.13.0' });
    // A libtorch zip / pip layout: <root>/lib/libtorch_cpu.so, <root>/include/torch/csrc/api/include/torch/version.h
    mkdirSync(join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch'), { recursive: true });
    writeFileSync(join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), header(2, 6, 0));
    expect(torchFromMaps(line(join(dir, 'lib', 'libtorch_cpu.so')))).toEqual({ path: join(dir, 'lib', 'libtorch_cpu.so'), version: '2.6.0' });
    expect(torchFromMaps(line('/usr/lib/x86_64-linux-gnu/libc.so.6'))).toBeNull();
  });
});
