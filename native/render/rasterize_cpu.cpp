// CPU kernels of the rasterizer (contracts in rasterize_kernels.h). Parallel over Gaussians
// for the projection stages and over kCpuTileWidth x kCpuTileHeight tiles for blending (tiles
// handed out dynamically, since a face's tiles cost far more than the background's).
//
// Threads: as many as at::get_num_threads() says, on LibTorch's thread pool (common/cpu_parallel.h).
//
// Memory: the large temporary buffers live in per-thread Scratch kept from call to call.
// Touching fresh memory costs a page fault per 4 KiB (about 12 us each on the benchmark VM,
// i.e. ~3 ms per MiB), far more than the kernels' own work on it.
//
// The projection writes one 64-byte blending record per Gaussian (Splat) into a buffer the
// caller keeps from forward to backward; blending walks each tile Gaussian
// by Gaussian (front to back), touching only the pixels inside the splat's alpha >= 1/255
// ellipse box that are still blending, with per-pixel state; every pixel still sees its
// Gaussians in list order, so the result is the per-pixel 3DGS loop's. The pixel loops are
// vectorised (rasterize_cpu_tiles.inc, compiled for AVX-512, for AVX2+FMA and for plain scalar
// maths, the widest the CPU runs picked at run time). The backward is race-free and
// deterministic: each tile's thread owns the gradient rows of its (tile, Gaussian) pairs, and
// the rows of one Gaussian are summed afterwards in tile order, whatever the thread count
// (each tile writes its rows one after another; the summing pass gathers them by Gaussian).
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <numeric>
#include <vector>

#include "../common/cpu_parallel.h"
#include "../common/huge_page_allocator.h"
#include "cpu_simd.h"
#include "rasterize_kernels.h"

