#!/usr/bin/env node
// npm's install step for ggtalker: use the binary node-gyp-build finds (a local build, or a
// prebuild made for the LibTorch installed here) when it loads; otherwise say in a line or
// two what was found and compile the addon from source, in parallel. Forced builds:
// GGTALKER_BUILD_FROM_SOURCE=1, and `npm rebuild ggtalker` (npm sets npm_command=rebuild).
// The decision itself is decideInstall() in prebuild-torch.mjs (unit-tested).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, freemem } from 'node:os';
import { relative, sep } from 'node:path';

import { buildJobs, decideInstall, installedTorch, packageRoot, probeBinary, readManifest } from './prebuild-torch.mjs';

const require = createRequire(import.meta.url);
const root = packageRoot;
const env = process.env;
const say = (line) => console.error(`ggtalker: ${line}`);

function resolveBinary() {
  try {
    const path = require('node-gyp-build').resolve(root);
    return { path, kind: relative(root, path).startsWith(`prebuilds${sep}`) ? 'prebuild' : 'local build' };
  } catch {
    return null;
  }
}

const binary = resolveBinary();
const manifest = binary?.kind === 'prebuild' ? readManifest(root) : null;
const installed = installedTorch({ root, env });
const load = binary ? probeBinary(binary.path, env) : null;
const decision = decideInstall({ binary: binary && { ...binary, path: relative(root, binary.path) }, manifest, installed, env, load });

if (decision.action !== 'build') {
  say(`${decision.reason}: using it`);
  process.exit(0);
}

const HOW_TO_GET_TORCH =
  'LibTorch (Debian/Ubuntu: `sudo apt-get install --no-install-recommends libtorch-dev libopenblas0-openmp`; ' +
  'or an unpacked libtorch zip with LIBTORCH=/path/to/libtorch; or `pip install torch` for python3) ' +
  'and a C++17 compiler with make and python3 (Debian/Ubuntu: `sudo apt-get install g++ make python3`)';

say(decision.reason);
if (!installed) {
  say(`no LibTorch was found to build against. Install ${HOW_TO_GET_TORCH}, then run \`npm rebuild ggtalker\`.`);
  process.exit(1);
}
const jobs = buildJobs({ env, cores: cpus().length, freeBytes: freemem() });
say(`building from source against LibTorch ${installed.version ?? '(unknown version)'} (${installed.source}) with -j ${jobs}`);
// npm passes its own node-gyp to lifecycle scripts; ours is only a devDependency.
let gyp = env.npm_config_node_gyp;
if (!gyp) {
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    say('node-gyp was not found: run this through npm (`npm rebuild ggtalker`), or install node-gyp');
    process.exit(1);
  }
}
const r = spawnSync(process.execPath, [gyp, 'rebuild', '-j', jobs], { cwd: root, stdio: 'inherit', env });
if (r.status !== 0) {
  say(`the build from source failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}). It needs ${HOW_TO_GET_TORCH}.`);
  process.exit(r.status || 1);
}
