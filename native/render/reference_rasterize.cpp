// Independent reference of the rasterizer for tests: plain LibTorch tensor ops in float64,
// every pixel against every Gaussian (no binning, no sorting per tile), differentiated by
// LibTorch's autograd. It shares no code with the kernels; it restates DESIGN.md §3 as
// array maths. Memory is O(pixels x Gaussians): for small scenes only.
#include "reference_rasterize.h"

#include <ATen/ATen.h>

namespace ggt {
namespace render {

RasterOutputs reference_rasterize(const at::Tensor& means_in, const at::Tensor& quats_in, const at::Tensor& scales_in,
                                  const at::Tensor& opacities_in, const at::Tensor& colors_in,
                                  const RasterSettings& settings) {
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const Camera& cam = settings.camera;
  const at::Tensor means = means_in.to(at::kDouble), quats = quats_in.to(at::kDouble),
                   scales = scales_in.to(at::kDouble), opacities = opacities_in.to(at::kDouble);
  at::Tensor colors = colors_in.to(at::kDouble);
  const at::Tensor view = at::tensor(std::vector<double>(cam.view, cam.view + 16), f64).view({4, 4});
  const at::Tensor rot = view.slice(0, 0, 3).slice(1, 0, 3), trans = view.slice(0, 0, 3).select(1, 3);
  if (colors.dim() == 3) {
    const at::Tensor campos = -at::matmul(rot.t(), trans);
    colors = sh_to_color(colors, means, campos);
  }
  const int64_t n = means.size(0);

  // Camera-space centres and covariances.
  const at::Tensor pc = at::matmul(means, rot.t()) + trans;  // [N, 3]
  const at::Tensor x = pc.select(1, 0), y = pc.select(1, 1), z = pc.select(1, 2);
  const at::Tensor q = quats / quats.norm(2, 1, true);
  const at::Tensor qw = q.select(1, 0), qx = q.select(1, 1), qy = q.select(1, 2), qz = q.select(1, 3);
  const at::Tensor rq = at::stack({1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qw * qz), 2 * (qx * qz + qw * qy),
                                   2 * (qx * qy + qw * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qw * qx),
                                   2 * (qx * qz - qw * qy), 2 * (qy * qz + qw * qx), 1 - 2 * (qx * qx + qy * qy)},
                                  1)
                           .view({n, 3, 3});
  const at::Tensor m = rq * scales.unsqueeze(1);                                  // R diag(s)
  const at::Tensor cov_cam = at::matmul(at::matmul(rot, at::matmul(m, m.transpose(1, 2))), rot.t());  // [N, 3, 3]

  // EWA: Jacobian with clamped x/z, y/z.
  const double lim_x = 1.3 * 0.5 * cam.width / cam.fx, lim_y = 1.3 * 0.5 * cam.height / cam.fy;
  const at::Tensor u = (x / z).clamp(-lim_x, lim_x), v = (y / z).clamp(-lim_y, lim_y);
  const at::Tensor zero = at::zeros_like(z);
  const at::Tensor jac =
      at::stack({cam.fx / z, zero, -cam.fx * u / z, zero, cam.fy / z, -cam.fy * v / z}, 1).view({n, 2, 3});
  const at::Tensor cov2 = at::matmul(at::matmul(jac, cov_cam), jac.transpose(1, 2));  // [N, 2, 2]
  const at::Tensor a_raw = cov2.select(1, 0).select(1, 0), b = cov2.select(1, 0).select(1, 1),
                   c_raw = cov2.select(1, 1).select(1, 1);
  const at::Tensor a = a_raw + 0.3, c = c_raw + 0.3;
  const at::Tensor det = a * c - b * b;
  at::Tensor opacity = opacities;
  if (settings.mode == RasterMode::kAntialiased) {
    // sqrt(max(0, ratio)) with a zero (not NaN) gradient where the ratio is 0, e.g. zero scales.
    const at::Tensor ratio = (a_raw * c_raw - b * b) / det;
    const at::Tensor positive = ratio > 0;
    opacity = opacity * at::where(positive, at::where(positive, ratio, at::ones_like(ratio)).sqrt(), at::zeros_like(ratio));
  }
  const at::Tensor mx = cam.fx * x / z + cam.cx, my = cam.fy * y / z + cam.cy;

