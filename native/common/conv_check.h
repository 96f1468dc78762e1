#pragma once
// A known-answer check of LibTorch's oneDNN (MKL-DNN) convolutions, run once per process before
// the first convolution. Debian 13's LibTorch 2.6 (system oneDNN 3.7) computes float32
// convolutions with 24 input channels wrong on AVX-512 CPUs (relative error ~0.4 against float64,
// forward and gradients) while its own fallback kernels are right; LibTorch 1.13 and other builds
// pass. When the check fails, oneDNN is turned off for the process (setUserEnabledMkldnn(false)),
// so every convolution takes the correct path. GGT_ONEDNN=0 turns it off without checking.

namespace ggt {

// Runs the check once (thread-safe); cheap afterwards. Call before convolutions.
void ensure_correct_convolutions();

// True when the check (or GGT_ONEDNN=0) turned oneDNN off in this process.
bool onednn_disabled();

}  // namespace ggt
