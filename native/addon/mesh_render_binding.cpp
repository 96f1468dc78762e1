// meshRender(options) -> Promise<{image, coverage, depth}>: the studio camera's binding. Reads
// and copies the typed arrays on the JS thread (so the caller may reuse them at once), checks
// every size and index (TypeError "expected ..., received ..." before any native work), then
// renders on the libuv pool. No maths here (native/studio/mesh_render.cpp).
//
// options: {camera: {view: 16 numbers row-major, fx, fy, cx, cy, width, height},
//           meshes: [{positions: Float32Array [V*3], faces: Uint32Array [F*3], uvs: Float32Array [F*6],
//                     texture, normals?: Float32Array [V*3], occlusion?: Float32Array [V],
//                     specular?, shininess?, label?, doubleSided?}],
//           textures: [{data: Float32Array [H*W*3], width, height}],
//           lights: [{direction: [3], colour: [3]}], ambient: [3],
//           background?: Float32Array [H*W*3], samples?: 1..4, abort?: AbortFlag}
#include "mesh_render_binding.h"

#include <ATen/ATen.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../studio/mesh_render.h"
#include "abort_flag.h"
#include "binding_options.h"
#include "native_errors.h"
#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

const char* const kOp = "meshRender";

// The copies the render reads; studio::RenderInputs points into them (moving an inner vector
// when the outer one grows keeps its buffer, so the pointers stay valid).
struct OwnedScene {
  std::vector<std::vector<float>> floats;
  std::vector<std::vector<uint32_t>> indices;
  studio::RenderInputs inputs;
};

std::string str(size_t v) { return std::to_string(v); }

// A Float32Array's elements (copied); `count` the expected length, or 0 to take any multiple of `row`.
const float* float_array(OwnedScene& s, const Napi::Value& v, const std::string& name, size_t count, size_t row,
                         size_t* length = nullptr) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type_error(v.Env(), "expected " + name + " to be a Float32Array");
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  const size_t n = a.ElementLength();
  if (count > 0 ? n != count : n % row != 0)
    throw_type_error(v.Env(), "expected " + name + " to hold " + (count > 0 ? str(count) : "a multiple of " + str(row)) +
                                  " values, received " + str(n));
  s.floats.emplace_back(a.Data(), a.Data() + n);
  if (length) *length = n;
  return s.floats.back().data();
}

// o[key] as an integer in [lo, hi] (or `fallback` when undefined and fallback >= lo): checked
// before the cast, which is undefined behaviour for NaN or out-of-range doubles.
int64_t integer(const Napi::Object& o, const char* key, const std::string& where, int64_t lo, int64_t hi,
                int64_t fallback = INT64_MIN) {
  if (fallback != INT64_MIN && o.Get(key).IsUndefined()) return fallback;
  const double v = number_option(o, key, where);
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v))
    throw_type_error(o.Env(), "expected " + where + "." + key + " to be an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "], received " + Napi::Number::New(o.Env(), v).ToString().Utf8Value());
  return static_cast<int64_t>(v);
}

void triple(const Napi::Object& o, const char* key, const std::string& where, double out[3]) {
  const Napi::Value v = o.Get(key);
  const std::string name = where + "." + key;
  if (!v.IsObject()) throw_type_error(o.Env(), "expected " + name + " to be 3 numbers");
  const Napi::Object a = v.As<Napi::Object>();
  if (!a.Get("length").IsNumber() || a.Get("length").As<Napi::Number>().Uint32Value() != 3)
    throw_type_error(o.Env(), "expected " + name + " to be 3 numbers");
  for (uint32_t i = 0; i < 3; ++i) {
    const Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throw_type_error(o.Env(), "expected " + name + " to be 3 numbers");
    out[i] = e.As<Napi::Number>().DoubleValue();
  }
}

