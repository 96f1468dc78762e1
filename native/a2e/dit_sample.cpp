#include "dit_sample.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "diffusion.h"

namespace ggt {
namespace a2e {
namespace {

// Blend weights of each window [nW, W]: 1 inside, sin² ramps where it overlaps a neighbour.
at::Tensor window_weights(const std::vector<int64_t>& starts, int64_t window) {
  const int64_t nW = static_cast<int64_t>(starts.size());
  at::Tensor w = at::ones({nW, window});
  auto acc = w.accessor<float, 2>();
  for (int64_t i = 0; i < nW; ++i) {
    const int64_t left = i > 0 ? starts[i - 1] + window - starts[i] : 0;
    const int64_t right = i + 1 < nW ? starts[i] + window - starts[i + 1] : 0;
    for (int64_t j = 0; j < left; ++j) acc[i][j] *= std::pow(std::sin(M_PI / 2 * (j + 1.0) / (left + 1.0)), 2);
    for (int64_t j = 0; j < right; ++j)
      acc[i][window - 1 - j] *= std::pow(std::sin(M_PI / 2 * (j + 1.0) / (right + 1.0)), 2);
  }
  return w;
}

}  // namespace

DenoiseFn dit_denoiser(const DitConfig& cfg, const ParamMap& params, bool cache_cross_attention) {
  auto cache = std::make_shared<std::pair<const void*, DitCondition>>(nullptr, DitCondition{});
  return [cfg, params, cache, cache_cross_attention](const at::Tensor& x, const at::Tensor& n, const at::Tensor& c,
                                                     const at::Tensor& spk, const at::Tensor& keep) {
    if (cache->first != c.unsafeGetTensorImpl()) {
      cache->second = dit_encode_condition(cfg, params, c, spk, keep);
      if (cache_cross_attention) dit_cache_cross_attention(cfg, params, cache->second);
      cache->first = c.unsafeGetTensorImpl();
    }
    return dit_denoise(cfg, params, x, n, cache->second);
  };
}

std::vector<int64_t> sampling_timesteps(int64_t diffusion_steps, int64_t steps) {
  TORCH_CHECK(steps >= 1 && steps <= diffusion_steps, "expected 1 to ", diffusion_steps,
              " sampling steps (the model's diffusion steps), received ", steps);
  std::vector<int64_t> ts;
  for (int64_t i = 0; i < steps; ++i) {
    const double f = steps == 1 ? 0.0 : static_cast<double>(i) / (steps - 1);
    const int64_t t = static_cast<int64_t>(std::llround((diffusion_steps - 1) * (1.0 - f)));
    if (ts.empty() || t < ts.back()) ts.push_back(t);
  }
  return ts;
}

std::vector<int64_t> solver_timesteps(int64_t diffusion_steps, int64_t steps) {
  TORCH_CHECK(steps >= 1 && steps < diffusion_steps, "expected 1 to ", diffusion_steps - 1,
              " dpm-solver++ steps (below the model's diffusion steps), received ", steps);
  std::vector<int64_t> ts(steps + 1);
  for (int64_t i = 0; i <= steps; ++i) {
    const double f = 1.0 - static_cast<double>(i) / steps;
    ts[i] = static_cast<int64_t>(std::llround((diffusion_steps - 1) * f * f));
  }
  // Near t = 0 the squares crowd together when steps approach N: keep them distinct (t_i >= steps - i).
  for (int64_t i = steps - 1; i >= 0; --i) ts[i] = std::max(ts[i], ts[i + 1] + 1);
  return ts;
}

std::vector<int64_t> window_starts(int64_t frames, int64_t window, int64_t overlap) {
  TORCH_CHECK(window >= 1, "expected a window of at least 1 frame, received ", window);
  TORCH_CHECK(overlap >= 0 && overlap < window, "expected an overlap in [0, window = ", window, "), received ", overlap);
  if (frames <= window) return {0};
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + window < frames; s += window - overlap) starts.push_back(s);
  if (starts.back() + window < frames) starts.push_back(frames - window);
  return starts;
}

at::Tensor sample_sequence(const DitConfig& cfg, const DenoiseFn& denoise, const at::Tensor& mean,
                           const at::Tensor& std, const at::Tensor& cond, int64_t speaker, const SampleOptions& o,
                           const at::Tensor& known, const at::Tensor& known_mask,
                           const std::function<bool()>& should_stop, const StepFn& on_step) {
  TORCH_CHECK(cond.dim() == 2 && cond.size(1) == cfg.feature_dim, "expected audio features of shape [frames, ",
              cfg.feature_dim, "], received ", cond.sizes());
  const bool dpm = o.method == "dpm-solver++";
  TORCH_CHECK(o.method == "ddim" || o.method == "ddpm" || dpm, "expected method 'ddim', 'ddpm' or 'dpm-solver++', received '",
              o.method, "'");
  TORCH_CHECK(speaker >= 0 && speaker < cfg.speakers, "expected a speaker in [0, ", cfg.speakers, "), received ", speaker);
  TORCH_CHECK(o.window >= 1 && o.window <= cfg.max_frames, "expected a window of 1 to config.maxFrames = ",
              cfg.max_frames, " frames, received ", o.window);
  TORCH_CHECK(std::isfinite(o.guidance), "expected a finite guidance scale");
  at::NoGradGuard no_grad;
  const int64_t T = cond.size(0), K = cfg.output_dim;
  const auto fopts = cond.options();
  at::Tensor out_known, mask;
  if (known.defined()) {
    TORCH_CHECK(known.sizes() == at::IntArrayRef({T, K}) && known_mask.defined() && known_mask.numel() == T,
                "expected known frames of shape [", T, ", ", K, "] with a mask of ", T, " values");
    out_known = (known.to(fopts.device()) - mean) / std;
    mask = known_mask.to(fopts.device()).to(at::kBool).view({T, 1});
  }
  if (T == 0) return at::zeros({0, K}, fopts);

  const int64_t W = std::min(o.window, T);
  const std::vector<int64_t> starts = window_starts(T, W, std::min(o.overlap, W - 1));
  const int64_t nW = static_cast<int64_t>(starts.size());
  const at::TensorOptions i64 = at::TensorOptions().dtype(at::kLong).device(fopts.device());
  const at::Tensor idx = (at::tensor(starts, i64).unsqueeze(1) + at::arange(W, i64)).reshape({-1});  // [nW*W]
  const at::Tensor weights = window_weights(starts, W).to(fopts.device()).view({nW * W, 1});
  const at::Tensor weight_sum = at::zeros({T, 1}, fopts).index_add_(0, idx, weights);
  const at::Tensor cond_w = cond.index_select(0, idx).view({nW, W, cfg.feature_dim});
  const bool guided = o.guidance != 1.0;
  const at::Tensor cond_in = guided ? at::cat({cond_w, cond_w}) : cond_w;
  const at::Tensor keep_in = guided ? at::cat({at::ones({nW}, fopts), at::zeros({nW}, fopts)}) : at::ones({nW}, fopts);
  const at::Tensor speaker_in = at::full({guided ? 2 * nW : nW}, speaker, i64);

  const DiffusionSchedule sched = make_schedule(cfg.diffusion_steps, cfg.schedule);
  // DPM-Solver++ visits one timestep more than it evaluates the network: the last, t = 0, is
  // where its final step lands (see dit_sample.h).
  const std::vector<int64_t> ts =
      dpm ? solver_timesteps(cfg.diffusion_steps, o.steps) : sampling_timesteps(cfg.diffusion_steps, o.steps);
  const size_t evals = dpm ? ts.size() - 1 : ts.size();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  auto gaussian = [&]() { return at::normal(0.0, 1.0, {1, T, K}, gen, at::TensorOptions().dtype(at::kFloat)).to(fopts.device()); };
  at::Tensor x = gaussian();  // [1, T, K]
  const bool full_ddpm = o.method == "ddpm" && static_cast<int64_t>(ts.size()) == cfg.diffusion_steps;
  const double eta = o.method == "ddpm" ? 1.0 : o.eta;
  at::Tensor x0_before;  // dpm-solver++: the previous step's x̂0 [1, T, K] (its multistep memory)
  for (size_t i = 0; i < evals; ++i) {
    TORCH_CHECK(!(should_stop && should_stop()), "expression sampling was aborted");
    const int64_t t = ts[i], t_prev = i + 1 < ts.size() ? ts[i + 1] : -1;
    const at::Tensor xw = x[0].index_select(0, idx).view({nW, W, K});
    const at::Tensor n = at::full({guided ? 2 * nW : nW}, t, i64);
    at::Tensor x0 = denoise(guided ? at::cat({xw, xw}) : xw, n, cond_in, speaker_in, keep_in);
    if (guided) {
      const std::vector<at::Tensor> cu = x0.chunk(2, 0);
      x0 = cu[1] + o.guidance * (cu[0] - cu[1]);
    }
    at::Tensor x0_full = at::zeros({T, K}, fopts).index_add_(0, idx, x0.reshape({nW * W, K}) * weights) / weight_sum;
    if (out_known.defined()) x0_full = at::where(mask, out_known, x0_full);
    x0_full = x0_full.unsqueeze(0);
    const at::Tensor tt = at::full({1}, t, i64);
    if (dpm) {
      x = dpm_solver_pp_step(sched, x, x0_full, tt, at::full({1}, t_prev, i64), x0_before,
                             i > 0 ? at::full({1}, ts[i - 1], i64) : at::Tensor());
      x0_before = x0_full;
    } else if (t_prev < 0) {
      x = x0_full;
    } else if (full_ddpm) {
      x = ddpm_step(sched, x, x0_full, tt, gaussian());
    } else {
      x = ddim_step(sched, x, x0_full, tt, at::full({1}, t_prev, i64), eta, eta > 0 ? gaussian() : at::zeros_like(x));
    }
    if (on_step) on_step(static_cast<int64_t>(i) + 1, static_cast<int64_t>(evals));
  }
  // DPM-Solver++ ends at t = 0, where the known frames are α_0·known + σ_0·(noise left): hold them exactly.
  if (dpm && out_known.defined()) x = at::where(mask, out_known, x[0]).unsqueeze(0);
  return x[0] * std + mean;
}

}  // namespace a2e
}  // namespace ggt
