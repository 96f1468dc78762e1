// Bindings of the Audio-Expression diffusion transformer: weights as named Tensor handles
// (updated in place by training), the loss with gradients, training steps, evaluation,
// sampling, and TorchScript models (the A2EScriptModel class).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

Napi::Value A2eInit(const Napi::CallbackInfo& info);      // {config, seed, zeros?} -> {name: Tensor}
Napi::Value A2eForward(const Napi::CallbackInfo& info);   // {config, params, x_t, n, cond, speaker, keep} -> {x0}
Napi::Value A2eLoss(const Napi::CallbackInfo& info);      // ... -> {loss, grads.<name>}
Napi::Value A2eTrain(const Napi::CallbackInfo& info);     // ... -> {losses, lrs, step, gradNorm}
Napi::Value A2eEval(const Napi::CallbackInfo& info);      // ... -> {loss}
Napi::Value A2eSample(const Napi::CallbackInfo& info);    // ... -> {expressions}
void InitA2eScriptModel(Napi::Env env, Napi::Object exports);

}  // namespace addon
}  // namespace ggt
