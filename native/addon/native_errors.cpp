#include "native_errors.h"

#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::string what, std::function<AsyncResult()> work)
      : Napi::AsyncWorker(env, what.c_str()), deferred_(Napi::Promise::Deferred::New(env)),
        what_(std::move(what)), work_(std::move(work)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = work_();
    } catch (const std::exception& e) {
      SetError(what_ + ": " + native_message(e));
    } catch (...) {
      SetError(what_ + ": unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (result_.on_js_thread) result_.on_js_thread(env);
    if (result_.tensors.empty()) {
      deferred_.Resolve(env.Undefined());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    for (const auto& [name, tensor] : result_.tensors) {
      Napi::Object parent = out;
      std::string key = name;
      for (size_t dot; (dot = key.find('.')) != std::string::npos; key = key.substr(dot + 1)) {
        const std::string head = key.substr(0, dot);
        if (!parent.Has(head)) parent.Set(head, Napi::Object::New(env));
        parent = parent.Get(head).As<Napi::Object>();
      }
      if (!tensor.defined()) {
        parent.Set(key, env.Null());
      } else {
        parent.Set(key, result_.as_handles ? TensorHandle::Wrap(env, tensor) : tensor_to_array(env, tensor));
      }
    }
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(native_error(Env(), e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string what_;
  std::function<AsyncResult()> work_;
  AsyncResult result_;
};

}  // namespace

Napi::Value run_async(Napi::Env env, std::string what, std::function<AsyncResult()> work) {
  auto* worker = new PromiseWorker(env, std::move(what), std::move(work));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace addon
}  // namespace ggt
