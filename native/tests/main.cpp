// ggtalker_native_check: tests and benchmarks the native core without Node (what runs on GPU
// machines, where there is no Node).
//   ggtalker_native_check                 correctness: CPU vs float64 references; CUDA vs CPU
//   ggtalker_native_check --bench         also prints one JSON line per (case, backend)
//   --only rasterize|synthesis            one group;  --reps N  timing repetitions (default 10)
// Ends with "N passed, N failed"; exits non-zero when a check fails.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include <unistd.h>

#include "check_util.h"
#include "checks.h"

int main(int argc, char** argv) {
  using namespace ggt::check;
  // OpenMP threads that spin-wait between parallel regions steal the cores from the next one:
  // in this program on a 2-core VM, sampling the paper-size DiT took 14.7 s with the default
  // wait policy and 4.3 s with a passive one (the addon inside Node is not affected: 4.4 s).
  // The runtime reads the policy when it loads, so set it and start again.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: go on with the default policy
  }
  bool run_bench = false;
  int reps = 10;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--bench")) run_bench = true;
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: ggtalker_native_check [--bench] [--reps N] [--only rasterize|synthesis]\n");
      return 2;
    }
  }
  if (!only.empty() && only != "rasterize" && only != "synthesis") {
    std::fprintf(stderr, "expected --only rasterize or synthesis, received '%s'\n", only.c_str());
    return 2;
  }
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  if (!cuda_available()) {
    std::printf("SKIP cuda checks: %s\n",
#ifdef GGT_WITH_CUDA
                "built with CUDA but no device is available"
#else
                "built without CUDA kernels"
#endif
    );
  }
  for (const auto& [name, group] : {std::make_pair("rasterize", &rasterize_checks), std::make_pair("synthesis", &synthesis_checks)}) {
    if (!only.empty() && only != name) continue;
    try {
      group(run_bench, reps);
    } catch (const std::exception& e) {
      std::printf("FAIL %s: %s\n", name, e.what());
      ++failed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
