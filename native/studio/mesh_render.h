// The studio camera: a textured, shaded triangle-mesh renderer (z-buffer, perspective-correct
// barycentrics), independent of the Gaussian rasterizer. Plain C++ (no LibTorch).
#pragma once

namespace ggt {
namespace studio {}  // namespace studio
}  // namespace ggt
