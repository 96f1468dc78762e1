// LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
// Metric"), version 0.1, as the `lpips` package computes it, on LibTorch, for evaluation:
//   x ∈ [0, 1] → 2x − 1 → (x − shift) / scale     shift (−.030, −.088, −.188), scale (.458, .448, .450)
//   five ReLU taps of the backbone (torchvision names `features.N.*`):
//     alex: relu after conv 0, 3, 6, 8, 10 (features 1, 4, 7, 9, 11; 64, 192, 384, 256, 256 channels)
//     vgg:  relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (features 3, 8, 15, 22, 29; 64 … 512)
//   each tap unit-normalised over channels (f / (‖f‖₂ + 1e-10)), squared difference, a 1×1 conv
//   to one channel without bias (`linK.model.1.weight`, [1, C, 1, 1]), mean over H×W; summed over
//   the five taps.
// The weights are the user's (none ship with ggtalker).
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace ggt {
namespace eval {

enum class LpipsNetwork { kAlex, kVgg };

// Parses "alex" / "vgg" (TORCH_CHECK otherwise).
LpipsNetwork lpips_network(const std::string& name);

// Checks that `params` hold the backbone's and the five lin layers' weights with the right
// shapes (TORCH_CHECK naming the first missing or misshapen one).
void lpips_check(const std::map<std::string, at::Tensor>& params, LpipsNetwork network);

// LPIPS distance of each pair: a, b [B, 3, H, W] in [0, 1] → [B]. No gradient is needed for
// evaluation; callers hold a NoGradGuard.
at::Tensor lpips_distance(const std::map<std::string, at::Tensor>& params, LpipsNetwork network, const at::Tensor& a,
                          const at::Tensor& b);

}  // namespace eval
}  // namespace ggt
