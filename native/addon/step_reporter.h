// Progress of long native work to JS: `onStep(done, total)` called on the JS thread while the
// work runs on a worker thread. Each report is queued through a thread-safe function (the
// worker never blocks on JS); the function is released when the last copy of the callback is
// destroyed (with the work), which lets the process exit. Reports still queued when the
// Promise settles may arrive after it: the JS side ignores those (lib/a2e/step-progress.ts).
// Header-only: the bindings that report steps include it.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tensor_handle.h"

namespace ggt {
namespace addon {

// (steps done, steps in all), called on the worker thread.
using StepCallback = std::function<void(int64_t, int64_t)>;

class StepReporter {
 public:
  StepReporter(Napi::Env env, const Napi::Function& fn, const std::string& name)
      : tsfn_(Napi::ThreadSafeFunction::New(env, fn, name, 0, 1)) {}
  StepReporter(const StepReporter&) = delete;
  StepReporter& operator=(const StepReporter&) = delete;
  ~StepReporter() { tsfn_.Release(); }

  void report(int64_t done, int64_t total) const {
    tsfn_.NonBlockingCall([done, total](Napi::Env env, Napi::Function fn) {
      // The JS callback is the library's own wrapper, which catches the user's errors; a throw
      // here could only come from a dying environment, and must not end the process.
      try {
        fn.Call({Napi::Number::New(env, static_cast<double>(done)), Napi::Number::New(env, static_cast<double>(total))});
      } catch (const Napi::Error&) {
      }
    });
  }

 private:
  Napi::ThreadSafeFunction tsfn_;
};

// The step callback of `opts.onStep` (a function), or an empty one when it is undefined.
// Throws a TypeError naming `op + ".onStep"` for anything else.
inline StepCallback step_callback(const Napi::Object& opts, const std::string& op) {
  const Napi::Value v = opts.Get("onStep");
  if (v.IsUndefined()) return {};
  if (!v.IsFunction()) throw_type_error(opts.Env(), "expected " + op + ".onStep to be a function");
  auto reporter = std::make_shared<StepReporter>(opts.Env(), v.As<Napi::Function>(), op + ".onStep");
  return [reporter](int64_t done, int64_t total) { reporter->report(done, total); };
}

}  // namespace addon
}  // namespace ggt
