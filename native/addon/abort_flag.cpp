#include "abort_flag.h"

#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

const napi_type_tag kAbortTag = {0x3b1f0c5d2e4a6978ull, 0x1a2b3c4d5e6f7081ull};

class AbortFlagHandle : public Napi::ObjectWrap<AbortFlagHandle> {
 public:
  explicit AbortFlagHandle(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<AbortFlagHandle>(info), flag_(std::make_shared<std::atomic<bool>>(false)) {
    info.This().As<Napi::Object>().TypeTag(&kAbortTag);
  }
  Napi::Value Abort(const Napi::CallbackInfo& info) {
    flag_->store(true);
    return info.Env().Undefined();
  }
  Napi::Value Aborted(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), flag_->load()); }
  std::shared_ptr<std::atomic<bool>> flag() const { return flag_; }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace

void InitAbortFlag(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = AbortFlagHandle::DefineClass(
      env, "AbortFlag",
      {AbortFlagHandle::InstanceMethod<&AbortFlagHandle::Abort>("abort"),
       AbortFlagHandle::InstanceAccessor<&AbortFlagHandle::Aborted>("aborted")});
  exports.Set("AbortFlag", cls);
}

std::function<bool()> abort_poll(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined() || value.IsNull()) return [] { return false; };
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kAbortTag))
    throw_type_error(value.Env(), "expected " + name + " to be an AbortFlag");
  std::shared_ptr<std::atomic<bool>> flag = AbortFlagHandle::Unwrap(value.As<Napi::Object>())->flag();
  return [flag] { return flag->load(); };
}

}  // namespace addon
}  // namespace ggt
