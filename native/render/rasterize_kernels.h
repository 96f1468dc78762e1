// The rasterizer's kernels on raw pointers, one declaration per stage and backend.
// rasterize_cpu.cpp implements the *_cpu functions, rasterize.cu the *_cuda ones; both
// compute with gaussian_math.h. The LibTorch layer (rasterize.cpp) allocates every buffer
// and calls the stages in order:
//   project_forward -> (cumsum of tiles_touched) -> bin -> blend_forward
//   blend_backward -> project_backward
// No kernel allocates memory the caller has to free, and none includes LibTorch.
#pragma once

#include <cstdint>
#include <string>

#include "gaussian_math.h"

namespace ggt {
namespace render {

// Layout of one projected Gaussian in the packed `proj` buffer [N, kProjStride].
enum ProjField { kProjMeanX = 0, kProjMeanY, kProjConicA, kProjConicB, kProjConicC, kProjDepth, kProjOpacity };
constexpr int kProjStride = 8;  // 7 fields, padded to 32 bytes

// Tiles touched by the projected Gaussian stored at `row` (one row of `proj`): what both
// backends' projection counts and binning emits.
GGT_HD void proj_tile_rect(const float* row, int radius, int tiles_x, int tiles_y, int rect[4]) {
  splat_tile_rect({row[kProjMeanX], row[kProjMeanY]}, {row[kProjConicA], row[kProjConicB], row[kProjConicC]},
                  row[kProjOpacity], radius, tiles_x, tiles_y, rect);
}

// Writes one row of `proj` [8] from a projection (all zeros when `p` is null: culled).
GGT_HD void store_projected(const Projected* p, float* row) {
  for (int k = 0; k < kProjStride; ++k) row[k] = 0.f;
  if (!p) return;
  row[kProjMeanX] = p->mean.x;
  row[kProjMeanY] = p->mean.y;
  row[kProjConicA] = p->conic.a;
  row[kProjConicB] = p->conic.b;
  row[kProjConicC] = p->conic.c;
  row[kProjDepth] = p->depth;
  row[kProjOpacity] = p->opacity;
}

// Reads one row of `v_proj` [8] as the gradient of a projection.
GGT_HD ProjectedGrad load_projected_grad(const float* row) {
  return {{row[kProjMeanX], row[kProjMeanY]},
          {row[kProjConicA], row[kProjConicB], row[kProjConicC]},
          row[kProjDepth],
          row[kProjOpacity]};
}

struct GaussianInputs {
  int64_t n;
  const float* means;      // [N, 3] world positions
  const float* quats;      // [N, 4] (w, x, y, z), any non-zero norm
  const float* scales;     // [N, 3] positive standard deviations
  const float* opacities;  // [N] in [0, 1]
};

// The CPU kernels' tiles: kCpuTileWidth x kCpuTileHeight pixels (CUDA's are kTileSize
// square, one thread per pixel). Larger tiles give fewer (tile, Gaussian) pairs to bin and to
// set up in blending: on head 882k pairs with 16 x 16, 598k with 32 x 16, 402k with 32 x 32,
// each step faster both ways (docs/rasterizer.md). 32 x 32 is the largest whose group masks
// fit 64 bits; the backward's per-tile state (48 KB) is then about the L1 cache's size.
constexpr int kCpuTileWidth = 32, kCpuTileHeight = 32;

struct TileGrid {
  int32_t tiles_x, tiles_y;
  static TileGrid for_camera(const Camera& cam) {
    return {(cam.width + kTileSize - 1) / kTileSize, (cam.height + kTileSize - 1) / kTileSize};
  }
  static TileGrid for_cpu(const Camera& cam) {
    return {(cam.width + kCpuTileWidth - 1) / kCpuTileWidth, (cam.height + kCpuTileHeight - 1) / kCpuTileHeight};
  }
  int64_t count() const { return static_cast<int64_t>(tiles_x) * tiles_y; }
};

// Stage 1. Writes proj [N, 8], radii [N] (0 = culled) and tiles_touched [N].
// Which blending kernels the CPU path runs: "avx512", "avx2" or "scalar" (chosen once per
// process from the CPU and GGT_CPU_SIMD).
const char* cpu_kernel_variant();

// Tests of the kernels' lane maths: y[i] = log(x[i]) (op "log": the projection's log_lanes) or
// exp(x[i]) ("exp": the lane set's exp) for i < n, computed by `variant`'s lane set ("scalar",
// "avx2", "avx512"); false, with y untouched, when this CPU or build lacks the variant.
bool cpu_lane_math(const std::string& op, const std::string& variant, const float* x, float* y, int64_t n);

// A Gaussian's tiles for CPU binning: its tile rectangle [x0, x1) x [y0, y1) and which of those
// tiles its alpha >= 1/255 ellipse reaches (rasterize_cpu.cpp: kMaskSide, kAllTiles). One
// 16-byte record, so that binning, which reads them in depth order, fetches one cache line per
// Gaussian, not one for the rectangle and one for the mask. Tile coordinates fit int16: images
// are at most 16384 pixels (1024 tiles) a side.
struct TileFootprint {
  int16_t x0, y0, x1, y1;
  uint64_t mask;
};
static_assert(sizeof(TileFootprint) == 16, "two int64 per Gaussian");

// The CPU version writes, instead of proj, depths [N] (camera-space z of the visible Gaussians,
// binning's sort keys; 0 for culled ones) and footprints [N] (what bin_cpu places each
// Gaussian by; computed once here instead of again there), and from colors [N, 3] the blending
// records [N, kSplatRecordFloats] of the visible Gaussians (64-byte aligned; everything
// blending and its backward need of a Gaussian, computed once): proj's other fields live in
// the records, and writing proj too cost 3.2 MB of memory traffic per 100k Gaussians. It
// returns the sum of tiles_touched (the n_isect bin_cpu takes), so that the CPU path needs no
// cumulative sum (0.23 ms for 100k).
constexpr int kSplatRecordFloats = 16;
int64_t project_forward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, const float* colors,
                            float* depths, int32_t* radii, int32_t* tiles_touched, TileFootprint* footprints,
                            float* splat_records);

// Stage 2. offsets [N] is the inclusive cumulative sum of tiles_touched (int64); n_isect its
// last value. Writes sorted_ids [n_isect]: Gaussian ids grouped by tile, front to back within
// a tile (ties by id), and tile_start [tiles + 1]: tile t owns sorted_ids[tile_start[t] ..
// tile_start[t + 1]).
// The CPU version takes project_forward_cpu's depths [N] and footprints [N].
void bin_cpu(int64_t n, const float* depths, const int32_t* radii, const TileFootprint* footprints, TileGrid grid,
             int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start);

// The expected depth of a pixel is its accumulated depth sum w_i z_i over max(alpha,
// kDepthAlphaFloor): where nothing was drawn both are exactly 0 (T stays 1), so it is 0; where
// anything was, alpha >= 1/255 and the floor does nothing. One division instead of masks.
constexpr float kDepthAlphaFloor = 1e-30f;

// Stage 3. colors [N, 3]; background [3] is always a host pointer. Writes image [H, W, 3], alpha [H, W],
// depth [H, W], final_t [H, W] and last_contributor [H, W] (one past the last position in the
// tile's list that blended). depth: CUDA writes the accumulated depth (sum of w_i z_i); the CPU
// writes the expected depth (see kDepthAlphaFloor), in the pass that writes the image.
// The CPU version takes project_forward_cpu's blending records instead of proj and colors.
void blend_forward_cpu(const Camera& cam, const float* splat_records, const float* background,
                       const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                       float* depth, float* final_t, int32_t* last_contributor);

// Stage 3 backward. v_image [H, W, 3], v_alpha [H, W], v_depth [H, W] in; v_proj [N, 8]
// (mean x/y, conic A/B/C, depth, opacity) and v_colors [N, 3] out: CUDA accumulates into them
// (zero-initialised by the caller), the CPU writes every row. v_depth is with respect to the
// depth the forward wrote: CUDA, the accumulated depth; CPU, the expected depth, which it
// takes too (depth [H, W]) and whose division it differentiates per pixel. The CPU version
// takes the forward's blending records.
void blend_backward_cpu(const Camera& cam, int64_t n, const float* splat_records, const float* background,
                        const int32_t* sorted_ids, const int32_t* tile_start, const float* final_t,
                        const float* depth, const int32_t* last_contributor, const float* v_image,
                        const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors);

// Stage 1 backward. v_proj [N, 8] in; v_means [N, 3], v_quats [N, 4], v_scales [N, 3],
// v_opacities [N] out (fully written; zero for culled Gaussians).
void project_backward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, const int32_t* radii,
                          const float* v_proj, float* v_means, float* v_quats, float* v_scales, float* v_opacities);

