// Image losses and metrics of the avatar stages: L1, SSIM (Wang et al. 2004, as 3DGS computes
// it: 11x11 Gaussian window, sigma 1.5, zero padding to the same size, C1 = 0.01², C2 = 0.03²,
// per channel) and PSNR. Images are [B, 3, H, W] in [0, 1]; all differentiable except PSNR.
#pragma once

#include <ATen/core/Tensor.h>

namespace ggt {
namespace avatar {

// Mean absolute difference (a scalar).
at::Tensor l1_loss(const at::Tensor& a, const at::Tensor& b);

// Mean SSIM over pixels, channels and batch (a scalar).
at::Tensor ssim(const at::Tensor& a, const at::Tensor& b);

// Per-image PSNR in dB, 10·log10(1 / MSE) [B] (no gradient).
at::Tensor psnr(const at::Tensor& a, const at::Tensor& b);

}  // namespace avatar
}  // namespace ggt