namespace ggt {
namespace render {
namespace {

using cpu::parallel_ranges;
using cpu::run_workers;
using cpu::worker_count;

constexpr int64_t kGaussianGrain = 2048;  // Gaussians per parallel chunk
constexpr int kTilePixels = kCpuTileWidth * kCpuTileHeight;

// fn(tile, worker) for every tile, handed out one at a time to `workers` workers.
template <typename Fn>
void for_each_tile(int64_t tiles, int workers, const Fn& fn) {
  std::atomic<int64_t> next{0};
  run_workers(workers, [&](int worker) {
    for (int64_t t = next++; t < tiles; t = next++) fn(t, worker);
  });
}

// ---- Blending data ----------------------------------------------------------------------------

struct TileBounds {
  int x0, y0, x1, y1;  // pixel range [x0, x1) x [y0, y1)
};

TileBounds tile_bounds(int64_t tile, TileGrid grid, const Camera& cam) {
  const int tx = static_cast<int>(tile % grid.tiles_x), ty = static_cast<int>(tile / grid.tiles_x);
  return {tx * kCpuTileWidth, ty * kCpuTileHeight, std::min(cam.width, (tx + 1) * kCpuTileWidth),
          std::min(cam.height, (ty + 1) * kCpuTileHeight)};
}

// Powers below -(ln(255 o) + kPowerMargin) give alpha < 1/255 for certain (the margin covers
// the rounding of logf and expf many times over), so blending skips them without expf.
constexpr float kPowerMargin = 1e-3f;

// Everything blending needs of one Gaussian, in one cache line.
struct alignas(64) Splat {
  float mean_x, mean_y;
  float conic_a, conic_b, conic_c;
  float opacity;
  float min_power;         // see kPowerMargin
  float value[4];          // r, g, b, depth
  int32_t x0, y0, x1, y1;  // pixels [x0, x1) x [y0, y1) whose centres lie in the alpha >= 1/255 ellipse's box
};
static_assert(sizeof(Splat) == 64, "one cache line per Gaussian");
static_assert(sizeof(Splat) == kSplatRecordFloats * sizeof(float), "the records' size in rasterize_kernels.h");

// The blending records in a caller's buffer (project_forward_cpu's splat_records).
const Splat* as_splats(const float* records) {
  TORCH_INTERNAL_ASSERT(reinterpret_cast<uintptr_t>(records) % alignof(Splat) == 0, "blending records must be 64-byte aligned");
  return reinterpret_cast<const Splat*>(records);
}
Splat* as_splats(float* records) { return const_cast<Splat*>(as_splats(static_cast<const float*>(records))); }

// Which tiles of its rectangle a Gaussian's alpha >= 1/255 ellipse reaches: bit
// kMaskSide * r + c for the tile c columns and r rows from the rectangle's first, for
// rectangles of up to kMaskSide x kMaskSide tiles; kAllTiles for the others (every tile of
// the rectangle is kept). The kept tiles of a row are consecutive (an ellipse's section), which
// bin_cpu's count relies on. Binning leaves the other tiles out: 13 % of the rectangles'
// (tile, Gaussian) pairs in the head benchmark, pairs blending would visit only to find no
// pixel in reach.
constexpr int kMaskSide = 8;
constexpr uint64_t kAllTiles = ~uint64_t{0};

// What the projection writes (rasterize_cpu_project.inc): depths [N], radii [N],
// tiles_touched [N] (the rectangles' areas), footprints [N], and for visible Gaussians splats
// [N] (their blending records) from colors [N, 3].
struct ProjectionOutputs {
  float* depths;
  int32_t *radii, *tiles_touched;
  TileFootprint* footprints;
  Splat* splats;
  const float* colors;
};

struct ForwardOutputs {
  int width;
  const float* background;
  float *image, *alpha, *depth, *final_t;
  int32_t* last_contributor;
};

// The layout of a tile's per-pixel state: its 8-column blocks one after the other, each row
// by row, so pixel (x, y) of the tile is at slot (x / 8) * kBlockSlots + y * 8 + x % 8. Slots
// come in kGroups groups of kGroupSize: group g holds block g / kPairs (columns 8 (g / kPairs)
// ..) of rows 2 (g % kPairs) and 2 (g % kPairs) + 1, and is the unit of the pixels-to-do
// masks. With 16 lanes a group is one vector (8 columns x 2 rows): a splat's pixels in reach
// cover on average 7.5 of a 16-pixel row, so whole-row vectors were half empty; groups need
// 24 % fewer vectors for the same pixels (head benchmark). 8 lanes take half a group (8
// columns of one row).
constexpr int kBlockWidth = 8;
constexpr int kBlocks = kCpuTileWidth / kBlockWidth;
constexpr int kBlockSlots = kBlockWidth * kCpuTileHeight;  // slots of one block
constexpr int kPairs = kCpuTileHeight / 2;                 // row pairs: groups of one block
constexpr int kGroupSize = 2 * kBlockWidth;
constexpr int kGroups = kTilePixels / kGroupSize;
static_assert(kCpuTileWidth % kBlockWidth == 0 && kCpuTileHeight % 2 == 0 && kCpuTileHeight <= 32 && kGroups <= 64,
              "group masks fit 64 bits, a block's row pairs 16, lane masks 16");
using GroupBits = uint64_t;  // bit g: group g

inline int tile_slot(int x, int y) { return (x / kBlockWidth) * kBlockSlots + y * kBlockWidth + x % kBlockWidth; }

// The groups of rows [0, h) x columns [0, w) of a tile: their bits in masks[0 .. kGroups) (bit
// b of group g: column 8 (g / kPairs) + b % 8 of row 2 (g % kPairs) + b / 8), and which are
// not empty.
inline GroupBits group_masks(int w, int h, uint32_t* masks) {
  GroupBits nonempty = 0;
  for (int g = 0; g < kGroups; ++g) {
    const int x0 = (g / kPairs) * kBlockWidth, y0 = 2 * (g % kPairs);
    const uint32_t columns = w <= x0 ? 0u : (1u << std::min(kBlockWidth, w - x0)) - 1;
    masks[g] = (y0 < h ? columns : 0u) | (y0 + 1 < h ? columns << kBlockWidth : 0u);
    if (masks[g]) nonempty |= GroupBits{1} << g;
  }
  return nonempty;
}

// Copies n <= kBlockWidth values of one block row. A full block row is a copy of constant
// size, which the compiler does inline; std::copy of n values became a memmove call per row
// (~2 % of a forward render).
template <typename T>
void copy_block_row(T* dst, const T* src, int n) {
  if (n == kBlockWidth) {
    std::memcpy(dst, src, kBlockWidth * sizeof(T));
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
  }
}

// fn(pixel offset x from the tile's left, slot of (x, y), n) for the block rows of tile row y
// (tile width w): n <= kBlockWidth pixels each.
template <typename Fn>
void for_block_rows(int w, int y, const Fn& fn) {
  for (int x = 0; x < w; x += kBlockWidth) fn(x, tile_slot(x, y), std::min(kBlockWidth, w - x));
}

// One tile's per-pixel state in the forward, at tile_slot(x, y).
struct alignas(64) ForwardTile {
  float T[kTilePixels];
  float acc[4][kTilePixels];       // weighted r, g, b and depth
  int32_t last[kTilePixels];
  uint32_t active[kGroups];        // per group, bit b set while its pixel b is still blending
  GroupBits active_groups;         // bit g set while group g has pixels blending

  void reset(const TileBounds& tb) {
    std::fill(T, T + kTilePixels, 1.f);
    std::memset(acc, 0, sizeof acc);
    std::fill(last, last + kTilePixels, 0);
    active_groups = group_masks(tb.x1 - tb.x0, tb.y1 - tb.y0, active);
  }

