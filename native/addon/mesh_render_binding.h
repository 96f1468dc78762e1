// N-API bindings (mesh_render_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

void InitMeshRender(Napi::Env env, Napi::Object exports);

}  // namespace addon
}  // namespace ggt
