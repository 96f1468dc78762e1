// Turning native failures into JS errors, and running native work off the JS thread as a
// Promise. LibTorch throws c10::Error (TORCH_CHECK); those become JS errors with the
// message's first line (no C++ backtrace) and code ERR_GGT_NATIVE, never a crash.
#pragma once

#include <c10/util/Exception.h>
#include <napi.h>

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ggt {
namespace addon {

inline std::string native_message(const std::exception& e) {
  if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) return ce->what_without_backtrace();
  return e.what();
}

inline Napi::Error native_error(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_GGT_NATIVE"));
  return err;
}

// Runs fn on the JS thread, converting C++ exceptions into a thrown JS error.
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw native_error(env, native_message(e));
  }
}

// Named tensors produced by async work. A name "grads.means" becomes result.grads.means.
struct AsyncResult {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  bool as_handles = false;  // Tensor handles instead of {data, shape} copies
  // Run on the JS thread when the work is done, before the promise settles (e.g. to report
  // memory the work kept to V8).
  std::function<void(Napi::Env)> on_js_thread;
};

// Runs `work` on the libuv thread pool; resolves with its AsyncResult converted to JS (or
// undefined when empty), rejects with ERR_GGT_NATIVE on any exception. `what` names the
// operation in error messages.
Napi::Value run_async(Napi::Env env, std::string what, std::function<AsyncResult()> work);

}  // namespace addon
}  // namespace ggt
