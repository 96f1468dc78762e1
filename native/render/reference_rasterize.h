// Float64 reference rasterizer for tests (reference_rasterize.cpp).
#pragma once

#include "rasterize.h"

namespace ggt {
namespace render {

// Same arguments and outputs as rasterize(), computed in float64 with plain tensor ops
// (outputs are float64). Differentiable through LibTorch's autograd. Small scenes only:
// it materialises [H * W, N] matrices.
RasterOutputs reference_rasterize(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
                                  const at::Tensor& opacities, const at::Tensor& colors,
                                  const RasterSettings& settings);

}  // namespace render
}  // namespace ggt
