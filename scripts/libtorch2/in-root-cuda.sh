#!/usr/bin/env bash
# Runs inside the trixie CUDA root (see scripts/check-libtorch2.sh), on the copy at /src:
# builds ggtalker_native_check (CMake, GGT_CUDA=ON) and the node addon with CUDA (node-gyp,
# through scripts/torch-config.cjs) against libtorch-cuda-dev 2.6 and CUDA 12.4, then checks
# that the addon links the CUDA runtime statically and loads without a GPU.
# There is no real cuDNN here (see scripts/libtorch2/cudnn-standin-deb.sh): linking and loading
# use the stub from cudnn-link-stub.sh, put on the path explicitly, nowhere else.
set -euo pipefail
cd /src
source scripts/libtorch2/phases.sh
jobs="${JOBS:-$(nproc)}"
archs="${GGT_CUDA_ARCHS:-80;90}"
stub=/opt/ggtalker-cudnn-stub
export npm_config_nodedir=/usr
# nvcc 12.4 accepts g++ up to 13; trixie's g++ is 14. nvcc reads NVCC_CCBIN, CMake CUDAHOSTCXX.
export NVCC_CCBIN=g++-13 CUDAHOSTCXX=g++-13
echo "node $(node --version); nvcc: $(nvcc --version | tail -n 2 | head -n 1)"
grep -ho 'PACKAGE_VERSION "[^"]*"' /usr/lib/*/cmake/Torch/TorchConfigVersion.cmake | head -1

phase "CUDA: generate the cuDNN link stub"
bash scripts/libtorch2/cudnn-link-stub.sh "$stub"

phase "CUDA: build ggtalker_native_check (CMake, GGT_CUDA=ON, $archs)"
# -rpath-link: the linker checks libtorch_cuda's own dependencies, libcudnn.so.9 among them.
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DGGT_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$archs" \
  "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$stub"
cmake --build build-cuda --target ggtalker_native_check -j "$jobs"

phase "CUDA: build the addon (node-gyp, -j $jobs)"
node scripts/torch-config.cjs describe
GGT_CUDA_ARCH="$archs" node node_modules/node-gyp/bin/node-gyp.js rebuild -j "$jobs"

phase "CUDA: link and load checks"
fail=0
needed() { readelf -d "$1" | sed -n 's/.*NEEDED.*\[\(.*\)\].*/\1/p' | tr '\n' ' '; }
addon_needs="$(needed build/Release/ggtalker.node)"
echo "build/Release/ggtalker.node NEEDED: $addon_needs"
# The addon: static CUDA runtime (it must load where no CUDA runtime is installed), and
# libtorch_cuda, whose loading registers LibTorch's CUDA kernels.
if grep -q libcudart <<<"$addon_needs"; then echo "FAIL the addon needs libcudart (expected the static runtime)"; fail=1
else echo "PASS the addon does not need libcudart"; fi
if grep -q libtorch_cuda <<<"$addon_needs"; then echo "PASS the addon needs libtorch_cuda"
else echo "FAIL the addon does not need libtorch_cuda: LibTorch's CUDA kernels would not be registered"; fail=1; fi
# The check program gets libcudart.so from LibTorch's CMake targets (libtorch_cuda needs it
# anyway): listed for information.
echo "build-cuda/ggtalker_native_check NEEDED: $(needed build-cuda/ggtalker_native_check)"
# Without cuDNN the loader stops at libtorch_cuda's dependency; say so instead of hiding it.
if node -e "require('./build/Release/ggtalker.node')" 2>/tmp/load.err; then
  echo "addon loads without the cuDNN stub"
else
  echo "without cuDNN the addon does not load (expected here): $(grep -o 'lib[a-z0-9_]*\.so[.0-9]*: cannot open shared object file' /tmp/load.err | head -1)"
fi
probe='
const b = require("./build/Release/ggtalker.node").backends();
console.log(JSON.stringify(b));
if (b.cuda !== true || b.cudaDevices !== 0) { console.error("FAIL expected cuda true and cudaDevices 0"); process.exit(1); }
console.log("PASS the CUDA addon loads on a machine without a GPU: cuda true, cudaDevices 0");
if (!require("fs").readFileSync("/proc/self/maps", "utf8").includes("libtorch_cuda")) {
  console.error("FAIL libtorch_cuda is not loaded: LibTorch has no CUDA kernels in this process"); process.exit(1);
}
console.log("PASS libtorch_cuda is loaded with the addon");
'
LD_LIBRARY_PATH="$stub" node -e "$probe" || fail=1
phase "CUDA: run ggtalker_native_check (no GPU: CPU checks, CUDA ones skipped)"
LD_LIBRARY_PATH="$stub" ./build-cuda/ggtalker_native_check --only rasterize || fail=1
exit $fail