std::shared_ptr<OwnedScene> read_scene(const Napi::Object& opts) {
  Napi::Env env = opts.Env();
  auto s = std::make_shared<OwnedScene>();
  studio::RenderInputs& in = s->inputs;

  const Napi::Object cam = object_option(opts, "camera", kOp);
  const std::string cw = std::string(kOp) + ".camera";
  in.camera.fx = number_option(cam, "fx", cw);
  in.camera.fy = number_option(cam, "fy", cw);
  in.camera.cx = number_option(cam, "cx", cw);
  in.camera.cy = number_option(cam, "cy", cw);
  in.camera.width = integer(cam, "width", cw, 1, 16384);
  in.camera.height = integer(cam, "height", cw, 1, 16384);
  {
    const Napi::Value v = cam.Get("view");
    if (!v.IsObject() || !v.As<Napi::Object>().Get("length").IsNumber() ||
        v.As<Napi::Object>().Get("length").As<Napi::Number>().Uint32Value() != 16)
      throw_type_error(env, "expected camera.view to be 16 numbers (row-major 4x4)");
    const Napi::Object a = v.As<Napi::Object>();
    for (uint32_t i = 0; i < 16; ++i) {
      const Napi::Value e = a.Get(i);
      if (!e.IsNumber()) throw_type_error(env, "expected camera.view to be 16 numbers (row-major 4x4)");
      in.camera.view[i] = e.As<Napi::Number>().DoubleValue();
    }
  }
  in.samples = integer(opts, "samples", kOp, 1, 4, 2);
  triple(opts, "ambient", kOp, in.ambient);

  auto list = [&](const char* key) {
    const Napi::Value v = opts.Get(key);
    if (!v.IsArray()) throw_type_error(env, std::string("expected ") + kOp + "." + key + " to be an array");
    return v.As<Napi::Array>();
  };
  const Napi::Array textures = list("textures");
  for (uint32_t t = 0; t < textures.Length(); ++t) {
    const std::string name = "textures[" + str(t) + "]";
    if (!textures.Get(t).IsObject()) throw_type_error(env, "expected " + name + " to be an object {data, width, height}");
    const Napi::Object o = textures.Get(t).As<Napi::Object>();
    studio::Texture tex;
    tex.width = integer(o, "width", name, 1, 65536);
    tex.height = integer(o, "height", name, 1, 65536);
    tex.rgb = float_array(*s, o.Get("data"), name + ".data", static_cast<size_t>(tex.width * tex.height * 3), 3);
    in.textures.push_back(tex);
  }
  const Napi::Array lights = list("lights");
  for (uint32_t l = 0; l < lights.Length(); ++l) {
    const std::string name = "lights[" + str(l) + "]";
    if (!lights.Get(l).IsObject()) throw_type_error(env, "expected " + name + " to be an object {direction, colour}");
    studio::Light light;
    triple(lights.Get(l).As<Napi::Object>(), "direction", name, light.direction);
    triple(lights.Get(l).As<Napi::Object>(), "colour", name, light.colour);
    in.lights.push_back(light);
  }
  const Napi::Array meshes = list("meshes");
  for (uint32_t mi = 0; mi < meshes.Length(); ++mi) {
    const std::string name = "meshes[" + str(mi) + "]";
    if (!meshes.Get(mi).IsObject()) throw_type_error(env, "expected " + name + " to be an object");
    const Napi::Object o = meshes.Get(mi).As<Napi::Object>();
    studio::Mesh m;
    size_t n = 0;
    m.positions = float_array(*s, o.Get("positions"), name + ".positions", 0, 3, &n);
    m.vertex_count = static_cast<int64_t>(n / 3);
    const Napi::Value faces = o.Get("faces");
    if (!faces.IsTypedArray() || faces.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw_type_error(env, "expected " + name + ".faces to be a Uint32Array");
    const Napi::Uint32Array f = faces.As<Napi::Uint32Array>();
    if (f.ElementLength() % 3 != 0)
      throw_type_error(env, "expected " + name + ".faces to hold a multiple of 3 values, received " + str(f.ElementLength()));
    s->indices.emplace_back(f.Data(), f.Data() + f.ElementLength());
    m.faces = s->indices.back().data();
    m.face_count = static_cast<int64_t>(f.ElementLength() / 3);
    m.uvs = float_array(*s, o.Get("uvs"), name + ".uvs", static_cast<size_t>(m.face_count) * 6, 6);
    if (m.face_count == 0) m.uvs = nullptr;
    m.texture = integer(o, "texture", name, 0, INT32_MAX);
    if (!o.Get("normals").IsUndefined())
      m.normals = float_array(*s, o.Get("normals"), name + ".normals", static_cast<size_t>(m.vertex_count) * 3, 3);
    if (!o.Get("occlusion").IsUndefined())
      m.occlusion = float_array(*s, o.Get("occlusion"), name + ".occlusion", static_cast<size_t>(m.vertex_count), 1);
    if (m.vertex_count == 0) m.normals = m.occlusion = nullptr;
    m.specular = num_or(o, "specular", m.specular, name);
    m.shininess = num_or(o, "shininess", m.shininess, name);
    m.label = integer(o, "label", name, 0, studio::kMaxLabels - 1, 0);
    m.double_sided = o.Get("doubleSided").ToBoolean();
    in.meshes.push_back(m);
  }
  if (!opts.Get("background").IsUndefined()) {
    const int64_t w = in.camera.width, h = in.camera.height;
    in.background = float_array(*s, opts.Get("background"), "background", static_cast<size_t>(w * h * 3), 3);
  }
  return s;
}

Napi::Value MeshRender(const Napi::CallbackInfo& info) {
  const Napi::Object opts = options_of(info, kOp);
  std::shared_ptr<OwnedScene> scene = read_scene(opts);
  try {
    studio::check_inputs(scene->inputs);
  } catch (const std::invalid_argument& e) {
    throw_type_error(info.Env(), e.what());
  }
  const std::function<bool()> stop = abort_poll(opts.Get("abort"), std::string(kOp) + ".abort");
  return run_async(info.Env(), kOp, [scene, stop]() {
    studio::RenderOutputs r = studio::render_meshes(scene->inputs, stop);
    const int64_t H = scene->inputs.camera.height, W = scene->inputs.camera.width;
    auto tensor = [](std::vector<float>& v, at::IntArrayRef shape) {
      at::Tensor t = at::empty(shape, at::kFloat);
      std::copy(v.begin(), v.end(), t.data_ptr<float>());
      return t;
    };
    AsyncResult res;
    res.tensors = {{"image", tensor(r.image, {H, W, 3})},
                   {"coverage", tensor(r.coverage, {r.labels, H, W})},
                   {"depth", tensor(r.depth, {H, W})}};
    return res;
  });
}

}  // namespace

void InitMeshRender(Napi::Env env, Napi::Object exports) {
  exports.Set("meshRender", Napi::Function::New(env, MeshRender, "meshRender"));
}

}  // namespace addon
}  // namespace ggt
