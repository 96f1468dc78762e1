// Rotation helpers as differentiable LibTorch ops (any device, float32 or float64).
#pragma once

#include <ATen/core/Tensor.h>

namespace ggt {
namespace rig {

// Axis-angle [..., 3] -> rotation matrices [..., 3, 3] (Rodrigues). As in FLAME/SMPL-X, the
// angle is |r + 1e-8| so the gradient at zero rotation is finite.
at::Tensor axis_angle_to_matrix(const at::Tensor& axis_angle);

// Rotation matrices [..., 3, 3] -> unit quaternions (w, x, y, z) [..., 4], w >= 0. Shepperd's
// method: the largest of the four candidate denominators is chosen per matrix, so the result
// is stable for every rotation.
at::Tensor matrix_to_quaternion(const at::Tensor& matrix);

// Hamilton product a ⊗ b of quaternions (w, x, y, z), [..., 4] each (broadcasting).
at::Tensor quaternion_multiply(const at::Tensor& a, const at::Tensor& b);

}  // namespace rig
}  // namespace ggt
