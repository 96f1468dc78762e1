// Binding of data-parallel training's process group (native/train/process_group.h): the
// DistGroup class. `new DistGroup()` makes an empty handle; join(...) rendezvouses off the JS
// thread; training calls (a2eTrain, avatarTrain) take the handle as `group`.
#pragma once

#include <napi.h>

#include <memory>

#include "../train/process_group.h"

namespace ggt {
namespace addon {

void InitDistGroup(Napi::Env env, Napi::Object exports);

// The joined group behind a DistGroup handle passed as `value`; null when `value` is
// undefined. Throws a TypeError for anything else, or for a handle not joined (or closed).
std::shared_ptr<train::ProcessGroup> process_group_of(const Napi::Value& value, const std::string& name);

}  // namespace addon
}  // namespace ggt
