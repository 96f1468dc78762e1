// Which LibTorch a ggtalker binary was built for, which LibTorch is installed here, and what
// the install step should do about a difference. One reading shared by the install step
// (install-native.mjs), the prebuild step (prebuild-manifest.mjs), the loader and
// `ggtalker info` (lib/native*.ts), so they never disagree. Plain JavaScript: the install step
// runs it before any TypeScript is compiled. Types: prebuild-torch.d.mts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file sits in <root>/scripts). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The manifest's file name, next to the prebuild in prebuilds/<platform>-<arch>/. */
export const MANIFEST_NAME = 'ggtalker.json';

/** Bytes of memory one parallel compile job may need (LibTorch headers are heavy). */
export const BYTES_PER_JOB = 1.5 * 1024 ** 3;

/** prebuilds/<platform>-<arch> of a package root, where node-gyp-build looks for prebuilds. */
export function prebuildDir(root = packageRoot, platform = process.platform, arch = process.arch) {
  return join(root, 'prebuilds', `${platform}-${arch}`);
}

/**
 * The manifest written next to the prebuild, or null when there is none or it cannot be read
 * (an unreadable manifest says nothing, like a missing one: the caller then falls back on
 * what the binary itself reports).
 */
export function readManifest(root = packageRoot) {
  try {
    const manifest = JSON.parse(readFileSync(join(prebuildDir(root), MANIFEST_NAME), 'utf8'));
    return manifest && typeof manifest === 'object' && manifest.torch && typeof manifest.torch.version === 'string' ? manifest : null;
  } catch {
    return null;
  }
}

/** "1.13.0" from the text of LibTorch's torch/version.h, or null. */
export function parseTorchVersionHeader(text) {
  const part = (name) => new RegExp(`#define\\s+TORCH_VERSION_${name}\\s+(\\d+)`).exec(text)?.[1];
  const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return major === undefined || minor === undefined || patch === undefined ? null : `${major}.${minor}.${patch}`;
}

/** The version in the first torch/version.h found under these include folders, or null. */
export function torchVersionIn(includeDirs) {
  for (const dir of includeDirs) {
    const file = join(dir, 'torch', 'version.h');
    if (existsSync(file)) return parseTorchVersionHeader(readFileSync(file, 'utf8'));
  }
  return null;
}

/**
 * The LibTorch a build from source would use here, as scripts/torch-config.cjs finds it (same
 * search order, same environment: LIBTORCH, Torch_DIR, Debian's libtorch-dev, python3's
 * PyTorch), or null when it finds none.
 */
export function installedTorch({ root = packageRoot, env = process.env } = {}) {
  const config = (what) =>
    execFileSync(process.execPath, [join(root, 'scripts', 'torch-config.cjs'), what], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 180000,
    })
      .toString()
      .trim();
  let describe;
  try {
    describe = config('describe');
  } catch {
    return null;
  }
  const include = config('include').split(' ').filter(Boolean);
  const abi = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(config('defines'))?.[1];
  return {
    version: torchVersionIn(include),
    cxx11Abi: abi === undefined ? null : abi === '1',
    cuda: config('cuda') === '1',
    // describe: "<how> at <root>; CUDA kernels: ..."
    source: describe.replace(/ at .*$/, ''),
    root: config('root'),
  };
}

/** A LibTorch in words: "1.13.0 (Debian's libtorch-dev at /usr, C++11 ABI, CPU only)". */
export function describeTorch(torch) {
  const details = [
    torch.source ? `${torch.source}${torch.root ? ` at ${torch.root}` : ''}` : null,
    torch.cxx11Abi === undefined || torch.cxx11Abi === null ? null : torch.cxx11Abi ? 'C++11 ABI' : 'pre-C++11 ABI',
    torch.cuda === undefined || torch.cuda === null ? null : torch.cuda ? 'with CUDA kernels' : 'CPU only',
  ].filter(Boolean);
  return `${torch.version ?? 'unknown version'}${details.length ? ` (${details.join(', ')})` : ''}`;
}

/**
 * How the LibTorch a binary was built for differs from another one, in words (empty when they
 * agree). Only what both sides know is compared. CUDA counts one way only: a CPU-only binary
 * differs from a LibTorch that can build the CUDA kernels (a build gains the GPU), while a
 * CUDA binary on a CPU-only LibTorch fails to load and is caught there.
 */
export function torchDifferences(builtFor, installed) {
  const out = [];
  if (builtFor.version && installed.version && builtFor.version !== installed.version) {
    out.push(`LibTorch ${builtFor.version} vs ${installed.version}`);
  }
  const abi = (v) => (v ? 'C++11 ABI' : 'pre-C++11 ABI');
  if (typeof builtFor.cxx11Abi === 'boolean' && typeof installed.cxx11Abi === 'boolean' && builtFor.cxx11Abi !== installed.cxx11Abi) {
    out.push(`${abi(builtFor.cxx11Abi)} vs ${abi(installed.cxx11Abi)}`);
  }
  if (builtFor.cuda === false && installed.cuda === true) out.push('CPU-only binary vs a LibTorch and nvcc that can build the CUDA kernels');
  return out;
}

/** Whether an environment flag is set to a true value ("1", "true", "yes"). */
export function envFlag(value) {
  return typeof value === 'string' && /^(1|true|yes|on)$/i.test(value.trim());
}

