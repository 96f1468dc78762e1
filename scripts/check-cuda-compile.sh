#!/usr/bin/env bash
# Compiles the CUDA rasterizer backend (native/render/rasterize.cu) to an object file, so CUDA
# build breaks show up on machines without a GPU. Exits 0 with a notice when nvcc is absent.
# GGT_CUDA_ARCH picks the target architecture (default sm_90), e.g. GGT_CUDA_ARCH=sm_80.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

nvcc_bin="$(command -v nvcc || true)"
if [[ -z "$nvcc_bin" && -x /usr/local/cuda/bin/nvcc ]]; then
  nvcc_bin=/usr/local/cuda/bin/nvcc
fi
if [[ -z "$nvcc_bin" ]]; then
  echo "nvcc not found: skipping CUDA compile check"
  exit 0
fi

arch="${GGT_CUDA_ARCH:-sm_90}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cmd=("$nvcc_bin" -std=c++17 -O3 --expt-relaxed-constexpr -arch="$arch" -I"$root/native/render"
     -c "$root/native/render/rasterize.cu" -o "$tmp/rasterize.o")
echo "${cmd[*]}"
"${cmd[@]}"
echo "CUDA compile check passed ($arch)"
