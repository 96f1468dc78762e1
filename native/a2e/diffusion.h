// Gaussian diffusion maths for the Audio-Expression prior (DDPM, Ho et al. 2020; cosine
// schedule, Nichol & Dhariwal 2021; DDIM, Song et al. 2021; DPM-Solver++, Lu et al. 2022), with
// the network predicting the
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

// One DPM-Solver++(2M) step (Lu et al. 2022, "DPM-Solver++", Algorithm 2: the data-prediction
// multistep solver of the probability-flow ODE) from x_t to x_{t_next} (t_next < t; -1 is the
// clean end) given x0_pred at t and, for the second-order correction, x0_before: the
// prediction of the step before, made at t_before > t. With α = sqrt(ᾱ), σ = sqrt(1 − ᾱ),
// λ = log(α/σ), h = λ(t_next) − λ(t), r = (λ(t) − λ(t_before)) / h:
//   D = (1 + 1/(2r)) x0_pred − 1/(2r) x0_before     (D = x0_pred without x0_before: first order)
//   x_{t_next} = σ(t_next)/σ(t) · x_t + (α(t_next) − σ(t_next) α(t)/σ(t)) · D
// (the second factor is −α(t_next)(e^{−h} − 1), written so that it stays finite at σ = 0).
// The first-order step is DDIM with η = 0. Towards the clean end (t_next = -1, h = ∞) the step
// is first order: the result is x0_pred. t, t_next, t_before [B]; x0_before undefined for the
// first step.
at::Tensor dpm_solver_pp_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred,
                              const at::Tensor& t, const at::Tensor& t_next, const at::Tensor& x0_before = {},
                              const at::Tensor& t_before = {});

}  // namespace a2e
}  // namespace ggt
