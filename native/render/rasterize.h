// The differentiable Gaussian rasterizer on LibTorch tensors: checks inputs, allocates, and
// runs the CPU or CUDA kernels (chosen by the tensors' device) inside an autograd function,
// so later stages compose it into training graphs.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string>

#include "gaussian_math.h"

namespace ggt {
namespace render {

enum class RasterMode { kClassic, kAntialiased };

// Default limit on (Gaussian, 16x16 tile) pairs one render may bin: 2^27, ~0.5 GB of sorted ids
// on the CPU (plus the keys and counts). A few thousand huge Gaussians at 4096^2 reach it (3000
// Gaussians covering the image took 1.4 GB); ordinary scenes stay far below (a 1M-Gaussian
// scene at 4K touches ~10^7 tiles).
constexpr int64_t kDefaultMaxTilePairs = int64_t(1) << 27;

struct RasterSettings {
  Camera camera;
  std::array<float, 3> background{0.f, 0.f, 0.f};
  RasterMode mode = RasterMode::kClassic;
  // Refuse (c10::Error naming the option maxTilePairs) rather than allocate beyond this.
  int64_t max_tile_pairs = kDefaultMaxTilePairs;
};

struct RasterOutputs {
  at::Tensor image;   // [H, W, 3] colour + T * background
  at::Tensor alpha;   // [H, W] 1 - T
  at::Tensor depth;   // [H, W] expected depth: sum(w_i z_i) / alpha, 0 where alpha == 0
  at::Tensor radii;   // [N] int32 screen radius in pixels, 0 = culled (not differentiable)
};

// Args:
//   means [N, 3], quats [N, 4] (w, x, y, z), scales [N, 3] (> 0), opacities [N] in [0, 1]:
//     float32, one device, any strides.
//   colors: [N, 3] RGB, or [N, K, 3] spherical-harmonic coefficients with K = (d + 1)^2,
//     d = 0..3 (evaluated towards the camera centre, + 0.5, clamped at 0 as 3DGS does).
// Returns the rendered image, alpha, expected depth and radii; differentiable with respect
// to means, quats, scales, opacities and colors.
RasterOutputs rasterize(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
                        const at::Tensor& opacities, const at::Tensor& colors, const RasterSettings& settings);

// Colour of SH coefficients [N, K, 3] seen from camera centre campos [3]; differentiable in
// both coefficients and means. Returns [N, 3].
at::Tensor sh_to_color(const at::Tensor& sh, const at::Tensor& means, const at::Tensor& campos);

// Camera centre in world coordinates of a world->camera matrix: -R^T t.
std::array<float, 3> camera_center(const Camera& camera);

// Wall time of each stage of the most recent CPU forward and backward in this process, in ms
// (for benchmarks: concurrent renders overwrite each other's figures). checks: input checks
// and conversions before the kernels; project, sort (tile counts, binning and sorting), blend;
// backward_blend, backward_project; total: the whole native forward (the stages, LibTorch's
// autograd node, buffer set-up and the depth normalisation). Also the forward's (tile,
// Gaussian) pairs: rect_pairs in the Gaussians' tile rectangles, tile_pairs in the tile lists
// (those whose tiles the Gaussians' ellipses reach).
struct StageTimes {
  double checks = 0, project = 0, sort = 0, blend = 0, backward_blend = 0, backward_project = 0, total = 0;
  int64_t rect_pairs = 0, tile_pairs = 0;
};
StageTimes last_stage_times();

// Throws c10::Error with a message in the user's terms when the camera is unusable.
void check_camera(const Camera& camera);

}  // namespace render
}  // namespace ggt
