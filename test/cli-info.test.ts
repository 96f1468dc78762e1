// `ggtalker info` against sources it does not read itself: node-gyp-build's resolution for
// the binary, the dynamic linker (ldd) for the LibTorch and CUDA libraries the binary links,
// /proc/cpuinfo against the kernels the native code picked by cpuid, a child process with
// GGT_CPU_SIMD for the cap, nvidia-smi for the GPUs where a CUDA build sees any.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { main } from '../lib/cli/main.js';
import { cpuSimdFromCpuinfo, type NativeInfo } from '../lib/native-info.js';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..');

async function runInfo(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    expect(await main(['info', ...args])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

/** Libraries the dynamic linker resolves for a binary: name -> real path. */
function ldd(path: string): Map<string, string> {
  const out = execFileSync('ldd', [path], { encoding: 'utf8' });
  const libs = new Map<string, string>();
  for (const m of out.matchAll(/^\s*(\S+) => (\/\S+)/gm)) libs.set(m[1]!, realpathSync(m[2]!));
  return libs;
}

afterEach(() => vi.restoreAllMocks());

describe('ggtalker info --json', () => {
  it('names the binary node-gyp-build resolves, and whether it is a prebuild or a local build', async () => {
    const info = JSON.parse(await runInfo(['--json'])) as NativeInfo;
    const resolved = (require('node-gyp-build') as { resolve(d: string): string }).resolve(repo);
    expect(info.binary.path).toBe(resolved);
    expect(info.binary.kind).toBe(resolved.startsWith(join(repo, 'prebuilds')) ? 'prebuild' : 'local build');
    if (info.binary.kind === 'prebuild') {
      expect(info.builtFor.manifest).toEqual(JSON.parse(readFileSync(join(repo, 'prebuilds', `${process.platform}-${process.arch}`, 'ggtalker.json'), 'utf8')));
    } else {
      expect(info.builtFor.manifest).toBeNull();
    }
  });

  it.runIf(process.platform === 'linux')('reports the libtorch_cpu.so the dynamic linker resolves for the binary, and its version', async () => {
    const info = JSON.parse(await runInfo(['--json'])) as NativeInfo;
    const linked = ldd(info.binary.path);
    const torchCpu = [...linked.entries()].find(([name]) => name.startsWith('libtorch_cpu.so'));
    expect(torchCpu).toBeDefined();
    expect(realpathSync(info.runtimeTorch!.path)).toBe(torchCpu![1]);
    // Built and run against the same LibTorch in this checkout.
    expect(info.runtimeTorch!.version).toBe(info.builtFor.torchVersion);
    expect(info.builtFor.torchVersion).toMatch(/^\d+\.\d+\.\d+$/);
    // CUDA built in exactly when the binary links LibTorch's CUDA library.
    expect(info.cuda.builtIn).toBe([...linked.keys()].some((name) => name.startsWith('libtorch_cuda')));
    if (!info.cuda.builtIn) expect(info.cuda.devices).toEqual([]);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('CPU: what /proc/cpuinfo says the CPU supports, and the kernels the native cpuid check picked agree', async () => {
    const info = JSON.parse(await runInfo(['--json'])) as NativeInfo;
    const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))![1]!.trim().split(/\s+/));
    const avx2 = flags.has('avx2') && flags.has('fma');
    const expected = [...(avx2 && flags.has('avx512f') ? ['avx512'] : []), ...(avx2 ? ['avx2'] : [])];
    expect(info.cpu.supports).toEqual(expected);
    if (!process.env.GGT_CPU_SIMD) {
      expect(info.cpu.cap).toBeNull();
      expect(info.cpu.kernels).toBe(expected[0] ?? 'scalar');
    }
    if (!process.env.OMP_NUM_THREADS) expect(info.cpu.threads).toBe(cpus().length);
  });

  it('GGT_CPU_SIMD caps the kernels, and info says so (a fresh process: the choice is made once)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'lib', 'cli', 'main.ts'), 'info', '--json'], {
      cwd: repo,
      env: { ...process.env, GGT_CPU_SIMD: 'scalar' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as NativeInfo;
    expect(info.cpu.kernels).toBe('scalar');
    expect(info.cpu.cap).toBe('scalar');
  });

  it.runIf(spawnSync('nvidia-smi', ['-L']).status === 0)('lists the GPUs nvidia-smi lists, when the binary has CUDA', async () => {
    const info = JSON.parse(await runInfo(['--json'])) as NativeInfo;
    if (!info.cuda.builtIn) return;
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n');
    expect(info.cuda.devices).toEqual(names.map((n) => n.trim()));
  });
});

describe('ggtalker info (for people)', () => {
  it('prints one line per subject, with the binary path and kind and the LibTorch versions', async () => {
    const info = JSON.parse(await runInfo(['--json'])) as NativeInfo;
    const lines = (await runInfo([])).trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['binary', 'built for', 'LibTorch', 'CPU', 'CUDA', 'training']);
    expect(lines[0]).toBe(`binary:    ${info.binary.path} (${info.binary.kind})`);
    expect(lines[1]).toContain(`LibTorch ${info.builtFor.torchVersion}`);
    expect(lines[3]).toContain(`${info.cpu.kernels} kernels`);
    expect(lines[4]).toMatch(info.cuda.builtIn ? /^CUDA: +built in/ : /^CUDA: +not built in/);
    // The Gloo backend is there exactly when the build found Gloo's headers (scripts/torch-config.cjs).
    const gloo = execFileSync(process.execPath, [join(repo, 'scripts', 'torch-config.cjs'), 'defines'], { encoding: 'utf8' }).includes('GGT_DISTRIBUTED');
    expect(info.distributed.gloo).toBe(gloo);
    expect(lines[5]).toMatch(gloo ? /^training: +data-parallel/ : /^training: +one process only/);
  });

  it('reads the SIMD levels from cpuinfo flags as the native checks do (avx2 needs fma; avx512 needs avx2)', () => {
    expect(cpuSimdFromCpuinfo('flags\t\t: fpu sse avx avx2 fma avx512f\n')).toEqual(['avx512', 'avx2']);
    expect(cpuSimdFromCpuinfo('flags\t\t: fpu sse avx avx2\n')).toEqual([]);
    expect(cpuSimdFromCpuinfo('flags\t\t: avx512f avx2\n')).toEqual([]);
    expect(cpuSimdFromCpuinfo('flags\t\t: avx2 fma\n')).toEqual(['avx2']);
    expect(cpuSimdFromCpuinfo('processor: 0\n')).toEqual([]);
  });
});
