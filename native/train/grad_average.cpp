#include "grad_average.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstdlib>

namespace ggt {
namespace train {

GradientAverager::GradientAverager(ProcessGroup& group, const std::map<std::string, at::Tensor>& leaves,
                                   int64_t bucket_bytes)
    : group_(group) {
  // GGT_DIST_BUCKET_MB overrides the bucket size (PyTorch DDP's bucket_cap_mb).
  if (const char* mb = std::getenv("GGT_DIST_BUCKET_MB"); mb && std::atof(mb) > 0)
    bucket_bytes = static_cast<int64_t>(std::atof(mb) * 1e6);
  const int64_t per_bucket = std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)));
  std::vector<int64_t> sizes;
  for (auto it = leaves.rbegin(); it != leaves.rend(); ++it) {
    const at::Tensor& t = it->second;
    TORCH_CHECK(t.requires_grad(), "GradientAverager expects trainable leaves, ", it->first, " is not");
    TORCH_CHECK(t.scalar_type() == at::kFloat, "data-parallel training expects float32 parameters, ", it->first,
                " is ", t.scalar_type());
    if (sizes.empty() || (sizes.back() > 0 && sizes.back() + t.numel() > per_bucket)) sizes.push_back(0);
    slots_.push_back({it->first, t.sizes().vec(), static_cast<int64_t>(sizes.size()) - 1, sizes.back(), t.numel()});
    sizes.back() += t.numel();
  }
  buckets_.resize(sizes.size());
  for (size_t b = 0; b < sizes.size(); ++b) buckets_[b].flat = at::zeros({sizes[b]}, at::kFloat);
  for (const Slot& s : slots_) ++buckets_[s.bucket].missing;
  // The hooks see each leaf's whole gradient once (autograd sums its uses first).
  size_t i = 0;
  for (auto it = leaves.rbegin(); it != leaves.rend(); ++it, ++i) {
    at::Tensor leaf = it->second;
    leaf.register_hook([this, i](const at::Tensor& grad) { on_grad(i, grad); });
  }
}

void GradientAverager::on_grad(size_t i, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& s = slots_[i];
  if (s.done) return;
  buckets_[s.bucket].flat.narrow(0, s.offset, s.numel).copy_(grad.reshape({-1}));
  s.done = true;
  --buckets_[s.bucket].missing;
  launch_ready();
}

void GradientAverager::launch_ready() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].missing == 0) {
    Bucket& b = buckets_[next_launch_++];
    b.work = group_.allreduce_sum_async(b.flat);
  }
}

std::map<std::string, at::Tensor> GradientAverager::finish(std::vector<double>& stats) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Slot& s : slots_) {
    if (s.done) continue;
    s.done = true;  // not reached by this step's loss: contributes zeros (the flat buffer's)
    --buckets_[s.bucket].missing;
  }
  launch_ready();
  const double world = static_cast<double>(group_.world());
  at::Tensor stat_tensor = at::tensor(stats, at::kDouble);
  const auto t0 = std::chrono::steady_clock::now();
  const PendingWork stat_work = group_.allreduce_sum_async(stat_tensor);
  for (Bucket& b : buckets_) b.work();
  stat_work();
  wait_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const double* s = stat_tensor.data_ptr<double>();
  for (size_t k = 0; k < stats.size(); ++k) stats[k] = s[k] / world;
  std::map<std::string, at::Tensor> grads;
  for (const Slot& slot : slots_)
    grads[slot.name] = buckets_[slot.bucket].flat.narrow(0, slot.offset, slot.numel).view(slot.shape).div_(world);
  return grads;
}

}  // namespace train
}  // namespace ggt
