#!/usr/bin/env node
// The prebuild step's second half (after prebuildify): writes prebuilds/<platform>-<arch>/
// ggtalker.json saying which LibTorch the prebuild was built for, so the install step and the
// loader can tell a user whose LibTorch differs. The facts come from the same search the build
// used (scripts/torch-config.cjs, same environment), and are checked against the binary itself:
// it is loaded in a child process and must report the same LibTorch version it was compiled
// against, and CUDA kernels exactly when the manifest says so.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { MANIFEST_NAME, installedTorch, packageRoot, prebuildDir, prebuiltFile, probeBinary } from './prebuild-torch.mjs';

const root = process.argv[2] ?? packageRoot;
const fail = (message) => {
  console.error(`prebuild-manifest: ${message}`);
  process.exit(1);
};

const file = prebuiltFile(root);
if (!file) fail(`no prebuild in ${prebuildDir(root)} (run prebuildify first)`);
const torch = installedTorch({ root });
if (!torch) fail('scripts/torch-config.cjs finds no LibTorch, so the prebuild cannot have been built here');
const probe = probeBinary(file);
if (!probe.ok) fail(`the prebuild ${file} does not load: ${probe.error}`);
if (probe.torchVersion !== torch.version) {
  fail(`the prebuild reports LibTorch ${probe.torchVersion}, but torch-config.cjs finds ${torch.version}: was it built in another environment?`);
}
if (probe.cuda !== torch.cuda) fail(`the prebuild has CUDA kernels: ${probe.cuda}, but torch-config.cjs says ${torch.cuda}`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = {
  package: `${pkg.name}@${pkg.version}`,
  binary: basename(file),
  platform: process.platform,
  arch: process.arch,
  libc: /\.(glibc|musl)\.node$/.exec(file)?.[1] ?? null,
  napi: Number(pkg.binary?.napi_versions?.[0] ?? 8),
  torch,
  builtAt: new Date().toISOString(),
};
writeFileSync(join(prebuildDir(root), MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`prebuild-manifest: ${basename(file)} built for LibTorch ${torch.version} (${torch.source}, ${torch.cuda ? 'CUDA' : 'CPU only'})`);
