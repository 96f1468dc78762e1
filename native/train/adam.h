// Adam (Kingma & Ba 2015) with bias correction, linear warm-up then cosine decay of the
// learning rate, and global gradient-norm clipping, on named parameter maps updated in place.
// Shared by every training loop (Audio-Expression model, avatar adaptation, priors).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

namespace ggt {
namespace train {

using ParamMap = std::map<std::string, at::Tensor>;

struct AdamOptions {
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;   // cosine decay to lr * min_lr_factor at total_steps (0: constant)
  double min_lr_factor = 0.1;
  double grad_clip = 1.0;    // global gradient-norm clip (0: none)
};

// Adam moments (created as zeros on first use); step counts the updates made so far.
struct AdamState {
  ParamMap m, v;
  int64_t step = 0;
};

// The learning rate at a global step (0-based).
double learning_rate(const AdamOptions& o, int64_t step);

// One update of every parameter named in `grads` (params.at(name) -= lr * m̂ / (√v̂ + ε)),
// at learning rate lr_scale * learning_rate(o, state.step); `update_masks` (optional, by
// name) multiplies a parameter's update (rows that must not move). Advances state.step.
// Returns the gradient norm before clipping.
double adam_step(ParamMap& params, AdamState& state, const ParamMap& grads, const AdamOptions& o,
                 const ParamMap& update_masks = {}, double lr_scale = 1.0);

}  // namespace train
}  // namespace ggt
