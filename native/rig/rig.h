// Gaussians rigged to mesh triangles (GaussianAvatars; GGTalker eq. 7) and the UV Gaussian
// map (GGTalker eq. 8): triangle frames, rigging, UV layout rasterization and map sampling.
// Differentiable LibTorch ops except the layout, which is a fixed lookup table.
#pragma once

#include <ATen/core/Tensor.h>

namespace ggt {
namespace rig {

// Per-triangle frames of a mesh batch: vertices [T, V, 3], faces [F, 3] (int64).
//   origin [T, F, 3]: centroid; rotation [T, F, 3, 3]: columns a0 = normalize(v1 - v0),
//   a1 = normalize(a0 x (v2 - v0)) (the normal), a2 = -normalize(a1 x a0);
//   scale [T, F]: k = (|v1 - v0| + |a2 . (v2 - v0)|) / 2.
struct TriangleFrames {
  at::Tensor origin, rotation, scale;
};
TriangleFrames triangle_frames(const at::Tensor& vertices, const at::Tensor& faces);

// Gaussians bound to faces, in their face's frame.
struct LocalGaussians {
  at::Tensor face;       // [N] int64 face index
  at::Tensor bary;       // [N, 3] anchor on the face; undefined: the centroid
  at::Tensor offset;     // [N, 3] position in the face frame, in units of k
  at::Tensor log_scale;  // [N, 3]
  at::Tensor quat;       // [N, 4] (w, x, y, z) relative to the face frame
};

struct RiggedGaussians {
  at::Tensor means;   // [T, N, 3] = anchor + k R offset (anchor = sum bary_i v_i)
  at::Tensor scales;  // [T, N, 3] = k exp(log_scale)
  at::Tensor quats;   // [T, N, 4] = q(R) ⊗ quat
};
RiggedGaussians rig_gaussians(const at::Tensor& vertices, const at::Tensor& faces, const LocalGaussians& g);

// The UV layout: which face covers each texel of an H x W map and where. Texel (row r,
// column c) samples (u, v) = ((c + 0.5) / W, 1 - (r + 0.5) / H) (row 0 at v = 1, as images).
// face [H, W] int64 (-1: no face), bary [H, W, 3] float32 (of the face's corners).
// A texel on an edge shared by several faces goes to the lowest face index.
struct UvLayout {
  at::Tensor face, bary;
};
UvLayout rasterize_uv_layout(const at::Tensor& vt, const at::Tensor& ft, int64_t height, int64_t width);

// Channels of a UV Gaussian map [H, W, 14].
constexpr int kUvMapChannels = 14;  // offset 3, log-scale 3, rotation 4, colour (SH0) 3, opacity logit 1

// Gaussians of the valid texels of `map` [H, W, 14] (row-major texel order), bound to the
// layout's faces; differentiable with respect to the map. sh0 [M, 3] and opacity_logit [M]
// are the map's raw colour and opacity channels.
struct UvGaussians {
  LocalGaussians local;
  at::Tensor sh0, opacity_logit;
};
UvGaussians sample_uv_gaussians(const at::Tensor& map, const UvLayout& layout);

}  // namespace rig
}  // namespace ggt
