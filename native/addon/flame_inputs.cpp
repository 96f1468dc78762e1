#include "flame_inputs.h"

#include <ATen/ATen.h>

#include "tensor_handle.h"

namespace ggt {
namespace addon {

const std::vector<std::string> kModelInputs{"model.vTemplate", "model.shapedirs", "model.exprdirs", "model.posedirs",
                                            "model.jRegressor", "model.lbsWeights", "model.faces"};
const std::vector<std::string> kModelOptional{"model.lmkFaces", "model.lmkBary"};
const std::vector<std::string> kParamInputs{"params.shape",       "params.expr",        "params.rotation",
                                            "params.neck",        "params.jaw",         "params.eyes",
                                            "params.translation", "params.staticOffset"};
const std::vector<std::string> kLocalInputs{"gaussians.face", "gaussians.offset", "gaussians.logScale",
                                            "gaussians.quat"};

std::vector<int64_t> parse_parents(const Napi::Object& opts) {
  Napi::Value v = nested(opts, "model.parents");
  if (!v.IsArray()) throw_type_error(opts.Env(), "expected model.parents to be an array of 5 joint parents");
  std::vector<int64_t> parents;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) parents.push_back(a.Get(i).ToNumber().Int64Value());
  return parents;
}

rig::FlameModelTensors model_of(const OpInputs& in, const std::vector<int64_t>& parents) {
  rig::FlameModelTensors m;
  m.v_template = in["model.vTemplate"];
  m.shapedirs = in["model.shapedirs"];
  m.exprdirs = in["model.exprdirs"];
  m.posedirs = in["model.posedirs"];
  m.j_regressor = in["model.jRegressor"];
  m.lbs_weights = in["model.lbsWeights"];
  m.faces = in["model.faces"].to(at::kLong);
  m.parents = parents;
  if (in["model.lmkFaces"].defined()) {
    m.lmk_faces = in["model.lmkFaces"].to(at::kLong);
    m.lmk_bary = in["model.lmkBary"];
  }
  return m;
}

}  // namespace addon
}  // namespace ggt
