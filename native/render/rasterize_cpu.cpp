// CPU kernels of the rasterizer (contracts in rasterize_kernels.h). Parallel over Gaussians
// for the projection stages and over 16x16 tiles for blending, on LibTorch's intra-op thread
// pool. The blending backward is race-free and deterministic: each tile's thread writes the
// gradients of its own (tile, Gaussian) intersections into a private row, and the rows of one
// Gaussian are summed afterwards in a fixed order, so the result does not depend on the
// thread count.
#include <ATen/Parallel.h>

#include <algorithm>
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
  std::vector<float> mx, my, ca, cb, cc, opacity, depth, r, g, b;
  int64_t size = 0;

  void gather(const float* proj, const float* colors, const int32_t* ids, int64_t count) {
    if (static_cast<int64_t>(mx.size()) < count) {
      for (auto* v : {&mx, &my, &ca, &cb, &cc, &opacity, &depth, &r, &g, &b}) v->resize(count);
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
      tile_rect(p.mean, p.radius, grid.tiles_x, grid.tiles_y, rect);
      radii[i] = p.radius;
      tiles_touched[i] = (rect[2] - rect[0]) * (rect[3] - rect[1]);
    }
  });
}

void bin_cpu(int64_t n, const float* proj, const int32_t* radii, const int64_t* offsets, TileGrid grid,
             int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start) {
  const int64_t tiles = grid.count();
  std::fill(tile_start, tile_start + tiles + 1, 0);
  if (n_isect == 0) return;

  // Each Gaussian writes the tile ids it touches into its own slice [offsets[i-1], offsets[i]).
  std::vector<int32_t> isect_tile(n_isect);
  at::parallel_for(0, n, kGaussianGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (radii[i] == 0) continue;
      const float* p = proj + i * kProjStride;
      int rect[4];
      tile_rect({p[kProjMeanX], p[kProjMeanY]}, radii[i], grid.tiles_x, grid.tiles_y, rect);
      int64_t o = i == 0 ? 0 : offsets[i - 1];
      for (int ty = rect[1]; ty < rect[3]; ++ty)
        for (int tx = rect[0]; tx < rect[2]; ++tx) isect_tile[o++] = ty * grid.tiles_x + tx;
    }
  });

  // Stable counting sort by tile: within a tile, Gaussians stay in increasing id order.
  for (int64_t k = 0; k < n_isect; ++k) ++tile_start[isect_tile[k] + 1];
  std::partial_sum(tile_start, tile_start + tiles + 1, tile_start);
  std::vector<int32_t> cursor(tile_start, tile_start + tiles);
  for (int64_t i = 0, k = 0; i < n; ++i)
    for (; k < offsets[i]; ++k) sorted_ids[cursor[isect_tile[k]]++] = static_cast<int32_t>(i);

  // Front to back within each tile; equal depths keep id order (matches CUB's stable sort).
  at::parallel_for(0, tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      std::stable_sort(sorted_ids + tile_start[t], sorted_ids + tile_start[t + 1], [proj](int32_t a, int32_t b) {
        return proj[static_cast<int64_t>(a) * kProjStride + kProjDepth] <
               proj[static_cast<int64_t>(b) * kProjStride + kProjDepth];
      });
    }
  });
}

void blend_forward_cpu(const Camera& cam, const float* proj, const float* colors, const float* background,
                       const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                       float* depth, float* final_t, int32_t* last_contributor) {
  const TileGrid grid = TileGrid::for_camera(cam);
  at::parallel_for(0, grid.count(), 1, [&](int64_t begin, int64_t end) {
    TileBatch batch;
    for (int64_t t = begin; t < end; ++t) {
      const TileBounds tb = tile_bounds(t, grid, cam);
      batch.gather(proj, colors, sorted_ids + tile_start[t], tile_start[t + 1] - tile_start[t]);
      for (int y = tb.y0; y < tb.y1; ++y) {
        for (int x = tb.x0; x < tb.x1; ++x) {
          const float px = x + 0.5f, py = y + 0.5f;
          float T = 1.f, cr = 0.f, cg = 0.f, cb = 0.f, cd = 0.f;
          int32_t last = 0;
          for (int64_t k = 0; k < batch.size; ++k) {
            float gv, dx, dy;
            const float a = batch.alpha_at(k, px, py, &gv, &dx, &dy);
            if (a == 0.f) continue;
            const float next_t = T * (1.f - a);
            if (next_t < kMinTransmittance) break;
            const float w = a * T;
            cr += batch.r[k] * w;
            cg += batch.g[k] * w;
            cb += batch.b[k] * w;
            cd += batch.depth[k] * w;
            T = next_t;
            last = static_cast<int32_t>(k + 1);
          }
          const int64_t pix = static_cast<int64_t>(y) * cam.width + x;
          image[3 * pix + 0] = cr + T * background[0];
          image[3 * pix + 1] = cg + T * background[1];
          image[3 * pix + 2] = cb + T * background[2];
          alpha[pix] = 1.f - T;
          depth[pix] = cd;
          final_t[pix] = T;
          last_contributor[pix] = last;
        }
      }
    }
  });
}

