#include "tensor_handle.h"

#include <ATen/ATen.h>

#include <cstring>
#include <vector>

#include "native_errors.h"

namespace ggt {
namespace addon {
namespace {

std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

std::vector<int64_t> read_shape(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) throw_type_error(value.Env(), "expected " + name + ".shape to be an array of integers");
  Napi::Array arr = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    if (!d.IsNumber()) throw_type_error(value.Env(), "expected " + name + ".shape to be an array of integers");
    const double x = d.As<Napi::Number>().DoubleValue();
    if (!(x >= 0) || x != static_cast<double>(static_cast<int64_t>(x)))
      throw_type_error(value.Env(), "expected " + name + ".shape entries to be non-negative integers, received " +
                                        std::to_string(x));
    shape.push_back(static_cast<int64_t>(x));
  }
  return shape;
}

}  // namespace

void throw_type_error(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

at::Tensor tensor_from_array(const Napi::Value& value, const std::string& name) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw_type_error(env, "expected " + name + " to be {data, shape} or a Tensor");
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value data = obj.Get("data");
  if (!data.IsTypedArray()) throw_type_error(env, "expected " + name + ".data to be a typed array");
  Napi::TypedArray ta = data.As<Napi::TypedArray>();
  at::ScalarType dtype;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: dtype = at::kFloat; break;
    case napi_float64_array: dtype = at::kDouble; break;
    case napi_int32_array: dtype = at::kInt; break;
    default: throw_type_error(env, "expected " + name + ".data to be a Float32Array, Float64Array or Int32Array");
  }
  const std::vector<int64_t> shape = read_shape(obj.Get("shape"), name);
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (static_cast<size_t>(numel) != ta.ElementLength())
    throw_type_error(env, "expected " + name + ".data to hold " + std::to_string(numel) + " values for its shape, "
                              "received " + std::to_string(ta.ElementLength()));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (numel > 0) {
    const auto* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    std::memcpy(t.data_ptr(), src, ta.ByteLength());
  }
  return t;
}

at::Tensor tensor_from_js(const Napi::Value& value, const std::string& name) {
  return TensorHandle::IsHandle(value) ? TensorHandle::TensorOf(value, name) : tensor_from_array(value, name);
}

Napi::Object tensor_to_array(Napi::Env env, const at::Tensor& tensor) {
  const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, double(t.size(d))));
  const size_t n = static_cast<size_t>(t.numel());
  Napi::Value data;
  switch (t.scalar_type()) {
    case at::kFloat: {
      auto arr = Napi::Float32Array::New(env, n);
      if (n) std::memcpy(arr.Data(), t.data_ptr<float>(), n * sizeof(float));
      data = arr;
      break;
    }
    case at::kDouble: {
      auto arr = Napi::Float64Array::New(env, n);
      if (n) std::memcpy(arr.Data(), t.data_ptr<double>(), n * sizeof(double));
      data = arr;
      break;
    }
    case at::kInt: {
      auto arr = Napi::Int32Array::New(env, n);
      if (n) std::memcpy(arr.Data(), t.data_ptr<int32_t>(), n * sizeof(int32_t));
      data = arr;
      break;
    }
    case at::kLong:  // indices: JS gets int32 (every index this library returns fits)
    case at::kBool: {
      const at::Tensor i = t.to(at::kInt);
      auto arr = Napi::Int32Array::New(env, n);
      if (n) std::memcpy(arr.Data(), i.data_ptr<int32_t>(), n * sizeof(int32_t));
      data = arr;
      break;
    }
    default: {
      const at::Tensor f = t.to(at::kFloat);
      auto arr = Napi::Float32Array::New(env, n);
      if (n) std::memcpy(arr.Data(), f.data_ptr<float>(), n * sizeof(float));
      data = arr;
    }
  }
  out.Set("data", data);
  out.Set("shape", shape);
  return out;
}

// ---- TensorHandle -------------------------------------------------------------------------

Napi::FunctionReference* TensorHandle::constructor(Napi::Env env) {
  return env.GetInstanceData<Napi::FunctionReference>();
}

Napi::Object TensorHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(
      env, "Tensor",
      {StaticMethod<&TensorHandle::FromArray>("fromArray"), InstanceAccessor<&TensorHandle::Shape>("shape"),
       InstanceAccessor<&TensorHandle::Dtype>("dtype"), InstanceAccessor<&TensorHandle::Device>("device"),
       InstanceAccessor<&TensorHandle::RequiresGrad, &TensorHandle::SetRequiresGrad>("requiresGrad"),
       InstanceAccessor<&TensorHandle::Grad>("grad"), InstanceMethod<&TensorHandle::ToArray>("toArray"),
       InstanceMethod<&TensorHandle::To>("to"), InstanceMethod<&TensorHandle::Select>("select"),
       InstanceMethod<&TensorHandle::Backward>("backward"), InstanceMethod<&TensorHandle::Dispose>("dispose"),
       InstanceAccessor<&TensorHandle::Disposed>("disposed")});
  auto* ref = new Napi::FunctionReference(Napi::Persistent(cls));
  env.SetInstanceData<Napi::FunctionReference>(ref);
  exports.Set("Tensor", cls);
  return exports;
}