  // The pixels of group g in `pixels` (bits) are done: 3DGS stops them.
  void stop(int g, uint32_t pixels) {
    active[g] &= ~pixels;
    if (!active[g]) active_groups &= ~(GroupBits{1} << g);
  }

  // Block row by block row, in loops the compiler vectorises.
  void write(const TileBounds& tb, const ForwardOutputs& out) const {
    const int w = tb.x1 - tb.x0;
    for (int y = tb.y0; y < tb.y1; ++y) {
      for_block_rows(w, y - tb.y0, [&](int x0, int p, int n) {
        const int64_t pix = static_cast<int64_t>(y) * out.width + tb.x0 + x0;
        for (int x = 0; x < n; ++x) {
          for (int c = 0; c < 3; ++c) out.image[3 * (pix + x) + c] = acc[c][p + x] + T[p + x] * out.background[c];
        }
        for (int x = 0; x < n; ++x) out.alpha[pix + x] = 1.f - T[p + x];
        for (int x = 0; x < n; ++x) out.depth[pix + x] = acc[3][p + x] / std::max(1.f - T[p + x], kDepthAlphaFloor);
        copy_block_row(out.final_t + pix, T + p, n);
        copy_block_row(out.last_contributor + pix, last + p, n);
      });
    }
  }
};

// Gradient row of one (tile, Gaussian) pair.
enum RowField { kRowMeanX = 0, kRowMeanY, kRowConicA, kRowConicB, kRowConicC, kRowOpacity, kRowValue };
constexpr int kRowStride = kRowValue + 4;  // then r, g, b, depth

struct BackwardInputs {
  int width;
  const float* background;
  const float *final_t, *depth, *v_image, *v_alpha, *v_depth;  // depth, v_depth: the expected depth
  const int32_t* last_contributor;
};

// One tile's per-pixel state in the backward (the 3DGS recursion, back to front), laid out as
// in ForwardTile.
struct alignas(64) BackwardTile {
  float T[kTilePixels];              // transmittance in front of the current splat
  float behind[4][kTilePixels];      // r, g, b, depth of everything behind it, per unit weight
  float v_value[4][kTilePixels];     // dL/d(image r, g, b, depth)
  float v_alpha_bg[kTilePixels];     // dL/dalpha - background . dL/dimage
  float final_t[kTilePixels];
  uint32_t active[kGroups];          // per group, bit b set once the replay reached its pixel b's last splat
  GroupBits active_groups;           // bit g set once group g has an active pixel
  int32_t next[kTilePixels];         // slots by last_contributor: next slot with the same value
  std::vector<int32_t> first;        // first[l]: a slot whose pixel's last_contributor is l, or -1

  void reset(const TileBounds& tb, const BackwardInputs& in, int64_t live) {
    std::memset(behind, 0, sizeof behind);
    std::memset(active, 0, sizeof active);
    active_groups = 0;
    first.assign(live + 1, -1);
    const float bg[3] = {in.background[0], in.background[1], in.background[2]};
    const int w = tb.x1 - tb.x0;
    for (int y = tb.y0; y < tb.y1; ++y) {
      for_block_rows(w, y - tb.y0, [&](int x0, int p0, int n) {
        // In a loop of its own, which the compiler vectorises (with the pixel lists below in
        // it, it did not).
        const int64_t pix = static_cast<int64_t>(y) * in.width + tb.x0 + x0;
        const float* __restrict v_image_row = in.v_image + 3 * pix;
        for (int x = 0; x < n; ++x) {
          const int p = p0 + x;
          T[p] = final_t[p] = in.final_t[pix + x];
          for (int c = 0; c < 3; ++c) v_value[c][p] = v_image_row[3 * x + c];
          // The expected depth d = D / max(alpha, floor) of the accumulated depth D: dL/dD =
          // v_depth / max(alpha, floor), and dL/dalpha gains -v_depth d / alpha where alpha is
          // above the floor (LibTorch's gradients of the division and of clamp_min).
          const float alpha = 1.f - final_t[p], floored = std::max(alpha, kDepthAlphaFloor);
          const float v_depth = in.v_depth[pix + x];
          v_value[3][p] = v_depth / floored;
          const float v_alpha = in.v_alpha[pix + x] - (alpha >= kDepthAlphaFloor ? v_depth * in.depth[pix + x] / floored : 0.f);
          v_alpha_bg[p] = v_alpha - (bg[0] * v_value[0][p] + bg[1] * v_value[1][p] + bg[2] * v_value[2][p]);
        }
        for (int x = 0; x < n; ++x) {
          const int32_t last = in.last_contributor[pix + x];
          if (last > 0) {
            next[p0 + x] = first[last];
            first[last] = p0 + x;
          }
        }
      });
    }
  }

