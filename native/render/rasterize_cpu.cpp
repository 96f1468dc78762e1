// CPU kernels of the rasterizer (contracts in rasterize_kernels.h). Parallel over Gaussians
// for the projection stages and over 16x16 tiles for blending (tiles handed out dynamically,
// since a face's tiles cost far more than the background's), on LibTorch's thread pool.
//
// Blending walks a tile Gaussian by Gaussian (front to back), touching only the pixels inside
// each splat's alpha >= 1/255 ellipse box, with per-pixel state; every pixel still sees its
// Gaussians in list order, so the result is the per-pixel 3DGS loop's, without testing pairs
// that cannot contribute. The backward is race-free and deterministic: each tile's thread
// owns the gradient rows of its (tile, Gaussian) pairs, and the rows of one Gaussian are
// summed afterwards in a fixed order, whatever the thread count.
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
#include <vector>

#include "rasterize_kernels.h"

namespace ggt {
namespace render {
namespace {

constexpr int64_t kGaussianGrain = 2048;  // Gaussians per parallel chunk

Vec3 load3(const float* p, int64_t i) { return {p[3 * i], p[3 * i + 1], p[3 * i + 2]}; }

// The Gaussians of one tile, gathered front to back into contiguous arrays so the per-pixel
// loops stream through memory. One instance per thread, reused across tiles.
struct TileBatch {
  std::vector<float> mx, my, ca, cb, cc, opacity, depth, r, g, b, ex, ey;
  int64_t size = 0;

  void gather(const float* proj, const float* colors, const int32_t* ids, int64_t count) {
    if (static_cast<int64_t>(mx.size()) < count) {
      for (auto* v : {&mx, &my, &ca, &cb, &cc, &opacity, &depth, &r, &g, &b, &ex, &ey}) v->resize(count);
    }
    for (int64_t k = 0; k < count; ++k) {
      const float* p = proj + static_cast<int64_t>(ids[k]) * kProjStride;
      const float* c = colors + static_cast<int64_t>(ids[k]) * 3;
      mx[k] = p[kProjMeanX];
      my[k] = p[kProjMeanY];
      ca[k] = p[kProjConicA];
      cb[k] = p[kProjConicB];
      cc[k] = p[kProjConicC];
      depth[k] = p[kProjDepth];
      opacity[k] = p[kProjOpacity];
      r[k] = c[0];
      g[k] = c[1];
      b[k] = c[2];
      if (!splat_extent({ca[k], cb[k], cc[k]}, opacity[k], &ex[k], &ey[k])) ex[k] = ey[k] = -1.f;
    }
    size = count;
  }

  float alpha_at(int64_t k, float px, float py, float* gauss, float* dx, float* dy) const {
    return splat_alpha({mx[k], my[k]}, {ca[k], cb[k], cc[k]}, opacity[k], px, py, gauss, dx, dy);
  }
};

struct TileBounds {
  int x0, y0, x1, y1;  // pixel range [x0, x1) x [y0, y1)
};

TileBounds tile_bounds(int64_t tile, TileGrid grid, const Camera& cam) {
  const int tx = static_cast<int>(tile % grid.tiles_x), ty = static_cast<int>(tile / grid.tiles_x);
  return {tx * kTileSize, ty * kTileSize, std::min(cam.width, (tx + 1) * kTileSize),
          std::min(cam.height, (ty + 1) * kTileSize)};
}

// Pixels of tile `tb` whose centres (i + 0.5) lie within batch entry k's ellipse box.
// Empty (x0 >= x1 or y0 >= y1) when the splat cannot reach this tile.
TileBounds splat_pixels(const TileBatch& batch, int64_t k, const TileBounds& tb) {
  if (batch.ex[k] < 0.f) return {0, 0, 0, 0};
  auto lo = [](float v, int bound) { return std::max(bound, static_cast<int>(std::ceil(std::max(v, -1e9f)))); };
  auto hi = [](float v, int bound) { return std::min(bound, static_cast<int>(std::floor(std::min(v, 1e9f))) + 1); };
  return {lo(batch.mx[k] - batch.ex[k] - 0.5f, tb.x0), lo(batch.my[k] - batch.ey[k] - 0.5f, tb.y0),
          hi(batch.mx[k] + batch.ex[k] - 0.5f, tb.x1), hi(batch.my[k] + batch.ey[k] - 0.5f, tb.y1)};
}

// Runs fn(tile) for every tile, handing tiles out one at a time to the pool's threads.
template <typename Fn>
void for_each_tile(int64_t tiles, const Fn& fn) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(at::get_num_threads(), std::max<int64_t>(tiles, 1));
  at::parallel_for(0, workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w)
      for (int64_t t = next++; t < tiles; t = next++) fn(t);
  });
}

