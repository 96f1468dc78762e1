#include "conv_check.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ggt {
namespace {

bool disabled = false;

// Relative error of a float32 convolution (forward and weight gradient) against float64, on
// a case that oneDNN 3.7 gets wrong: [2, 24, 8, 8] input, 8 output channels, 3x3, padding 1.
// Deterministic inputs (no generator state is touched).
double float32_conv_error() {
  const at::NoGradGuard no_grad;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor x = at::sin(at::arange(2 * 24 * 8 * 8, f64) * 0.37).view({2, 24, 8, 8});
  const at::Tensor w = at::cos(at::arange(8 * 24 * 3 * 3, f64) * 0.11).view({8, 24, 3, 3}) * 0.2;
  const at::Tensor b = at::linspace(-0.5, 0.5, 8, f64);
  auto rel = [](const at::Tensor& a, const at::Tensor& ref) {
    return ((a.to(at::kDouble) - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item<double>();
  };
  const at::Tensor ref = at::conv2d(x, w, b, {1, 1}, {1, 1});
  const at::Tensor out = at::conv2d(x.to(at::kFloat), w.to(at::kFloat), b.to(at::kFloat), {1, 1}, {1, 1});
  // The weight gradient of sum(out * g): the backward kernels are oneDNN's too.
  const at::Tensor g = at::cos(ref);
  auto grads = [&](const at::Tensor& xs, const at::Tensor& gs, const at::Tensor& ws) {
    return std::get<1>(at::convolution_backward(gs, xs, ws, at::IntArrayRef{8}, {1, 1}, {1, 1}, {1, 1}, false, {0, 0}, 1,
                                                {false, true, false}));
  };
  const at::Tensor gw_ref = grads(x, g, w);
  const at::Tensor gw = grads(x.to(at::kFloat), g.to(at::kFloat), w.to(at::kFloat));
  return std::max(rel(out, ref), rel(gw, gw_ref));
}

}  // namespace

void ensure_correct_convolutions() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("GGT_ONEDNN");
    if (env && !std::strcmp(env, "0")) {
      at::globalContext().setUserEnabledMkldnn(false);
      disabled = true;
      return;
    }
    if (!at::hasMKLDNN() || !at::globalContext().userEnabledMkldnn()) return;
    if (float32_conv_error() > 1e-4) {
      at::globalContext().setUserEnabledMkldnn(false);
      disabled = true;
    }
  });
}

bool onednn_disabled() {
  ensure_correct_convolutions();
  return disabled;
}

}  // namespace ggt
