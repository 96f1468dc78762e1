// Reading a FLAME model handed over from JS ({vTemplate, shapedirs, ..., parents}) into
// rig::FlameModelTensors; shared by the rig and avatar bindings.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "../rig/flame.h"
#include "op_binding.h"

namespace ggt {
namespace addon {

extern const std::vector<std::string> kModelInputs;    // "model.vTemplate", ... (required)
extern const std::vector<std::string> kModelOptional;  // landmark embedding
extern const std::vector<std::string> kParamInputs;    // "params.shape", ... (per-frame parameters)
extern const std::vector<std::string> kLocalInputs;    // "gaussians.face", ...

// model.parents: the 5 joints' parents.
std::vector<int64_t> parse_parents(const Napi::Object& opts);

// The model from inputs named as kModelInputs / kModelOptional.
rig::FlameModelTensors model_of(const OpInputs& in, const std::vector<int64_t>& parents);

}  // namespace addon
}  // namespace ggt
