// Reading options objects on the JS thread, shared by the bindings: nested objects, numbers
// with defaults, string and integer lists, named tensor maps, seeds. Errors are TypeErrors
// that name the option ("expected a2eTrain.adam.lr to be a number").
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <napi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ggt {
namespace addon {

// info[0] as an object, or a TypeError "<op> expects one options object".
Napi::Object options_of(const Napi::CallbackInfo& info, const std::string& op);

// opts[key] as an object (required).
Napi::Object object_option(const Napi::Object& opts, const char* key, const std::string& op);

// opts[key] as a number, or `fallback` when undefined.
int64_t int_or(const Napi::Object& o, const char* key, int64_t fallback, const std::string& where);
double num_or(const Napi::Object& o, const char* key, double fallback, const std::string& where);

// opts.seed (default 0) as a non-negative integer.
uint64_t seed_of(const Napi::Object& opts, const std::string& op);

// opts.device ('cpu', 'cuda' or 'cuda:N'; default the CPU): where an op runs.
at::Device device_of(const Napi::Object& opts, const std::string& op);

// opts[key] as strings / integers (empty when absent).
std::vector<std::string> string_list(const Napi::Object& opts, const char* key);
std::vector<int64_t> int_list(const Napi::Object& opts, const char* key);

// A tensor at a dotted path (handle or {data, shape}); undefined when absent and not required.
at::Tensor tensor_at(const Napi::Object& o, const std::string& dotted, bool required, const std::string& op);

// opts[key] = {name: Tensor handle | {data, shape}} as a map. `handles_only`: in-place
// updates must reach JS, so plain arrays are refused.
std::map<std::string, at::Tensor> read_named(const Napi::Object& opts, const char* key, const std::string& op,
                                             bool handles_only);

}  // namespace addon
}  // namespace ggt
