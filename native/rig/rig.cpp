#include "rig.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../common/cpu_parallel.h"
#include "rotation.h"

namespace ggt {
namespace rig {
namespace {

// ---- The fused CPU rig ------------------------------------------------------------------------
//
// Inference on the CPU (no gradients, float32) rigs in two passes over plain arrays instead
// of ~40 LibTorch ops on [T, N, 3, 3] temporaries: one over the T x F triangles (frame, q(R),
// k, centroid, in double), one over the T x N Gaussians (anchor + k R offset, k exp(logScale),
// q(R) ⊗ quat, in float). The op-by-op path below stays for autograd, CUDA and float64, and is
// the reference the fused one is tested against (test/rig-fused.test.ts).

bool needs_grad(const at::Tensor& t) { return t.defined() && t.requires_grad(); }
bool cpu_float(const at::Tensor& t) { return !t.defined() || (t.device().is_cpu() && t.scalar_type() == at::kFloat); }

bool fused_rig_applies(const at::Tensor& vertices, const LocalGaussians& g) {
  const bool grad = at::GradMode::is_enabled() && (needs_grad(vertices) || needs_grad(g.offset) ||
                                                   needs_grad(g.log_scale) || needs_grad(g.quat) || needs_grad(g.bary));
  return !grad && cpu_float(vertices) && cpu_float(g.offset) && cpu_float(g.log_scale) && cpu_float(g.quat) &&
         cpu_float(g.bary);
}

// One triangle's frame, as triangle_frames defines it.
struct FaceFrame {
  float r[9];  // rotation, row-major: r[3 i + j] = a_j[i] (columns a0, a1, a2)
  float q[4];  // q(R) (w, x, y, z), w >= 0, as matrix_to_quaternion
  float k;     // scale
  float c[3];  // centroid
};

void normalize3(double* a) {
  const double n = std::max(std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]), 1e-12);
  for (int i = 0; i < 3; ++i) a[i] /= n;
}

void cross3(const double* a, const double* b, double* out) {
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

// Shepperd's method exactly as matrix_to_quaternion: the candidate of the largest |q_i|
// (first on ties), divided by 2 max(|q_i|, 0.1), sign so that w >= 0.
void quaternion_of(const double m[3][3], float* q) {
  const double d[4] = {1 + m[0][0] + m[1][1] + m[2][2], 1 + m[0][0] - m[1][1] - m[2][2],
                       1 - m[0][0] + m[1][1] - m[2][2], 1 - m[0][0] - m[1][1] + m[2][2]};
  double q_abs[4];
  int best = 0;
  for (int i = 0; i < 4; ++i) {
    q_abs[i] = d[i] > 0 ? std::sqrt(d[i]) : 0.0;
    if (q_abs[i] > q_abs[best]) best = i;
  }
  const double s = 2.0 * std::max(q_abs[best], 0.1);
  double c[4];
  switch (best) {
    case 0: c[0] = q_abs[0] * q_abs[0]; c[1] = m[2][1] - m[1][2]; c[2] = m[0][2] - m[2][0]; c[3] = m[1][0] - m[0][1]; break;
    case 1: c[0] = m[2][1] - m[1][2]; c[1] = q_abs[1] * q_abs[1]; c[2] = m[1][0] + m[0][1]; c[3] = m[0][2] + m[2][0]; break;
    case 2: c[0] = m[0][2] - m[2][0]; c[1] = m[1][0] + m[0][1]; c[2] = q_abs[2] * q_abs[2]; c[3] = m[1][2] + m[2][1]; break;
    default: c[0] = m[1][0] - m[0][1]; c[1] = m[2][0] + m[0][2]; c[2] = m[2][1] + m[1][2]; c[3] = q_abs[3] * q_abs[3]; break;
  }
  const double sign = c[0] / s < 0 ? -1.0 : 1.0;
  for (int i = 0; i < 4; ++i) q[i] = static_cast<float>(sign * c[i] / s);
}

FaceFrame face_frame(const float* p0, const float* p1, const float* p2) {
  double e1[3], e2[3], a0[3], a1[3], a2[3], t[3];
  for (int i = 0; i < 3; ++i) {
    e1[i] = double(p1[i]) - double(p0[i]);
    e2[i] = double(p2[i]) - double(p0[i]);
    a0[i] = e1[i];
  }
  normalize3(a0);
  cross3(a0, e2, a1);
  normalize3(a1);
  cross3(a1, a0, t);
  normalize3(t);
  for (int i = 0; i < 3; ++i) a2[i] = -t[i];
  FaceFrame f;
  double m[3][3];
  for (int i = 0; i < 3; ++i) {
    m[i][0] = a0[i], m[i][1] = a1[i], m[i][2] = a2[i];
    for (int j = 0; j < 3; ++j) f.r[3 * i + j] = static_cast<float>(m[i][j]);
    f.c[i] = static_cast<float>((double(p0[i]) + double(p1[i]) + double(p2[i])) / 3.0);
  }
  quaternion_of(m, f.q);
  const double len = std::sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  f.k = static_cast<float>(0.5 * (len + std::abs(a2[0] * e2[0] + a2[1] * e2[1] + a2[2] * e2[2])));
  return f;
}

RiggedGaussians rig_gaussians_fused(const at::Tensor& vertices_in, const at::Tensor& faces_in, const LocalGaussians& g) {
  const at::Tensor vertices = vertices_in.contiguous();
  const at::Tensor faces = faces_in.to(at::kCPU, at::kLong).contiguous();
  const at::Tensor face = g.face.to(at::kCPU, at::kLong).contiguous();
  const at::Tensor offset = g.offset.contiguous(), quat = g.quat.contiguous();
  const at::Tensor bary = g.bary.defined() ? g.bary.contiguous() : at::Tensor();
  const at::Tensor exp_scale = g.log_scale.exp().contiguous();  // [N, 3], the same for every frame
  const int64_t T = vertices.size(0), V = vertices.size(1), F = faces.size(0), N = face.size(0);

  // Pass 1: [T, F] frames (68 bytes each: 68 MB for 100 frames of FLAME), in a LibTorch
  // buffer so that it comes from the addon's block cache, not freshly faulted-in memory.
  const at::Tensor frame_buffer = at::empty({T * F * static_cast<int64_t>(sizeof(FaceFrame))}, at::kByte);
  FaceFrame* const frames = reinterpret_cast<FaceFrame*>(frame_buffer.data_ptr<uint8_t>());
  const float* v = vertices.data_ptr<float>();
  const int64_t* tri = faces.data_ptr<int64_t>();
  cpu::parallel_ranges(T * F, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* vt = v + (i / F) * V * 3;  // one division per triangle: ~1/10 of this loop's cost
      const int64_t* c = tri + (i % F) * 3;
      frames[i] = face_frame(vt + 3 * c[0], vt + 3 * c[1], vt + 3 * c[2]);
    }
  });

