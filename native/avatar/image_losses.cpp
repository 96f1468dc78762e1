#include "image_losses.h"
#include "../common/conv_check.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ggt {
namespace avatar {
namespace {

// The separable Gaussian window as a [C, 1, 11, 11] depthwise kernel.
at::Tensor gaussian_window(int64_t channels, const at::TensorOptions& opts) {
  const int64_t size = 11;
  const double sigma = 1.5;
  std::vector<float> g(size);
  double sum = 0;
  for (int64_t i = 0; i < size; ++i) sum += g[i] = static_cast<float>(std::exp(-std::pow(i - size / 2, 2) / (2 * sigma * sigma)));
  for (float& v : g) v = static_cast<float>(v / sum);
  const at::Tensor g1 = at::tensor(g, opts.dtype(at::kFloat)).to(opts.device());
  return at::outer(g1, g1).to(opts.dtype()).expand({channels, 1, size, size}).contiguous();
}

void check_pair(const at::Tensor& a, const at::Tensor& b, const char* what) {
  TORCH_CHECK(a.dim() == 4 && a.sizes() == b.sizes(), "expected two images of one shape [B, C, H, W] for ", what,
              ", received ", a.sizes(), " and ", b.sizes());
}

}  // namespace

at::Tensor l1_loss(const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(a.sizes() == b.sizes(), "expected two images of one shape for L1, received ", a.sizes(), " and ", b.sizes());
  return (a - b).abs().mean();
}

at::Tensor ssim(const at::Tensor& a, const at::Tensor& b) {
  check_pair(a, b, "SSIM");
  const int64_t C = a.size(1);
  const at::Tensor w = gaussian_window(C, a.options());
  ggt::ensure_correct_convolutions();
  auto blur = [&](const at::Tensor& x) { return at::conv2d(x, w, {}, {1, 1}, {5, 5}, {1, 1}, C); };
  const at::Tensor mu_a = blur(a), mu_b = blur(b);
  const at::Tensor var_a = blur(a * a) - mu_a * mu_a;
  const at::Tensor var_b = blur(b * b) - mu_b * mu_b;
  const at::Tensor cov = blur(a * b) - mu_a * mu_b;
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const at::Tensor map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
  return map.mean();
}

at::Tensor psnr(const at::Tensor& a, const at::Tensor& b) {
  check_pair(a, b, "PSNR");
  const at::Tensor mse = (a.detach() - b.detach()).pow(2).flatten(1).mean(1).clamp_min(1e-12);
  return -10 * at::log10(mse);
}

}  // namespace avatar
}  // namespace ggt
