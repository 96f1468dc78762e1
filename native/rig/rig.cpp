#include "rig.h"

#include <ATen/ATen.h>

#include <string>

#include "rotation.h"

namespace ggt {
namespace rig {

TriangleFrames triangle_frames(const at::Tensor& vertices, const at::Tensor& faces) {
  TORCH_CHECK(vertices.dim() == 3 && vertices.size(2) == 3, "expected vertices of shape [T, V, 3]");
  TORCH_CHECK(faces.dim() == 2 && faces.size(1) == 3, "expected faces of shape [F, 3]");
  const at::Tensor f = faces.to(vertices.device(), at::kLong);
  const at::Tensor v0 = vertices.index_select(1, f.select(1, 0)), v1 = vertices.index_select(1, f.select(1, 1)),
                   v2 = vertices.index_select(1, f.select(1, 2));  // [T, F, 3]
  auto normalize = [](const at::Tensor& x) { return x / x.norm(2, -1, true).clamp_min(1e-12); };
  const at::Tensor e1 = v1 - v0, e2 = v2 - v0;
  const at::Tensor a0 = normalize(e1);
  const at::Tensor a1 = normalize(at::cross(a0, e2, -1));
  const at::Tensor a2 = -normalize(at::cross(a1, a0, -1));
  TriangleFrames out;
  out.origin = (v0 + v1 + v2) / 3.0;
  out.rotation = at::stack({a0, a1, a2}, -1);  // columns
  out.scale = 0.5 * (e1.norm(2, -1) + (a2 * e2).sum(-1).abs());
  return out;
}

RiggedGaussians rig_gaussians(const at::Tensor& vertices, const at::Tensor& faces, const LocalGaussians& g) {
  const int64_t n = g.face.size(0);
  TORCH_CHECK(g.offset.dim() == 2 && g.offset.size(0) == n && g.offset.size(1) == 3,
              "expected Gaussian offsets of shape [N, 3] with N = ", n);
  TORCH_CHECK(g.log_scale.dim() == 2 && g.log_scale.size(0) == n && g.log_scale.size(1) == 3,
              "expected Gaussian log-scales of shape [N, 3] with N = ", n);
  TORCH_CHECK(g.quat.dim() == 2 && g.quat.size(0) == n && g.quat.size(1) == 4,
              "expected Gaussian quaternions of shape [N, 4] with N = ", n);
  if (n > 0) {
    const int64_t max_face = g.face.max().item<int64_t>(), min_face = g.face.min().item<int64_t>();
    TORCH_CHECK(min_face >= 0 && max_face < faces.size(0), "expected Gaussian face indices in [0, ", faces.size(0),
                "), received ", min_face < 0 ? min_face : max_face);
  }
  const at::Tensor face = g.face.to(vertices.device(), at::kLong);
  const TriangleFrames frames = triangle_frames(vertices, faces);
  const at::Tensor r = frames.rotation.index_select(1, face);  // [T, N, 3, 3]
  const at::Tensor k = frames.scale.index_select(1, face);     // [T, N]
  at::Tensor anchor;
  if (g.bary.defined()) {
    TORCH_CHECK(g.bary.dim() == 2 && g.bary.size(0) == n && g.bary.size(1) == 3,
                "expected barycentric anchors of shape [N, 3] with N = ", n);
    const at::Tensor corners = faces.to(vertices.device(), at::kLong).index_select(0, face).reshape({-1});
    const at::Tensor tri = vertices.index_select(1, corners).view({vertices.size(0), n, 3, 3});  // [T, N, corner, 3]
    anchor = (tri * g.bary.unsqueeze(0).unsqueeze(-1)).sum(2);
  } else {
    anchor = frames.origin.index_select(1, face);
  }
  RiggedGaussians out;
  // R offset as a broadcast multiply-sum: a batched matmul of N 3x3 matrices costs a BLAS
  // call per matrix.
  out.means = anchor + k.unsqueeze(-1) * (r * g.offset.unsqueeze(0).unsqueeze(-2)).sum(-1);
  out.scales = k.unsqueeze(-1) * g.log_scale.exp().unsqueeze(0);
  out.quats = quaternion_multiply(matrix_to_quaternion(r), g.quat.unsqueeze(0));
  return out;
}

UvLayout rasterize_uv_layout(const at::Tensor& vt_in, const at::Tensor& ft_in, int64_t height, int64_t width) {
  TORCH_CHECK(height > 0 && width > 0 && height * width <= (int64_t(1) << 26),
              "expected a UV map size between 1x1 and 8192x8192 texels, received ", height, "x", width);
  TORCH_CHECK(vt_in.dim() == 2 && vt_in.size(1) == 2, "expected vt of shape [VT, 2]");
  TORCH_CHECK(ft_in.dim() == 2 && ft_in.size(1) == 3, "expected ft of shape [F, 3]");
  const at::Tensor vt = vt_in.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor ft = ft_in.to(at::kCPU, at::kLong).contiguous();
  const int64_t nvt = vt.size(0), nf = ft.size(0);
  if (nf > 0)
    TORCH_CHECK(ft.min().item<int64_t>() >= 0 && ft.max().item<int64_t>() < nvt, "expected ft indices in [0, ", nvt,
                ")");
  UvLayout out;
  out.face = at::full({height, width}, -1, at::kLong);
  out.bary = at::zeros({height, width, 3}, at::kFloat);
  const double* uv = vt.data_ptr<double>();
  const int64_t* tri = ft.data_ptr<int64_t>();
  int64_t* face = out.face.data_ptr<int64_t>();
  float* bary = out.bary.data_ptr<float>();
  for (int64_t f = 0; f < nf; ++f) {
    // Triangle corners in texel coordinates: x = u W - 0.5, y = (1 - v) H - 0.5 (texel centres at integers).
    double x[3], y[3];
    for (int c = 0; c < 3; ++c) {
      x[c] = uv[2 * tri[3 * f + c]] * width - 0.5;
      y[c] = (1.0 - uv[2 * tri[3 * f + c] + 1]) * height - 0.5;
    }
    const double area = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]);
    if (area == 0.0) continue;  // degenerate in UV: covers no texel
    const int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(std::min({x[0], x[1], x[2]}))));
    const int64_t c1 = std::min<int64_t>(width - 1, static_cast<int64_t>(std::floor(std::max({x[0], x[1], x[2]}))));
    const int64_t r0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(std::min({y[0], y[1], y[2]}))));
    const int64_t r1 = std::min<int64_t>(height - 1, static_cast<int64_t>(std::floor(std::max({y[0], y[1], y[2]}))));
    for (int64_t r = r0; r <= r1; ++r) {
      for (int64_t c = c0; c <= c1; ++c) {
        const int64_t t = r * width + c;
        if (face[t] >= 0) continue;  // an earlier (lower-index) face has it
        const double px = static_cast<double>(c), py = static_cast<double>(r);
        const double w0 = ((x[1] - px) * (y[2] - py) - (x[2] - px) * (y[1] - py)) / area;
        const double w1 = ((x[2] - px) * (y[0] - py) - (x[0] - px) * (y[2] - py)) / area;
        const double w2 = 1.0 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        face[t] = f;
        bary[3 * t] = static_cast<float>(w0);
        bary[3 * t + 1] = static_cast<float>(w1);
        bary[3 * t + 2] = static_cast<float>(w2);
      }
    }
  }
  return out;
}

