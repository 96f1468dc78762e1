#include "rotation.h"

#include <ATen/ATen.h>

namespace ggt {
namespace rig {

at::Tensor axis_angle_to_matrix(const at::Tensor& axis_angle) {
  const at::Tensor angle = (axis_angle + 1e-8).norm(2, -1, true);  // [..., 1]
  const at::Tensor dir = axis_angle / angle;
  const at::Tensor c = at::cos(angle).unsqueeze(-1), s = at::sin(angle).unsqueeze(-1);  // [..., 1, 1]
  const at::Tensor x = dir.select(-1, 0), y = dir.select(-1, 1), z = dir.select(-1, 2);
  const at::Tensor zero = at::zeros_like(x);
  auto sizes = axis_angle.sizes().vec();
  sizes.back() = 3;
  sizes.push_back(3);
  const at::Tensor k = at::stack({zero, -z, y, z, zero, -x, -y, x, zero}, -1).view(sizes);  // skew(dir)
  const at::Tensor eye = at::eye(3, axis_angle.options()).expand(sizes);
  return eye + s * k + (1 - c) * at::matmul(k, k);
}

namespace {

// sqrt(max(0, x)) with a zero gradient where x <= 0.
at::Tensor sqrt_positive(const at::Tensor& x) {
  const at::Tensor positive = x > 0;
  return at::where(positive, at::where(positive, x, at::ones_like(x)).sqrt(), at::zeros_like(x));
}

}  // namespace

at::Tensor matrix_to_quaternion(const at::Tensor& m) {
  auto e = [&](int i, int j) { return m.select(-2, i).select(-1, j); };
  const at::Tensor m00 = e(0, 0), m01 = e(0, 1), m02 = e(0, 2), m10 = e(1, 0), m11 = e(1, 1), m12 = e(1, 2),
                   m20 = e(2, 0), m21 = e(2, 1), m22 = e(2, 2);
  // |w|, |x|, |y|, |z| times 2, from the diagonal.
  const at::Tensor q_abs = sqrt_positive(at::stack(
      {1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22}, -1));  // [..., 4]
  // Candidate i divides by 4|q_i|: well conditioned when |q_i| is the largest.
  const at::Tensor candidates = at::stack(
      {at::stack({q_abs.select(-1, 0).pow(2), m21 - m12, m02 - m20, m10 - m01}, -1),
       at::stack({m21 - m12, q_abs.select(-1, 1).pow(2), m10 + m01, m02 + m20}, -1),
       at::stack({m02 - m20, m10 + m01, q_abs.select(-1, 2).pow(2), m12 + m21}, -1),
       at::stack({m10 - m01, m20 + m02, m21 + m12, q_abs.select(-1, 3).pow(2)}, -1)},
      -2) / (2.0 * q_abs.unsqueeze(-1).clamp_min(0.1));  // [..., 4 candidates, 4]
  const at::Tensor best = q_abs.argmax(-1, true);         // [..., 1]
  auto index_sizes = candidates.sizes().vec();
  index_sizes[index_sizes.size() - 2] = 1;
  const at::Tensor q = candidates.gather(-2, best.unsqueeze(-1).expand(index_sizes)).squeeze(-2);
  const at::Tensor sign = at::where(q.select(-1, 0) < 0, -at::ones_like(m00), at::ones_like(m00)).unsqueeze(-1);
  return q * sign;
}

at::Tensor quaternion_multiply(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor aw = a.select(-1, 0), ax = a.select(-1, 1), ay = a.select(-1, 2), az = a.select(-1, 3);
  const at::Tensor bw = b.select(-1, 0), bx = b.select(-1, 1), by = b.select(-1, 2), bz = b.select(-1, 3);
  return at::stack({aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                    aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw},
                   -1);
}

}  // namespace rig
}  // namespace ggt
