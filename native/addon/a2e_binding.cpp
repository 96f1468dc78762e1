#include "a2e_binding.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <memory>

#include "../a2e/dit.h"
#include "../a2e/dit_sample.h"
#include "../a2e/dit_train.h"
#include "../a2e/script_model.h"
#include "dist_binding.h"
#include "abort_flag.h"
#include "binding_options.h"
#include "native_errors.h"
#include "op_binding.h"
#include "step_reporter.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

// opts[key] as a boolean (default `fallback`).
bool bool_or(const Napi::Object& opts, const char* key, bool fallback, const std::string& op) {
  const Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw_type_error(opts.Env(), "expected " + op + "." + key + " to be a boolean");
  return v.As<Napi::Boolean>().Value();
}

a2e::DitConfig read_config(const Napi::Object& opts, const std::string& op) {
  const Napi::Object c = object_option(opts, "config", op);
  const std::string where = op + ".config";
  a2e::DitConfig cfg;
  auto integer = [&](const char* key, int64_t& field) { field = integer_option(c, key, where); };
  integer("featureDim", cfg.feature_dim);
  integer("outputDim", cfg.output_dim);
  integer("expressionCount", cfg.expression_count);
  integer("dModel", cfg.d_model);
  integer("heads", cfg.heads);
  integer("ffDim", cfg.ff_dim);
  integer("condLayers", cfg.cond_layers);
  integer("decoderLayers", cfg.decoder_layers);
  integer("speakers", cfg.speakers);
  integer("speakerDim", cfg.speaker_dim);
  integer("timeTokens", cfg.time_tokens);
  integer("maxFrames", cfg.max_frames);
  integer("diffusionSteps", cfg.diffusion_steps);
  if (!c.Get("alignRadius").IsUndefined()) integer("alignRadius", cfg.align_radius);
  if (!c.Get("schedule").IsString()) throw_type_error(c.Env(), "expected " + where + ".schedule to be 'cosine' or 'linear'");
  cfg.schedule = c.Get("schedule").As<Napi::String>().Utf8Value();
  guarded(c.Env(), [&] { cfg.validate(); });
  return cfg;
}

// {name: Tensor handle | {data, shape}} -> map. `handles_only`: in-place updates must reach JS.
a2e::LossOptions read_loss(const Napi::Object& opts, const std::string& op) {
  a2e::LossOptions o;
  if (!opts.Get("loss").IsObject()) return o;
  const Napi::Object l = opts.Get("loss").As<Napi::Object>();
  const std::string where = op + ".loss";
  o.window = int_or(l, "window", o.window, where);
  o.lambda_exp = num_or(l, "lambdaExp", o.lambda_exp, where);
  o.lambda_temp = num_or(l, "lambdaTemp", o.lambda_temp, where);
  o.huber_delta = num_or(l, "huberDelta", o.huber_delta, where);
  o.cond_drop = num_or(l, "condDrop", o.cond_drop, where);
  return o;
}

a2e::AdamOptions read_adam(const Napi::Object& opts, const std::string& op) {
  a2e::AdamOptions o;
  if (!opts.Get("adam").IsObject()) return o;
  const Napi::Object a = opts.Get("adam").As<Napi::Object>();
  const std::string where = op + ".adam";
  for (auto [key, field] : {std::pair{"lr", &o.lr}, {"beta1", &o.beta1}, {"beta2", &o.beta2}, {"eps", &o.eps},
                            {"weightDecay", &o.weight_decay}, {"minLrFactor", &o.min_lr_factor}, {"gradClip", &o.grad_clip}})
    *field = num_or(a, key, *field, where);
  o.warmup_steps = int_or(a, "warmupSteps", o.warmup_steps, where);
  o.total_steps = int_or(a, "totalSteps", o.total_steps, where);
  return o;
}

a2e::TrainableSet read_trainable(const Napi::Object& opts) {
  a2e::TrainableSet t;
  t.frozen = string_list(opts, "frozen");
  t.speaker_rows = int_list(opts, "speakerRows");
  return t;
}

