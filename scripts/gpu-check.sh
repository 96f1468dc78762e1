#!/usr/bin/env bash
# One call on a GPU machine, no Node needed: builds ggtalker_native_check against the CUDA
# LibTorch of python3's PyTorch (or Torch_DIR), then runs its checks (rasterizer, FLAME + rigging,
# the synthesis pipeline and expression sampling: CUDA vs CPU) and, with --bench, the benchmarks
# (JSON lines). Extra arguments go to ggtalker_native_check (e.g. --bench --reps 20).
#   CMAKE_CUDA_ARCHITECTURES  GPU architecture(s) to build for (default: the first GPU's)
#   GGT_BUILD_DIR             build folder (default build-gpu)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GGT_BUILD_DIR:-$root/build-gpu}"

torch_dir="${Torch_DIR:-$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')/Torch}"
arch="${CMAKE_CUDA_ARCHITECTURES:-}"
if [[ -z "$arch" ]] && command -v nvidia-smi >/dev/null; then
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '. ')"
fi
arch="${arch:-90}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

echo "LibTorch: $torch_dir; CUDA architecture: $arch"
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DGGT_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" -DTorch_DIR="$torch_dir"
cmake --build "$build" --target ggtalker_native_check -j "$(nproc)"
"$build/ggtalker_native_check" "$@"