// The constructor is internal: JS creates tensors with Tensor.fromArray.
TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw_type_error(info.Env(), "Tensor cannot be constructed directly: use Tensor.fromArray(data, shape)");
  tensor_ = *info[0].As<Napi::External<at::Tensor>>().Data();
  if (tensor_.defined()) {
    external_bytes_ = static_cast<int64_t>(tensor_.numel()) * static_cast<int64_t>(tensor_.element_size());
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), external_bytes_);
  }
}

void TensorHandle::Finalize(Napi::Env env) {
  if (external_bytes_ != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
}

Napi::Object TensorHandle::Wrap(Napi::Env env, const at::Tensor& tensor) {
  at::Tensor copy = tensor;
  return constructor(env)->New({Napi::External<at::Tensor>::New(env, &copy)});
}

bool TensorHandle::IsHandle(const Napi::Value& value) {
  if (!value.IsObject()) return false;
  return value.As<Napi::Object>().InstanceOf(constructor(value.Env())->Value());
}

at::Tensor TensorHandle::TensorOf(const Napi::Value& value, const std::string& name) {
  return Napi::ObjectWrap<TensorHandle>::Unwrap(value.As<Napi::Object>())->live(value.Env(), name);
}

const at::Tensor& TensorHandle::live(Napi::Env env, const std::string& name) const {
  if (!tensor_.defined())
    throw_type_error(env, "expected " + name + " to be a live tensor, received one that was disposed (Tensor.dispose())");
  return tensor_;
}

// dispose(): drops this handle's reference now instead of at garbage collection. The memory
// goes back (to the CPU block cache, or the CUDA allocator) once nothing else holds it: views,
// an autograd graph that saved it, or native work in flight keep their own references.
Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  tensor_.reset();
  if (external_bytes_ != 0) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
  return info.Env().Undefined();
}

Napi::Value TensorHandle::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.defined());
}

Napi::Value TensorHandle::FromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object spec = Napi::Object::New(env);
  spec.Set("data", info[0]);
  spec.Set("shape", info[1]);
  at::Tensor t = tensor_from_array(spec, "data");
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object opts = info[2].As<Napi::Object>();
    Napi::Value device = opts.Get("device");
    if (device.IsString()) t = guarded(env, [&] { return t.to(at::Device(device.As<Napi::String>().Utf8Value())); });
    if (opts.Get("requiresGrad").ToBoolean()) {
      if (!t.is_floating_point()) throw_type_error(env, "only float tensors can require gradients");
      t.requires_grad_(true);
    }
  }
  return Wrap(env, t);
}

Napi::Value TensorHandle::Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& t = live(info.Env());
  Napi::Array shape = Napi::Array::New(info.Env(), t.dim());
  for (int64_t d = 0; d < t.dim(); ++d)
    shape.Set(static_cast<uint32_t>(d), Napi::Number::New(info.Env(), double(t.size(d))));
  return shape;
}

Napi::Value TensorHandle::Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtype_name(live(info.Env()).scalar_type()));
}

Napi::Value TensorHandle::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), live(info.Env()).device().str());
}

Napi::Value TensorHandle::RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), live(info.Env()).requires_grad());
}

void TensorHandle::SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& value) {
  live(info.Env());
  guarded(info.Env(), [&] { tensor_.requires_grad_(value.ToBoolean().Value()); });
}

Napi::Value TensorHandle::Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& g = live(info.Env()).grad();
  if (!g.defined()) return info.Env().Null();
  return Wrap(info.Env(), g);
}

Napi::Value TensorHandle::ToArray(const Napi::CallbackInfo& info) {
  const at::Tensor& t = live(info.Env());
  return guarded(info.Env(), [&] { return tensor_to_array(info.Env(), t); });
}

Napi::Value TensorHandle::To(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw_type_error(info.Env(), "expected a device name such as 'cpu' or 'cuda:0'");
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const at::Tensor& t = live(info.Env());
  return Wrap(info.Env(), guarded(info.Env(), [&] { return t.to(at::Device(device)); }));
}

// select(dim, index) -> the slice at `index` along `dim`, sharing memory (a view; autograd
// flows through it). The TS side checks the integers; LibTorch checks the ranges again.
Napi::Value TensorHandle::Select(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw_type_error(info.Env(), "expected select(dim, index) with two integers");
  const int64_t dim = info[0].As<Napi::Number>().Int64Value(), index = info[1].As<Napi::Number>().Int64Value();
  const at::Tensor& t = live(info.Env());
  return Wrap(info.Env(), guarded(info.Env(), [&] { return t.select(dim, index); }));
}

// backward(grad?) -> Promise<void>: runs the autograd graph off the JS thread.
Napi::Value TensorHandle::Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor grad;
  if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) grad = tensor_from_js(info[0], "grad");
  at::Tensor root = live(env);
  return run_async(env, "backward", [root, grad]() mutable {
    at::Tensor g = grad.defined() ? grad.to(root.device(), root.scalar_type()) : at::Tensor();
    TORCH_CHECK(root.requires_grad(), "backward() needs a tensor that was computed from inputs with requiresGrad");
    TORCH_CHECK(g.defined() || root.numel() == 1,
                "backward() on a tensor of shape ", root.sizes(), " needs a gradient of the same shape");
    if (g.defined())
      TORCH_CHECK(g.sizes() == root.sizes(), "expected grad of shape ", root.sizes(), ", received ", g.sizes());
    root.backward(g);
    return AsyncResult{};
  });
}

}  // namespace addon
}  // namespace ggt