/**
 * What the install step does: use the binary node-gyp-build found, or build from source, and
 * why (one sentence a user can act on). Pure: everything it looks at is passed in.
 *
 * @param input.binary   what node-gyp-build resolved ({path, kind}), or null when nothing fits
 * @param input.manifest the prebuild's manifest (readManifest), or null
 * @param input.installed the LibTorch a build would use (installedTorch), or null
 * @param input.env      the environment (GGTALKER_BUILD_FROM_SOURCE, npm_command)
 * @param input.load     the child-process load check: {ok: true, torchVersion} or {ok: false, error}
 */
export function decideInstall({ binary, manifest, installed, env, load }) {
  const build = (reason) => ({ action: 'build', reason });
  if (envFlag(env.GGTALKER_BUILD_FROM_SOURCE)) return build(`GGTALKER_BUILD_FROM_SOURCE=${env.GGTALKER_BUILD_FROM_SOURCE} asks for a build from source`);
  if (env.npm_command === 'rebuild') return build('`npm rebuild` asks for a build from source');
  if (!binary) return build(`no prebuild fits ${process.platform}-${process.arch} and there is no local build`);
  if (!load || !load.ok) {
    const why = String(load?.error ?? 'unknown error').split('\n').find((l) => l.trim()) ?? 'unknown error';
    return build(`the ${binary.kind} ${binary.path} does not load (${why.trim()})`);
  }
  if (binary.kind === 'local build') return { action: 'use-local-build', reason: `the local build ${binary.path} loads` };
  // What the prebuild was built for: its manifest, else what the binary itself reports.
  const builtFor = manifest?.torch ?? (load.torchVersion ? { version: load.torchVersion } : null);
  if (!installed) {
    return { action: 'use-prebuild', reason: `the prebuild loads (LibTorch ${builtFor?.version ?? 'unknown'}); no LibTorch to build against was found` };
  }
  const differences = builtFor ? torchDifferences(builtFor, installed) : [];
  if (differences.length > 0) {
    return build(
      `the prebuild was built for LibTorch ${describeTorch(builtFor)}, but the LibTorch installed here is ${describeTorch(installed)} (${differences.join('; ')})`,
    );
  }
  return {
    action: 'use-prebuild',
    reason: builtFor
      ? `the prebuild matches the installed LibTorch ${describeTorch(installed)} and loads`
      : `the prebuild loads (it does not say which LibTorch it was built for)`,
  };
}

/**
 * Parallel compile jobs: JOBS when set, else one per core, capped by free memory at one job
 * per {@link BYTES_PER_JOB} (an out-of-memory compiler dies with a useless message), at least 1.
 */
export function buildJobs({ env, cores, freeBytes }) {
  if (env.JOBS && env.JOBS.trim()) return env.JOBS.trim();
  return String(Math.max(1, Math.min(cores, Math.floor(freeBytes / BYTES_PER_JOB))));
}

/**
 * The LibTorch loaded into a process, from the text of its /proc/self/maps: the path of
 * libtorch_cpu.so and its version (from the file name, as Debian's libtorch_cpu.so.1.13.0
 * carries it, else from torch/version.h of the LibTorch folder around it), or null.
 */
export function torchFromMaps(maps) {
  const path = maps
    .split('\n')
    .map((line) => line.trim().split(/\s+/).slice(5).join(' '))
    .find((p) => /\/libtorch_cpu\.so(\.[\d.]+)?$/.test(p));
  if (!path) return null;
  const fromName = /\/libtorch_cpu\.so\.(\d+\.\d+\.\d+)$/.exec(path)?.[1];
  if (fromName) return { path, version: fromName };
  const around = join(dirname(path), '..', 'include');
  return { path, version: torchVersionIn([around, join(around, 'torch', 'csrc', 'api', 'include')]) };
}

/** The prebuilt .node file in prebuilds/<platform>-<arch>/, or null (for the manifest step). */
export function prebuiltFile(root = packageRoot) {
  try {
    const found = readdirSync(prebuildDir(root)).filter((f) => f.endsWith('.node'));
    return found.length > 0 ? join(prebuildDir(root), found[0]) : null;
  } catch {
    return null;
  }
}

/**
 * Loads a binary in a child process (a crash or a failed load cannot take the caller with it)
 * and reports what it was compiled against and which libtorch_cpu.so the loader mapped:
 * {ok: true, torchVersion, cuda, runtime} or {ok: false, error}.
 */
export function probeBinary(path, env = process.env) {
  const code = `
    const addon = require(${JSON.stringify(path)});
    const b = typeof addon.backends === 'function' ? addon.backends() : {};
    let maps = []; // Linux only: elsewhere the runtime LibTorch stays unknown
    try { maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('libtorch_cpu')); } catch {}
    process.stdout.write(JSON.stringify({ torchVersion: b.torchVersion ?? null, cuda: b.cuda ?? null, maps: maps.join('\\n') }));`;
  try {
    const out = execFileSync(process.execPath, ['-e', code], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
    const r = JSON.parse(out.toString());
    return { ok: true, torchVersion: r.torchVersion, cuda: r.cuda, runtime: torchFromMaps(r.maps) };
  } catch (e) {
    const stderr = e && e.stderr ? e.stderr.toString() : '';
    const line = stderr.split('\n').find((l) => /Error|error:|cannot open|undefined symbol/.test(l)) ?? (e instanceof Error ? e.message : String(e));
    return { ok: false, error: line.trim() };
  }
}
