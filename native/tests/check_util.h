// Shared by the checks of ggtalker_native_check: PASS/FAIL counting, tolerance comparisons,
// CUDA availability and synchronisation (for timings), medians.
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <string>
#include <vector>

namespace ggt {
namespace check {

// Counts of the checks so far (printed as "N passed, N failed" at the end).
extern int passed, failed;

// Whether this binary has CUDA kernels and a CUDA device is visible.
bool cuda_available();
// Waits for `device`'s queued work (no-op on the CPU): timings must not stop at a kernel launch.
void synchronize(const at::Device& device);
// Deterministic CUDA maths for comparisons: cuDNN convolutions without TF32.
void strict_cuda_math();

// max |a - b| / max |b|: the error relative to the tensor's scale.
double relative_error(const at::Tensor& a, const at::Tensor& b);
// Counts and prints one PASS/FAIL line.
void expect_close(const std::string& what, const at::Tensor& a, const at::Tensor& b, double tol);
// Counts and prints one PASS/FAIL line for a condition.
void expect_true(const std::string& what, bool ok, const std::string& detail);

double median(std::vector<double> v);
// "cuda" or "cpu".
const char* backend_name(const at::Device& device);

}  // namespace check
}  // namespace ggt
