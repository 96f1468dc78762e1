#include "dist_binding.h"

#include <ATen/ATen.h>

#include <mutex>

#include "abort_flag.h"
#include "binding_options.h"
#include "native_errors.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

// The group lives in a shared slot, so work already queued keeps it alive after close().
struct GroupSlot {
  std::mutex mutex;
  std::shared_ptr<train::ProcessGroup> group;
};

Napi::FunctionReference* constructor = nullptr;

class DistGroup : public Napi::ObjectWrap<DistGroup> {
 public:
  explicit DistGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DistGroup>(info), slot_(std::make_shared<GroupSlot>()) {}

  static std::shared_ptr<GroupSlot> SlotOf(const Napi::Value& v) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(constructor->Value())) return nullptr;
    return Unwrap(v.As<Napi::Object>())->slot_;
  }

  // join({masterAddr, masterPort, rank, worldSize, timeoutMs, abort?}) -> Promise<void>
  Napi::Value Join(const Napi::CallbackInfo& info) {
    const std::string op = "DistGroup.join";
    const Napi::Object opts = options_of(info, op);
    train::GroupOptions o;
    if (!opts.Get("masterAddr").IsString()) throw_type_error(info.Env(), op + ": expected masterAddr, a string");
    o.master_addr = opts.Get("masterAddr").As<Napi::String>().Utf8Value();
    o.port = static_cast<int>(int_or(opts, "masterPort", 29500, op));
    o.rank = static_cast<int>(int_or(opts, "rank", 0, op));
    o.world = static_cast<int>(int_or(opts, "worldSize", 1, op));
    o.timeout = std::chrono::milliseconds(int_or(opts, "timeoutMs", 300000, op));
    const std::function<bool()> stop = abort_poll(opts.Get("abort"), op + ".abort");
    std::shared_ptr<GroupSlot> slot = slot_;
    return run_async(info.Env(), op, [slot, o, stop]() {
      auto group = std::make_shared<train::ProcessGroup>(o, stop);
      std::lock_guard<std::mutex> lock(slot->mutex);
      slot->group = std::move(group);
      return AsyncResult{};
    });
  }

  // exchange(key, value) -> Promise<{values: {r<i>: Int32Array of UTF-8 bytes}}>: every rank's value.
  Napi::Value Exchange(const Napi::CallbackInfo& info) {
    const std::string op = "DistGroup.exchange";
    if (!info[0].IsString() || !info[1].IsString()) throw_type_error(info.Env(), op + " expects (key, value), two strings");
    const std::string key = info[0].As<Napi::String>().Utf8Value(), value = info[1].As<Napi::String>().Utf8Value();
    std::shared_ptr<train::ProcessGroup> group = process_group_of(Value(), op);
    return run_async(info.Env(), op, [group, key, value]() {
      AsyncResult r;
      const std::vector<std::string> all = group->exchange(key, value);
      for (size_t i = 0; i < all.size(); ++i) {
        std::vector<int32_t> bytes(all[i].begin(), all[i].end());
        for (int32_t& b : bytes) b &= 0xFF;
        r.tensors.emplace_back("values.r" + std::to_string(i), at::tensor(bytes, at::kInt));
      }
      return r;
    });
  }

  // broadcast({name: Tensor}, root = 0) -> Promise<void>: rank root's values into every rank's tensors.
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    const std::string op = "DistGroup.broadcast";
    if (!info[0].IsObject()) throw_type_error(info.Env(), op + " expects an object of named tensors");
    const Napi::Object wrapper = Napi::Object::New(info.Env());
    wrapper.Set("params", info[0]);
    std::map<std::string, at::Tensor> named = read_named(wrapper, "params", op, true);
    const int root = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    std::shared_ptr<train::ProcessGroup> group = process_group_of(Value(), op);
    return run_async(info.Env(), op, [group, named, root]() {
      std::vector<at::Tensor> tensors;
      for (const auto& [name, t] : named) tensors.push_back(t);  // by name: the same order on every rank
      group->broadcast(tensors, root);
      return AsyncResult{};
    });
  }

  // close(): drops this handle's reference to the group (queued work keeps its own).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(slot_->mutex);
    slot_->group.reset();
    return info.Env().Undefined();
  }

 private:
  std::shared_ptr<GroupSlot> slot_;
};

}  // namespace

std::shared_ptr<train::ProcessGroup> process_group_of(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  std::shared_ptr<GroupSlot> slot = DistGroup::SlotOf(value);
  if (!slot) throw_type_error(value.Env(), name + ": expected a DistGroup handle");
  std::lock_guard<std::mutex> lock(slot->mutex);
  if (!slot->group) throw_type_error(value.Env(), name + ": the process group has not joined yet, or was closed");
  return slot->group;
}

void InitDistGroup(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DistGroup::DefineClass(env, "DistGroup",
                                              {DistGroup::InstanceMethod<&DistGroup::Join>("join"),
                                               DistGroup::InstanceMethod<&DistGroup::Exchange>("exchange"),
                                               DistGroup::InstanceMethod<&DistGroup::Broadcast>("broadcast"),
                                               DistGroup::InstanceMethod<&DistGroup::Close>("close")});
  constructor = new Napi::FunctionReference(Napi::Persistent(cls));
  exports.Set("DistGroup", cls);
  exports.Set("distributedAvailable", Napi::Function::New(
                                          env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                            return Napi::Boolean::New(info.Env(), train::ProcessGroup::available());
                                          },
                                          "distributedAvailable"));
}

}  // namespace addon
}  // namespace ggt
