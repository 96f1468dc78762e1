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

# The host code behind GGT_WITH_CUDA (streams, device counts, the CUDA dispatch) only builds
# against a CUDA LibTorch. Syntax-check it against the installed LibTorch's headers when they
# carry c10/cuda (Debian's CPU-only package lacks one generated header: stub it).
torch_inc="$(node "$root/scripts/torch-config.cjs" include 2>/dev/null || true)"
torch_root="${torch_inc%% *}"
if [[ -n "$torch_root" && -d "$torch_root/c10/cuda" ]]; then
  mkdir -p "$tmp/stub/c10/cuda/impl"
  [[ -f "$torch_root/c10/cuda/impl/cuda_cmake_macros.h" ]] || echo '#pragma once' >"$tmp/stub/c10/cuda/impl/cuda_cmake_macros.h"
  cuda_inc=""
  for d in "${CUDA_HOME:-/nonexistent}/include" "$(dirname "$(readlink -f "$nvcc_bin")")/../include" /usr/local/cuda/include; do
    if [[ -f "$d/cuda_runtime_api.h" ]]; then cuda_inc="$d"; break; fi
  done
  napi_inc="$(cd "$root" && node -p "require('node-addon-api').include_dir")"
  node_inc="$(dirname "$(dirname "$(command -v node)")")/include/node"
  for f in native/render/rasterize.cpp native/addon/addon.cpp native/tests/check_util.cpp; do
    g++ -std=c++17 -fsyntax-only -DGGT_WITH_CUDA -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS \
      -I"$tmp/stub" -I"$root/native" $(for d in $torch_inc; do echo "-I$d"; done) \
      -I"$cuda_inc" -I"$root/$napi_inc" -I"$napi_inc" -I"$node_inc" "$root/$f"
  done
  echo "CUDA-enabled host code compiles (syntax check against $torch_root)"
fi
