// Sampling expression sequences from the Audio-Expression model (docs/audio-expression-model.md,
// "Sampling"): DDPM, DDIM or DPM-Solver++(2M) over a chosen number of steps, classifier-free
// guidance, and
// sequences longer than one window denoised as overlapping windows that are blended into one
// sequence at every step (so no seams), optionally with known frames held fixed (streaming
// continues from frames already emitted).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

#include "dit.h"

namespace ggt {
namespace a2e {

// The network: (x_t [B, T, K], n [B] int64, cond [B, T, F], speaker [B] int64, keep [B] float)
// -> x̂0 [B, T, K], normalised. The native DiT or a TorchScript module.
using DenoiseFn = std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                           const at::Tensor&)>;

// The native DiT with `params` as a DenoiseFn. The condition encoder's output and the
// cross-attention keys and values of C' are the same at every denoising step (the sampler passes
// the same cond / speaker / keep tensors each time), so they are computed once and reused while
// the cond tensor stays the same; `cache_cross_attention` false projects C' at every call
// instead (for measuring the cache; the results agree to float32 round-off).
DenoiseFn dit_denoiser(const DitConfig& cfg, const ParamMap& params, bool cache_cross_attention = true);

struct SampleOptions {
  // "ddim", "ddpm" or "dpm-solver++" (DPM-Solver++(2M), deterministic; see sample_sequence)
  std::string method = "ddim";
  int64_t steps = 25;           // network evaluations (<= diffusion steps; dpm-solver++: < them)
  double guidance = 1.0;        // classifier-free guidance scale (1: conditional only)
  double eta = 0.0;             // DDIM noise (0: deterministic); "ddpm" uses 1 on strided steps
  int64_t window = 10;          // frames per window
  int64_t overlap = 4;          // frames shared by neighbouring windows
  uint64_t seed = 0;
};

// The timesteps visited, from N-1 down to 0 (steps values, evenly spaced, distinct).
std::vector<int64_t> sampling_timesteps(int64_t diffusion_steps, int64_t steps);

// DPM-Solver++'s timesteps: steps + 1 of them from N−1 down to 0, quadratic in time
// (t_i = round((N−1)(1 − i/steps)²), kept distinct), so that the steps shorten towards t = 0,
// where λ = log(α/σ) changes fastest. On Gaussian data with an exact x0 prediction (where the
// ODE's solution is known) this spacing gave errors 3–10x below the uniform one at 3–8 steps
// with both schedules; uniform spacing made the second-order solver no better than DDIM.
std::vector<int64_t> solver_timesteps(int64_t diffusion_steps, int64_t steps);

// Window starts covering T frames with the given window and overlap (last one ends at T).
std::vector<int64_t> window_starts(int64_t frames, int64_t window, int64_t overlap);

// Called after each denoising step with (steps done, steps in all); all windows of a long
// sequence are denoised together, so one step covers the whole sequence. Runs on the sampling
// thread: it must only hand the numbers on (the binding queues them to JS).
using StepFn = std::function<void(int64_t, int64_t)>;

// cond [T, F] -> expressions and jaw pose [T, K] in raw units (denormalised with mean/std [K]).
// DDIM / DDPM evaluate the network at `steps` timesteps from N−1 down to 0 (sampling_timesteps)
// and return the last x̂0. DPM-Solver++ solves the probability-flow ODE over the steps + 1
// timesteps of solver_timesteps, evaluating the network at all but the last, and returns x at
// t = 0 (ᾱ_0 ≈ 1; σ_0 is 0.006 for the cosine schedule of 1000 steps): no evaluation is spent at
// t = 0, where x̂0 ≈ x_0 anyway.
// known [T, K] (raw units) and known_mask [T] (bool) hold frames fixed: their x̂0 is replaced
// by the known values at every step, so the result equals them there and continues smoothly.
// `should_stop` is polled before each step; `on_step` is told after each.
at::Tensor sample_sequence(const DitConfig& cfg, const DenoiseFn& denoise, const at::Tensor& mean,
                           const at::Tensor& std, const at::Tensor& cond, int64_t speaker, const SampleOptions& o,
                           const at::Tensor& known = {}, const at::Tensor& known_mask = {},
                           const std::function<bool()>& should_stop = {}, const StepFn& on_step = {});

}  // namespace a2e
}  // namespace ggt
