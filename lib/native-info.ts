/**
 * What `ggtalker info` reports about the loaded native binary: which file, from where, built
 * against which LibTorch, which LibTorch the process actually mapped, CPU kernels against what
 * the CPU supports, CUDA and its devices. Each fact comes from its own source (node-gyp-build's
 * resolution, the binary's compiled-in TORCH_VERSION, the prebuild's manifest,
 * /proc/self/maps, /proc/cpuinfo), so a disagreement between them shows.
 *
 * @module
 */

import { readFileSync } from 'node:fs';

import { readManifest, torchFromMaps, type BinaryRef, type PrebuildManifest, type RuntimeTorch } from '../scripts/prebuild-torch.mjs';
import { loadedBinary, native, type Backends } from './native.js';

/** SIMD levels the rasterizer's CPU kernels come in, widest first (scalar always runs). */
export type CpuSimd = 'avx512' | 'avx2';

/** The report of `ggtalker info` (its `--json` output). */
export interface NativeInfo {
  /** The binary loaded: its path, and whether it is a shipped prebuild or a local build. */
  binary: BinaryRef;
  /** What the binary was compiled against (its TORCH_VERSION), and the prebuild's manifest (null for a local build or a prebuild without one). */
  builtFor: {
    /** TORCH_VERSION the binary was compiled against. */
    torchVersion: string;
    /** The prebuild's manifest; null for a local build or a prebuild without one. */
    manifest: PrebuildManifest | null;
  };
  /** The libtorch_cpu.so this process mapped (Linux; null elsewhere) and its version. */
  runtimeTorch: RuntimeTorch | null;
  /** The CPU side: kernels, what the CPU supports, threads. */
  cpu: {
    /** The rasterizer's CPU kernels in use. */
    kernels: Backends['cpuKernels'];
    /** SIMD levels the CPU supports for those kernels, from /proc/cpuinfo (null where it cannot be read). */
    supports: CpuSimd[] | null;
    /** GGT_CPU_SIMD, which caps the kernels (null when unset). */
    cap: string | null;
    /** Threads of LibTorch's CPU pool. */
    threads: number;
  };
  /** The CUDA side: built in or not, and the visible devices. */
  cuda: {
    /** Whether the binary has the CUDA kernels. */
    builtIn: boolean;
    /** Visible CUDA devices, by index. */
    devices: string[];
  };
  /** Data-parallel training (docs/distributed-training.md): whether the binary has c10d's Gloo backend. */
  distributed: {
    /** Built with the Gloo headers (libgloo-dev): the priors can train over several processes. */
    gloo: boolean;
  };
}

/**
 * SIMD levels a CPU supports for the rasterizer's kernels, from the text of /proc/cpuinfo:
 * AVX2 needs avx2 and fma, AVX-512 needs those and avx512f (the checks of native/render/cpu_simd.h).
 */
export function cpuSimdFromCpuinfo(cpuinfo: string): CpuSimd[] {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  const flags = new Set((line?.[1] ?? '').trim().split(/\s+/));
  const avx2 = flags.has('avx2') && flags.has('fma');
  return [...(avx2 && flags.has('avx512f') ? (['avx512'] as const) : []), ...(avx2 ? (['avx2'] as const) : [])];
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Gathers {@link NativeInfo} (loads the addon). */
export function nativeInfo(): NativeInfo {
  const b = native().backends();
  const binary = loadedBinary();
  const maps = readOrNull('/proc/self/maps');
  const cpuinfo = readOrNull('/proc/cpuinfo');
  return {
    binary,
    builtFor: { torchVersion: b.torchVersion, manifest: binary.kind === 'prebuild' ? readManifest() : null },
    runtimeTorch: maps === null ? null : torchFromMaps(maps),
    cpu: { kernels: b.cpuKernels, supports: cpuinfo === null ? null : cpuSimdFromCpuinfo(cpuinfo), cap: process.env.GGT_CPU_SIMD ?? null, threads: b.threads },
    cuda: { builtIn: b.cuda, devices: b.cudaDeviceNames },
    distributed: { gloo: native().distributedAvailable() },
  };
}

/** {@link NativeInfo} as lines a person reads. */
export function formatNativeInfo(info: NativeInfo): string[] {
  const m = info.builtFor.manifest;
  const manifest = m
    ? `; its manifest says LibTorch ${m.torch.version} (${[m.torch.source, m.torch.cxx11Abi === false ? 'pre-C++11 ABI' : 'C++11 ABI', m.torch.cuda ? 'CUDA' : 'CPU only'].filter(Boolean).join(', ')})`
    : info.binary.kind === 'prebuild'
      ? '; the prebuild has no manifest'
      : '';
  const runtime = info.runtimeTorch
    ? `${info.runtimeTorch.version ?? 'unknown version'} at ${info.runtimeTorch.path}`
    : 'unknown (no /proc/self/maps)';
  const mismatch =
    info.runtimeTorch?.version && info.runtimeTorch.version !== info.builtFor.torchVersion ? ' (differs from the build: rebuild with `npm rebuild ggtalker`)' : '';
  const supports = info.cpu.supports === null ? 'unknown' : info.cpu.supports.length > 0 ? info.cpu.supports.join(', ') : 'neither AVX2 nor AVX-512';
  const devices = info.cuda.devices;
  const cuda = !info.cuda.builtIn
    ? 'not built in (CPU-only binary; see docs/gpu-build.md)'
    : devices.length === 0
      ? 'built in; no GPU visible'
      : `built in; ${devices.length} GPU${devices.length === 1 ? '' : 's'}: ${devices.map((name, i) => `cuda:${i} ${name}`).join(', ')}`;
  return [
    `binary:    ${info.binary.path} (${info.binary.kind})`,
    `built for: LibTorch ${info.builtFor.torchVersion}${manifest}`,
    `LibTorch:  ${runtime}${mismatch}`,
    `CPU:       ${info.cpu.kernels} kernels${info.cpu.cap ? ` (capped by GGT_CPU_SIMD=${info.cpu.cap})` : ''}; the CPU supports ${supports}; ${info.cpu.threads} threads`,
    `CUDA:      ${cuda}`,
    `training:  ${info.distributed.gloo ? 'data-parallel over processes and machines (c10d Gloo)' : 'one process only: built without the Gloo headers (apt-get install libgloo-dev, then npm rebuild ggtalker)'}`,
  ];
}
