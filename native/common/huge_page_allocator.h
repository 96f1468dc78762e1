// std::allocator for large, long-lived scratch buffers (the rasterizer's per-thread Scratch):
// blocks of 2 MiB and more are 2 MiB-aligned and advised as transparent huge pages before
// their first touch, like the LibTorch block cache (caching_cpu_allocator.h) does for tensors;
// blending reads these buffers at random (a 64-byte record per Gaussian), one TLB entry per
// 4 KiB page otherwise. Measured (head scene, back-to-back A/B against std::vector): native
// forward 16.9 / 16.8 / 18.8 ms against 17.9 / 17.5 / 20.2 ms. The kernels' own stage times
// did not move, so where the time goes (TLB, first touch) is not pinned down.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace ggt {
namespace cpu {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t(2) << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    const bool huge = bytes >= kHugePage;
    const std::size_t align = huge ? kHugePage : (alignof(T) > 64 ? alignof(T) : 64);
    const std::size_t size = (bytes + align - 1) / align * align;  // aligned_alloc wants a multiple
    void* p = std::aligned_alloc(align, size);
    if (p == nullptr) throw std::bad_alloc();
#if __has_include(<sys/mman.h>) && defined(MADV_HUGEPAGE)
    if (huge) madvise(p, size, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const noexcept { return false; }
};

// A vector whose large buffers sit on huge pages.
template <typename T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace cpu
}  // namespace ggt
