// N-API bindings (eval_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

void InitEval(Napi::Env env, Napi::Object exports);

}  // namespace addon
}  // namespace ggt
