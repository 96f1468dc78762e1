// The install step end to end, in a temporary package that holds the real scripts and a real
// prebuild (the addon this checkout loads) with a manifest written by the real prebuild step,
// and a fake node-gyp (npm_config_node_gyp) that records how it was called instead of
// compiling: a match uses the prebuild; GGTALKER_BUILD_FROM_SOURCE=1, `npm rebuild`, a
// LibTorch mismatch and a prebuild that does not load build in parallel; a failed build or a
// missing LibTorch says what to install and fails. And the npm contract it relies on, checked
// with the real npm: `npm rebuild <pkg>` runs its install script with npm_command=rebuild and
// npm_config_node_gyp pointing at npm's own node-gyp.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { native } from '../lib/native.js';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'ggt-install-'));
const pkg = join(dir, 'pkg');
const prebuildFolder = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
const prebuild = join(prebuildFolder, 'node.napi.glibc.node');
const manifestFile = join(prebuildFolder, 'ggtalker.json');
const fakeGyp = join(dir, 'fake-node-gyp.cjs');
const gypLog = join(dir, 'gyp-calls.jsonl');

/** The environment without anything npm or the user set that steers the install step. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(npm_|GGTALKER_|JOBS$|LIBTORCH$|Torch_DIR$)/.test(key)) delete env[key];
  return env;
}

function install(extra: Record<string, string> = {}) {
  rmSync(gypLog, { force: true });
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install-native.mjs')], {
    cwd: pkg,
    env: { ...cleanEnv(), npm_config_node_gyp: fakeGyp, FAKE_GYP_LOG: gypLog, ...extra },
    encoding: 'utf8',
  });
  const calls = existsSync(gypLog)
    ? readFileSync(gypLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; cwd: string })
    : [];
  return { status: r.status, stderr: r.stderr, calls };
}

beforeAll(() => {
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  mkdirSync(join(pkg, 'node_modules'), { recursive: true });
  mkdirSync(prebuildFolder, { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  for (const f of ['install-native.mjs', 'prebuild-torch.mjs', 'prebuild-manifest.mjs', 'torch-config.cjs']) copyFileSync(join(repo, 'scripts', f), join(pkg, 'scripts', f));
  symlinkSync(join(repo, 'node_modules', 'node-gyp-build'), join(pkg, 'node_modules', 'node-gyp-build'));
  // The binary this checkout loads, as the package's prebuild (its rpath finds the same LibTorch).
  copyFileSync((require('node-gyp-build') as { resolve(d: string): string }).resolve(repo), prebuild);
  writeFileSync(
    fakeGyp,
    "require('fs').appendFileSync(process.env.FAKE_GYP_LOG, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }) + '\\n');\n" +
      'process.exit(Number(process.env.FAKE_GYP_EXIT || 0));\n',
  );
  // The real prebuild step writes the manifest (and checks it against the binary).
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'prebuild-manifest.mjs'), pkg], { env: cleanEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prebuild-manifest failed: ${r.stderr}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the install step (scripts/install-native.mjs)', { timeout: 120000 }, () => {
  it('the prebuild step writes a manifest naming the LibTorch the binary was compiled against', () => {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    // The binary's compiled-in TORCH_VERSION, read through the addon: a source apart from the
    // header search the manifest step uses.
    expect(manifest.torch.version).toBe(native().backends().torchVersion);
    expect(manifest.torch.cuda).toBe(native().backends().cuda);
    expect(manifest.binary).toBe('node.napi.glibc.node');
    expect(manifest.package).toBe(`ggtalker@${JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version}`);
  });

  it('uses a prebuild made for the installed LibTorch: no compile', () => {
    const r = install();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toMatch(new RegExp(`the prebuild matches the installed LibTorch ${native().backends().torchVersion.replace(/\./g, '\\.')}.*using it`));
  });

  it('GGTALKER_BUILD_FROM_SOURCE=1 builds even though the prebuild matches, with npm\'s node-gyp, JOBS jobs, in the package', () => {
    const r = install({ GGTALKER_BUILD_FROM_SOURCE: '1', JOBS: '3' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([{ args: ['rebuild', '-j', '3'], cwd: pkg }]);
    expect(r.stderr).toMatch(/GGTALKER_BUILD_FROM_SOURCE=1 asks for a build from source/);
    expect(r.stderr).toMatch(/building from source against LibTorch .* with -j 3/);
  });

  it('without JOBS, the build runs one job per core at most (and at least one)', () => {
    const r = install({ GGTALKER_BUILD_FROM_SOURCE: '1' });
    expect(r.calls).toHaveLength(1);
    const jobs = Number(r.calls[0]!.args[2]);
    expect(Number.isInteger(jobs) && jobs >= 1 && jobs <= cpus().length).toBe(true);
  });

  it('`npm rebuild` (npm_command=rebuild) builds even though the prebuild matches', () => {
    const r = install({ npm_command: 'rebuild' });
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.args.slice(0, 2)).toEqual(['rebuild', '-j']);
    expect(r.stderr).toMatch(/`npm rebuild` asks for a build from source/);
  });

  it('builds when the manifest names another LibTorch than the installed one, saying both in one line', () => {
    const original = readFileSync(manifestFile, 'utf8');
    try {
      const manifest = JSON.parse(original);
      // A version no LibTorch has: it must differ from the installed one (1.13 or 2.6 alike).
      writeFileSync(manifestFile, JSON.stringify({ ...manifest, torch: { ...manifest.torch, version: '9.9.9', source: '$LIBTORCH', root: '/opt/libtorch' } }));
      const r = install();
      expect(r.calls).toHaveLength(1);
      const [reason] = r.stderr.split('\n');
      expect(reason).toMatch(/^ggtalker: the prebuild was built for LibTorch 9\.9\.9 \(\$LIBTORCH at \/opt\/libtorch.*but the LibTorch installed here is \d+\.\d+\.\d+ /);
    } finally {
      writeFileSync(manifestFile, original);
    }
  });

  it('a failed build says what to install and fails with its exit code', () => {
    const r = install({ GGTALKER_BUILD_FROM_SOURCE: '1', FAKE_GYP_EXIT: '3' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the build from source failed \(exit 3\)\. It needs LibTorch \(Debian\/Ubuntu: .*libtorch-dev.*and a C\+\+17 compiler.*g\+\+/);
  });

  it('with no LibTorch to build against, says what to install and fails without starting node-gyp', () => {
    const r = install({ GGTALKER_BUILD_FROM_SOURCE: '1', LIBTORCH: join(dir, 'no-libtorch-here') });
    expect(r.status).toBe(1);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toMatch(/no LibTorch was found to build against\. Install LibTorch .*npm rebuild ggtalker/);
  });

  it('builds when the prebuild does not load in a child process, quoting why', () => {
    const saved = join(dir, 'saved.node');
    copyFileSync(prebuild, saved);
    try {
      writeFileSync(prebuild, 'not an ELF file');
      const r = install();
      expect(r.calls).toHaveLength(1);
      expect(r.stderr).toMatch(/the prebuild prebuilds\/.*node\.napi\.glibc\.node does not load \(.*(invalid ELF header|too short)/);
    } finally {
      copyFileSync(saved, prebuild);
    }
  });
});

describe("npm's side of the contract (the real npm)", { timeout: 120000 }, () => {
  it('`npm rebuild <pkg>` runs the install script with npm_command=rebuild and npm_config_node_gyp set to npm\'s node-gyp', () => {
    const app = join(dir, 'app');
    const stub = join(app, 'node_modules', 'ggtalker');
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { ggtalker: '0.1.0' } }));
    const record = join(dir, 'npm-env.json');
    writeFileSync(
      join(stub, 'record.cjs'),
      `require('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ command: process.env.npm_command, gyp: process.env.npm_config_node_gyp }));\n`,
    );
    writeFileSync(join(stub, 'package.json'), JSON.stringify({ name: 'ggtalker', version: '0.1.0', scripts: { install: 'node record.cjs' } }));
    const r = spawnSync('npm', ['rebuild', 'ggtalker', '--offline', '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: app, env: cleanEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { command: string; gyp: string };
    expect(seen.command).toBe('rebuild');
    expect(seen.gyp).toMatch(/node-gyp/);
    expect(existsSync(seen.gyp)).toBe(true);
  });
});
