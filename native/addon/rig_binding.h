// N-API bindings of the FLAME forward, rigging, UV layout and head rendering (rig_binding.cpp).
// All are run_op operations (op_binding.h): named tensor inputs, Promise of named outputs.
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

// flameForward({model: {...}, params: {...}}) -> {vertices, joints, landmarks?}
Napi::Value FlameForward(const Napi::CallbackInfo& info);
// triangleFrames({vertices [T,V,3], faces [F,3]}) -> {origin, rotation, scale}
Napi::Value TriangleFrames(const Napi::CallbackInfo& info);
// rigGaussians({vertices, faces, gaussians: {face, bary?, offset, logScale, quat}}) -> {means, scales, quats}
Napi::Value RigGaussians(const Napi::CallbackInfo& info);
// uvLayout({vt, ft, height, width}) -> {face [H,W] (-1 empty), bary [H,W,3]}
Napi::Value UvLayout(const Napi::CallbackInfo& info);
// sampleUvGaussians({map [H,W,14], layout: {face, bary}}) -> {face, bary, offset, logScale, quat, sh0, opacityLogit}
Napi::Value SampleUvGaussians(const Napi::CallbackInfo& info);
// renderHead({model, params, gaussians, camera, background?, mode?}) -> {image, alpha, depth, radii, vertices}
Napi::Value RenderHead(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace ggt
