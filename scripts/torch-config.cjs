#!/usr/bin/env node
// Finds LibTorch (and CUDA, when LibTorch has it) for binding.gyp and prints one list of
// build settings, space-separated.
//   node scripts/torch-config.cjs include|libs|ldflags|defines|sources|root|describe
//   node scripts/torch-config.cjs cuda            1 when nvcc and a CUDA LibTorch are both found
//   node scripts/torch-config.cjs cuda-sources|nvcc|cuda-include|cuda-libs|cuda-arch
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
    // libtorch-cuda-dev installs to the same place, with libtorch_cuda.so beside libtorch.so.
    how: fs.existsSync(`/usr/lib/${arch}/libtorch_cuda.so`) ? "Debian's libtorch-cuda-dev" : "Debian's libtorch-dev",
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

function sourceList() {
  return JSON.parse(fs.readFileSync(path.join(repo, 'native', 'sources.json'), 'utf8'));
}

// The folder holding gloo/algorithm.h: LibTorch's own include folders, then the system's.
function glooInclude(torch) {
  return [...torch.include, '/usr/include', '/usr/local/include'].find((d) => fs.existsSync(path.join(d, 'gloo', 'algorithm.h'))) || null;
}

// nvcc from $CUDA_HOME, PATH or /usr/local/cuda; null when absent.
function findNvcc() {
  const candidates = [];
  if (process.env.CUDA_HOME) candidates.push(path.join(process.env.CUDA_HOME, 'bin', 'nvcc'));
  for (const dir of (process.env.PATH || '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'nvcc'));
  candidates.push('/usr/local/cuda/bin/nvcc');
  return candidates.find((c) => fs.existsSync(c)) || null;
}

// Where the CUDA toolkit keeps libcudart_static.a: <home>/lib64 (NVIDIA's installers), or the
// multiarch folder when nvcc is /usr/bin/nvcc (Debian's nvidia-cuda-toolkit).
function cudaLibdir(home) {
  const arch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  const dirs = [path.join(home, 'lib64'), path.join(home, 'lib'), ...(arch ? [path.join(home, 'lib', arch)] : [])];
  return dirs.find((d) => fs.existsSync(path.join(d, 'libcudart_static.a'))) || dirs[0];
}

// CUDA is built in only when LibTorch itself has CUDA (libtorch_cuda) and nvcc exists;
// GGT_CUDA=0 turns it off.
function cudaBuild(torch) {
  if (process.env.GGT_CUDA === '0' || !torch) return null;
  const nvcc = findNvcc();
  if (!nvcc || !fs.existsSync(path.join(torch.libdir, 'libtorch_cuda.so'))) return null;
  const home = path.resolve(path.dirname(nvcc), '..');
  return { nvcc, include: path.join(home, 'include'), libdir: cudaLibdir(home) };
}

// nvcc's target flags from GGT_CUDA_ARCH: one architecture (sm_80, the default) or several,
// comma-separated (sm_80,sm_90): real code for each, and PTX for the newest so later GPUs
// can JIT-compile it.
function cudaArchFlags() {
  const given = process.env.GGT_CUDA_ARCH || 'sm_80';
  const archs = given.split(/[,;]/).map((a) => /^\s*(?:sm_)?(\d+[a-z]?)\s*$/.exec(a));
  if (!archs.length || archs.some((m) => !m)) {
    console.error(`ggtalker: expected GGT_CUDA_ARCH like sm_80 or sm_80,sm_90, received '${given}'`);
    process.exit(2);
  }
  const numbers = archs.map((m) => m[1]);
  const newest = numbers[numbers.length - 1];
  return [...numbers.map((n) => `-gencode=arch=compute_${n},code=sm_${n}`), `-gencode=arch=compute_${newest},code=compute_${newest}`];
}

const what = process.argv[2];
if (what === 'cuda-arch') {
  console.log(cudaArchFlags().join(' '));
  process.exit(0);
}
if (what === 'sources' || what === 'cuda-sources') {
  const list = sourceList();
  console.log((what === 'sources' ? [...list.core, ...list.addon] : list.cuda).join(' '));
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
const cuda = cudaBuild(torch);
const out = {
  cuda: [cuda ? '1' : '0'],
  nvcc: [cuda ? cuda.nvcc : 'nvcc'],
  'cuda-include': cuda ? [cuda.include] : [],
  // Static cudart: the addon loads on machines without a GPU; CUDA calls then fail cleanly.
  // libtorch_cuda is needed although no symbol of it is: loading it registers LibTorch's CUDA
  // kernels (as TorchConfig.cmake does, --no-as-needed; without it CUDA tensors cannot be made).
  'cuda-libs': cuda
    ? [`-L${cuda.libdir}`, '-Wl,--push-state,--no-as-needed', '-ltorch_cuda', '-Wl,--pop-state', '-lc10_cuda', '-lcudart_static', '-ldl', '-lrt', '-lpthread']
    : [],
  include: torch.include,
  libs: [`-L${torch.libdir}`, '-ltorch', '-ltorch_cpu', '-lc10'],
  ldflags: [`-Wl,-rpath,${torch.libdir}`],
  // c10d's Gloo backend (data-parallel training) needs Gloo's headers, which some LibTorch
  // installs lack (Debian's libtorch-dev: apt-get install libgloo-dev); without them the addon
  // builds without distributed training and says so when asked for it.
  defines: [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(torch)}`, ...(glooInclude(torch) ? ['GGT_DISTRIBUTED', 'USE_C10D_GLOO'] : [])],
  root: [torch.root],
  describe: [`${torch.how} at ${torch.root}; CUDA kernels: ${cuda ? `yes (${cuda.nvcc})` : 'no'}`],
}[what];
if (!out) {
  console.error('usage: torch-config.cjs include|libs|ldflags|defines|sources|root|describe|cuda|cuda-sources|nvcc|cuda-include|cuda-libs|cuda-arch');
  process.exit(2);
}
console.log(out.join(' '));
