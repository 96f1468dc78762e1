#include "op_binding.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "native_errors.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {

const at::Tensor& OpInputs::operator[](const std::string& name) const {
  static const at::Tensor undefined;
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? undefined : it->second;
}

Napi::Value nested(const Napi::Object& obj, const std::string& dotted) {
  Napi::Value v = obj;
  size_t start = 0;
  while (true) {
    if (!v.IsObject()) return obj.Env().Undefined();
    const size_t dot = dotted.find('.', start);
    v = v.As<Napi::Object>().Get(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

double number_option(const Napi::Object& obj, const char* key, const std::string& where) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throw_type_error(obj.Env(), "expected " + where + "." + key + " to be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t integer_option(const Napi::Object& obj, const char* key, const std::string& where) {
  const double v = number_option(obj, key, where);
  if (!(std::fabs(v) <= 9007199254740992.0) || v != std::floor(v))
    throw_type_error(obj.Env(), "expected " + where + "." + key + " to be an integer, received " + std::to_string(v));
  return static_cast<int64_t>(v);
}

Napi::Value run_op(const Napi::CallbackInfo& info, const OpSpec& spec, std::function<OpOutputs(const OpInputs&)> compute) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(env, spec.name + " expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  OpInputs inputs;
  for (const auto* names : {&spec.required, &spec.optional}) {
    for (const std::string& name : *names) {
      Napi::Value v = nested(opts, name);
      if (v.IsUndefined() || v.IsNull()) {
        if (names == &spec.required) throw_type_error(env, spec.name + ": missing input " + name);
        continue;
      }
      inputs.all()[name] = tensor_from_js(v, name);
    }
  }
  std::map<std::string, at::Tensor> out_grads;
  Napi::Value og = opts.Get("outputGrads");
  if (og.IsObject()) {
    Napi::Array keys = og.As<Napi::Object>().GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value v = og.As<Napi::Object>().Get(key);
      if (!v.IsUndefined() && !v.IsNull()) out_grads[key] = tensor_from_js(v, "outputGrads." + key);
    }
  }
  std::string device;
  if (opts.Get("device").IsString()) device = opts.Get("device").As<Napi::String>().Utf8Value();
  const bool as_handles = opts.Get("returnTensors").ToBoolean();
  const std::string what = spec.name;
  const std::vector<std::string> constants = spec.constant_prefixes;
  auto differentiable = [constants](const std::string& name, const at::Tensor& t) {
    if (!t.is_floating_point()) return false;
    for (const std::string& prefix : constants)
      if (name.compare(0, prefix.size(), prefix) == 0) return false;
    return true;
  };

  return run_async(env, what, [inputs, out_grads, device, as_handles, compute, what, differentiable]() mutable {
    const bool want_grads = !out_grads.empty();
    for (auto& [name, t] : inputs.all()) {
      if (!device.empty()) t = t.to(at::Device(device));
      if (want_grads) t = differentiable(name, t) ? t.detach().requires_grad_(true) : t.detach();
    }
    at::AutoGradMode grad_mode(true);
    OpOutputs outputs = compute(inputs);
    AsyncResult result;
    result.as_handles = as_handles;
    if (want_grads) {
      at::Tensor loss;
      for (const auto& [name, weights] : out_grads) {
        const auto it = std::find_if(outputs.begin(), outputs.end(), [&](const auto& o) { return o.first == name; });
        TORCH_CHECK(it != outputs.end() && it->second.defined(), what, " has no output named ", name,
                    " to take outputGrads.", name, " for");
        const at::Tensor w = weights.to(it->second.device(), it->second.scalar_type());
        TORCH_CHECK(w.sizes() == it->second.sizes(), "expected outputGrads.", name, " of shape ", it->second.sizes(),
                    ", received ", w.sizes());
        const at::Tensor term = (it->second * w).sum();
        loss = loss.defined() ? loss + term : term;
      }
      if (loss.requires_grad()) loss.backward();
      for (auto& [name, t] : inputs.all()) {
        if (!differentiable(name, t)) continue;
        const at::Tensor g = t.grad();
        result.tensors.emplace_back("grads." + name, g.defined() ? g : at::zeros_like(t));
      }
    }
    for (auto& [name, t] : outputs) {
      result.tensors.emplace_back(name, (want_grads || !as_handles) && t.defined() ? t.detach() : t);
    }
    return result;
  });
}

}  // namespace addon
}  // namespace ggt