  // Pixels whose last blended list position is last - 1 join the replay.
  void activate(int32_t last) {
    for (int32_t p = first[last]; p >= 0; p = next[p]) {
      active[p / kGroupSize] |= 1u << (p % kGroupSize);
      active_groups |= GroupBits{1} << (p / kGroupSize);
    }
  }
};

// The tile kernels, once per lane set.
namespace scalar_tiles {
using V = simd::ScalarLanes;
#include "rasterize_cpu_tiles.inc"
#include "rasterize_cpu_project.inc"
}  // namespace scalar_tiles

#if defined(GGT_BEGIN_AVX2)
GGT_BEGIN_AVX2
namespace avx2_tiles {
using V = simd::Avx2Lanes;
#include "rasterize_cpu_tiles.inc"
#include "rasterize_cpu_project.inc"
}  // namespace avx2_tiles
GGT_END_TARGET
GGT_BEGIN_AVX512
namespace avx512_tiles {
using V = simd::Avx512Lanes;
#include "rasterize_cpu_tiles.inc"
#include "rasterize_cpu_project.inc"
}  // namespace avx512_tiles
GGT_END_TARGET
#endif

struct TileKernels {
  decltype(&scalar_tiles::blend_tile_forward) forward;
  decltype(&scalar_tiles::blend_tile_backward) backward;
  decltype(&scalar_tiles::project_range) project;
  decltype(&scalar_tiles::project_backward_range) project_backward;
  const char* name;
};

// The widest kernels this CPU runs. GGT_CPU_SIMD=avx2 or =scalar caps the choice (to test
// the narrower kernels on a wider CPU).
const TileKernels& tile_kernels() {
  static const TileKernels kernels = [] {
    const char* cap = std::getenv("GGT_CPU_SIMD");
    const bool allow_avx512 = !cap || !std::strcmp(cap, "avx512");
    const bool allow_avx2 = allow_avx512 || !std::strcmp(cap, "avx2");
#if defined(GGT_BEGIN_AVX2)
    if (allow_avx512 && simd::cpu_has_avx512())
      return TileKernels{avx512_tiles::blend_tile_forward, avx512_tiles::blend_tile_backward,
                         avx512_tiles::project_range, avx512_tiles::project_backward_range, "avx512"};
    if (allow_avx2 && simd::cpu_has_avx2_fma())
      return TileKernels{avx2_tiles::blend_tile_forward, avx2_tiles::blend_tile_backward, avx2_tiles::project_range,
                         avx2_tiles::project_backward_range, "avx2"};
#endif
    (void)allow_avx2;
    return TileKernels{scalar_tiles::blend_tile_forward, scalar_tiles::blend_tile_backward, scalar_tiles::project_range,
                       scalar_tiles::project_backward_range, "scalar"};
  }();
  return kernels;
}

// Temporary buffers of the kernels, kept per calling thread from one call to the next (see
// the note on memory at the top); each call uses them as scratch and relies on nothing left
// in them. grow(v, n) makes sure v holds at least n elements and returns its data.
struct Scratch {
  // bin_cpu
  cpu::HugePageVector<uint64_t> items, items_tmp;
  cpu::HugePageVector<int32_t> order, digit_offsets, slots_per_tile, row_diffs;
  cpu::HugePageVector<TileFootprint> footprints;
  // blending
  cpu::HugePageVector<ForwardTile> forward_tiles;
  cpu::HugePageVector<BackwardTile> backward_tiles;
  cpu::HugePageVector<int32_t> live_start, group_start, rows_of, row_counts;
  cpu::HugePageVector<float> rows;