  // Pass 2: [T, N] Gaussians.
  RiggedGaussians out;
  out.means = at::empty({T, N, 3}, vertices.options());
  out.scales = at::empty({T, N, 3}, vertices.options());
  out.quats = at::empty({T, N, 4}, vertices.options());
  const int64_t* fi = face.data_ptr<int64_t>();
  const float *off = offset.data_ptr<float>(), *ql = quat.data_ptr<float>(), *es = exp_scale.data_ptr<float>();
  const float* b = bary.defined() ? bary.data_ptr<float>() : nullptr;
  float *means = out.means.data_ptr<float>(), *scales = out.scales.data_ptr<float>(), *quats = out.quats.data_ptr<float>();
  // Chunks of `grain` Gaussians of one frame: no division per Gaussian.
  const int64_t grain = 8192, chunks_per_frame = (N + grain - 1) / grain;
  cpu::parallel_ranges(T * chunks_per_frame, 1, [&](int64_t chunk, int64_t) {
    const int64_t t = chunk / chunks_per_frame, n0 = (chunk % chunks_per_frame) * grain, n1 = std::min(N, n0 + grain);
    const FaceFrame* frame_t = frames + t * F;
    const float* vt = v + t * V * 3;
    float *mt = means + t * N * 3, *st = scales + t * N * 3, *qt = quats + t * N * 4;
    for (int64_t n = n0; n < n1; ++n) {
      const int64_t f = fi[n];
      const FaceFrame& fr = frame_t[f];
      float anchor[3];
      if (b != nullptr) {
        const int64_t* c = tri + f * 3;
        const float *p0 = vt + 3 * c[0], *p1 = vt + 3 * c[1], *p2 = vt + 3 * c[2];
        for (int d = 0; d < 3; ++d) anchor[d] = b[3 * n] * p0[d] + b[3 * n + 1] * p1[d] + b[3 * n + 2] * p2[d];
      } else {
        for (int d = 0; d < 3; ++d) anchor[d] = fr.c[d];
      }
      const float* o = off + 3 * n;
      for (int d = 0; d < 3; ++d) {
        mt[3 * n + d] = anchor[d] + fr.k * (fr.r[3 * d] * o[0] + fr.r[3 * d + 1] * o[1] + fr.r[3 * d + 2] * o[2]);
        st[3 * n + d] = fr.k * es[3 * n + d];
      }
      const float *a = fr.q, *q = ql + 4 * n;
      float* r = qt + 4 * n;
      r[0] = a[0] * q[0] - a[1] * q[1] - a[2] * q[2] - a[3] * q[3];
      r[1] = a[0] * q[1] + a[1] * q[0] + a[2] * q[3] - a[3] * q[2];
      r[2] = a[0] * q[2] - a[1] * q[3] + a[2] * q[0] + a[3] * q[1];
      r[3] = a[0] * q[3] + a[1] * q[2] - a[2] * q[1] + a[3] * q[0];
    }
  });
  return out;
}

}  // namespace

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
  if (g.bary.defined())
    TORCH_CHECK(g.bary.dim() == 2 && g.bary.size(0) == n && g.bary.size(1) == 3,
                "expected barycentric anchors of shape [N, 3] with N = ", n);
  TORCH_CHECK(vertices.dim() == 3 && vertices.size(2) == 3, "expected vertices of shape [T, V, 3]");
  TORCH_CHECK(faces.dim() == 2 && faces.size(1) == 3, "expected faces of shape [F, 3]");
  if (faces.numel() > 0) {
    const int64_t lo = faces.min().item<int64_t>(), hi = faces.max().item<int64_t>();
    TORCH_CHECK(lo >= 0 && hi < vertices.size(1), "expected face corner indices in [0, ", vertices.size(1),
                "), received ", lo < 0 ? lo : hi);
  }
  if (fused_rig_applies(vertices, g)) return rig_gaussians_fused(vertices, faces, g);
  const at::Tensor face = g.face.to(vertices.device(), at::kLong);
  const TriangleFrames frames = triangle_frames(vertices, faces);
  const at::Tensor r = frames.rotation.index_select(1, face);  // [T, N, 3, 3]
  const at::Tensor k = frames.scale.index_select(1, face);     // [T, N]
  at::Tensor anchor;
  if (g.bary.defined()) {
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
