// rasterize(options) -> Promise: argument parsing and the async job. No maths here.
#include "rasterize_binding.h"

#include <ATen/ATen.h>

#include "../render/bench_scenes.h"
#include "../render/rasterize_kernels.h"
#include "../render/rasterize.h"
#include "../render/reference_rasterize.h"
#include "native_errors.h"
#include "op_binding.h"
#include "raster_settings.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {

Napi::Value Rasterize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(env, "rasterize expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const render::RasterSettings settings = parse_raster_settings(opts);
  const bool reference = opts.Get("reference").ToBoolean();
  const OpSpec spec{"rasterize", {"means", "quats", "scales", "opacities", "colors"}, {}};
  return run_op(info, spec, [settings, reference](const OpInputs& in) {
    const render::RasterOutputs out =
        reference ? render::reference_rasterize(in["means"], in["quats"], in["scales"], in["opacities"], in["colors"],
                                                settings)
                  : render::rasterize(in["means"], in["quats"], in["scales"], in["opacities"], in["colors"], settings);
    return OpOutputs{{"image", out.image}, {"alpha", out.alpha}, {"depth", out.depth}, {"radii", out.radii}};
  });
}

Napi::Value RasterizerStageTimes(const Napi::CallbackInfo& info) {
  const render::StageTimes t = render::last_stage_times();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("checks", t.checks);
  out.Set("project", t.project);
  out.Set("sort", t.sort);
  out.Set("blend", t.blend);
  out.Set("backwardBlend", t.backward_blend);
  out.Set("backwardProject", t.backward_project);
  out.Set("forwardTotal", t.total);
  out.Set("rectTilePairs", static_cast<double>(t.rect_pairs));
  out.Set("tilePairs", static_cast<double>(t.tile_pairs));
  return out;
}

Napi::Value LaneMath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type_error(env, "laneMath expects (op: string, variant: string, x: Float32Array)");
  const std::string op = info[0].As<Napi::String>().Utf8Value(), variant = info[1].As<Napi::String>().Utf8Value();
  const Napi::Float32Array x = info[2].As<Napi::Float32Array>();
  Napi::Float32Array y = Napi::Float32Array::New(env, x.ElementLength());
  const bool ran = guarded(env, [&] {
    return render::cpu_lane_math(op, variant, x.Data(), y.Data(), static_cast<int64_t>(x.ElementLength()));
  });
  return ran ? Napi::Value(y) : env.Null();
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
