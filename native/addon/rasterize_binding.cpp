// rasterize(options) -> Promise: argument parsing and the async job. No maths here.
#include "rasterize_binding.h"

#include <ATen/ATen.h>

#include "../render/bench_scenes.h"
#include "../render/rasterize.h"
#include "../render/reference_rasterize.h"
#include "native_errors.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

using render::Camera;
using render::RasterSettings;

double number_field(const Napi::Object& obj, const char* key, const std::string& where) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throw_type_error(obj.Env(), "expected " + where + "." + key + " to be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Camera parse_camera(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw_type_error(env, "expected camera to be an object");
  Napi::Object obj = value.As<Napi::Object>();
  Camera cam;
  Napi::Value view = obj.Get("view");
  if (view.IsTypedArray() && view.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array &&
      view.As<Napi::TypedArray>().ElementLength() == 16) {
    Napi::Float32Array a = view.As<Napi::Float32Array>();
    for (int i = 0; i < 16; ++i) cam.view[i] = a[i];
  } else if (view.IsArray() && view.As<Napi::Array>().Length() == 16) {
    Napi::Array a = view.As<Napi::Array>();
    for (uint32_t i = 0; i < 16; ++i) cam.view[i] = static_cast<float>(a.Get(i).ToNumber().DoubleValue());
  } else {
    throw_type_error(env, "expected camera.view to be 16 numbers (a row-major 4x4 world-to-camera matrix)");
  }
  cam.fx = static_cast<float>(number_field(obj, "fx", "camera"));
  cam.fy = static_cast<float>(number_field(obj, "fy", "camera"));
  cam.cx = static_cast<float>(number_field(obj, "cx", "camera"));
  cam.cy = static_cast<float>(number_field(obj, "cy", "camera"));
  cam.width = static_cast<int32_t>(number_field(obj, "width", "camera"));
  cam.height = static_cast<int32_t>(number_field(obj, "height", "camera"));
  cam.near_plane = static_cast<float>(number_field(obj, "near", "camera"));
  cam.far_plane = static_cast<float>(number_field(obj, "far", "camera"));
  return cam;
}

RasterSettings parse_settings(const Napi::Object& opts) {
  Napi::Env env = opts.Env();
  RasterSettings s;
  s.camera = parse_camera(opts.Get("camera"));
  guarded(env, [&] { render::check_camera(s.camera); });
  Napi::Value bg = opts.Get("background");
  if (!bg.IsUndefined()) {
    if (!bg.IsArray() || bg.As<Napi::Array>().Length() != 3)
      throw_type_error(env, "expected background to be 3 numbers [r, g, b]");
    for (uint32_t i = 0; i < 3; ++i) s.background[i] = static_cast<float>(bg.As<Napi::Array>().Get(i).ToNumber());
  }
  Napi::Value mode = opts.Get("mode");
  if (!mode.IsUndefined()) {
    const std::string m = mode.IsString() ? mode.As<Napi::String>().Utf8Value() : "";
    if (m == "antialiased") s.mode = render::RasterMode::kAntialiased;
    else if (m != "classic") throw_type_error(env, "expected mode to be 'classic' or 'antialiased'");
  }
  return s;
}

}  // namespace

Napi::Value Rasterize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(env, "rasterize expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const RasterSettings settings = parse_settings(opts);
  const char* names[5] = {"means", "quats", "scales", "opacities", "colors"};
  std::vector<at::Tensor> inputs;
  for (const char* name : names) inputs.push_back(tensor_from_js(opts.Get(name), name));
  std::string device;
  if (opts.Get("device").IsString()) device = opts.Get("device").As<Napi::String>().Utf8Value();
  const bool reference = opts.Get("reference").ToBoolean();
  const bool as_handles = opts.Get("returnTensors").ToBoolean();
  std::vector<at::Tensor> out_grads;  // weights of image, alpha, depth in the loss
  Napi::Value og = opts.Get("outputGrads");
  if (og.IsObject()) {
    for (const char* name : {"image", "alpha", "depth"}) {
      Napi::Value v = og.As<Napi::Object>().Get(name);
      out_grads.push_back(v.IsUndefined() || v.IsNull() ? at::Tensor()
                                                        : tensor_from_js(v, std::string("outputGrads.") + name));
    }
  }

  return run_async(env, "rasterize", [=]() mutable {
    const bool want_grads = !out_grads.empty();
    for (at::Tensor& t : inputs) {
      if (!device.empty()) t = t.to(at::Device(device));
      if (want_grads) t = t.detach().requires_grad_(true);
    }
    at::AutoGradMode grad_mode(true);
    const render::RasterOutputs out =
        reference ? render::reference_rasterize(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], settings)
                  : render::rasterize(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], settings);
    AsyncResult result;
    result.as_handles = as_handles;
    if (want_grads) {
      const at::Tensor* outs[3] = {&out.image, &out.alpha, &out.depth};
      at::Tensor loss = at::zeros({}, out.image.options());
      for (int i = 0; i < 3; ++i) {
        if (!out_grads[i].defined()) continue;
        const at::Tensor w = out_grads[i].to(outs[i]->device(), outs[i]->scalar_type());
        TORCH_CHECK(w.sizes() == outs[i]->sizes(), "expected outputGrads.", i == 0 ? "image" : i == 1 ? "alpha" : "depth",
                    " of shape ", outs[i]->sizes(), ", received ", w.sizes());
        loss = loss + (*outs[i] * w).sum();
      }
      loss.backward();
      for (int i = 0; i < 5; ++i) {
        const at::Tensor g = inputs[i].grad();
        result.tensors.emplace_back(std::string("grads.") + names[i], g.defined() ? g : at::zeros_like(inputs[i]));
      }
    }
    const bool detach = want_grads || !as_handles;
    auto keep = [&](const at::Tensor& t) { return detach ? t.detach() : t; };
    result.tensors.emplace_back("image", keep(out.image));
    result.tensors.emplace_back("alpha", keep(out.alpha));
    result.tensors.emplace_back("depth", keep(out.depth));
    result.tensors.emplace_back("radii", out.radii);
    return result;
  });
}

Napi::Value BenchScene(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type_error(env, "expected a scene name: head, scene or small");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const double seed = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.0;
  return guarded(env, [&] {
    const render::GaussianScene s = render::make_bench_scene(name, static_cast<uint64_t>(seed));
    Napi::Object out = Napi::Object::New(env);
    out.Set("means", tensor_to_array(env, s.means));
    out.Set("quats", tensor_to_array(env, s.quats));
    out.Set("scales", tensor_to_array(env, s.scales));
    out.Set("opacities", tensor_to_array(env, s.opacities));
    out.Set("colors", tensor_to_array(env, s.colors));
    Napi::Object cam = Napi::Object::New(env);
    Napi::Array view = Napi::Array::New(env, 16);
    for (uint32_t i = 0; i < 16; ++i) view.Set(i, Napi::Number::New(env, s.camera.view[i]));
    cam.Set("view", view);
    cam.Set("fx", s.camera.fx);
    cam.Set("fy", s.camera.fy);
    cam.Set("cx", s.camera.cx);
    cam.Set("cy", s.camera.cy);
    cam.Set("width", s.camera.width);
    cam.Set("height", s.camera.height);
    cam.Set("near", s.camera.near_plane);
    cam.Set("far", s.camera.far_plane);
    out.Set("camera", cam);
    return out;
  });
}

}  // namespace addon
}  // namespace ggt
