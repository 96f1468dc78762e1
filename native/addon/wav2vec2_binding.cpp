#include "wav2vec2_binding.h"

#include "../audio/wav2vec2.h"
#include "op_binding.h"
#include "step_reporter.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

const char* const kOp = "wav2vec2Features";

std::vector<int64_t> int_list(const Napi::Object& opts, const char* key) {
  Napi::Value v = opts.Get(key);
  if (!v.IsArray()) throw_type_error(opts.Env(), std::string("expected ") + kOp + "." + key + " to be an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsNumber()) throw_type_error(opts.Env(), std::string("expected ") + kOp + "." + key + " to hold numbers");
    out.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  }
  return out;
}

audio::Wav2Vec2Config read_config(const Napi::Object& opts) {
  audio::Wav2Vec2Config c;
  auto integer = [&](const char* key, int64_t& field) { field = integer_option(opts, key, kOp); };
  integer("hidden", c.hidden);
  integer("numLayers", c.num_layers);
  integer("numHeads", c.num_heads);
  integer("intermediate", c.intermediate);
  integer("posConvKernel", c.pos_conv_kernel);
  integer("posConvGroups", c.pos_conv_groups);
  c.conv_dim = int_list(opts, "convDim");
  c.conv_kernel = int_list(opts, "convKernel");
  c.conv_stride = int_list(opts, "convStride");
  c.conv_bias = opts.Get("convBias").ToBoolean();
  c.extractor_layer_norm = opts.Get("extractorLayerNorm").ToBoolean();
  c.layer_norm_first = opts.Get("layerNormFirst").ToBoolean();
  c.do_normalize = opts.Get("doNormalize").ToBoolean();
  if (!opts.Get("layerNormEps").IsUndefined()) c.layer_norm_eps = number_option(opts, "layerNormEps", kOp);
  return c;
}

}  // namespace

Napi::Value Wav2Vec2Features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(env, std::string(kOp) + " expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const audio::Wav2Vec2Config c = read_config(opts);
  const int64_t layer = opts.Get("layer").IsUndefined() ? -1 : integer_option(opts, "layer", kOp);
  if (!opts.Get("weightNames").IsArray() || !opts.Get("weights").IsArray())
    throw_type_error(env, std::string(kOp) + " expects weightNames and weights as arrays of the same length");
  Napi::Array names = opts.Get("weightNames").As<Napi::Array>();
  if (names.Length() != opts.Get("weights").As<Napi::Array>().Length())
    throw_type_error(env, std::string(kOp) + " expects weightNames and weights as arrays of the same length");
  std::vector<std::string> keys;
  OpSpec spec{kOp, {"samples"}, {}, {"weights."}};
  for (uint32_t i = 0; i < names.Length(); ++i) {
    keys.push_back(names.Get(i).ToString().Utf8Value());
    spec.required.push_back("weights." + std::to_string(i));
  }
  const StepCallback on_step = step_callback(opts, kOp);
  return run_op(info, spec, [c, layer, keys, on_step](const OpInputs& in) {
    std::map<std::string, at::Tensor> named;
    for (size_t i = 0; i < keys.size(); ++i) named[keys[i]] = in["weights." + std::to_string(i)];
    const audio::Wav2Vec2Weights w = audio::wav2vec2_weights(named, c);
    return OpOutputs{{"features", audio::wav2vec2_features(in["samples"], w, c, layer, on_step)}};
  });
}

}  // namespace addon
}  // namespace ggt