constexpr int kTilePixels = kTileSize * kTileSize;

}  // namespace

void project_forward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, float* proj, int32_t* radii,
                         int32_t* tiles_touched) {
  const TileGrid grid = TileGrid::for_camera(cam);
  at::parallel_for(0, g.n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Projected p;
      float* out = proj + i * kProjStride;
      if (!project_gaussian(cam, load3(g.means, i), g.quats + 4 * i, load3(g.scales, i), g.opacities[i],
                            antialiased, grid.tiles_x, grid.tiles_y, p)) {
        std::fill(out, out + kProjStride, 0.f);
        radii[i] = 0;
        tiles_touched[i] = 0;
        continue;
      }
      out[kProjMeanX] = p.mean.x;
      out[kProjMeanY] = p.mean.y;
      out[kProjConicA] = p.conic.a;
      out[kProjConicB] = p.conic.b;
      out[kProjConicC] = p.conic.c;
      out[kProjDepth] = p.depth;
      out[kProjOpacity] = p.opacity;
      out[kProjStride - 1] = 0.f;
      int rect[4];
      proj_tile_rect(out, p.radius, grid.tiles_x, grid.tiles_y, rect);
      radii[i] = p.radius;
      tiles_touched[i] = (rect[2] - rect[0]) * (rect[3] - rect[1]);
    }
  });
}

namespace {

// Stable LSD radix sort of ids by a non-negative float key (its bits order like the float):
// equal keys keep their input order. 4 passes of 8 bits.
void radix_sort_by_key(std::vector<uint32_t>& keys, std::vector<int32_t>& ids) {
  const size_t n = keys.size();
  std::vector<uint32_t> keys_tmp(n);
  std::vector<int32_t> ids_tmp(n);
  for (int shift = 0; shift < 32; shift += 8) {
    size_t count[257] = {};
    for (size_t i = 0; i < n; ++i) ++count[((keys[i] >> shift) & 0xff) + 1];
    if (count[1] == n) continue;  // every key has this byte = 0: nothing to move
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (size_t i = 0; i < n; ++i) {
      const size_t dst = count[(keys[i] >> shift) & 0xff]++;
      keys_tmp[dst] = keys[i];
      ids_tmp[dst] = ids[i];
    }
    keys.swap(keys_tmp);
    ids.swap(ids_tmp);
  }
}

}  // namespace