  static Scratch& of_this_thread() {
    thread_local Scratch scratch;
    return scratch;
  }
};

template <typename T>
T* grow(cpu::HugePageVector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
  return v.data();
}

}  // namespace

const char* cpu_kernel_variant() { return tile_kernels().name; }

bool cpu_lane_math(const std::string& op, const std::string& variant, const float* x, float* y, int64_t n) {
  TORCH_CHECK(op == "log" || op == "exp", "expected op 'log' or 'exp', received '", op, "'");
  const bool log = op == "log";
  if (variant == "scalar") {
    scalar_tiles::lane_math(log, x, y, n);
    return true;
  }
#if defined(GGT_BEGIN_AVX2)
  if (variant == "avx2") {
    if (!simd::cpu_has_avx2_fma()) return false;
    avx2_tiles::lane_math(log, x, y, n);
    return true;
  }
  if (variant == "avx512") {
    if (!simd::cpu_has_avx512()) return false;
    avx512_tiles::lane_math(log, x, y, n);
    return true;
  }
#endif
  TORCH_CHECK(variant == "avx2" || variant == "avx512", "expected variant 'scalar', 'avx2' or 'avx512', received '",
              variant, "'");
  return false;
}

// ---- Projection -------------------------------------------------------------------------------

int64_t project_forward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, const float* colors,
                            float* depths, int32_t* radii, int32_t* tiles_touched, TileFootprint* footprints,
                            float* splat_records) {
  const ProjectionOutputs out{depths, radii, tiles_touched, footprints, as_splats(splat_records), colors};
  const auto project = tile_kernels().project;
  std::atomic<int64_t> pairs{0};
  parallel_ranges(g.n, kGaussianGrain,
                  [&](int64_t begin, int64_t end) { pairs += project(g, cam, antialiased, begin, end, out); });
  return pairs.load();
}

// ---- Binning ----------------------------------------------------------------------------------

namespace {

// The visible Gaussians (radius > 0) front to back, ties by id: a stable LSD radix sort of
// their depths' bits (non-negative floats order like their bits) less the smallest, in digits
// of kDigitBits, run in parallel: each pass histograms every worker's range of the previous
// pass's output, then each worker scatters its range from its own offsets (so equal digits
// keep their order). A depth range within a factor of two needs 23 bits or fewer: two passes.
// On head this takes 0.65 ms against 0.83-0.85 ms for two halves sorted apart and then
// merged (the merge, a mispredicted branch per element, cost about as much as the sorts).
// Wider digits make fewer passes but more write streams; 8 bits (three passes) measured no
// better than 11.
constexpr int kDigitBits = 11;
constexpr int kDigitValues = 1 << kDigitBits;

struct DepthOrder {
  const int32_t* ids;
  int64_t count;
};

DepthOrder sort_visible_by_depth(int64_t n, const float* depths, const int32_t* radii, Scratch& scratch) {
  // Items: depth bits << 32 | id, one 8-byte store per item and pass (not a key and an id
  // array: twice the write streams).
  uint64_t* items = grow(scratch.items, n);
  uint64_t* items_out = grow(scratch.items_tmp, n);
  const int workers = worker_count(n / 32768 + 1);
  // Worker w's source range: first[w] .. + size[w]. First the visible of ids
  // [n w / workers, n (w + 1) / workers), collected at the range's start.
  std::vector<int64_t> first(workers), size(workers);
  std::vector<uint32_t> lowest(workers), highest(workers);
  run_workers(workers, [&](int w) {
    const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
    int64_t count = 0;
    uint32_t lo = ~0u, hi = 0;
    for (int64_t i = begin; i < end; ++i) {
      if (radii[i] == 0) continue;
      uint32_t key;
      std::memcpy(&key, depths + i, sizeof key);
      lo = std::min(lo, key);
      hi = std::max(hi, key);
      items[begin + count++] = static_cast<uint64_t>(key) << 32 | static_cast<uint32_t>(i);
    }
    first[w] = begin;
    size[w] = count;
    lowest[w] = lo;
    highest[w] = hi;
  });
  int64_t visible = 0;
  uint32_t lo = ~0u, hi = 0;
  for (int w = 0; w < workers; ++w) {
    visible += size[w];
    if (size[w] > 0) lo = std::min(lo, lowest[w]), hi = std::max(hi, highest[w]);
  }
  int32_t* ids = grow(scratch.order, std::max<int64_t>(visible, 1));
  if (visible == 0) return {ids, 0};
  const int bits = hi == lo ? 0 : 32 - __builtin_clz(hi - lo);
  const int passes = std::max(1, (bits + kDigitBits - 1) / kDigitBits);  // one at least: it also closes the gaps
  int32_t* offsets = grow(scratch.digit_offsets, static_cast<int64_t>(workers) * kDigitValues);
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * kDigitBits;
    auto digit = [lo, shift](uint64_t item) {
      return ((static_cast<uint32_t>(item >> 32) - lo) >> shift) & (kDigitValues - 1);
    };
    run_workers(workers, [&](int w) {
      int32_t* count = offsets + static_cast<int64_t>(w) * kDigitValues;
      std::fill(count, count + kDigitValues, 0);
      for (int64_t i = first[w], end = first[w] + size[w]; i < end; ++i) ++count[digit(items[i])];
    });
    int32_t running = 0;  // digit by digit, worker by worker: the counts become first slots
    for (int d = 0; d < kDigitValues; ++d) {
      for (int w = 0; w < workers; ++w) {
        int32_t& slot = offsets[static_cast<int64_t>(w) * kDigitValues + d];
        const int32_t count = slot;
        slot = running;
        running += count;
      }
    }
    const bool last = pass == passes - 1;
    run_workers(workers, [&](int w) {
      int32_t* cursor = offsets + static_cast<int64_t>(w) * kDigitValues;
      const int64_t begin = first[w], end = first[w] + size[w];
      if (last) {  // the ids alone
        for (int64_t i = begin; i < end; ++i) ids[cursor[digit(items[i])]++] = static_cast<int32_t>(items[i]);
      } else {
        for (int64_t i = begin; i < end; ++i) items_out[cursor[digit(items[i])]++] = items[i];
      }
    });
    std::swap(items, items_out);
    for (int w = 0; w < workers; ++w) {  // the next pass reads the output in equal ranges
      first[w] = visible * w / workers;
      size[w] = visible * (w + 1) / workers - first[w];
    }
  }
  return {ids, visible};
}

// fn(per_tile[t]) for the tiles t of footprint f's rectangle that its mask keeps, in row
// order. The bounds are copied to locals first: read through f inside the loop, the compiler
// reloaded them after every store (an int32_t store may alias them).
template <typename Fn>
inline void for_each_kept_tile(const TileFootprint& f, int32_t* per_tile, int tiles_x, const Fn& fn) {
  const int x0 = f.x0, y0 = f.y0, x1 = f.x1, y1 = f.y1;
  uint64_t mask = f.mask;
  if (mask != kAllTiles) {
    int32_t* first = per_tile + static_cast<int64_t>(y0) * tiles_x + x0;
    for (; mask; mask &= mask - 1) {
      const int k = __builtin_ctzll(mask);
      fn(first[static_cast<int64_t>(k / kMaskSide) * tiles_x + k % kMaskSide]);
    }
    return;
  }
  for (int ty = y0; ty < y1; ++ty) {
    int32_t* row = per_tile + static_cast<int64_t>(ty) * tiles_x;
    for (int tx = x0; tx < x1; ++tx) fn(row[tx]);
  }
}

}  // namespace

