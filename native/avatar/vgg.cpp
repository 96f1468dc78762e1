#include "vgg.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

namespace ggt {
namespace avatar {
namespace {

// torchvision vgg16 `features`: conv layer indices, and where the max-pools sit (after 4, 9, 16, 23).
const std::vector<int> kConvs = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21};
const std::vector<int> kTaps = {3, 8, 15, 22};  // relu1_2, relu2_2, relu3_3, relu4_3
const std::vector<int> kPools = {4, 9, 16};

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
  at::Tensor x = (at::cat({a, b}) - mean) / std;  // both through one pass: [2B, 3, H, W]
  const int64_t B = a.size(0);
  at::Tensor loss = at::zeros({}, a.options());
  for (int layer = 0; layer <= kTaps.back(); ++layer) {
    if (std::find(kConvs.begin(), kConvs.end(), layer) != kConvs.end()) {
      const std::string n = prefix + "features." + std::to_string(layer);
      x = at::conv2d(x, weight(params, n + ".weight"), weight(params, n + ".bias"), {1, 1}, {1, 1});
    } else if (std::find(kPools.begin(), kPools.end(), layer) != kPools.end()) {
      x = at::max_pool2d(x, {2, 2}, {2, 2});
    } else {
      x = at::relu(x);
      if (std::find(kTaps.begin(), kTaps.end(), layer) != kTaps.end())
        loss = loss + (x.narrow(0, 0, B) - x.narrow(0, B, B)).abs().mean();
    }
  }
  return loss;
}

}  // namespace avatar
}  // namespace ggt