void bin_cpu(int64_t n, const float* proj, const int32_t* radii, const int64_t* offsets, TileGrid grid,
             int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start) {
  const int64_t tiles = grid.count();
  std::fill(tile_start, tile_start + tiles + 1, 0);
  if (n_isect == 0) return;

  // Visible Gaussians front to back (ties by id): emitting pairs in this order and then
  // placing them by tile with a stable counting sort leaves each tile's list depth-sorted.
  std::vector<uint32_t> keys;
  std::vector<int32_t> order;
  for (int64_t i = 0; i < n; ++i) {
    if (radii[i] == 0) continue;
    uint32_t bits;
    std::memcpy(&bits, proj + i * kProjStride + kProjDepth, sizeof bits);
    keys.push_back(bits);
    order.push_back(static_cast<int32_t>(i));
  }
  radix_sort_by_key(keys, order);

  std::vector<int32_t> rects(order.size() * 4);
  at::parallel_for(0, static_cast<int64_t>(order.size()), kGaussianGrain, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j)
      proj_tile_rect(proj + static_cast<int64_t>(order[j]) * kProjStride, radii[order[j]], grid.tiles_x,
                     grid.tiles_y, &rects[4 * j]);
  });
  for (size_t j = 0; j < order.size(); ++j) {
    const int32_t* r = &rects[4 * j];
    for (int ty = r[1]; ty < r[3]; ++ty)
      for (int tx = r[0]; tx < r[2]; ++tx) ++tile_start[ty * grid.tiles_x + tx + 1];
  }
  std::partial_sum(tile_start, tile_start + tiles + 1, tile_start);
  TORCH_INTERNAL_ASSERT(tile_start[tiles] == n_isect, "binning counted ", tile_start[tiles],
                        " tile pairs but projection counted ", n_isect);
  std::vector<int32_t> cursor(tile_start, tile_start + tiles);
  for (size_t j = 0; j < order.size(); ++j) {
    const int32_t* r = &rects[4 * j];
    for (int ty = r[1]; ty < r[3]; ++ty)
      for (int tx = r[0]; tx < r[2]; ++tx) sorted_ids[cursor[ty * grid.tiles_x + tx]++] = order[j];
  }
  (void)offsets;  // the pair count per Gaussian is recomputed from its rectangle
}

void blend_forward_cpu(const Camera& cam, const float* proj, const float* colors, const float* background,
                       const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                       float* depth, float* final_t, int32_t* last_contributor) {
  const TileGrid grid = TileGrid::for_camera(cam);
  std::vector<TileBatch> batches(at::get_num_threads());
  for_each_tile(grid.count(), [&](int64_t t) {
    TileBatch& batch = batches[at::get_thread_num()];
    const TileBounds tb = tile_bounds(t, grid, cam);
    batch.gather(proj, colors, sorted_ids + tile_start[t], tile_start[t + 1] - tile_start[t]);
    // Per-pixel state, indexed (y - y0) * kTileSize + (x - x0).
    float T[kTilePixels], acc[kTilePixels][4];
    int32_t last[kTilePixels];
    bool done[kTilePixels];
    std::fill(T, T + kTilePixels, 1.f);
    std::memset(acc, 0, sizeof acc);
    std::fill(last, last + kTilePixels, 0);
    std::fill(done, done + kTilePixels, false);
    int remaining = (tb.x1 - tb.x0) * (tb.y1 - tb.y0);
    for (int64_t k = 0; k < batch.size && remaining > 0; ++k) {
      const TileBounds sp = splat_pixels(batch, k, tb);
      for (int y = sp.y0; y < sp.y1; ++y) {
        for (int x = sp.x0; x < sp.x1; ++x) {
          const int p = (y - tb.y0) * kTileSize + (x - tb.x0);
          if (done[p]) continue;
          float gv, dx, dy;
          const float a = batch.alpha_at(k, x + 0.5f, y + 0.5f, &gv, &dx, &dy);
          if (a == 0.f) continue;
          const float next_t = T[p] * (1.f - a);
          if (next_t < kMinTransmittance) {
            done[p] = true;
            --remaining;
            continue;
          }
          const float w = a * T[p];
          acc[p][0] += batch.r[k] * w;
          acc[p][1] += batch.g[k] * w;
          acc[p][2] += batch.b[k] * w;
          acc[p][3] += batch.depth[k] * w;
          T[p] = next_t;
          last[p] = static_cast<int32_t>(k + 1);
        }
      }
    }
    for (int y = tb.y0; y < tb.y1; ++y) {
      for (int x = tb.x0; x < tb.x1; ++x) {
        const int p = (y - tb.y0) * kTileSize + (x - tb.x0);
        const int64_t pix = static_cast<int64_t>(y) * cam.width + x;
        for (int c = 0; c < 3; ++c) image[3 * pix + c] = acc[p][c] + T[p] * background[c];
        alpha[pix] = 1.f - T[p];
        depth[pix] = acc[p][3];
        final_t[pix] = T[p];
        last_contributor[pix] = last[p];
      }
    }
  });
}

