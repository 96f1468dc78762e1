// Bindings of the avatar networks and stages: network weights as named Tensor handles,
// rendering frames with metrics, and training steps (parameters updated in place).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

Napi::Value AvatarNetInit(const Napi::CallbackInfo& info);  // {kind, config, seed, prefix} -> {name: Tensor}
Napi::Value AvatarGenerate(const Napi::CallbackInfo& info);  // {config, params, images [B,S,S,3]} -> {maps}
Napi::Value AvatarNetForward(const Napi::CallbackInfo& info);  // {kind, config, params, inputs, grads?, weights?} -> {output, grads.*}
Napi::Value ImageLosses(const Napi::CallbackInfo& info);  // {weights?, a, b} -> {vgg, ssim, l1, psnr}
Napi::Value AvatarRender(const Napi::CallbackInfo& info);   // -> {frames, heads, alphas, psnr, ssim}
Napi::Value AvatarTrain(const Napi::CallbackInfo& info);    // -> {losses, psnr, step}

}  // namespace addon
}  // namespace ggt