void bin_cpu(int64_t n, const float* depths, const int32_t* radii, const TileFootprint* footprints_by_id, TileGrid grid,
             int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start) {
  const int64_t tiles = grid.count();
  std::fill(tile_start, tile_start + tiles + 1, 0);
  if (n_isect == 0) return;
  Scratch& scratch = Scratch::of_this_thread();

  // Visible Gaussians front to back (ties by id): emitting pairs in this order and then
  // placing them by tile with a stable counting sort leaves each tile's list depth-sorted.
  const DepthOrder depth_order = sort_visible_by_depth(n, depths, radii, scratch);
  const int32_t* order = depth_order.ids;
  const int64_t visible = depth_order.count;

  // The depth-ordered Gaussians in `workers` consecutive parts. Each part gathers its
  // Gaussians' footprints (from the projection) in depth order and counts its pairs per tile
  // into slots [workers, tiles], which then becomes the part's first slot in each tile's list;
  // each part then places its pairs in order.
  const int workers = worker_count(visible / kGaussianGrain + 1);
  auto part = [&](int w) { return visible * w / workers; };
  TileFootprint* footprints = grow(scratch.footprints, visible);
  int32_t* row_diffs = grow(scratch.row_diffs, static_cast<int64_t>(workers) * grid.tiles_y * (grid.tiles_x + 1));
  int32_t* slots = grow(scratch.slots_per_tile, workers * tiles);
  run_workers(workers, [&](int w) {
    constexpr int64_t kAhead = 16;
    const int64_t begin = part(w), end = part(w + 1);
    int32_t* count = slots + w * tiles;
    std::fill(count, count + tiles, 0);
    for (int64_t j = begin; j < end; ++j) {
      __builtin_prefetch(footprints_by_id + (j + kAhead < end ? order[j + kAhead] : 0));
      footprints[j] = footprints_by_id[order[j]];
    }
    // Counted as differences along each tile row (+1 at a row's first kept tile, -1 past its
    // last: a row's kept tiles are consecutive, see kMaskSide), then summed: two updates per
    // tile row instead of one per tile (-0.3 ms of sorting on head).
    const int stride = grid.tiles_x + 1;
    int32_t* diff = row_diffs + static_cast<int64_t>(w) * grid.tiles_y * stride;
    std::fill(diff, diff + static_cast<int64_t>(grid.tiles_y) * stride, 0);
    for (int64_t j = begin; j < end; ++j) {
      const TileFootprint& f = footprints[j];
      const uint64_t mask = f.mask;
      const int x0 = f.x0, y0 = f.y0, x1 = f.x1, y1 = f.y1;
      for (int ty = y0; ty < y1; ++ty) {
        int a = x0, b = x1;
        if (mask != kAllTiles) {
          const uint32_t row = static_cast<uint32_t>(mask >> (kMaskSide * (ty - y0))) & 0xffu;
          a = row ? x0 + __builtin_ctz(row) : x0;
          b = row ? x0 + 32 - __builtin_clz(row) : x0;
        }
        ++diff[ty * stride + a];
        --diff[ty * stride + b];
      }
    }
    for (int ty = 0; ty < grid.tiles_y; ++ty) {
      int32_t running = 0;
      for (int tx = 0; tx < grid.tiles_x; ++tx) count[ty * grid.tiles_x + tx] = running += diff[ty * stride + tx];
    }
  });
  int64_t total = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    tile_start[t] = static_cast<int32_t>(total);
    for (int w = 0; w < workers; ++w) {
      const int32_t count = slots[w * tiles + t];
      slots[w * tiles + t] = static_cast<int32_t>(total);
      total += count;
    }
  }
  tile_start[tiles] = static_cast<int32_t>(total);
  TORCH_INTERNAL_ASSERT(total <= n_isect, "binning counted ", total, " tile pairs but the rectangles hold only ",
                        n_isect);
  run_workers(workers, [&](int w) {
    int32_t* cursor = slots + w * tiles;
    int32_t* __restrict ids_out = sorted_ids;
    // The bounds in locals: the id stores may alias what part() reads (a division per Gaussian).
    const int64_t begin = part(w), end = part(w + 1);
    for (int64_t j = begin; j < end; ++j) {
      const int32_t id = order[j];
      for_each_kept_tile(footprints[j], cursor, grid.tiles_x, [&](int32_t& c) { ids_out[c++] = id; });
    }
  });
}

