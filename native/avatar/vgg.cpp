#include "vgg.h"
#include "../common/conv_check.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

namespace ggt {
namespace avatar {
namespace {

// torchvision vgg16 `features`: conv layer indices, and where the max-pools sit (after 4, 9, 16, 23, 30).
const std::vector<int> kConvs = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
const std::vector<int> kTaps = {3, 8, 15, 22};  // relu1_2, relu2_2, relu3_3, relu4_3
const std::vector<int> kPools = {4, 9, 16, 23};

const at::Tensor& weight(const std::map<std::string, at::Tensor>& p, const std::string& name) {
  const auto it = p.find(name);
  TORCH_CHECK(it != p.end(), "the VGG-16 weights lack ", name, " (expected torchvision's vgg16().features names)");
  return it->second;
}

}  // namespace

bool has_vgg(const std::map<std::string, at::Tensor>& params, const std::string& prefix) {
  return params.count(prefix + "features.0.weight") > 0;
}

at::Tensor vgg_perceptual_loss(const std::map<std::string, at::Tensor>& params, const std::string& prefix,
                               const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(a.dim() == 4 && a.size(1) == 3 && a.sizes() == b.sizes(), "expected two image batches [B, 3, H, W], received ",
              a.sizes(), " and ", b.sizes());
  const at::Tensor mean = at::tensor({0.485f, 0.456f, 0.406f}, a.options()).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor({0.229f, 0.224f, 0.225f}, a.options()).view({1, 3, 1, 1});
  const std::vector<at::Tensor> f = vgg16_relu_features(params, prefix, (at::cat({a, b}) - mean) / std, kTaps);  // both in one pass: [2B, ...]
  const int64_t B = a.size(0);
  at::Tensor loss = at::zeros({}, a.options());
  for (const at::Tensor& x : f) loss = loss + (x.narrow(0, 0, B) - x.narrow(0, B, B)).abs().mean();
  return loss;
}

std::vector<at::Tensor> vgg16_relu_features(const std::map<std::string, at::Tensor>& params, const std::string& prefix,
                                            const at::Tensor& input, const std::vector<int>& taps) {
  TORCH_CHECK(!taps.empty() && *std::max_element(taps.begin(), taps.end()) <= 29,
              "expected VGG-16 taps among features' layers 0..29");
  const int last = *std::max_element(taps.begin(), taps.end());
  std::vector<at::Tensor> out(taps.size());
  at::Tensor x = input;
  for (int layer = 0; layer <= last; ++layer) {
    if (std::find(kConvs.begin(), kConvs.end(), layer) != kConvs.end()) {
      const std::string n = prefix + "features." + std::to_string(layer);
      ggt::ensure_correct_convolutions();
      x = at::conv2d(x, weight(params, n + ".weight"), weight(params, n + ".bias"), {1, 1}, {1, 1});
    } else if (std::find(kPools.begin(), kPools.end(), layer) != kPools.end()) {
      x = at::max_pool2d(x, {2, 2}, {2, 2});
    } else {
      x = at::relu(x);
    }
    for (size_t t = 0; t < taps.size(); ++t)
      if (taps[t] == layer) out[t] = x;
  }
  return out;
}

}  // namespace avatar
}  // namespace ggt
