// JS <-> LibTorch tensors: the `Tensor` handle class (an ObjectWrap owning an at::Tensor,
// released by dispose() or else by its finalizer) and conversions of plain {data, shape} arrays. JS never sees a
// raw pointer.
#pragma once

#include <ATen/core/Tensor.h>
#include <napi.h>

#include <string>

namespace ggt {
namespace addon {

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  // Wraps `tensor` in a new JS Tensor object (shares storage, no copy).
  static Napi::Object Wrap(Napi::Env env, const at::Tensor& tensor);
  static bool IsHandle(const Napi::Value& value);
  // The tensor of a handle; a JS TypeError naming `name` when it was disposed.
  static at::Tensor TensorOf(const Napi::Value& value, const std::string& name = "this tensor");

  explicit TensorHandle(const Napi::CallbackInfo& info);
  const at::Tensor& tensor() const { return tensor_; }
  // Hands the bytes reported at construction back to V8's external-memory count.
  void Finalize(Napi::Env env) override;

 private:
  static Napi::FunctionReference* constructor(Napi::Env env);
  static Napi::Value FromArray(const Napi::CallbackInfo& info);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  void SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& value);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value ToArray(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Select(const Napi::CallbackInfo& info);
  Napi::Value Backward(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  // The tensor, or a JS TypeError (naming `name`) when dispose() has released it.
  const at::Tensor& live(Napi::Env env, const std::string& name = "this tensor") const;

  at::Tensor tensor_;  // undefined once disposed
  // The tensor's bytes as reported to V8 (AdjustExternalMemory), so that handles of large
  // native tensors prompt garbage collection as JS objects of that size would: without it a
  // loop of 400 MB results grows until V8 collects for reasons of its own.
  int64_t external_bytes_ = 0;
};

// A plain JS array value: {data: Float32Array | Int32Array | Float64Array, shape: number[]}.
// Copies it into a new CPU tensor of the same dtype. `name` appears in error messages.
at::Tensor tensor_from_array(const Napi::Value& value, const std::string& name);

// A handle or a plain array, as a tensor (handles share storage, arrays are copied).
at::Tensor tensor_from_js(const Napi::Value& value, const std::string& name);

// {data, shape} copy of a tensor (moved to the CPU, made contiguous). float64 stays float64;
// int64 and bool become int32; other types float32.
Napi::Object tensor_to_array(Napi::Env env, const at::Tensor& tensor);

// Throws a JS TypeError with `message` (argument errors found in the binding layer).
[[noreturn]] void throw_type_error(Napi::Env env, const std::string& message);

}  // namespace addon
}  // namespace ggt
