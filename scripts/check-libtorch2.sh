#!/usr/bin/env bash
# Checks ggtalker against LibTorch 2.6 without touching this machine's own build: Debian 13
# (trixie) roots made with mmdebstrap, each holding a copy of the checkout.
#   --cpu   trixie's libtorch-dev 2.6 (CPU): build the addon (node-gyp) and ggtalker_native_check
#           (CMake), run the check program, then the whole vitest suite; ends "N passed, N failed".
#   --cuda  trixie's libtorch-cuda-dev 2.6 + nvidia-cuda-toolkit 12.4: build ggtalker_native_check
#           with -DGGT_CUDA=ON and the node addon with CUDA, check that the addon does not need
#           libcudart (static runtime) and that it loads on a machine without a GPU.
#   (none)  both.
#   --prepare  only create (or reuse) the roots asked for, and stop: lets CI make the root in the
#           background while it builds other things.
# Environment:
#   GGT_TRIXIE_CACHE   where the roots live (default /var/cache/ggtalker-trixie); a root is reused
#                      while its package list is unchanged, and rebuilt from scratch otherwise
#   GGT_TRIXIE_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   JOBS               parallel compile jobs (default: the number of cores)
#   GGT_LIBTORCH2_TESTS  test files for --cpu, space-separated (default: the whole suite);
#                      "none" skips vitest
#   GGT_LIBTORCH2_CMAKE  0 skips the CMake build and run of ggtalker_native_check in --cpu (CI
#                      does: its 30-minute budget has room for the addon build and tests only)
#   GGT_CUDA_ARCHS     CUDA architectures for --cuda (default "80;90")
# Needs root (or sudo), git, and node_modules from `npm ci` in this checkout (it is copied in:
# trixie's nodejs runs the same vitest, node-gyp and node-addon-api; nothing is downloaded
# from npm). The cuDNN that
# libtorch-cuda-2.6 depends on is only an installer that downloads; see docs/gpu-build.md
# ("LibTorch 2.x") for the stand-in package and the link-only stub used instead.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/scripts/libtorch2"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
source "$here/root.sh"

do_cpu=0 do_cuda=0 prepare=0
for arg in "$@"; do
  case "$arg" in
    --cpu) do_cpu=1 ;;
    --prepare) prepare=1 ;;
    --cuda) do_cuda=1 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "check-libtorch2.sh: expected --cpu, --cuda, --prepare or nothing, received '$arg'" >&2; exit 2 ;;
  esac
done
((do_cpu + do_cuda)) || do_cpu=1 do_cuda=1

jobs="${JOBS:-$(nproc)}"
[[ -d "$repo/node_modules/node-addon-api" ]] || {
  echo "check-libtorch2.sh: expected node_modules from 'npm ci' in $repo, received none" >&2
  exit 1
}

timings=()
t0=$SECONDS
phase_start=$SECONDS phase_name=""
phase() {
  if [[ -n "$phase_name" ]]; then timings+=("$(printf '%-44s %5d s' "$phase_name" $((SECONDS - phase_start)))"); fi
  phase_name="$1" phase_start=$SECONDS
  [[ -n "$1" ]] && echo && echo "=== $1"
  return 0
}
summary() {
  phase ""
  echo
  echo "=== check-libtorch2 timings"
  printf '%s\n' "${timings[@]}"
  printf '%-44s %5d s\n' "total" $((SECONDS - t0))
}
trap summary EXIT

if ! command -v mmdebstrap >/dev/null; then
  phase "host: install mmdebstrap"
  $sudo flock /tmp/ggt-apt.lock apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo flock /tmp/ggt-apt.lock apt-get install -y -q --no-install-recommends mmdebstrap
fi

# A copy of the working tree (tracked and untracked, not ignored files: what you would commit)
# and of node_modules, at /src in the root. The checkout's own build/ is never touched.
copy_checkout() {
  local dest="$cache/$1/src"
  $sudo rm -rf "$dest"
  $sudo mkdir -p "$dest"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | $sudo tar -xf - -C "$dest"
  $sudo cp -a "$repo/node_modules" "$dest/node_modules"
}

# Packages each root needs (the roots' stamps are made from these lists).
# npm: the suite runs as `npx vitest run`, and test/install-native-e2e.test.ts checks the real
# npm's `npm rebuild` contract.
cpu_packages=(libtorch-dev libopenblas0-openmp libgloo-dev g++ make cmake python3 python3-numpy ffmpeg espeak-ng
              libespeak-ng-dev nodejs libnode-dev npm)
# libtorch-cuda-dev conflicts with libtorch-dev, hence a root of its own. g++-13: nvcc 12.4
# refuses trixie's default g++ 14 as its host compiler.
cuda_packages=(libtorch-cuda-dev nvidia-cuda-toolkit g++-13 g++ make cmake python3 nodejs libnode-dev
               libopenblas0-openmp)

# The phases timed inside a root (scripts/libtorch2/phases.sh), for the summary.
root_timings() {
  local file="$cache/$1/src/.check-timings"
  [[ -f "$file" ]] && mapfile -t -O "${#timings[@]}" timings <"$file"
  return 0
}

status=0
if ((do_cpu)); then
  phase "CPU: create or reuse the trixie root"
  make_root cpu main "${cpu_packages[@]}"
fi
if ((do_cpu && !prepare)); then
  phase "CPU: copy the checkout into the root"
  copy_checkout cpu
  phase ""
  # The build, check program and tests time their own phases inside the root.
  in_root cpu env JOBS="$jobs" GGT_LIBTORCH2_TESTS="${GGT_LIBTORCH2_TESTS:-}" GGT_LIBTORCH2_CMAKE="${GGT_LIBTORCH2_CMAKE:-1}" \
    bash /src/scripts/libtorch2/in-root-cpu.sh || status=1
  root_timings cpu
fi
if ((do_cuda)); then
  phase "CUDA: create or reuse the trixie root"
  deb="$(bash "$here/cudnn-standin-deb.sh" "$cache/debs")"
  make_root cuda main,contrib,non-free "${cuda_packages[@]}" "$deb"
fi
if ((do_cuda && !prepare)); then
  phase "CUDA: copy the checkout into the root"
  copy_checkout cuda
  phase ""
  in_root cuda env JOBS="$jobs" GGT_CUDA_ARCHS="${GGT_CUDA_ARCHS:-80;90}" \
    bash /src/scripts/libtorch2/in-root-cuda.sh || status=1
  root_timings cuda
fi
exit $status
