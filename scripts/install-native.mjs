#!/usr/bin/env node
// npm's install step for ggtalker: use a binary that loads (a local build or a prebuild),
// otherwise compile the addon from source, in parallel.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function loads() {
  try {
    const path = require('node-gyp-build').resolve(root);
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!loads()) {
  const jobs = process.env.JOBS || String(cpus().length);
  // npm passes its own node-gyp (consumers do not install ours, a devDependency).
  const gyp = process.env.npm_config_node_gyp || require.resolve('node-gyp/bin/node-gyp.js');
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '-j', jobs], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