a2e::ClipSet read_clips(const Napi::Object& opts, const std::string& op) {
  const Napi::Object d = object_option(opts, "data", op);
  a2e::ClipSet c;
  c.features = tensor_at(d, "features", true, op + ".data");
  c.targets = tensor_at(d, "targets", true, op + ".data");
  c.clip_start = tensor_at(d, "clipStart", true, op + ".data").to(at::kLong);
  c.clip_length = tensor_at(d, "clipLength", true, op + ".data").to(at::kLong);
  c.clip_speaker = tensor_at(d, "clipSpeaker", true, op + ".data").to(at::kLong);
  return c;
}

AsyncResult arrays(std::vector<std::pair<std::string, at::Tensor>> tensors) {
  AsyncResult r;
  r.tensors = std::move(tensors);
  return r;
}

// ---- TorchScript model handle ---------------------------------------------------------------

const napi_type_tag kScriptTag = {0x6a2e5c1e7d3b4f01ull, 0x9c8b7a6f5e4d3c2bull};

class ScriptModelHandle : public Napi::ObjectWrap<ScriptModelHandle> {
 public:
  explicit ScriptModelHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScriptModelHandle>(info) {
    if (info.Length() < 1 || !info[0].IsString())
      throw_type_error(info.Env(), "A2EScriptModel expects the path of a TorchScript file");
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    model_ = guarded(info.Env(), [&] { return std::make_shared<a2e::ScriptModel>(path); });
    info.This().As<Napi::Object>().TypeTag(&kScriptTag);
  }
  static bool Is(const Napi::Value& v) { return v.IsObject() && v.As<Napi::Object>().CheckTypeTag(&kScriptTag); }
  static std::shared_ptr<a2e::ScriptModel> ModelOf(const Napi::Value& v) { return Unwrap(v.As<Napi::Object>())->model_; }

  Napi::Value ParameterNames(const Napi::CallbackInfo& info) {
    const std::vector<std::string> names = model_->parameter_names();
    Napi::Array out = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
    return out;
  }

 private:
  std::shared_ptr<a2e::ScriptModel> model_;
};

}  // namespace

void InitA2eScriptModel(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = ScriptModelHandle::DefineClass(
      env, "A2EScriptModel", {ScriptModelHandle::InstanceMethod<&ScriptModelHandle::ParameterNames>("parameterNames")});
  exports.Set("A2EScriptModel", cls);
}

Napi::Value A2eInit(const Napi::CallbackInfo& info) {
  const std::string op = "a2eInit";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  const uint64_t seed = seed_of(opts, op);
  const bool zeros = opts.Get("zeros").ToBoolean();
  return run_async(info.Env(), op, [cfg, seed, zeros]() {
    AsyncResult r;
    r.as_handles = true;
    for (auto& [name, t] : a2e::dit_init(cfg, seed)) r.tensors.emplace_back(name, zeros ? at::zeros_like(t) : t);
    return r;
  });
}

Napi::Value A2eForward(const Napi::CallbackInfo& info) {
  const std::string op = "a2eForward";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  const a2e::ParamMap params = read_named(opts, "params", op, false);
  const at::Tensor x_t = tensor_at(opts, "x_t", true, op), n = tensor_at(opts, "n", true, op);
  const at::Tensor cond = tensor_at(opts, "cond", true, op), speaker = tensor_at(opts, "speaker", true, op);
  const at::Tensor keep = tensor_at(opts, "keep", true, op);
  // The sampler's path: the condition and its cross-attention keys/values computed up front.
  const bool cached = bool_or(opts, "crossAttentionCache", false, op);
  return run_async(info.Env(), op, [=]() {
    at::NoGradGuard no_grad;
    a2e::check_dit_params(cfg, params);
    if (!cached) return arrays({{"x0", a2e::dit_forward(cfg, params, x_t, n.to(at::kLong), cond, speaker.to(at::kLong), keep)}});
    const at::Tensor x0 = a2e::dit_denoiser(cfg, params, true)(x_t, n.to(at::kLong), cond, speaker.to(at::kLong), keep);
    return arrays({{"x0", x0}});
  });
}

