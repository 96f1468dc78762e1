// Gaussian diffusion maths for the Audio-Expression prior (DDPM, Ho et al. 2020; cosine
// schedule, Nichol & Dhariwal 2021; DDIM, Song et al. 2021), with the network predicting the
// clean sequence x0 as GGTalker does. Plain LibTorch ops on the tensors' device; schedules
// are computed in float64 and stored in float32.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace ggt {
namespace a2e {

struct DiffusionSchedule {
  int64_t steps = 0;
  at::Tensor betas;                // [N]
  at::Tensor alphas_cumprod;       // [N] \bar{alpha}_t = prod_{s<=t} (1 - beta_s)
  at::Tensor alphas_cumprod_prev;  // [N] \bar{alpha}_{t-1}, 1 at t = 0
  at::Tensor posterior_variance;   // [N] beta_t (1 - \bar{alpha}_{t-1}) / (1 - \bar{alpha}_t)
  at::Tensor posterior_coef_x0;    // [N] sqrt(\bar{alpha}_{t-1}) beta_t / (1 - \bar{alpha}_t)
  at::Tensor posterior_coef_xt;    // [N] sqrt(alpha_t) (1 - \bar{alpha}_{t-1}) / (1 - \bar{alpha}_t)
};

// kind: "linear" (betas linspace(1e-4, 0.02) scaled to N steps as in DDPM) or "cosine"
// (s = 0.008, betas clipped at 0.999).
DiffusionSchedule make_schedule(int64_t steps, const std::string& kind);

// x_t = sqrt(\bar{alpha}_t) x0 + sqrt(1 - \bar{alpha}_t) noise; x0 and noise [B, ...], t [B] int64.
at::Tensor q_sample(const DiffusionSchedule& s, const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise);

// One ancestral DDPM step from x_t to x_{t-1} given the predicted x0: the posterior mean plus
// sqrt(posterior variance) noise (no noise at t = 0). t [B].
at::Tensor ddpm_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred, const at::Tensor& t,
                     const at::Tensor& noise);

// One DDIM step from x_t to x_{t_prev} (t_prev < t; -1 means the clean end, \bar{alpha} = 1)
// given the predicted x0; eta = 0 is deterministic. t, t_prev [B].
at::Tensor ddim_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred, const at::Tensor& t,
                     const at::Tensor& t_prev, double eta, const at::Tensor& noise);

}  // namespace a2e
}  // namespace ggt
