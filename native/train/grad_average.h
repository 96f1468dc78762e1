// Averages gradients over a process group in buckets (like PyTorch DDP's Reducer): each
// bucket is all-reduced in the background as soon as the backward pass has produced all of its
// gradients, so communication overlaps the rest of the backward. Buckets are launched strictly
// in order, the same on every rank: Gloo matches collectives by the order they are issued.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "process_group.h"

namespace ggt {
namespace train {

class GradientAverager {
 public:
  // `leaves`: the step's trainable leaf tensors (requires_grad), by name; hooks are registered
  // on them, so construct this before the backward pass. Buckets hold up to `bucket_bytes` of
  // float32 gradients, filled in reverse name order (roughly the order backward produces them).
  // 25 MB, as DDP's bucket_cap_mb: on the 2-core development machine a Gloo all-reduce costs
  // ~3 ms per call over loopback whatever its size (1 MB: 4.4 ms, 22 MB: 23 ms), so small
  // buckets cost more than their overlap with the backward saves. GGT_DIST_BUCKET_MB overrides.
  GradientAverager(ProcessGroup& group, const std::map<std::string, at::Tensor>& leaves,
                   int64_t bucket_bytes = 25'000'000);

  // After the backward pass: the gradients averaged over ranks, by name (zeros for parameters
  // the loss did not reach), and `stats` (e.g. the step's loss) averaged too. Throws when a
  // rank is gone or the group's timeout passes.
  std::map<std::string, at::Tensor> finish(std::vector<double>& stats);

  // Milliseconds finish() waited for communication (the part the backward did not hide).
  double wait_ms() const { return wait_ms_; }

 private:
  struct Slot {
    std::string name;
    std::vector<int64_t> shape;
    int64_t bucket = 0, offset = 0, numel = 0;
    bool done = false;
  };
  struct Bucket {
    at::Tensor flat;  // [Σ numel] float32
    int64_t missing = 0;
    PendingWork work;
  };
  void on_grad(size_t slot, const at::Tensor& grad);
  void launch_ready();  // launches the longest prefix of complete buckets not launched yet

  ProcessGroup& group_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  size_t next_launch_ = 0;
  std::mutex mutex_;
  double wait_ms_ = 0;
};

}  // namespace train
}  // namespace ggt