namespace {

// Gradient row of one (tile, Gaussian) intersection.
enum IsectGrad { kGMeanX = 0, kGMeanY, kGConicA, kGConicB, kGConicC, kGDepth, kGOpacity, kGR, kGG, kGB };
constexpr int kIsectGradStride = 10;

// Back-to-front replay of one pixel (3DGS recursion), adding into the tile's gradient rows.
void blend_backward_pixel(const TileBatch& batch, float px, float py, float final_t, int32_t last,
                          const float v_rgb[3], float v_alpha_pixel, float v_depth_pixel, const float* background,
                          float* rows) {
  float T = final_t;
  float accum[4] = {0.f, 0.f, 0.f, 0.f};  // colour and depth of everything behind, per unit weight
  float last_alpha = 0.f, last_value[4] = {0.f, 0.f, 0.f, 0.f};
  const float bg_dot = background[0] * v_rgb[0] + background[1] * v_rgb[1] + background[2] * v_rgb[2];
  const float v_value[4] = {v_rgb[0], v_rgb[1], v_rgb[2], v_depth_pixel};
  for (int64_t k = last - 1; k >= 0; --k) {
    float gv, dx, dy;
    const float a = batch.alpha_at(k, px, py, &gv, &dx, &dy);
    if (a == 0.f) continue;
    T = T / (1.f - a);
    const float w = a * T;
    const float value[4] = {batch.r[k], batch.g[k], batch.b[k], batch.depth[k]};
    float v_a = 0.f;
    float* row = rows + k * kIsectGradStride;
    for (int c = 0; c < 4; ++c) {
      accum[c] = last_alpha * last_value[c] + (1.f - last_alpha) * accum[c];
      last_value[c] = value[c];
      v_a += (value[c] - accum[c]) * v_value[c];
    }
    row[kGR] += w * v_rgb[0];
    row[kGG] += w * v_rgb[1];
    row[kGB] += w * v_rgb[2];
    row[kGDepth] += w * v_depth_pixel;
    v_a *= T;
    v_a += final_t / (1.f - a) * (v_alpha_pixel - bg_dot);
    last_alpha = a;
    const float o = batch.opacity[k];
    if (o * gv >= kMaxAlpha) continue;  // alpha clamped: no gradient to the Gaussian's shape
    const float v_g = o * v_a;
    const float ca = batch.ca[k], cb = batch.cb[k], cc = batch.cc[k];
    row[kGOpacity] += gv * v_a;
    row[kGMeanX] += v_g * gv * (-ca * dx - cb * dy);
    row[kGMeanY] += v_g * gv * (-cb * dx - cc * dy);
    row[kGConicA] += -0.5f * gv * dx * dx * v_g;
    row[kGConicB] += -gv * dx * dy * v_g;
    row[kGConicC] += -0.5f * gv * dy * dy * v_g;
  }
}

}  // namespace

void blend_backward_cpu(const Camera& cam, int64_t n, const float* proj, const float* colors,
                        const float* background, const int32_t* sorted_ids, const int32_t* tile_start,
                        const float* final_t, const int32_t* last_contributor, const float* v_image,
                        const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors) {
  const TileGrid grid = TileGrid::for_camera(cam);
  const int64_t n_isect = tile_start[grid.count()];
  if (n_isect == 0) return;
  std::vector<float> rows(static_cast<size_t>(n_isect) * kIsectGradStride, 0.f);

  at::parallel_for(0, grid.count(), 1, [&](int64_t begin, int64_t end) {
    TileBatch batch;
    for (int64_t t = begin; t < end; ++t) {
      const int64_t count = tile_start[t + 1] - tile_start[t];
      if (count == 0) continue;
      const TileBounds tb = tile_bounds(t, grid, cam);
      batch.gather(proj, colors, sorted_ids + tile_start[t], count);
      float* tile_rows = rows.data() + tile_start[t] * kIsectGradStride;
      for (int y = tb.y0; y < tb.y1; ++y) {
        for (int x = tb.x0; x < tb.x1; ++x) {
          const int64_t pix = static_cast<int64_t>(y) * cam.width + x;
          blend_backward_pixel(batch, x + 0.5f, y + 0.5f, final_t[pix], last_contributor[pix], v_image + 3 * pix,
                               v_alpha[pix], v_depth[pix], background, tile_rows);
        }
      }
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