  // Culling and the screen rectangle, in the same integer arithmetic as 3DGS.
  const at::Tensor mid = 0.5 * (a + c);
  const at::Tensor radius = at::ceil(3.0 * at::sqrt(mid + at::sqrt((mid * mid - det).clamp_min(0.1)))).detach();
  const int64_t tiles_x = (cam.width + 15) / 16, tiles_y = (cam.height + 15) / 16;
  auto rect = [](const at::Tensor& lo, int64_t hi) { return at::trunc(lo / 16.0).clamp(0, hi); };
  const at::Tensor rx0 = rect(mx.detach() - radius, tiles_x), ry0 = rect(my.detach() - radius, tiles_y);
  const at::Tensor rx1 = rect(mx.detach() + radius + 15, tiles_x), ry1 = rect(my.detach() + radius + 15, tiles_y);
  const at::Tensor visible = (z >= cam.near_plane) & (z <= cam.far_plane) & (det > 0) &
                             ((rx1 - rx0) * (ry1 - ry0) > 0);

  // Every pixel against every Gaussian: [P, N].
  const at::Tensor xs = at::arange(cam.width, f64), ys = at::arange(cam.height, f64);
  const auto grid = at::meshgrid({ys, xs}, "ij");
  const at::Tensor py = grid[0].reshape({-1, 1}), px = grid[1].reshape({-1, 1});
  const at::Tensor tile_x = at::floor(px / 16.0), tile_y = at::floor(py / 16.0);
  const at::Tensor in_rect = (tile_x >= rx0) & (tile_x < rx1) & (tile_y >= ry0) & (tile_y < ry1);
  const at::Tensor dx = mx - (px + 0.5), dy = my - (py + 0.5);
  const at::Tensor power = -0.5 * (c / det * dx * dx + a / det * dy * dy) + b / det * dx * dy;
  const at::Tensor alpha_raw = (opacity * at::exp(power)).clamp_max(0.99);
  const at::Tensor used = visible & in_rect & (power <= 0) & (alpha_raw >= 1.0 / 255.0);
  at::Tensor alpha = at::where(used, alpha_raw, at::zeros_like(alpha_raw));

  // Front to back by depth (stable: ties keep index order), stopping before T < 1e-4.
  const at::Tensor order = std::get<1>(at::sort(z.detach(), /*stable=*/true, /*dim=*/0, /*descending=*/false));
  alpha = alpha.index_select(1, order);
  const at::Tensor one_minus = 1 - alpha;
  const at::Tensor t_after = at::cumprod(one_minus, 1);
  const at::Tensor t_before = t_after / one_minus;
  const at::Tensor keep = (t_after >= 1e-4).detach();
  const at::Tensor weight = at::where(keep, alpha * t_before, at::zeros_like(alpha));  // [P, N]

  const at::Tensor colour = at::matmul(weight, colors.index_select(0, order));        // [P, 3]
  const at::Tensor acc = weight.sum(1);                                                // [P]
  const at::Tensor depth_acc = at::matmul(weight, z.index_select(0, order));           // [P]
  const at::Tensor bg = at::tensor({double(settings.background[0]), double(settings.background[1]),
                                    double(settings.background[2])}, f64);
  const at::Tensor image = colour + (1 - acc).unsqueeze(1) * bg;
  const at::Tensor drawn = acc > 0;
  const at::Tensor depth = at::where(drawn, depth_acc / at::where(drawn, acc, at::ones_like(acc)),
                                     at::zeros_like(acc));
  const int64_t h = cam.height, w = cam.width;
  return {image.view({h, w, 3}), acc.view({h, w}), depth.view({h, w}),
          at::where(visible, radius, at::zeros_like(radius)).to(at::kInt)};
}

}  // namespace render
}  // namespace ggt
