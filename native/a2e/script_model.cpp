#include "script_model.h"

#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/script.h>

#include <mutex>

namespace ggt {
namespace a2e {

struct ScriptModel::Impl {
  torch::jit::Module module;
  mutable std::mutex mutex;  // a Module's forward is not documented as thread-safe
};

ScriptModel::ScriptModel(const std::string& path) : impl_(std::make_unique<Impl>()) {
  // The TensorExpr fuser compiles fused CPU kernels on a module's second call (after one
  // profiling run). Debian 13's LibTorch 2.6 is built with LLVM for it, and that compile never
  // finished for the tiny DiT (a 35 ms sample ran > 10 min at 100 % CPU; with the fuser off it is
  // 35 ms). The model is always loaded on the CPU here, where fusing the DiT's few elementwise ops
  // gains little, so the fuser is switched off for the process (it is a process-wide switch;
  // ggtalker loads no other TorchScript).
  torch::jit::setTensorExprFuserEnabled(false);
  try {
    impl_->module = torch::jit::load(path, c10::Device(c10::kCPU));
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "could not load the TorchScript model ", path, ": ", e.what_without_backtrace());
  }
  impl_->module.eval();
  TORCH_CHECK(impl_->module.find_method("forward").has_value(), "the TorchScript model ", path,
              " has no forward method (expected forward(x_t, n, cond, speaker, keep))");
}

ScriptModel::~ScriptModel() = default;

at::Tensor ScriptModel::forward(const at::Tensor& x_t, const at::Tensor& n, const at::Tensor& cond,
                                const at::Tensor& speaker, const at::Tensor& keep) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  at::NoGradGuard no_grad;
  const c10::IValue out = impl_->module.forward({x_t, n, cond, speaker, keep});
  TORCH_CHECK(out.isTensor(), "expected the TorchScript model's forward to return a tensor, it returned ",
              out.tagKind());
  const at::Tensor y = out.toTensor();
  TORCH_CHECK(y.sizes() == x_t.sizes(), "expected the TorchScript model's forward to return shape ", x_t.sizes(),
              " (like x_t), it returned ", y.sizes());
  return y.to(at::kFloat);
}

std::vector<std::string> ScriptModel::parameter_names() const {
  std::vector<std::string> names;
  for (const auto& p : impl_->module.named_parameters(/*recurse=*/true)) names.push_back(p.name);
  for (const auto& b : impl_->module.named_buffers(/*recurse=*/true)) names.push_back(b.name);
  return names;
}

}  // namespace a2e
}  // namespace ggt
