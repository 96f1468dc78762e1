// Types of prebuild-torch.mjs (plain JavaScript, so the install step runs before TypeScript).

/** A LibTorch: one a binary was built for, or one installed here. Unknown fields are null. */
export interface TorchBuild {
  /** major.minor.patch, from torch/version.h. */
  version: string | null;
  /** Whether it uses the C++11 ABI (_GLIBCXX_USE_CXX11_ABI=1). */
  cxx11Abi?: boolean | null;
  /** Built with the CUDA kernels (a manifest), or able to build them: a CUDA LibTorch and nvcc (installed). */
  cuda?: boolean | null;
  /** Where it came from, as scripts/torch-config.cjs names it: "Debian's libtorch-dev", "$LIBTORCH", "PyTorch of python3", ... */
  source?: string | null;
  /** Its root folder (include/ and lib/ below it; /usr for Debian). */
  root?: string | null;
}

/** prebuilds/<platform>-<arch>/ggtalker.json, written by the prebuild step. */
export interface PrebuildManifest {
  /** The package name and version the prebuild belongs to ("ggtalker@0.1.0"). */
  package: string;
  /** The binary's file name inside this folder. */
  binary: string;
  /** process.platform it was built on. */
  platform: string;
  /** process.arch it was built on. */
  arch: string;
  /** glibc or musl; null where not applicable. */
  libc: string | null;
  /** The Node-API version it targets. */
  napi: number;
  /** The LibTorch it was built against. */
  torch: TorchBuild & {
    /** major.minor.patch. */
    version: string;
  };
  /** ISO 8601 time of the build. */
  builtAt: string;
}

export interface BinaryRef {
  /** Absolute path of the .node file. */
  path: string;
  /** A bundled prebuild, or a build from source in build/Release. */
  kind: 'prebuild' | 'local build';
}

export type ProbeResult =
  | { ok: true; torchVersion: string | null; cuda: boolean | null; runtime: RuntimeTorch | null }
  | { ok: false; error: string };

export interface RuntimeTorch {
  /** The libtorch_cpu.so the dynamic loader mapped. */
  path: string;
  /** Its version, when it can be read; null otherwise. */
  version: string | null;
}

export interface InstallDecision {
  action: 'use-prebuild' | 'use-local-build' | 'build';
  reason: string;
}

export const packageRoot: string;
export const MANIFEST_NAME: string;
export const BYTES_PER_JOB: number;
export function prebuildDir(root?: string, platform?: string, arch?: string): string;
export function readManifest(root?: string): PrebuildManifest | null;
export function parseTorchVersionHeader(text: string): string | null;
export function torchVersionIn(includeDirs: string[]): string | null;
export function installedTorch(options?: { root?: string; env?: Record<string, string | undefined> }): TorchBuild | null;
export function describeTorch(torch: TorchBuild): string;
export function torchDifferences(builtFor: TorchBuild, installed: TorchBuild): string[];
export function envFlag(value: string | undefined): boolean;
export function decideInstall(input: {
  binary: BinaryRef | null;
  manifest: PrebuildManifest | null;
  installed: TorchBuild | null;
  env: Record<string, string | undefined>;
  load: ProbeResult | null;
}): InstallDecision;
export function buildJobs(input: { env: Record<string, string | undefined>; cores: number; freeBytes: number }): string;
export function torchFromMaps(maps: string): RuntimeTorch | null;
export function prebuiltFile(root?: string): string | null;
export function probeBinary(path: string, env?: Record<string, string | undefined>): ProbeResult;