// ---- Blending ---------------------------------------------------------------------------------

void blend_forward_cpu(const Camera& cam, const float* splat_records, const float* background,
                       const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                       float* depth, float* final_t, int32_t* last_contributor) {
  const TileGrid grid = TileGrid::for_cpu(cam);
  const int64_t tiles = grid.count();
  Scratch& scratch = Scratch::of_this_thread();
  const Splat* splats = as_splats(splat_records);
  const ForwardOutputs out{cam.width, background, image, alpha, depth, final_t, last_contributor};
  const TileKernels& kernels = tile_kernels();
  const int workers = worker_count(tiles);
  ForwardTile* state = grow(scratch.forward_tiles, workers);
  for_each_tile(tiles, workers, [&](int64_t t, int worker) {
    kernels.forward(splats, sorted_ids + tile_start[t], tile_start[t + 1] - tile_start[t],
                    tile_bounds(t, grid, cam), state[worker], out);
  });
}

namespace {

// The backward's gradient rows. Only the first `live` positions of a tile's list can have
// gradients (live = the tile's largest last_contributor); these (tile, position) pairs are the
// rows, numbered in tile order from live_start[t], so each tile writes its own rows one after
// another (written straight to their places grouped by Gaussian, every row was a store to a
// far line: those misses held up the tile loop's own stores). Gaussian i's rows, in tile
// order, are rows_of[group_start[i] .. group_start[i + 1]), which the summing pass reads.
struct RowLayout {
  const int32_t *live_start, *group_start, *rows_of;
  int64_t rows;
};

RowLayout layout_rows(const Camera& cam, int64_t n, const int32_t* sorted_ids, const int32_t* tile_start,
                      const int32_t* last_contributor, Scratch& scratch) {
  const TileGrid grid = TileGrid::for_cpu(cam);
  const int64_t tiles = grid.count();
  int32_t* live_start = grow(scratch.live_start, tiles + 1);
  live_start[0] = 0;
  parallel_ranges(tiles, 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const TileBounds tb = tile_bounds(t, grid, cam);
      int32_t live = 0;
      for (int y = tb.y0; y < tb.y1; ++y)
        for (int x = tb.x0; x < tb.x1; ++x)
          live = std::max(live, last_contributor[static_cast<int64_t>(y) * cam.width + x]);
      live_start[t + 1] = live;
    }
  });
  std::partial_sum(live_start, live_start + tiles + 1, live_start);
  const int64_t rows = live_start[tiles];

  // The tiles in `workers` consecutive ranges of about equal rows, each counting its rows per
  // Gaussian into counts[w * n ..) and then placing them from there: range w's first slot in
  // Gaussian i's group follows ranges 0 .. w - 1's, so each group stays in tile order whatever
  // the worker count. (One serial pass over the rows was ~1.4 ms on head.)
  const int workers = worker_count(rows / 32768 + 1);
  std::vector<int64_t> first_tile(workers + 1, tiles);
  for (int w = 0; w < workers; ++w)
    first_tile[w] = std::upper_bound(live_start, live_start + tiles, static_cast<int32_t>(rows * w / workers)) - live_start - 1;
  first_tile[0] = 0;
  int32_t* counts = grow(scratch.row_counts, workers * n);
  auto each_row = [&](int w, const auto& fn) {  // fn(Gaussian, row) for range w's rows, in tile order
    for (int64_t t = first_tile[w]; t < first_tile[w + 1]; ++t)
      for (int32_t k = tile_start[t], r = live_start[t]; r < live_start[t + 1]; ++k, ++r) fn(sorted_ids[k], r);
  };
  run_workers(workers, [&](int w) {
    int32_t* count = counts + w * n;
    std::fill(count, count + n, 0);
    each_row(w, [&](int32_t i, int32_t) { ++count[i]; });
  });
  int32_t* group_start = grow(scratch.group_start, n + 1);
  int32_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    group_start[i] = total;
    for (int w = 0; w < workers; ++w) {
      const int32_t c = counts[w * n + i];
      counts[w * n + i] = total;
      total += c;
    }
  }
  group_start[n] = total;
  int32_t* rows_of = grow(scratch.rows_of, rows);
  run_workers(workers, [&](int w) {
    int32_t* cursor = counts + w * n;
    each_row(w, [&](int32_t i, int32_t r) { rows_of[cursor[i]++] = r; });
  });
  return {live_start, group_start, rows_of, rows};
}

}  // namespace

