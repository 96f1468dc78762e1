#include "epoch_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace ggt {
namespace train {
namespace {

uint64_t splitmix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

EpochSampler::EpochSampler(int64_t items, uint64_t seed) : items_(items), seed_(seed) {
  TORCH_CHECK(items >= 1, "expected at least one item to sample from, received ", items);
}

int64_t EpochSampler::item(int64_t position) {
  TORCH_CHECK(position >= 0, "expected a sample position >= 0, received ", position);
  const int64_t epoch = position / items_;
  if (epoch != epoch_) {
    // A stream apart from the per-sample generators: the seed mixed with a constant first.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(
        splitmix(splitmix(seed_ ^ 0x6A09E667F3BCC909ull) + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(epoch + 1)));
    order_ = at::randperm(items_, gen, at::kLong);
    epoch_ = epoch;
  }
  return order_.data_ptr<int64_t>()[position % items_];
}

std::vector<int64_t> rank_positions(int64_t first, int64_t batch, int rank, int world) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(batch));
  for (int64_t j = 0; j < batch; ++j) out.push_back(first + rank + j * world);
  return out;
}

at::Generator sample_generator(uint64_t seed, int64_t position) {
  return at::make_generator<at::CPUGeneratorImpl>(
      splitmix(seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(position + 1)));
}

}  // namespace train
}  // namespace ggt
