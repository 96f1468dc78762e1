#!/usr/bin/env bash
# One-step setup on Debian/Ubuntu: the system packages ggtalker builds against (LibTorch,
# a fast BLAS, a C++ toolchain), then `npm ci`, which compiles the native addon.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# libgloo-dev: the Gloo headers c10d's Gloo backend needs (data-parallel training; LibTorch
# itself already links libgloo).
packages=(libtorch-dev libopenblas0-openmp libgloo-dev g++ make cmake python3 python3-numpy ffmpeg espeak-ng libespeak-ng-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "system packages already installed: ${packages[*]}"
fi

# Build against the running Node's own headers when they are installed (no download needed).
if [[ -f /usr/include/node/node_api.h && -z "${npm_config_nodedir:-}" ]]; then
  export npm_config_nodedir=/usr
fi
export JOBS="${JOBS:-max}"
npm ci --no-audit --no-fund
