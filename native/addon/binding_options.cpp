#include "binding_options.h"

#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {

Napi::Object options_of(const Napi::CallbackInfo& info, const std::string& op) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), op + " expects one options object");
  return info[0].As<Napi::Object>();
}

Napi::Object object_option(const Napi::Object& opts, const char* key, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (!v.IsObject()) throw_type_error(opts.Env(), "expected " + op + "." + key + " to be an object");
  return v.As<Napi::Object>();
}

int64_t int_or(const Napi::Object& o, const char* key, int64_t fallback, const std::string& where) {
  return o.Get(key).IsUndefined() ? fallback : integer_option(o, key, where);
}

double num_or(const Napi::Object& o, const char* key, double fallback, const std::string& where) {
  return o.Get(key).IsUndefined() ? fallback : number_option(o, key, where);
}

uint64_t seed_of(const Napi::Object& opts, const std::string& op) {
  const double s = num_or(opts, "seed", 0, op);
  if (s < 0 || s > 9007199254740991.0 || s != static_cast<double>(static_cast<uint64_t>(s)))
    throw_type_error(opts.Env(), "expected " + op + ".seed to be a non-negative integer, received " + std::to_string(s));
  return static_cast<uint64_t>(s);
}

at::Device device_of(const Napi::Object& opts, const std::string& op) {
  const Napi::Value v = opts.Get("device");
  if (v.IsUndefined()) return at::Device(at::kCPU);
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (name == "cpu" || name == "cuda" || (name.rfind("cuda:", 0) == 0 && name.size() > 5 &&
                                          name.find_first_not_of("0123456789", 5) == std::string::npos))
    return at::Device(name);
  throw_type_error(opts.Env(), "expected " + op + ".device to be 'cpu', 'cuda' or 'cuda:N', received '" + name + "'");
}

std::vector<std::string> string_list(const Napi::Object& opts, const char* key) {
  std::vector<std::string> out;
  Napi::Value v = opts.Get(key);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).ToString().Utf8Value());
  return out;
}

std::vector<int64_t> int_list(const Napi::Object& opts, const char* key) {
  std::vector<int64_t> out;
  Napi::Value v = opts.Get(key);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).ToNumber().Int64Value());
  return out;
}

at::Tensor tensor_at(const Napi::Object& o, const std::string& dotted, bool required, const std::string& op) {
  Napi::Value v = nested(o, dotted);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) throw_type_error(o.Env(), op + ": missing input " + dotted);
    return {};
  }
  return tensor_from_js(v, dotted);
}

std::map<std::string, at::Tensor> read_named(const Napi::Object& opts, const char* key, const std::string& op,
                                             bool handles_only) {
  const Napi::Object obj = object_option(opts, key, op);
  std::map<std::string, at::Tensor> out;
  Napi::Array names = obj.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).ToString().Utf8Value();
    Napi::Value v = obj.Get(name);
    if (handles_only && !TensorHandle::IsHandle(v))
      throw_type_error(opts.Env(), "expected " + op + "." + key + "['" + name + "'] to be a Tensor handle");
    out[name] = tensor_from_js(v, op + "." + key + "." + name);
  }
  return out;
}

}  // namespace addon
}  // namespace ggt
