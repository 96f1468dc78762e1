// AbortFlag: a flag JS sets (from an AbortSignal's 'abort' event) and native loops poll
// between steps, so long native work stops promptly instead of running on in the background.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

namespace ggt {
namespace addon {

void InitAbortFlag(Napi::Env env, Napi::Object exports);

// The poll function of an AbortFlag passed as `value`; a function returning false when
// `value` is undefined. Throws a TypeError for anything else.
std::function<bool()> abort_poll(const Napi::Value& value, const std::string& name);

}  // namespace addon
}  // namespace ggt