namespace {

// Gradient row of one (tile, Gaussian) intersection.
enum IsectGrad { kGMeanX = 0, kGMeanY, kGConicA, kGConicB, kGConicC, kGDepth, kGOpacity, kGR, kGG, kGB };
constexpr int kIsectGradStride = 10;

// One pixel's state while replaying its Gaussians back to front (the 3DGS recursion).
struct BackwardPixel {
  float T;               // transmittance in front of the current Gaussian
  float accum[4];        // colour and depth of everything behind it, per unit weight
  float last_alpha;
  float last_value[4];
  float v_value[4];      // dL/d(image rgb, depth) at this pixel
  float v_alpha_minus_bg;  // dL/dalpha - background . dL/dimage
  float final_t;
  int32_t last;
};

}  // namespace

void blend_backward_cpu(const Camera& cam, int64_t n, const float* proj, const float* colors,
                        const float* background, const int32_t* sorted_ids, const int32_t* tile_start,
                        const float* final_t, const int32_t* last_contributor, const float* v_image,
                        const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors) {
  const TileGrid grid = TileGrid::for_camera(cam);
  const int64_t n_isect = tile_start[grid.count()];
  if (n_isect == 0) return;
  std::vector<float> rows(static_cast<size_t>(n_isect) * kIsectGradStride, 0.f);
  std::vector<TileBatch> batches(at::get_num_threads());

  for_each_tile(grid.count(), [&](int64_t t) {
    const int64_t count = tile_start[t + 1] - tile_start[t];
    if (count == 0) return;
    TileBatch& batch = batches[at::get_thread_num()];
    const TileBounds tb = tile_bounds(t, grid, cam);
    batch.gather(proj, colors, sorted_ids + tile_start[t], count);
    BackwardPixel px[kTilePixels];
    int32_t max_last = 0;
    for (int y = tb.y0; y < tb.y1; ++y) {
      for (int x = tb.x0; x < tb.x1; ++x) {
        BackwardPixel& s = px[(y - tb.y0) * kTileSize + (x - tb.x0)];
        const int64_t pix = static_cast<int64_t>(y) * cam.width + x;
        s = BackwardPixel{};
        s.T = s.final_t = final_t[pix];
        s.last = last_contributor[pix];
        for (int c = 0; c < 3; ++c) s.v_value[c] = v_image[3 * pix + c];
        s.v_value[3] = v_depth[pix];
        s.v_alpha_minus_bg = v_alpha[pix] - (background[0] * s.v_value[0] + background[1] * s.v_value[1] +
                                             background[2] * s.v_value[2]);
        max_last = std::max(max_last, s.last);
      }
    }
    for (int64_t k = max_last - 1; k >= 0; --k) {
      const TileBounds sp = splat_pixels(batch, k, tb);
      float g[kIsectGradStride] = {};
      const float value[4] = {batch.r[k], batch.g[k], batch.b[k], batch.depth[k]};
      const float o = batch.opacity[k], ca = batch.ca[k], cb = batch.cb[k], cc = batch.cc[k];
      for (int y = sp.y0; y < sp.y1; ++y) {
        for (int x = sp.x0; x < sp.x1; ++x) {
          BackwardPixel& s = px[(y - tb.y0) * kTileSize + (x - tb.x0)];
          if (k >= s.last) continue;
          float gv, dx, dy;
          const float a = batch.alpha_at(k, x + 0.5f, y + 0.5f, &gv, &dx, &dy);
          if (a == 0.f) continue;
          s.T = s.T / (1.f - a);
          const float w = a * s.T;
          float v_a = 0.f;
          for (int c = 0; c < 4; ++c) {
            s.accum[c] = s.last_alpha * s.last_value[c] + (1.f - s.last_alpha) * s.accum[c];
            s.last_value[c] = value[c];
            v_a += (value[c] - s.accum[c]) * s.v_value[c];
          }
          g[kGR] += w * s.v_value[0];
          g[kGG] += w * s.v_value[1];
          g[kGB] += w * s.v_value[2];
          g[kGDepth] += w * s.v_value[3];
          v_a = v_a * s.T + s.final_t / (1.f - a) * s.v_alpha_minus_bg;
          s.last_alpha = a;
          if (o * gv >= kMaxAlpha) continue;  // alpha clamped: no gradient to the splat's shape
          const float v_g = o * v_a;
          g[kGOpacity] += gv * v_a;
          g[kGMeanX] += v_g * gv * (-ca * dx - cb * dy);
          g[kGMeanY] += v_g * gv * (-cb * dx - cc * dy);
          g[kGConicA] += -0.5f * gv * dx * dx * v_g;
          g[kGConicB] += -gv * dx * dy * v_g;
          g[kGConicC] += -0.5f * gv * dy * dy * v_g;
        }
      }
      std::memcpy(&rows[(tile_start[t] + k) * kIsectGradStride], g, sizeof g);
    }
  });

  // Group intersection rows by Gaussian (stable: tile order), then sum each group.
  std::vector<int64_t> first(n + 1, 0);
  for (int64_t k = 0; k < n_isect; ++k) ++first[sorted_ids[k] + 1];
  std::partial_sum(first.begin(), first.end(), first.begin());
  std::vector<int64_t> by_gaussian(n_isect);
  {
    std::vector<int64_t> cursor(first.begin(), first.end() - 1);
    for (int64_t k = 0; k < n_isect; ++k) by_gaussian[cursor[sorted_ids[k]]++] = k;
  }
  at::parallel_for(0, n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float sum[kIsectGradStride] = {};
      for (int64_t j = first[i]; j < first[i + 1]; ++j) {
        const float* row = rows.data() + by_gaussian[j] * kIsectGradStride;
        for (int c = 0; c < kIsectGradStride; ++c) sum[c] += row[c];
      }
      float* vp = v_proj + i * kProjStride;
      vp[kProjMeanX] += sum[kGMeanX];
      vp[kProjMeanY] += sum[kGMeanY];
      vp[kProjConicA] += sum[kGConicA];
      vp[kProjConicB] += sum[kGConicB];
      vp[kProjConicC] += sum[kGConicC];
      vp[kProjDepth] += sum[kGDepth];
      vp[kProjOpacity] += sum[kGOpacity];
      v_colors[3 * i + 0] += sum[kGR];
      v_colors[3 * i + 1] += sum[kGG];
      v_colors[3 * i + 2] += sum[kGB];
    }
  });
}

void project_backward_cpu(const GaussianInputs& g, const Camera& cam, bool antialiased, const int32_t* radii,
                          const float* v_proj, float* v_means, float* v_quats, float* v_scales, float* v_opacities) {
  at::parallel_for(0, g.n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (radii[i] == 0) {
        std::fill(v_means + 3 * i, v_means + 3 * i + 3, 0.f);
        std::fill(v_quats + 4 * i, v_quats + 4 * i + 4, 0.f);
        std::fill(v_scales + 3 * i, v_scales + 3 * i + 3, 0.f);
        v_opacities[i] = 0.f;
        continue;
      }
      const float* vp = v_proj + i * kProjStride;
      const ProjectedGrad pg{{vp[kProjMeanX], vp[kProjMeanY]},
                             {vp[kProjConicA], vp[kProjConicB], vp[kProjConicC]},
                             vp[kProjDepth],
                             vp[kProjOpacity]};
      project_gaussian_vjp(cam, load3(g.means, i), g.quats + 4 * i, load3(g.scales, i), g.opacities[i], antialiased,
                           pg, v_means + 3 * i, v_quats + 4 * i, v_scales + 3 * i, v_opacities + i);
    }
  });
}

}  // namespace render
}  // namespace ggt
