#include "check_util.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>

#ifdef GGT_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace ggt {
namespace check {

int passed = 0, failed = 0;

bool cuda_available() {
#ifdef GGT_WITH_CUDA
  return c10::cuda::device_count() > 0;
#else
  return false;
#endif
}

void synchronize(const at::Device& device) {
#ifdef GGT_WITH_CUDA
  if (device.is_cuda()) c10::cuda::device_synchronize();
#endif
}

void strict_cuda_math() { at::globalContext().setAllowTF32CuDNN(false); }

double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ad = a.to(at::kCPU, at::kDouble), bd = b.to(at::kCPU, at::kDouble);
  const double scale = std::max(bd.abs().max().item<double>(), 1e-12);
  return (ad - bd).abs().max().item<double>() / scale;
}

void expect_close(const std::string& what, const at::Tensor& a, const at::Tensor& b, double tol) {
  const double err = relative_error(a, b);
  const bool ok = err <= tol;
  (ok ? passed : failed)++;
  std::printf("%s %s: relative error %.3g (tolerance %.0e)\n", ok ? "PASS" : "FAIL", what.c_str(), err, tol);
  std::fflush(stdout);
}

void expect_true(const std::string& what, bool ok, const std::string& detail) {
  (ok ? passed : failed)++;
  std::printf("%s %s: %s\n", ok ? "PASS" : "FAIL", what.c_str(), detail.c_str());
  std::fflush(stdout);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const char* backend_name(const at::Device& device) { return device.is_cuda() ? "cuda" : "cpu"; }

}  // namespace check
}  // namespace ggt
