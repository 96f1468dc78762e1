#include "raster_settings.h"

#include "native_errors.h"
#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

using render::Camera;
using render::RasterSettings;

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
  cam.fx = static_cast<float>(number_option(obj, "fx", "camera"));
  cam.fy = static_cast<float>(number_option(obj, "fy", "camera"));
  cam.cx = static_cast<float>(number_option(obj, "cx", "camera"));
  cam.cy = static_cast<float>(number_option(obj, "cy", "camera"));
  // Bounded before the int32 cast; check_camera then names the real limits.
  const int64_t width = integer_option(obj, "width", "camera"), height = integer_option(obj, "height", "camera");
  if (width < 0 || width > (int64_t(1) << 30) || height < 0 || height > (int64_t(1) << 30))
    throw_type_error(obj.Env(), "expected camera.width and camera.height to be image sizes, received " + std::to_string(width) + " x " + std::to_string(height));
  cam.width = static_cast<int32_t>(width);
  cam.height = static_cast<int32_t>(height);
  cam.near_plane = static_cast<float>(number_option(obj, "near", "camera"));
  cam.far_plane = static_cast<float>(number_option(obj, "far", "camera"));
  return cam;
}

}  // namespace

RasterSettings parse_raster_settings(const Napi::Object& opts) {
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
  Napi::Value pairs = opts.Get("maxTilePairs");
  if (!pairs.IsUndefined()) {
    const double v = pairs.IsNumber() ? pairs.As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 1 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      throw_type_error(env, "expected maxTilePairs to be a positive integer");
    s.max_tile_pairs = static_cast<int64_t>(v);
  }
  return s;
}


}  // namespace addon
}  // namespace ggt
