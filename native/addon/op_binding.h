// The one way native operations are exposed: named tensor inputs (Tensor handles or
// {data, shape} arrays) read from an options object, computed off the JS thread, with
// optional gradients. Each op's binding supplies only its input names and a compute function.
//
// Options every op understands:
//   device: 'cpu' | 'cuda' | 'cuda:N'      inputs are moved there first
//   returnTensors: true                     outputs as Tensor handles (in the autograd graph)
//   outputGrads: {output: weights}          also returns grads.<input> of
//                                           L = sum over outputs of sum(output * weights)
#pragma once

#include <ATen/core/Tensor.h>
#include <napi.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ggt {
namespace addon {

// Inputs by name ("model.vTemplate" for nested objects); missing optional ones are undefined.
class OpInputs {
 public:
  const at::Tensor& operator[](const std::string& name) const;
  std::map<std::string, at::Tensor>& all() { return tensors_; }

 private:
  std::map<std::string, at::Tensor> tensors_;
};

using OpOutputs = std::vector<std::pair<std::string, at::Tensor>>;

struct OpSpec {
  std::string name;                    // for error messages
  std::vector<std::string> required;   // input names, dotted for nested objects
  std::vector<std::string> optional;
  // Inputs whose names start with one of these get no gradient (e.g. "model." for a fixed
  // FLAME model): outputGrads never differentiates them.
  std::vector<std::string> constant_prefixes = {};
};

// Reads the inputs from info[0] on the JS thread, then runs `compute` on a worker and
// resolves with its outputs (see the options above). Throws a JS TypeError for a missing or
// malformed input.
Napi::Value run_op(const Napi::CallbackInfo& info, const OpSpec& spec, std::function<OpOutputs(const OpInputs&)> compute);

// Helpers for options parsed on the JS thread.
double number_option(const Napi::Object& obj, const char* key, const std::string& where);
// An integer option: a finite whole number of magnitude <= 2^53 (casting NaN, Infinity or 1e300
// to an integer type is undefined behaviour); throws a TypeError naming it otherwise.
int64_t integer_option(const Napi::Object& obj, const char* key, const std::string& where);
Napi::Value nested(const Napi::Object& obj, const std::string& dotted);

}  // namespace addon
}  // namespace ggt
