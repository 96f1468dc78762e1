#include "diffusion_binding.h"

#include <ATen/ATen.h>

#include "../a2e/diffusion.h"
#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

struct ScheduleSpec {
  int64_t steps;
  std::string kind;
};

ScheduleSpec read_schedule(const Napi::Object& opts, const char* op) {
  const Napi::Value kind = opts.Get("schedule");
  if (!kind.IsString()) throw_type_error(opts.Env(), std::string("expected ") + op + ".schedule to be 'linear' or 'cosine'");
  return {integer_option(opts, "steps", op), kind.As<Napi::String>().Utf8Value()};
}

}  // namespace

Napi::Value DiffusionSchedule(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "diffusionSchedule expects one options object");
  const ScheduleSpec spec = read_schedule(info[0].As<Napi::Object>(), "diffusionSchedule");
  return run_op(info, {"diffusionSchedule", {}, {}}, [spec](const OpInputs&) {
    const a2e::DiffusionSchedule s = a2e::make_schedule(spec.steps, spec.kind);
    return OpOutputs{{"betas", s.betas},
                     {"alphasCumprod", s.alphas_cumprod},
                     {"alphasCumprodPrev", s.alphas_cumprod_prev},
                     {"posteriorVariance", s.posterior_variance},
                     {"posteriorCoefX0", s.posterior_coef_x0},
                     {"posteriorCoefXt", s.posterior_coef_xt}};
  });
}

Napi::Value DiffusionStep(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "diffusionStep expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const ScheduleSpec spec = read_schedule(opts, "diffusionStep");
  const Napi::Value step_value = opts.Get("step");
  const std::string step = step_value.IsString() ? step_value.As<Napi::String>().Utf8Value() : "";
  if (step != "q" && step != "ddpm" && step != "ddim" && step != "dpm-solver++")
    throw_type_error(info.Env(), "expected diffusionStep.step to be 'q', 'ddpm', 'ddim' or 'dpm-solver++'");
  const double eta = opts.Get("eta").IsUndefined() ? 0.0 : number_option(opts, "eta", "diffusionStep");
  return run_op(info, {"diffusionStep", {"x", "t", "noise"}, {"x0Pred", "tPrev", "x0Before", "tBefore"}}, [spec, step, eta](const OpInputs& in) {
    const a2e::DiffusionSchedule s = a2e::make_schedule(spec.steps, spec.kind);
    const at::Tensor t = in["t"].to(at::kLong);
    at::Tensor out;
    if (step == "q") {
      out = a2e::q_sample(s, in["x"], t, in["noise"]);
    } else {
      TORCH_CHECK(in["x0Pred"].defined(), "diffusionStep '", step, "' needs x0Pred");
      if (step == "ddpm") {
        out = a2e::ddpm_step(s, in["x"], in["x0Pred"], t, in["noise"]);
      } else if (step == "dpm-solver++") {
        TORCH_CHECK(in["tPrev"].defined(), "diffusionStep 'dpm-solver++' needs tPrev");
        TORCH_CHECK(in["x0Before"].defined() == in["tBefore"].defined(), "diffusionStep 'dpm-solver++' needs x0Before and tBefore together");
        out = a2e::dpm_solver_pp_step(s, in["x"], in["x0Pred"], t, in["tPrev"].to(at::kLong), in["x0Before"],
                                      in["tBefore"].defined() ? in["tBefore"].to(at::kLong) : at::Tensor());
      } else {
        TORCH_CHECK(in["tPrev"].defined(), "diffusionStep 'ddim' needs tPrev");
        out = a2e::ddim_step(s, in["x"], in["x0Pred"], t, in["tPrev"].to(at::kLong), eta, in["noise"]);
      }
    }
    return OpOutputs{{"x", out}};
  });
}

}  // namespace addon
}  // namespace ggt
