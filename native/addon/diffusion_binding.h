// N-API bindings of the diffusion maths (diffusion_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

// diffusionSchedule({steps, schedule: 'linear' | 'cosine'}) -> {betas, alphasCumprod,
//   alphasCumprodPrev, posteriorVariance, posteriorCoefX0, posteriorCoefXt}
Napi::Value DiffusionSchedule(const Napi::CallbackInfo& info);

// diffusionStep({step: 'q' | 'ddpm' | 'ddim', steps, schedule, x, x0Pred?, t, tPrev?, eta?, noise})
//   -> {x}: q_sample(x0 = x), ddpm_step(x_t = x) or ddim_step(x_t = x).
Napi::Value DiffusionStep(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace ggt