void blend_backward_cpu(const Camera& cam, int64_t n, const float* splat_records, const float* background,
                        const int32_t* sorted_ids, const int32_t* tile_start, const float* final_t,
                        const float* depth, const int32_t* last_contributor, const float* v_image,
                        const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors) {
  const TileGrid grid = TileGrid::for_cpu(cam);
  const int64_t tiles = grid.count();
  if (tile_start[tiles] == 0) {
    std::fill(v_proj, v_proj + n * kProjStride, 0.f);
    std::fill(v_colors, v_colors + n * 3, 0.f);
    return;
  }
  Scratch& scratch = Scratch::of_this_thread();

  const RowLayout layout = layout_rows(cam, n, sorted_ids, tile_start, last_contributor, scratch);
  float* rows = grow(scratch.rows, layout.rows * kRowStride);
  const Splat* splats = as_splats(splat_records);

  const BackwardInputs in{cam.width, background, final_t, depth, v_image, v_alpha, v_depth, last_contributor};
  const TileKernels& kernels = tile_kernels();
  const int workers = worker_count(tiles);
  BackwardTile* state = grow(scratch.backward_tiles, workers);
  for_each_tile(tiles, workers, [&](int64_t t, int worker) {
    const int64_t live = layout.live_start[t + 1] - layout.live_start[t];
    if (live == 0) return;
    kernels.backward(splats, sorted_ids + tile_start[t], live, tile_bounds(t, grid, cam), state[worker], in,
                     rows + static_cast<int64_t>(layout.live_start[t]) * kRowStride);
  });

  // Each Gaussian's rows, summed in tile order. The rows are prefetched kAhead gathered rows
  // ahead, across Gaussians: a Gaussian has about three, so a prefetch limited to its own rows
  // hardly ever ran.
  parallel_ranges(n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    const int64_t last_row = layout.rows - 1;
    for (int64_t i = begin; i < end; ++i) {
      float sum[kRowStride] = {};
      constexpr int64_t kAhead = 8;
      for (int64_t m = layout.group_start[i], end = layout.group_start[i + 1]; m < end; ++m) {
        __builtin_prefetch(rows + static_cast<int64_t>(layout.rows_of[std::min(m + kAhead, last_row)]) * kRowStride);
        const float* row = rows + static_cast<int64_t>(layout.rows_of[m]) * kRowStride;
        for (int c = 0; c < kRowStride; ++c) sum[c] += row[c];
      }
      float* vp = v_proj + i * kProjStride;
      vp[kProjMeanX] = sum[kRowMeanX];
      vp[kProjMeanY] = sum[kRowMeanY];
      vp[kProjConicA] = sum[kRowConicA];
      vp[kProjConicB] = sum[kRowConicB];
      vp[kProjConicC] = sum[kRowConicC];
      vp[kProjDepth] = sum[kRowValue + 3];
      vp[kProjOpacity] = sum[kRowOpacity];
      vp[7] = 0.f;
      for (int c = 0; c < 3; ++c) v_colors[3 * i + c] = sum[kRowValue + c];
    }
  });
}

void project_backward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, const int32_t* radii,
                          const float* v_proj, float* v_means, float* v_quats, float* v_scales, float* v_opacities) {
  const auto project_backward = tile_kernels().project_backward;
  parallel_ranges(g.n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    project_backward(g, cam, antialiased, radii, v_proj, v_means, v_quats, v_scales, v_opacities, begin, end);
  });
}

}  // namespace render
}  // namespace ggt
