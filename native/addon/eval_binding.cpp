#include "eval_binding.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "../eval/lpips.h"
#include "binding_options.h"
#include "native_errors.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

// lpipsDistance({a, b: [B, 3, H, W] in [0, 1], weights: {name: Tensor}, network: 'alex' | 'vgg',
// device?}) -> {distance: [B]}. With no images (a and b absent) it only checks the weights:
// resolves {} when they fit the network.
Napi::Value LpipsDistance(const Napi::CallbackInfo& info) {
  const std::string op = "lpipsDistance";
  const Napi::Object opts = options_of(info, op);
  if (!opts.Get("network").IsString()) throw_type_error(info.Env(), "expected lpipsDistance.network to be 'alex' or 'vgg'");
  const eval::LpipsNetwork network =
      guarded(info.Env(), [&] { return eval::lpips_network(opts.Get("network").As<Napi::String>().Utf8Value()); });
  const std::map<std::string, at::Tensor> params = read_named(opts, "weights", op, false);
  const bool check_only = opts.Get("a").IsUndefined() && opts.Get("b").IsUndefined();
  const at::Tensor a = check_only ? at::Tensor() : tensor_at(opts, "a", true, op);
  const at::Tensor b = check_only ? at::Tensor() : tensor_at(opts, "b", true, op);
  const at::Device device = device_of(opts, op);
  return run_async(info.Env(), op, [=]() {
    at::NoGradGuard no_grad;
    AsyncResult r;
    if (check_only) {
      eval::lpips_check(params, network);
      return r;
    }
    std::map<std::string, at::Tensor> on_device;
    for (const auto& [name, t] : params) on_device[name] = t.to(device);
    r.tensors = {{"distance", eval::lpips_distance(on_device, network, a.to(device), b.to(device))}};
    return r;
  });
}

}  // namespace

void InitEval(Napi::Env env, Napi::Object exports) {
  exports.Set("lpipsDistance", Napi::Function::New<LpipsDistance>(env, "lpipsDistance"));
}

}  // namespace addon
}  // namespace ggt
