// Parsing the rasterizer's settings (camera, background, mode) from a JS options object.
#pragma once

#include <napi.h>

#include "../render/rasterize.h"

namespace ggt {
namespace addon {

// Reads opts.camera {view[16], fx, fy, cx, cy, width, height, near, far}, opts.background
// [3] and opts.mode ('classic' | 'antialiased'); throws a JS TypeError or a native error
// (an unusable camera) on the JS thread.
render::RasterSettings parse_raster_settings(const Napi::Object& opts);

}  // namespace addon
}  // namespace ggt
