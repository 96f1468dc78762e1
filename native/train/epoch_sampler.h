// Which item each sample of a training run draws. Samples are numbered by a global position
// 0, 1, 2, ... that walks through seeded permutations of the N items, one per epoch (epoch
// e = position / N), as PyTorch's DistributedSampler with set_epoch does. A step of a run with
// W ranks of B samples covers positions [P, P + W·B); rank r takes P + r, P + r + W, ... (its
// disjoint shard). Positions depend neither on W nor on B, so one process with batch 2B draws
// what two ranks with B draw together, and a run resumed with another world size continues
// from the position it stopped at.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ggt {
namespace train {

class EpochSampler {
 public:
  EpochSampler(int64_t items, uint64_t seed);
  // The item drawn at a global position (>= 0).
  int64_t item(int64_t position);

 private:
  int64_t items_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  at::Tensor order_;  // [items] int64, the current epoch's permutation
};

// This rank's positions of the step that starts at `first`: first + rank + j·world, j < batch.
std::vector<int64_t> rank_positions(int64_t first, int64_t batch, int rank, int world);

// A generator for whatever else the sample at `position` draws (diffusion step, noise,
// condition dropout): a splitmix of (seed, position), so it is the same on any rank.
at::Generator sample_generator(uint64_t seed, int64_t position);

}  // namespace train
}  // namespace ggt
