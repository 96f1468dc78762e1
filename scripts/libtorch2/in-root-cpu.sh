#!/usr/bin/env bash
# Runs inside the trixie CPU root (see scripts/check-libtorch2.sh), on the copy at /src:
# builds the addon and ggtalker_native_check against libtorch-dev 2.6, runs the check program,
# then vitest (GGT_LIBTORCH2_TESTS: files to run; empty: all; "none": skip). GGT_LIBTORCH2_CMAKE=0
# skips the CMake part.
set -euo pipefail
cd /src
source scripts/libtorch2/phases.sh
jobs="${JOBS:-$(nproc)}"
# Build against the running Node's own headers (libnode-dev): no download.
export npm_config_nodedir=/usr
echo "node $(node --version); $(node scripts/torch-config.cjs describe)"
grep -ho 'PACKAGE_VERSION "[^"]*"' /usr/lib/*/cmake/Torch/TorchConfigVersion.cmake | head -1

phase "CPU: build the addon (node-gyp, -j $jobs)"
node node_modules/node-gyp/bin/node-gyp.js rebuild -j "$jobs"

check=0
if [[ "${GGT_LIBTORCH2_CMAKE:-1}" != 0 ]]; then
  phase "CPU: build ggtalker_native_check (CMake, -j $jobs)"
  cmake -S . -B build-cmake -DCMAKE_BUILD_TYPE=Release -DGGT_CUDA=OFF >/dev/null
  cmake --build build-cmake --target ggtalker_native_check -j "$jobs"

  phase "CPU: run ggtalker_native_check"
  ./build-cmake/ggtalker_native_check || check=1
fi

tests="${GGT_LIBTORCH2_TESTS:-}"
if [[ "$tests" == none ]]; then
  exit $check
fi
phase "CPU: vitest${tests:+ ($tests)}"
set +e
# shellcheck disable=SC2086  # the list is space-separated on purpose
npx --no-install vitest run $tests --reporter=default --reporter=json --outputFile.json=/tmp/vitest.json
status=$?
set -e
node -e '
const r = JSON.parse(require("fs").readFileSync("/tmp/vitest.json", "utf8"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
exit $((status || check))