// CUDA versions: the same contracts, all pointers on the device, work queued on `stream`
// (a cudaStream_t). They throw std::runtime_error on a CUDA error. bin_cuda sorts with CUB
// and takes scratch memory from cudaMallocAsync on the stream.
void project_forward_cuda(const GaussianInputs& g, const Camera& cam, bool antialiased, float* proj, int32_t* radii,
                          int32_t* tiles_touched, void* stream);
void bin_cuda(int64_t n, const float* proj, const int32_t* radii, const int64_t* offsets, TileGrid grid,
              int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start, void* stream);
void blend_forward_cuda(const Camera& cam, const float* proj, const float* colors, const float* background,
                        const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                        float* depth, float* final_t, int32_t* last_contributor, void* stream);
void blend_backward_cuda(const Camera& cam, int64_t n, const float* proj, const float* colors,
                         const float* background, const int32_t* sorted_ids, const int32_t* tile_start,
                         const float* final_t, const int32_t* last_contributor, const float* v_image,
                         const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors, void* stream);
void project_backward_cuda(const GaussianInputs& g, const Camera& cam, bool antialiased, const int32_t* radii,
                           const float* v_proj, float* v_means, float* v_quats, float* v_scales, float* v_opacities,
                           void* stream);

}  // namespace render
}  // namespace ggt
