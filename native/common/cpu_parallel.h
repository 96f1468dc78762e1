// Parallel loops for CPU kernels on LibTorch's own threads (the rasterizer, the fused rig).
//
// at::parallel_for is inline code. With LibTorch's native or TBB backends it runs in parallel
// from any file, but with its OpenMP backend (Debian's LibTorch) only from files compiled with
// OpenMP, which this build does not do. There the kernels run their parallel regions on
// LibTorch's own OpenMP threads through GOMP_parallel, the entry point compilers turn
// `#pragma omp parallel` into (GNU, LLVM and Intel OpenMP runtimes all provide it), found at
// run time. Threads of our own would compete for the cores with LibTorch's OpenMP threads,
// which spin for milliseconds after each LibTorch operation.
//
// Waking those threads costs more than it should on a VM: on the 2-core benchmark VM the
// second thread starts 15-85 us after each parallel region begins (28 us between regions back
// to back in a plain OpenMP program, against 3 us with OMP_WAIT_POLICY=active), and a
// rasterizer forward runs about ten regions. A chain of regions can share one wake-up instead:
// with_team(body) holds LibTorch's threads for the body's length, spinning between regions
// (run_workers hands them its work directly), and lets them go when the body returns.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

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

#if !defined(INTRA_OP_PARALLEL)
// The threads with_team holds: the caller runs the body and posts each run_workers' work as a
// job; the others spin until a job is posted, join it, and leave when the body is done.
struct Team {
  struct Job {
    void (*run)(void*);
    void* data;
  };
  std::atomic<const Job*> job{nullptr};  // the posted job; null between jobs
  std::atomic<uint64_t> posted{0};       // jobs posted so far
  std::atomic<int> inside{0};            // helpers between reading `job` and leaving it
  std::atomic<bool> done{false};         // the body has returned

  // Runs `work` (which claims its items itself) on the caller and on every helper that
  // arrives while items are left; returns once no helper is inside it.
  template <typename Work>
  void run(Work& work) {
    const Job j{[](void* w) { (*static_cast<Work*>(w))(); }, &work};
    job.store(&j);
    posted.fetch_add(1, std::memory_order_release);
    work();
    // Sequentially consistent against the helpers' inside++ then job.load(): a helper either
    // sees null or is counted here.
    job.store(nullptr);
    while (inside.load() != 0) pause();
  }

  void help() {
    uint64_t seen = 0;
    for (uint32_t idle = 0;; ++idle) {
      const uint64_t p = posted.load(std::memory_order_acquire);
      if (p != seen) {
        seen = p;
        idle = 0;
        inside.fetch_add(1);
        if (const Job* j = job.load()) j->run(j->data);
        inside.fetch_sub(1);
      } else if (done.load(std::memory_order_acquire)) {
        return;
      } else if (idle < kSpins) {
        pause();
      } else {
        std::this_thread::yield();  // a long serial stretch of the body: let others run
      }
    }
  }
  static constexpr uint32_t kSpins = 1u << 14;  // pauses before yielding (~0.1-1 ms)

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
};

// The team the calling thread holds (with_team), or null.
inline Team*& current_team() {
  static thread_local Team* team = nullptr;
  return team;
}
#endif

// Runs body() on the calling thread while LibTorch's other threads wait for run_workers'
// work (see the top of this file); the threads are woken once, not once per region. The body
// must not run LibTorch operations that parallelise themselves: inside the team they run on
// one thread. Rethrows what the body threw.
template <typename Body>
void with_team(const Body& body) {
#if !defined(INTRA_OP_PARALLEL)
  const GompParallel parallel = openmp_parallel();
  const int threads = at::get_num_threads();
  if (parallel && threads > 1 && current_team() == nullptr) {
    struct Context {
      const Body& body;
      Team team;
      std::thread::id caller;
      std::exception_ptr error;
    } context{body, {}, std::this_thread::get_id(), nullptr};
    parallel(
        [](void* data) {
          Context& c = *static_cast<Context*>(data);
          if (std::this_thread::get_id() != c.caller) {
            c.team.help();
            return;
          }
          current_team() = &c.team;
          try {
            c.body();
          } catch (...) {
            c.error = std::current_exception();
          }
          current_team() = nullptr;
          c.team.done.store(true, std::memory_order_release);
        },
        &context, static_cast<unsigned>(threads), 0);
    if (context.error) std::rethrow_exception(context.error);
    return;
  }
#endif
  body();
}

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
    if (Team* team = current_team())
      team->run(work);
    else if (const GompParallel parallel = openmp_parallel())
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
