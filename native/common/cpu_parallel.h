// Parallel loops for CPU kernels on LibTorch's own threads (the rasterizer, the fused rig).
//
// at::parallel_for is inline code. With LibTorch's native or TBB backends it runs in parallel
// from any file, but with its OpenMP backend (Debian's LibTorch) only from files compiled with
// OpenMP, which this build does not do. There the kernels run their parallel regions on
// LibTorch's own OpenMP threads through GOMP_parallel, the entry point compilers turn
// `#pragma omp parallel` into (GNU, LLVM and Intel OpenMP runtimes all provide it), found at
// run time. Threads of our own would compete for the cores with LibTorch's OpenMP threads,
// which spin for milliseconds after each LibTorch operation.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>

#if __has_include(<dlfcn.h>)
#include <dlfcn.h>
#endif

namespace ggt {
namespace cpu {

inline int worker_count(int64_t items) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), items)));
}

#if !defined(INTRA_OP_PARALLEL)
using GompParallel = void (*)(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags);

// GOMP_parallel of the OpenMP runtime loaded with LibTorch, or null.
inline GompParallel openmp_parallel() {
#if __has_include(<dlfcn.h>)
  static const GompParallel fn = reinterpret_cast<GompParallel>(dlsym(RTLD_DEFAULT, "GOMP_parallel"));
  return fn;
#else
  return nullptr;
#endif
}
#endif

// Runs fn(worker) once for every worker = 0 .. workers - 1, spread over up to `workers`
// threads (the calling one included), and rethrows the first exception a call threw.
template <typename Fn>
void run_workers(int workers, const Fn& fn) {
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (int w = next++; w < workers; w = next++) {
      try {
        fn(w);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  if (workers > 1) {
#if defined(INTRA_OP_PARALLEL)
    at::parallel_for(0, workers, 1, [&](int64_t, int64_t) { work(); });
#else
    if (const GompParallel parallel = openmp_parallel())
      parallel([](void* w) { (*static_cast<decltype(work)*>(w))(); }, &work, static_cast<unsigned>(workers), 0);
#endif
  }
  work();  // whatever no thread took (everything when no parallel region ran)
  if (error) std::rethrow_exception(error);
}

// fn(begin, end) over [0, n) in chunks of `grain` items handed out dynamically.
template <typename Fn>
void parallel_ranges(int64_t n, int64_t grain, const Fn& fn) {
  const int64_t chunks = (n + grain - 1) / grain;
  std::atomic<int64_t> next{0};
  run_workers(worker_count(chunks), [&](int) {
    for (int64_t c = next++; c < chunks; c = next++) fn(c * grain, std::min(n, (c + 1) * grain));
  });
}

}  // namespace cpu
}  // namespace ggt
