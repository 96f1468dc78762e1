#include "audio_binding.h"

#include "../audio/log_mel.h"
#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {

Napi::Value LogMel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "logMel expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  audio::LogMelConfig c;
  auto integer = [&](const char* key, int64_t& field) {
    if (!opts.Get(key).IsUndefined()) field = integer_option(opts, key, "logMel");
  };
  auto real = [&](const char* key, double& field) {
    if (!opts.Get(key).IsUndefined()) field = number_option(opts, key, "logMel");
  };
  integer("sampleRate", c.sample_rate);
  integer("nFft", c.n_fft);
  integer("hopLength", c.hop_length);
  integer("nMels", c.n_mels);
  real("fMin", c.f_min);
  real("fMax", c.f_max);
  real("logFloor", c.log_floor);
  return run_op(info, {"logMel", {"samples"}, {}}, [c](const OpInputs& in) {
    return OpOutputs{{"features", audio::log_mel(in["samples"], c)}};
  });
}

}  // namespace addon
}  // namespace ggt
