// Data-parallel training across processes on LibTorch's own distributed engine (c10d): a
// TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (the variables torchrun, Slurm scripts and
// Kubernetes operators set) and a Gloo process group for CPU tensors. The c10d and Gloo headers
// stay inside process_group.cpp; builds without them (a LibTorch without Gloo's headers) get a
// ProcessGroup whose constructor throws, and available() says so.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ggt {
namespace train {

struct GroupOptions {
  std::string master_addr = "127.0.0.1";
  int port = 29500;
  int rank = 0;
  int world = 1;
  // Rendezvous and every collective fail after this long without the other ranks: a rank
  // that died or stalls stops the others with an error instead of a hang.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// A collective started in the background (Gloo runs it on its own threads); wait() blocks
// until it is done and rethrows its error.
using PendingWork = std::function<void()>;

class ProcessGroup {
 public:
  // Whether this build has c10d's Gloo backend (the gloo headers were found at build time).
  static bool available();

  // Joins the group: connects to the TCPStore (rank 0 serves it) and waits until all `world`
  // ranks have joined. Polls `should_stop` about every 0.2 s while it waits; throws when it is
  // set, or when the timeout passes first (naming the address, and how many ranks came).
  ProcessGroup(const GroupOptions& options, const std::function<bool()>& should_stop);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int world() const;
  const GroupOptions& options() const;

  // Sums `tensor` (contiguous CPU float/double) over all ranks, in place, in the background.
  PendingWork allreduce_sum_async(at::Tensor tensor);
  // Copies rank `root`'s tensors into every rank's (in place; same shapes on all ranks).
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
  // Every rank's `value` for `key`, by rank (through the store: small strings, e.g. configs).
  std::vector<std::string> exchange(const std::string& key, const std::string& value);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where a training run stands and who takes part. Samples are drawn by global position
// (train/epoch_sampler.h): a step covers positions [samples_seen, samples_seen + batch · world),
// this rank taking every world-th. With a group, gradients and the loss are averaged over its
// ranks before the update (train/grad_average.h), which is then the same on every rank.
struct DataParallel {
  ProcessGroup* group = nullptr;  // null: this process alone
  int64_t samples_seen = 0;
};

}  // namespace train
}  // namespace ggt
