#!/usr/bin/env node
// Finds LibTorch for binding.gyp and prints one list of build settings, space-separated.
//   node scripts/torch-config.cjs include|libs|ldflags|defines|sources|root|describe
// Search order: $LIBTORCH (an unpacked libtorch folder), $Torch_DIR (…/share/cmake/Torch),
// Debian's libtorch-dev, then the PyTorch of `python3` (torch.utils.cmake_prefix_path).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const repo = path.resolve(__dirname, '..');

function fromRoot(root, how) {
  const include = [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  const libdir = path.join(root, 'lib');
  if (!fs.existsSync(path.join(include[0], 'ATen', 'ATen.h'))) return null;
  return { how, root, include, libdir, cmake: path.join(root, 'share', 'cmake', 'Torch') };
}

function debian() {
  const arch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  const cmake = `/usr/lib/${arch}/cmake/Torch`;
  if (!arch || !fs.existsSync(path.join(cmake, 'TorchConfig.cmake'))) return null;
  return {
    how: "Debian's libtorch-dev",
    root: '/usr',
    include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libdir: `/usr/lib/${arch}`,
    cmake,
  };
}

function python() {
  for (const exe of ['python3', '/usr/bin/python3']) {
    try {
      const prefix = execFileSync(exe, ['-c', 'import torch.utils; print(torch.utils.cmake_prefix_path)'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60000,
      })
        .toString()
        .trim();
      const found = fromRoot(path.resolve(prefix, '..'), `PyTorch of ${exe}`);
      if (found) return found;
    } catch {
      // no torch for this interpreter: try the next one
    }
  }
  return null;
}

function findTorch() {
  const env = process.env;
  if (env.LIBTORCH) {
    const found = fromRoot(path.resolve(env.LIBTORCH), '$LIBTORCH');
    if (!found) throw new Error(`LIBTORCH=${env.LIBTORCH} does not contain include/ATen/ATen.h`);
    return found;
  }
  if (env.Torch_DIR) {
    const found = fromRoot(path.resolve(env.Torch_DIR, '..', '..', '..'), '$Torch_DIR');
    if (!found) throw new Error(`Torch_DIR=${env.Torch_DIR} is not <libtorch>/share/cmake/Torch`);
    return found;
  }
  return debian() || python();
}

// The C++ ABI LibTorch was built with, read from its CMake config (default: the new ABI).
function cxx11Abi(torch) {
  try {
    const cfg = fs.readFileSync(path.join(torch.cmake, 'TorchConfig.cmake'), 'utf8');
    const m = cfg.match(/_GLIBCXX_USE_CXX11_ABI=(\d)/);
    if (m) return m[1];
  } catch {
    // fall through
  }
  return '1';
}

function sources() {
  const list = JSON.parse(fs.readFileSync(path.join(repo, 'native', 'sources.json'), 'utf8'));
  return [...list.core, ...list.addon];
}

const what = process.argv[2];
if (what === 'sources') {
  console.log(sources().join(' '));
  process.exit(0);
}
const torch = findTorch();
if (!torch) {
  console.error(
    'ggtalker: LibTorch was not found. Install it (Debian/Ubuntu: sudo apt-get install libtorch-dev ' +
      'libopenblas0-openmp), or point LIBTORCH at an unpacked libtorch folder, or Torch_DIR at ' +
      '<libtorch>/share/cmake/Torch, or install PyTorch for python3.',
  );
  process.exit(1);
}
const out = {
  include: torch.include,
  libs: [`-L${torch.libdir}`, '-ltorch', '-ltorch_cpu', '-lc10'],
  ldflags: [`-Wl,-rpath,${torch.libdir}`],
  defines: [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(torch)}`],
  root: [torch.root],
  describe: [`${torch.how} at ${torch.root}`],
}[what];
if (!out) {
  console.error('usage: torch-config.cjs include|libs|ldflags|defines|sources|root|describe');
  process.exit(2);
}
console.log(out.join(' '));