UvGaussians sample_uv_gaussians(const at::Tensor& map, const UvLayout& layout) {
  TORCH_CHECK(map.dim() == 3 && map.size(2) == kUvMapChannels, "expected a UV Gaussian map of shape [H, W, 14]");
  TORCH_CHECK(layout.face.dim() == 2 && layout.face.size(0) == map.size(0) && layout.face.size(1) == map.size(1),
              "expected the UV map's size ", map.size(0), "x", map.size(1), " to match the layout's ",
              layout.face.size(0), "x", layout.face.size(1));
  const at::Tensor valid = (layout.face.reshape({-1}) >= 0).nonzero().squeeze(1);  // [M] texel indices
  const at::Tensor texels = map.reshape({-1, kUvMapChannels}).index_select(0, valid.to(map.device()));
  UvGaussians out;
  out.local.face = layout.face.reshape({-1}).index_select(0, valid).to(map.device());
  out.local.bary = layout.bary.reshape({-1, 3}).index_select(0, valid).to(map.device(), map.scalar_type());
  out.local.offset = texels.slice(1, 0, 3);
  out.local.log_scale = texels.slice(1, 3, 6);
  out.local.quat = texels.slice(1, 6, 10);
  out.sh0 = texels.slice(1, 10, 13);
  out.opacity_logit = texels.select(1, 13);
  return out;
}

}  // namespace rig
}  // namespace ggt
