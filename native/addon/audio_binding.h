// N-API bindings of the audio encoders (audio_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

// logMel({samples [T], sampleRate?, nFft?, hopLength?, nMels?, fMin?, fMax?, logFloor?})
//   -> {features [frames, n_mels]}
Napi::Value LogMel(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace ggt
