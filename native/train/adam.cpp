#include "adam.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

namespace ggt {
namespace train {

double learning_rate(const AdamOptions& o, int64_t step) {
  if (o.warmup_steps > 0 && step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / o.warmup_steps;
  if (o.total_steps <= o.warmup_steps) return o.lr;
  const double progress =
      std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(o.total_steps - o.warmup_steps));
  const double cosine = 0.5 * (1 + std::cos(M_PI * progress));
  return o.lr * (o.min_lr_factor + (1 - o.min_lr_factor) * cosine);
}

double adam_step(ParamMap& params, AdamState& state, const ParamMap& grads, const AdamOptions& o,
                 const ParamMap& update_masks, double lr_scale) {
  at::NoGradGuard no_grad;
  double sq = 0;
  for (const auto& [name, g] : grads) sq += g.pow(2).sum().item<double>();
  const double norm = std::sqrt(sq);
  const double clip = o.grad_clip > 0 && norm > o.grad_clip ? o.grad_clip / norm : 1.0;
  const int64_t step = state.step;
  const double lr = learning_rate(o, step) * lr_scale;
  const double bc1 = 1 - std::pow(o.beta1, static_cast<double>(step + 1));
  const double bc2 = 1 - std::pow(o.beta2, static_cast<double>(step + 1));
  for (const auto& [name, g0] : grads) {
    at::Tensor& p = params.at(name);
    at::Tensor& m = state.m[name];
    at::Tensor& v = state.v[name];
    if (!m.defined()) m = at::zeros_like(p);
    if (!v.defined()) v = at::zeros_like(p);
    at::Tensor g = clip != 1.0 ? g0 * clip : g0;
    if (o.weight_decay > 0) g = g + o.weight_decay * p;
    m.mul_(o.beta1).add_(g, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    at::Tensor update = (m / bc1) / ((v / bc2).sqrt() + o.eps);
    const auto mask = update_masks.find(name);
    if (mask != update_masks.end()) update = update * mask->second;
    p.sub_(update * lr);
  }
  state.step = step + 1;
  return norm;
}

}  // namespace train
}  // namespace ggt
