#include "rig_binding.h"

#include <ATen/ATen.h>

#include "../render/rasterize.h"
#include "../rig/flame.h"
#include "../rig/rig.h"
#include "flame_inputs.h"
#include "op_binding.h"
#include "raster_settings.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

rig::FlameParams params_of(const OpInputs& in) {
  return {in["params.shape"], in["params.expr"],        in["params.rotation"],    in["params.neck"],
          in["params.jaw"],   in["params.eyes"],        in["params.translation"], in["params.staticOffset"]};
}

rig::LocalGaussians local_of(const OpInputs& in) {
  return {in["gaussians.face"].to(at::kLong), in["gaussians.bary"], in["gaussians.offset"], in["gaussians.logScale"],
          in["gaussians.quat"]};
}

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  return out;
}

}  // namespace

Napi::Value FlameForward(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "flameForward expects one options object");
  const auto parents = parse_parents(info[0].As<Napi::Object>());
  const OpSpec spec{"flameForward", kModelInputs, concat({kModelOptional, kParamInputs}), {"model."}};
  return run_op(info, spec, [parents](const OpInputs& in) {
    const rig::FlameOutput out = rig::flame_forward(model_of(in, parents), params_of(in));
    return OpOutputs{{"vertices", out.vertices}, {"joints", out.joints}, {"landmarks", out.landmarks}};
  });
}

Napi::Value TriangleFrames(const Napi::CallbackInfo& info) {
  return run_op(info, {"triangleFrames", {"vertices", "faces"}, {}}, [](const OpInputs& in) {
    const rig::TriangleFrames f = rig::triangle_frames(in["vertices"], in["faces"].to(at::kLong));
    return OpOutputs{{"origin", f.origin}, {"rotation", f.rotation}, {"scale", f.scale}};
  });
}

Napi::Value RigGaussians(const Napi::CallbackInfo& info) {
  const OpSpec spec{"rigGaussians", concat({{"vertices", "faces"}, kLocalInputs}), {"gaussians.bary"}, {"gaussians.bary"}};
  return run_op(info, spec, [](const OpInputs& in) {
    const rig::RiggedGaussians r = rig::rig_gaussians(in["vertices"], in["faces"].to(at::kLong), local_of(in));
    return OpOutputs{{"means", r.means}, {"scales", r.scales}, {"quats", r.quats}};
  });
}

Napi::Value UvLayout(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "uvLayout expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const int64_t height = integer_option(opts, "height", "uvLayout");
  const int64_t width = integer_option(opts, "width", "uvLayout");
  return run_op(info, {"uvLayout", {"vt", "ft"}, {}}, [height, width](const OpInputs& in) {
    const rig::UvLayout l = rig::rasterize_uv_layout(in["vt"], in["ft"], height, width);
    return OpOutputs{{"face", l.face}, {"bary", l.bary}};
  });
}

Napi::Value SampleUvGaussians(const Napi::CallbackInfo& info) {
  return run_op(info, {"sampleUvGaussians", {"map", "layout.face", "layout.bary"}, {}, {"layout."}}, [](const OpInputs& in) {
    const rig::UvGaussians g =
        rig::sample_uv_gaussians(in["map"], {in["layout.face"].to(at::kLong), in["layout.bary"]});
    return OpOutputs{{"face", g.local.face}, {"bary", g.local.bary},   {"offset", g.local.offset},
                     {"logScale", g.local.log_scale}, {"quat", g.local.quat}, {"sh0", g.sh0},
                     {"opacityLogit", g.opacity_logit}};
  });
}

Napi::Value RenderHead(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_type_error(info.Env(), "renderHead expects one options object");
  Napi::Object opts = info[0].As<Napi::Object>();
  const auto parents = parse_parents(opts);
  const render::RasterSettings settings = parse_raster_settings(opts);
  const OpSpec spec{"renderHead", concat({kModelInputs, kLocalInputs, {"gaussians.sh0", "gaussians.opacityLogit"}}),
                    concat({kModelOptional, kParamInputs, {"gaussians.bary"}}), {"model.", "gaussians.bary"}};
  return run_op(info, spec, [parents, settings](const OpInputs& in) {
    const rig::FlameModelTensors model = model_of(in, parents);
    const rig::FlameOutput flame = rig::flame_forward(model, params_of(in));
    TORCH_CHECK(flame.vertices.size(0) == 1, "renderHead renders one frame: expected parameters for 1 frame, received ",
                flame.vertices.size(0));
    const rig::RiggedGaussians g = rig::rig_gaussians(flame.vertices, model.faces, local_of(in));
    const render::RasterOutputs out =
        render::rasterize(g.means[0], g.quats[0], g.scales[0], at::sigmoid(in["gaussians.opacityLogit"]),
                          in["gaussians.sh0"].unsqueeze(1), settings);
    return OpOutputs{{"image", out.image}, {"alpha", out.alpha}, {"depth", out.depth}, {"radii", out.radii},
                     {"vertices", flame.vertices[0]}};
  });
}

}  // namespace addon
}  // namespace ggt