Napi::Value A2eLoss(const Napi::CallbackInfo& info) {
  const std::string op = "a2eLoss";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  const a2e::ParamMap params = read_named(opts, "params", op, false);
  const at::Tensor x0 = tensor_at(opts, "x0", true, op), n = tensor_at(opts, "n", true, op);
  const at::Tensor noise = tensor_at(opts, "noise", true, op), cond = tensor_at(opts, "cond", true, op);
  const at::Tensor speaker = tensor_at(opts, "speaker", true, op), keep = tensor_at(opts, "keep", true, op);
  const a2e::LossOptions lo = read_loss(opts, op);
  const a2e::TrainableSet trainable = read_trainable(opts);
  const bool grads = opts.Get("grads").ToBoolean();
  return run_async(info.Env(), op, [=]() {
    a2e::check_dit_params(cfg, params);
    const a2e::LossAndGrads lg = a2e::loss_and_grads(cfg, params, x0, n.to(at::kLong), noise, cond,
                                                     speaker.to(at::kLong), keep, lo, trainable, grads);
    AsyncResult r = arrays({{"loss", at::full({1}, lg.loss, at::kDouble)}});
    for (const auto& [name, g] : lg.grads) r.tensors.emplace_back("grads." + name, g);
    return r;
  });
}

Napi::Value A2eTrain(const Napi::CallbackInfo& info) {
  const std::string op = "a2eTrain";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  a2e::ParamMap params = read_named(opts, "params", op, true);
  a2e::AdamState adam;
  adam.m = read_named(opts, "adamM", op, true);
  adam.v = read_named(opts, "adamV", op, true);
  adam.step = int_or(opts, "step", 0, op);
  const a2e::ClipSet data = read_clips(opts, op);
  const a2e::LossOptions lo = read_loss(opts, op);
  const a2e::TrainableSet trainable = read_trainable(opts);
  const a2e::AdamOptions ao = read_adam(opts, op);
  for (const auto& [name, p] : params)
    if (trainable.trains(name) && (!adam.m.count(name) || !adam.v.count(name)))
      throw_type_error(info.Env(), op + ": missing Adam moments for " + name);
  const int64_t steps = int_or(opts, "steps", 1, op), batch = int_or(opts, "batch", 16, op);
  const uint64_t seed = seed_of(opts, op);
  const std::function<bool()> stop = abort_poll(opts.Get("abort"), op + ".abort");
  const std::shared_ptr<train::ProcessGroup> group = process_group_of(opts.Get("group"), op + ".group");
  // Resumed runs from before samplesSeen existed: one process, `batch` samples a step.
  const int64_t samples_seen = int_or(opts, "samplesSeen", adam.step * batch, op);
  return run_async(info.Env(), op, [=]() mutable {
    for (const auto& [name, m] : adam.m)
      TORCH_CHECK(params.count(name) && m.sizes() == params.at(name).sizes(), "the Adam state of ", name,
                  " does not match its parameter");
    const a2e::TrainResult tr = a2e::train_steps(cfg, params, adam, data, lo, ao, trainable, steps, seed, batch, stop,
                                                 train::DataParallel{group.get(), samples_seen});
    return arrays({{"losses", at::tensor(tr.losses, at::kDouble)},
                   {"lrs", at::tensor(tr.lrs, at::kDouble)},
                   {"step", at::full({1}, static_cast<double>(adam.step), at::kDouble)},
                   {"samplesSeen", at::full({1}, static_cast<double>(tr.samples_seen), at::kDouble)},
                   {"allreduceWaitMs", at::full({1}, tr.allreduce_wait_ms, at::kDouble)},
                   {"stopped", at::full({1}, tr.stopped ? 1.0 : 0.0, at::kDouble)},
                   {"gradNorm", at::full({1}, tr.grad_norm, at::kDouble)}});
  });
}

