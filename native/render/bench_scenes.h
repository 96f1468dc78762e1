// The benchmark scenes of DESIGN.md §8, drawn from a seed, shared by the addon's bench and
// the C++ check program so both time exactly the same thing.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "gaussian_math.h"

namespace ggt {
namespace render {

struct GaussianScene {
  at::Tensor means, quats, scales, opacities, colors;  // [N,3], [N,4], [N,3], [N], [N,3] float32, CPU
  Camera camera;
};

// name: "head" (100k Gaussians on a head-sized ellipsoid, 512x512), "scene" (1M in a cube,
// 1024x1024), or "small" (the head distribution with 400 Gaussians at 64x64, for the float64
// reference). Throws c10::Error for other names.
GaussianScene make_bench_scene(const std::string& name, uint64_t seed);

}  // namespace render
}  // namespace ggt
