#include "mesh_render_binding.h"

namespace ggt {
namespace addon {

void InitMeshRender(Napi::Env env, Napi::Object exports) {}

}  // namespace addon
}  // namespace ggt