Napi::Value A2eEval(const Napi::CallbackInfo& info) {
  const std::string op = "a2eEval";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  const a2e::ParamMap params = read_named(opts, "params", op, false);
  const a2e::ClipSet data = read_clips(opts, op);
  const a2e::LossOptions lo = read_loss(opts, op);
  const uint64_t seed = seed_of(opts, op);
  const int64_t batch = int_or(opts, "batch", 64, op);
  return run_async(info.Env(), op, [=]() {
    return arrays({{"loss", at::full({1}, a2e::eval_loss(cfg, params, data, lo, seed, batch), at::kDouble)}});
  });
}

Napi::Value A2eSample(const Napi::CallbackInfo& info) {
  const std::string op = "a2eSample";
  const Napi::Object opts = options_of(info, op);
  const a2e::DitConfig cfg = read_config(opts, op);
  std::shared_ptr<a2e::ScriptModel> script;
  a2e::ParamMap params;
  at::Tensor mean, std_;
  if (ScriptModelHandle::Is(opts.Get("script"))) {
    script = ScriptModelHandle::ModelOf(opts.Get("script"));
    mean = tensor_at(opts, "mean", true, op);
    std_ = tensor_at(opts, "std", true, op);
  } else {
    params = read_named(opts, "params", op, false);
  }
  const at::Tensor cond = tensor_at(opts, "cond", true, op);
  const int64_t speaker = int_or(opts, "speaker", 0, op);
  a2e::SampleOptions so;
  if (opts.Get("sample").IsObject()) {
    const Napi::Object s = opts.Get("sample").As<Napi::Object>();
    const std::string where = op + ".sample";
    if (s.Get("method").IsString()) so.method = s.Get("method").As<Napi::String>().Utf8Value();
    so.steps = int_or(s, "steps", so.steps, where);
    so.guidance = num_or(s, "guidance", so.guidance, where);
    so.eta = num_or(s, "eta", so.eta, where);
    so.window = int_or(s, "window", so.window, where);
    so.overlap = int_or(s, "overlap", so.overlap, where);
    so.seed = seed_of(s, where);
  }
  const bool cache_cross_attention = bool_or(opts, "crossAttentionCache", true, op);
  const std::function<bool()> stop = abort_poll(opts.Get("abort"), op + ".abort");
  const a2e::StepFn on_step = step_callback(opts, op);
  at::Tensor known, known_mask;
  if (!opts.Get("known").IsUndefined()) {
    known = tensor_at(opts, "known", true, op);
    known_mask = tensor_at(opts, "knownMask", true, op);
  }
  const at::Device device = device_of(opts, op);
  if (script && !device.is_cpu()) throw_type_error(info.Env(), "TorchScript Audio-Expression models sample on the CPU only (received device '" + device.str() + "')");
  return run_async(info.Env(), op, [=]() {
    a2e::DenoiseFn fn;
    at::Tensor m = mean, s = std_;
    if (script) {
      fn = [script](const at::Tensor& x, const at::Tensor& n, const at::Tensor& c, const at::Tensor& spk,
                    const at::Tensor& keep) { return script->forward(x, n, c, spk, keep); };
    } else {
      a2e::check_dit_params(cfg, params);
      a2e::ParamMap on_device;
      for (const auto& [name, t] : params) on_device[name] = t.to(device);
      m = on_device.at("data.mean");
      s = on_device.at("data.std");
      fn = a2e::dit_denoiser(cfg, on_device, cache_cross_attention);
    }
    TORCH_CHECK(m.numel() == cfg.output_dim && s.numel() == cfg.output_dim, "expected mean and std of ",
                cfg.output_dim, " values");
    const at::Tensor out = a2e::sample_sequence(cfg, fn, m.to(at::kFloat).reshape({-1}), s.to(at::kFloat).reshape({-1}),
                                                cond.to(device), speaker, so, known, known_mask, stop, on_step);
    return arrays({{"expressions", out}});
  });
}

}  // namespace addon
}  // namespace ggt
