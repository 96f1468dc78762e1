// A caching allocator for LibTorch's CPU tensors, installed by the addon at load.
//
// Why: glibc hands large blocks (>= its mmap threshold, 128 KiB at first) to the kernel on
// free and maps fresh zeroed pages on the next malloc, so every frame's activations, images
// and rigged Gaussians pay one page fault per 4 KiB on first touch: 4.5 ms per MiB measured on
// the 2-core benchmark VM (1.8 s to touch 400 MiB), more than the kernels' own work on them.
// How fast synthesis ran then depended on glibc's dynamic mmap threshold and on the
// MALLOC_* environment (issue 16: 2.1 vs 5.6 FPS). Here:
//   - blocks of at least kMinCachedBytes are kept on free and handed out again for requests of
//     the same rounded size class, so a steady per-frame workload stops faulting after its
//     first frame;
//   - blocks of 2 MiB and more are 2 MiB-aligned and advised as transparent huge pages, so a
//     block that does have to be faulted in costs one fault per 2 MiB (43 ms per 400 MiB
//     measured, against 1.8 s);
//   - the cache holds at most `limit` bytes (default: 1/8 of the machine's memory, at most
//     4 GiB; GGT_CPU_CACHE_MB overrides, 0 turns caching off); beyond it, blocks are returned
//     to the system, largest first.
// Smaller requests go to LibTorch's own c10::alloc_cpu, as before.
#pragma once

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif
#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace ggt {
namespace cpu {

struct CpuCacheStats {
  uint64_t cached_bytes = 0;  // held for reuse now
  uint64_t limit_bytes = 0;
  uint64_t hits = 0;          // requests served from the cache
  uint64_t misses = 0;        // cacheable requests that needed fresh memory
};

class CachingCpuAllocator final : public c10::Allocator {
 public:
  static constexpr size_t kMinCachedBytes = size_t(256) << 10;  // 256 KiB
  static constexpr size_t kHugePage = size_t(2) << 20;          // 2 MiB

  explicit CachingCpuAllocator(uint64_t limit) : limit_(limit) {}

  // LibTorch 1.x declares allocate() const, 2.3+ not: define both (each overrides where it exists).
  c10::DataPtr allocate(size_t n) const { return const_cast<CachingCpuAllocator*>(this)->take(n); }
  c10::DataPtr allocate(size_t n) { return take(n); }
  // Every block, small or cached, is freed by release(data): oneDNN (mkldnn convolutions)
  // allocates through raw_allocate()/raw_deallocate(), which need this one deleter.
  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::release; }
  // Pure virtual in LibTorch 2.3+ (used by Storage copies); a plain member in 1.x.
  void copy_data(void* dest, const void* src, std::size_t count) const {
    if (count > 0) std::memcpy(dest, src, count);
  }

  CpuCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {cached_, limit_, hits_, misses_};
  }

  static CachingCpuAllocator*& instance() {
    static CachingCpuAllocator* a = nullptr;
    return a;
  }

 private:
  // Size classes: multiples of 2 MiB from 2 MiB up, powers of two below.
  static size_t size_class(size_t n) {
    if (n >= kHugePage) return (n + kHugePage - 1) / kHugePage * kHugePage;
    size_t c = kMinCachedBytes;
    while (c < n) c <<= 1;
    return c;
  }

  c10::DataPtr take(size_t n) {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (n < kMinCachedBytes || limit_ == 0) {
      void* p = c10::alloc_cpu(n);  // LibTorch's own aligned allocation (what it used before)
      return {p, p, &CachingCpuAllocator::release, cpu};
    }
    const size_t size = size_class(n);
    void* ptr = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end()) {
        ptr = it->second;
        free_.erase(it);
        cached_ -= size;
        ++hits_;
      } else {
        ++misses_;
      }
    }
    if (ptr == nullptr) ptr = fresh(size);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      live_.emplace(ptr, size);
    }
    return {ptr, ptr, &CachingCpuAllocator::release, cpu};
  }

  static void* fresh(size_t size) {
    const size_t align = size >= kHugePage ? kHugePage : 64;
    void* ptr = std::aligned_alloc(align, size);  // size is a multiple of align
    if (ptr == nullptr) throw std::bad_alloc();
#if __has_include(<sys/mman.h>) && defined(MADV_HUGEPAGE)
    if (size >= kHugePage) madvise(ptr, size, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
    return ptr;
  }

  static void release(void* ptr) {
    if (ptr != nullptr) instance()->keep(ptr);
  }

  // A cached-size block goes back to the cache (evicting the largest beyond the limit); any
  // other came from alloc_cpu.
  void keep(void* ptr) {
    std::multimap<size_t, void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto live = live_.find(ptr);
      if (live == live_.end()) {
        c10::free_cpu(ptr);
        return;
      }
      const size_t size = live->second;
      live_.erase(live);
      free_.emplace(size, ptr);
      cached_ += size;
      while (cached_ > limit_ && !free_.empty()) {
        auto largest = std::prev(free_.end());
        cached_ -= largest->first;
        evicted.insert(*largest);
        free_.erase(largest);
      }
    }
    for (const auto& e : evicted) std::free(e.second);
  }

  uint64_t limit_;
  std::mutex mutex_;
  std::unordered_map<void*, size_t> live_;  // cacheable blocks in use -> size class
  std::multimap<size_t, void*> free_;        // size class -> cached blocks
  uint64_t cached_ = 0, hits_ = 0, misses_ = 0;
};

// The default cache limit: GGT_CPU_CACHE_MB when set, else 1/8 of physical memory, at most 4 GiB.
inline uint64_t default_cpu_cache_limit() {
  if (const char* env = std::getenv("GGT_CPU_CACHE_MB")) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0') return static_cast<uint64_t>(mb) << 20;
  }
  uint64_t physical = uint64_t(8) << 30;
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) physical = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
#endif
  const uint64_t cap = uint64_t(4) << 30;
  return physical / 8 < cap ? physical / 8 : cap;
}

// The allocator, made and registered as LibTorch's CPU allocator on first call (kept for the
// life of the process: tensors may be freed during static destruction).
inline CachingCpuAllocator& install_caching_cpu_allocator() {
  static CachingCpuAllocator* const allocator = [] {
    auto* a = new CachingCpuAllocator(default_cpu_cache_limit());
    CachingCpuAllocator::instance() = a;
    c10::SetCPUAllocator(a, /*priority=*/1);
    return a;
  }();
  return *allocator;
}

}  // namespace cpu
}  // namespace ggt
