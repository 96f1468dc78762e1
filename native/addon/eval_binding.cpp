#include "eval_binding.h"

namespace ggt {
namespace addon {

void InitEval(Napi::Env env, Napi::Object exports) {}

}  // namespace addon
}  // namespace ggt
