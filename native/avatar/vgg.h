// The VGG-16 perceptual loss (Johnson et al. 2016), as 3D-avatar methods use it: torchvision's
// vgg16().features with its weight names ("features.0.weight" ... "features.28.bias"), inputs
// normalised with ImageNet's mean and std, and the mean absolute difference of the ReLU
// outputs relu1_2, relu2_2, relu3_3 and relu4_3, summed. The weights are the user's (a
// safetensors file of torchvision's names); none ship with ggtalker.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace ggt {
namespace avatar {

// True when `params` holds the VGG weights under `prefix` (e.g. "vgg.").
bool has_vgg(const std::map<std::string, at::Tensor>& params, const std::string& prefix);

// Σ over the four layers of mean |φ(a) − φ(b)|; a, b [B, 3, H, W] in [0, 1].
at::Tensor vgg_perceptual_loss(const std::map<std::string, at::Tensor>& params, const std::string& prefix,
                               const at::Tensor& a, const at::Tensor& b);

// torchvision vgg16().features run up to the largest index in `taps` (ReLU layer indices, e.g.
// 3, 8, 15, 22, 29 = relu1_2 … relu5_3); returns the output of each tapped ReLU, in `taps`'
// order. x [B, 3, H, W] already normalised as the caller's convention wants.
std::vector<at::Tensor> vgg16_relu_features(const std::map<std::string, at::Tensor>& params, const std::string& prefix,
                                            const at::Tensor& x, const std::vector<int>& taps);

}  // namespace avatar
}  // namespace ggt
