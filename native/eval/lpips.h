// LPIPS (Zhang et al. 2018) on LibTorch, for evaluation.
#pragma once

namespace ggt {
namespace eval {}  // namespace eval
}  // namespace ggt
