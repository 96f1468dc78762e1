// FLAME forward: shape and expression blendshapes, pose correctives and linear blend skinning
// over the 5-joint tree, batched over frames and differentiable in every parameter (plain
// LibTorch ops, so it runs on the tensors' device).
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace ggt {
namespace rig {

constexpr int kFlameJoints = 5;  // global, neck, jaw, left eye, right eye

struct FlameModelTensors {
  at::Tensor v_template;   // [V, 3]
  at::Tensor shapedirs;    // [V, 3, S]
  at::Tensor exprdirs;     // [V, 3, E]
  at::Tensor posedirs;     // [V, 3, 36]
  at::Tensor j_regressor;  // [5, V]
  at::Tensor lbs_weights;  // [V, 5]
  std::vector<int64_t> parents;  // [5], -1 for the root
  at::Tensor lmk_faces;    // [L] int64, optional (undefined: no landmarks)
  at::Tensor lmk_bary;     // [L, 3], optional
  at::Tensor faces;        // [F, 3] int64, needed for landmarks
};

// Per-frame parameters as VHAP tracks them; T frames. Any of them may be undefined (zero).
struct FlameParams {
  at::Tensor shape;          // [S] or [T, S]
  at::Tensor expr;           // [T, E]
  at::Tensor rotation;       // [T, 3] axis-angle of the global joint
  at::Tensor neck;           // [T, 3]
  at::Tensor jaw;            // [T, 3]
  at::Tensor eyes;           // [T, 6] left then right eye
  at::Tensor translation;    // [T, 3]
  at::Tensor static_offset;  // [V, 3] or [T, V, 3], added to the template
};

struct FlameOutput {
  at::Tensor vertices;   // [T, V, 3]
  at::Tensor joints;     // [T, 5, 3] posed joint positions
  at::Tensor landmarks;  // [T, L, 3] (undefined without an embedding)
};

// Checks the model's shapes and returns V.
int64_t check_flame_model(const FlameModelTensors& model);

// T is taken from the first frame-batched parameter given (1 if none).
FlameOutput flame_forward(const FlameModelTensors& model, const FlameParams& params);

}  // namespace rig
}  // namespace ggt
