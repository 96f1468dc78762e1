// Audio-Expression networks exported from PyTorch with TorchScript (docs/audio-expression-model.md,
// "TorchScript"): forward(x_t, n, cond, speaker, keep) -> x̂0. TorchScript files hold code
// that runs when loaded, so they must come from trusted sources. The torch::jit types stay in
// script_model.cpp (the one translation unit that pays for <torch/script.h>).
#pragma once

#include <memory>
#include <string>

#include "dit_sample.h"

namespace ggt {
namespace a2e {

class ScriptModel {
 public:
  // Loads a TorchScript archive onto the CPU, in eval mode. Throws with the path on failure.
  explicit ScriptModel(const std::string& path);
  ~ScriptModel();
  ScriptModel(const ScriptModel&) = delete;
  ScriptModel& operator=(const ScriptModel&) = delete;

  // Calls the module's forward under no-grad; checks the result is [B, T, K] float32.
  at::Tensor forward(const at::Tensor& x_t, const at::Tensor& n, const at::Tensor& cond, const at::Tensor& speaker,
                     const at::Tensor& keep) const;

  // Names of the module's parameters and buffers (to report what was loaded).
  std::vector<std::string> parameter_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2e
}  // namespace ggt
