#include "flame.h"

#include <ATen/ATen.h>

#include <string>

#include "rotation.h"

namespace ggt {
namespace rig {
namespace {

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void expect_shape(const at::Tensor& t, const char* name, std::vector<int64_t> shape, const char* text) {
  bool ok = t.defined() && t.dim() == static_cast<int64_t>(shape.size());
  for (size_t d = 0; ok && d < shape.size(); ++d) ok = shape[d] < 0 || t.size(d) == shape[d];
  TORCH_CHECK(ok, "expected ", name, " of shape ", text, ", received ", t.defined() ? shape_of(t) : "nothing");
}

// A frame-batched parameter [T, D] (or [D], broadcast), zeros when missing.
at::Tensor frames_of(const at::Tensor& p, int64_t frames, int64_t width, const char* name,
                     const at::TensorOptions& options) {
  if (!p.defined()) return at::zeros({frames, width}, options);
  if (p.dim() == 1) {
    TORCH_CHECK(p.size(0) == width, "expected ", name, " of shape [", width, "] or [T, ", width, "], received ",
                shape_of(p));
    return p.unsqueeze(0).expand({frames, width});
  }
  TORCH_CHECK(p.dim() == 2 && p.size(0) == frames && p.size(1) == width, "expected ", name, " of shape [T, ", width,
              "] with T = ", frames, ", received ", shape_of(p));
  return p;
}

// Chains per-joint rotations along the tree. rot [T, 5, 3, 3], joints [T, 5, 3] (rest).
// Returns posed joints [T, 5, 3] and skinning transforms A [T, 5, 4, 4] that map rest-pose
// points to posed ones (the rest joint position already subtracted).
std::pair<at::Tensor, at::Tensor> rigid_transforms(const at::Tensor& rot, const at::Tensor& joints,
                                                   const std::vector<int64_t>& parents) {
  const int64_t t = rot.size(0);
  std::vector<at::Tensor> world;  // each [T, 4, 4]
  const at::Tensor bottom = at::tensor({0.0, 0.0, 0.0, 1.0}, rot.options()).view({1, 1, 4}).expand({t, 1, 4});
  for (int64_t j = 0; j < kFlameJoints; ++j) {
    const at::Tensor offset = parents[j] < 0 ? joints.select(1, j) : joints.select(1, j) - joints.select(1, parents[j]);
    const at::Tensor local = at::cat({at::cat({rot.select(1, j), offset.unsqueeze(-1)}, 2), bottom}, 1);
    world.push_back(parents[j] < 0 ? local : at::matmul(world[parents[j]], local));
  }
  const at::Tensor transforms = at::stack(world, 1);                    // [T, 5, 4, 4]
  const at::Tensor posed = transforms.slice(2, 0, 3).select(3, 3);       // [T, 5, 3]
  const at::Tensor moved_rest = at::matmul(transforms.slice(2, 0, 3).slice(3, 0, 3), joints.unsqueeze(-1));
  const at::Tensor a = at::cat({transforms.slice(2, 0, 3).slice(3, 0, 3),
                                transforms.slice(2, 0, 3).slice(3, 3, 4) - moved_rest},
                               3);                                       // [T, 5, 3, 4]
  return {posed, a};
}

}  // namespace

int64_t check_flame_model(const FlameModelTensors& m) {
  TORCH_CHECK(m.v_template.defined() && m.v_template.dim() == 2 && m.v_template.size(1) == 3,
              "expected the FLAME template of shape [V, 3], received ",
              m.v_template.defined() ? shape_of(m.v_template) : "nothing");
  const int64_t v = m.v_template.size(0);
  expect_shape(m.shapedirs, "shapedirs", {v, 3, -1}, "[V, 3, S]");
  expect_shape(m.exprdirs, "exprdirs", {v, 3, -1}, "[V, 3, E]");
  expect_shape(m.posedirs, "posedirs", {v, 3, 36}, "[V, 3, 36]");
  expect_shape(m.j_regressor, "J_regressor", {kFlameJoints, v}, "[5, V]");
  expect_shape(m.lbs_weights, "lbs weights", {v, kFlameJoints}, "[V, 5]");
  TORCH_CHECK(static_cast<int64_t>(m.parents.size()) == kFlameJoints, "expected 5 joint parents, received ",
              m.parents.size());
  for (int64_t j = 0; j < kFlameJoints; ++j)
    TORCH_CHECK(j == 0 ? m.parents[j] < 0 : (m.parents[j] >= 0 && m.parents[j] < j),
                "expected joint parents [-1, p1..p4] with each parent before its child, received ", m.parents[j],
                " for joint ", j);
  if (m.lmk_faces.defined()) {
    expect_shape(m.lmk_bary, "landmark barycentrics", {m.lmk_faces.size(0), 3}, "[L, 3]");
    expect_shape(m.faces, "faces", {-1, 3}, "[F, 3]");
  }
  return v;
}

FlameOutput flame_forward(const FlameModelTensors& m, const FlameParams& p) {
  const int64_t v = check_flame_model(m);
  const auto opts = m.v_template.options();
  const int64_t s = m.shapedirs.size(2), e = m.exprdirs.size(2);
  int64_t t = 1;
  for (const at::Tensor* x : {&p.expr, &p.rotation, &p.neck, &p.jaw, &p.eyes, &p.translation, &p.shape})
    if (x->defined() && x->dim() == 2) {
      t = x->size(0);
      break;
    }
  if (p.static_offset.defined() && p.static_offset.dim() == 3) t = p.static_offset.size(0);
  const at::Tensor shape = frames_of(p.shape, t, s, "shape", opts);
  const at::Tensor expr = frames_of(p.expr, t, e, "expr", opts);
  const at::Tensor pose = at::cat({frames_of(p.rotation, t, 3, "rotation", opts), frames_of(p.neck, t, 3, "neck_pose", opts),
                                   frames_of(p.jaw, t, 3, "jaw_pose", opts), frames_of(p.eyes, t, 6, "eyes_pose", opts)},
                                  1)
                               .view({t, kFlameJoints, 3});

  // Blendshapes: [T, V, 3].
  at::Tensor template_ = m.v_template.unsqueeze(0);
  if (p.static_offset.defined()) {
    TORCH_CHECK(p.static_offset.size(-2) == v && p.static_offset.size(-1) == 3,
                "expected static_offset of shape [V, 3] or [T, V, 3] with V = ", v, ", received ",
                shape_of(p.static_offset));
    template_ = template_ + (p.static_offset.dim() == 2 ? p.static_offset.unsqueeze(0) : p.static_offset);
  }
  const at::Tensor shaped = template_ + at::einsum("vcs,ts->tvc", {m.shapedirs, shape}) +
                            at::einsum("vce,te->tvc", {m.exprdirs, expr});
  const at::Tensor joints = at::einsum("jv,tvc->tjc", {m.j_regressor, shaped});  // [T, 5, 3]

  // Pose correctives from the non-root joints' (R - I).
  const at::Tensor rot = axis_angle_to_matrix(pose);  // [T, 5, 3, 3]
  const at::Tensor feature = (rot.slice(1, 1) - at::eye(3, opts)).reshape({t, 36});
  const at::Tensor posed_rest = shaped + at::einsum("vck,tk->tvc", {m.posedirs, feature});

  // Linear blend skinning.
  auto [posed_joints, a] = rigid_transforms(rot, joints, m.parents);
  const at::Tensor blended = at::einsum("vj,tjrc->tvrc", {m.lbs_weights, a});  // [T, V, 3, 4]
  // blended [R | t] applied to each vertex as a multiply-sum (a batched matmul of V tiny
  // matrices costs a BLAS call per vertex).
  at::Tensor vertices = (blended.slice(3, 0, 3) * posed_rest.unsqueeze(2)).sum(-1) + blended.select(3, 3);  // [T, V, 3]
  const at::Tensor translation = frames_of(p.translation, t, 3, "translation", opts).unsqueeze(1);
  vertices = vertices + translation;

  FlameOutput out{vertices, posed_joints + translation, at::Tensor()};
  if (m.lmk_faces.defined() && m.lmk_faces.numel() > 0) {
    const at::Tensor corners = m.faces.index_select(0, m.lmk_faces).reshape({-1});       // [L * 3]
    const at::Tensor tri = vertices.index_select(1, corners).view({t, -1, 3, 3});        // [T, L, 3, 3]
    out.landmarks = (tri * m.lmk_bary.unsqueeze(0).unsqueeze(-1)).sum(2);                // [T, L, 3]
  }
  return out;
}

}  // namespace rig
}  // namespace ggt
