#include "avatar_binding.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "../avatar/avatar_train.h"
#include "../avatar/image_losses.h"
#include "../avatar/networks.h"
#include "../avatar/vgg.h"
#include "abort_flag.h"
#include "binding_options.h"
#include "dist_binding.h"
#include "flame_inputs.h"
#include "native_errors.h"
#include "op_binding.h"
#include "tensor_handle.h"

namespace ggt {
namespace addon {
namespace {

avatar::GeneratorConfig read_generator(const Napi::Object& c, const std::string& where) {
  avatar::GeneratorConfig g;
  g.image_size = int_or(c, "imageSize", g.image_size, where);
  g.uv_size = int_or(c, "uvSize", g.uv_size, where);
  g.latent_size = int_or(c, "latentSize", g.latent_size, where);
  g.channels = int_or(c, "channels", g.channels, where);
  g.max_channels = int_or(c, "maxChannels", g.max_channels, where);
  return g;
}

avatar::ColorMlpConfig read_color(const Napi::Object& c, const std::string& where) {
  avatar::ColorMlpConfig m;
  m.code_dim = int_or(c, "codeDim", m.code_dim, where);
  m.hidden = int_or(c, "hidden", m.hidden, where);
  m.layers = int_or(c, "layers", m.layers, where);
  return m;
}

avatar::InpainterConfig read_inpainter(const Napi::Object& c, const std::string& where) {
  avatar::InpainterConfig i;
  i.channels = int_or(c, "channels", i.channels, where);
  i.levels = int_or(c, "levels", i.levels, where);
  return i;
}

avatar::AvatarConfig read_avatar_config(const Napi::Object& opts, const std::string& op) {
  const Napi::Object c = object_option(opts, "config", op);
  const std::string where = op + ".config";
  avatar::AvatarConfig cfg;
  if (c.Get("generator").IsObject()) {
    cfg.use_generator = true;
    cfg.generator = read_generator(c.Get("generator").As<Napi::Object>(), where + ".generator");
  }
  if (c.Get("color").IsObject()) {
    cfg.use_color_mlp = true;
    cfg.color = read_color(c.Get("color").As<Napi::Object>(), where + ".color");
  }
  if (c.Get("inpainter").IsObject()) {
    cfg.use_inpainter = true;
    cfg.inpainter = read_inpainter(c.Get("inpainter").As<Napi::Object>(), where + ".inpainter");
  }
  cfg.dilate = int_or(c, "dilate", cfg.dilate, where);
  cfg.lambda_l1 = num_or(c, "lambdaL1", cfg.lambda_l1, where);
  cfg.lambda_ssim = num_or(c, "lambdaSsim", cfg.lambda_ssim, where);
  cfg.lambda_pos = num_or(c, "lambdaPos", cfg.lambda_pos, where);
  cfg.lambda_vgg = num_or(c, "lambdaVgg", cfg.lambda_vgg, where);
  cfg.antialiased = c.Get("antialiased").ToBoolean();
  guarded(opts.Env(), [&] { cfg.validate(); });
  return cfg;
}

avatar::AvatarScene read_scene(const Napi::Object& opts, const std::string& op) {
  OpInputs in;
  for (const std::string& name : kModelInputs) in.all()[name] = tensor_at(opts, name, true, op);
  for (const std::string& name : kModelOptional)
    if (at::Tensor t = tensor_at(opts, name, false, op); t.defined()) in.all()[name] = t;
  avatar::AvatarScene scene;
  scene.model = model_of(in, parse_parents(opts));
  scene.layout = {tensor_at(opts, "layout.face", true, op).to(at::kLong), tensor_at(opts, "layout.bary", true, op)};
  scene.width = integer_option(opts, "width", op);
  scene.height = integer_option(opts, "height", op);
  return scene;
}

avatar::AvatarFrames read_frames(const Napi::Object& opts, const std::string& op) {
  avatar::AvatarFrames f;
  f.images = tensor_at(opts, "frames.images", true, op);
  f.masks = tensor_at(opts, "frames.masks", false, op);
  f.views = tensor_at(opts, "frames.views", true, op);
  f.intrinsics = tensor_at(opts, "frames.intrinsics", true, op);
  f.sources = tensor_at(opts, "frames.sources", false, op);
  f.source = tensor_at(opts, "frames.source", false, op);
  if (f.source.defined()) f.source = f.source.to(at::kLong);
  // One image (and mask) shown by every frame comes as [1, H, W, 3] (packFrames): read it for
  // each of the T frames through a broadcast view, no copies.
  const int64_t T = f.views.defined() && f.views.dim() >= 1 ? f.views.size(0) : 0;
  auto broadcast = [T](at::Tensor& t) {
    if (t.defined() && t.dim() >= 1 && t.size(0) == 1 && T > 1) {
      std::vector<int64_t> sizes = t.sizes().vec();
      sizes[0] = T;
      t = t.expand(sizes);
    }
  };
  broadcast(f.images);
  broadcast(f.masks);
  return f;
}

std::vector<int64_t> index_list(const Napi::Object& opts, const char* key, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (!v.IsArray()) throw_type_error(opts.Env(), "expected " + op + "." + key + " to be an array of frame indices");
  std::vector<int64_t> out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).ToNumber().Int64Value());
  return out;
}

// The inpainter workspace of a stream (networks.h), kept on the plain JS object the caller
// passes as `workspace` (napi_wrap: made on first use, freed with the object), so each stream
// object has its own and no new export is needed. Undefined: none.
// The object is type-tagged as ours, so an object wrapped by anything else is refused, never
// read as a workspace.
// Its memory (140 MiB at 512² by default) is reported to V8 after each render that used it
// and given back when the object is collected, so dropped streams are collected as promptly as
// tensors of that size.
const napi_type_tag kWorkspaceTag = {0x67677477726b7370ull, 0x1c3e5a7b9d2f4860ull};

struct HeldWorkspace {
  std::shared_ptr<avatar::InpainterWorkspace> workspace = avatar::make_inpainter_workspace();
  int64_t reported = 0;    // bytes reported to V8 (JS thread only)
  bool collected = false;  // its JS object was finalized (JS thread only)
};

// After a render on the worker thread: reports the workspace's size change on the JS thread.
std::function<void(Napi::Env)> report_workspace(const std::shared_ptr<HeldWorkspace>& held) {
  const int64_t bytes = avatar::inpainter_workspace_bytes(*held->workspace);
  return [held, bytes](Napi::Env env) {
    if (held->collected || bytes == held->reported) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes - held->reported);
    held->reported = bytes;
  };
}

std::shared_ptr<HeldWorkspace> workspace_of(const Napi::Object& opts, const std::string& op) {
  const Napi::Value v = opts.Get("workspace");
  if (v.IsUndefined()) return nullptr;
  const std::string refused = "expected " + op + ".workspace to be a plain object of its own (it holds a native workspace)";
  if (!v.IsObject()) throw_type_error(opts.Env(), refused);
  napi_env env = opts.Env();
  bool ours = false;
  void* found = nullptr;
  if (napi_check_object_type_tag(env, v, &kWorkspaceTag, &ours) == napi_ok && ours &&
      napi_unwrap(env, v, &found) == napi_ok && found != nullptr)
    return *static_cast<std::shared_ptr<HeldWorkspace>*>(found);
  auto* held = new std::shared_ptr<HeldWorkspace>(std::make_shared<HeldWorkspace>());
  auto finalize = [](napi_env env, void* data, void*) {
    auto* h = static_cast<std::shared_ptr<HeldWorkspace>*>(data);
    int64_t unused = 0;
    if ((*h)->reported != 0) napi_adjust_external_memory(env, -(*h)->reported, &unused);
    (*h)->collected = true;
    delete h;
  };
  if (napi_wrap(env, v, held, finalize, nullptr, nullptr) != napi_ok) {
    delete held;  // wrapped by something else already
    throw_type_error(opts.Env(), refused);
  }
  if (napi_type_tag_object(env, v, &kWorkspaceTag) != napi_ok) throw_type_error(opts.Env(), refused);
  return *held;
}

// Runs a network (parameters without prefix) and, with grads, d(sum(out * w))/d(each parameter).
AsyncResult net_forward(const avatar::ParamMap& params, bool grads, const at::Tensor& w,
                        const std::function<at::Tensor(const avatar::ParamMap&)>& fn) {
  at::AutoGradMode mode(grads);
  avatar::ParamMap leaves;
  for (const auto& [name, t] : params) leaves[name] = grads ? t.detach().requires_grad_(true) : t.detach();
  const at::Tensor out = fn(leaves);
  AsyncResult r;
  r.tensors.emplace_back("output", out.detach());
  if (grads) {
    TORCH_CHECK(w.sizes() == out.sizes(), "expected weights of the output's shape ", out.sizes(), ", received ", w.sizes());
    (out * w).sum().backward();
    for (const auto& [name, t] : leaves)
      r.tensors.emplace_back("grads." + name, t.grad().defined() ? t.grad() : at::zeros_like(t));
  }
  return r;
}

}  // namespace

Napi::Value AvatarNetInit(const Napi::CallbackInfo& info) {
  const std::string op = "avatarNetInit";
  const Napi::Object opts = options_of(info, op);
  const std::string kind = opts.Get("kind").IsString() ? opts.Get("kind").As<Napi::String>().Utf8Value() : "";
  const Napi::Object c = object_option(opts, "config", op);
  avatar::Shapes shapes;
  guarded(info.Env(), [&] {
    if (kind == "generator") shapes = avatar::generator_shapes(read_generator(c, op + ".config"));
    else if (kind == "color") shapes = avatar::color_mlp_shapes(read_color(c, op + ".config"));
    else if (kind == "inpainter") shapes = avatar::inpainter_shapes(read_inpainter(c, op + ".config"));
    else TORCH_CHECK(false, "expected kind 'generator', 'color' or 'inpainter', received '", kind, "'");
  });
  const std::string prefix = opts.Get("prefix").IsString() ? opts.Get("prefix").As<Napi::String>().Utf8Value() : "";
  const uint64_t seed = seed_of(opts, op);
  return run_async(info.Env(), op, [shapes, prefix, seed]() {
    AsyncResult r;
    r.as_handles = true;
    for (auto& [name, t] : avatar::init_params(shapes, seed)) r.tensors.emplace_back(prefix + name, t);
    return r;
  });
}

Napi::Value AvatarGenerate(const Napi::CallbackInfo& info) {
  const std::string op = "avatarGenerate";
  const Napi::Object opts = options_of(info, op);
  const avatar::GeneratorConfig cfg = read_generator(object_option(opts, "config", op), op + ".config");
  guarded(info.Env(), [&] { cfg.validate(); });
  const avatar::ParamMap params = read_named(opts, "params", op, false);
  const at::Tensor images = tensor_at(opts, "images", true, op);
  return run_async(info.Env(), op, [=]() {
    at::NoGradGuard no_grad;
    avatar::check_params(avatar::generator_shapes(cfg), params, "gen.", "Identity-Gaussian Generator");
    TORCH_CHECK(images.dim() == 4 && images.size(3) == 3, "expected images of shape [B, S, S, 3], received ", images.sizes());
    AsyncResult r;
    r.tensors = {{"maps", avatar::generator_forward(cfg, params, "gen.", images.permute({0, 3, 1, 2}).contiguous())}};
    return r;
  });
}

Napi::Value AvatarNetForward(const Napi::CallbackInfo& info) {
  const std::string op = "avatarNetForward";
  const Napi::Object opts = options_of(info, op);
  const std::string kind = opts.Get("kind").IsString() ? opts.Get("kind").As<Napi::String>().Utf8Value() : "";
  const Napi::Object c = object_option(opts, "config", op);
  const avatar::ParamMap params = read_named(opts, "params", op, false);
  const bool grads = opts.Get("grads").ToBoolean();  // also d(sum(out * weights))/d(params)
  if (kind == "generator") {
    const avatar::GeneratorConfig cfg = read_generator(c, op + ".config");
    guarded(info.Env(), [&] { cfg.validate(); });
    const at::Tensor x = tensor_at(opts, "inputs.image", true, op), w = tensor_at(opts, "weights", grads, op);
    return run_async(info.Env(), op, [=]() {
      avatar::check_params(avatar::generator_shapes(cfg), params, "", "Identity-Gaussian Generator");
      return net_forward(params, grads, w, [&](const avatar::ParamMap& p) { return avatar::generator_forward(cfg, p, "", x); });
    });
  }
  if (kind == "color") {
    const avatar::ColorMlpConfig cfg = read_color(c, op + ".config");
    guarded(info.Env(), [&] { cfg.validate(); });
    const at::Tensor sh0 = tensor_at(opts, "inputs.sh0", true, op), code = tensor_at(opts, "inputs.code", true, op);
    const at::Tensor w = tensor_at(opts, "weights", grads, op);
    return run_async(info.Env(), op, [=]() {
      avatar::check_params(avatar::color_mlp_shapes(cfg), params, "", "colour MLP");
      return net_forward(params, grads, w, [&](const avatar::ParamMap& p) { return avatar::color_mlp_forward(cfg, p, "", sh0, code); });
    });
  }
  if (kind == "inpainter") {
    const avatar::InpainterConfig cfg = read_inpainter(c, op + ".config");
    guarded(info.Env(), [&] { cfg.validate(); });
    const at::Tensor head = tensor_at(opts, "inputs.head", true, op), alpha = tensor_at(opts, "inputs.alpha", true, op);
    const at::Tensor bg = tensor_at(opts, "inputs.background", true, op), region = tensor_at(opts, "inputs.region", true, op);
    const at::Tensor w = tensor_at(opts, "weights", grads, op);
    return run_async(info.Env(), op, [=]() {
      avatar::check_params(avatar::inpainter_shapes(cfg), params, "", "body inpainter");
      return net_forward(params, grads, w,
                         [&](const avatar::ParamMap& p) { return avatar::inpainter_forward(cfg, p, "", head, alpha, bg, region); });
    });
  }
  throw_type_error(info.Env(), "expected kind 'generator', 'color' or 'inpainter'");
}

Napi::Value ImageLosses(const Napi::CallbackInfo& info) {
  const std::string op = "imageLosses";
  const Napi::Object opts = options_of(info, op);
  const avatar::ParamMap params = opts.Get("weights").IsObject() ? read_named(opts, "weights", op, false) : avatar::ParamMap{};
  const at::Tensor a = tensor_at(opts, "a", true, op), b = tensor_at(opts, "b", true, op);
  return run_async(info.Env(), op, [=]() {
    at::NoGradGuard no_grad;
    AsyncResult r;
    r.tensors = {{"ssim", avatar::ssim(a, b).reshape({1})},
                 {"l1", avatar::l1_loss(a, b).reshape({1})},
                 {"psnr", avatar::psnr(a, b)}};
    if (avatar::has_vgg(params, "")) r.tensors.emplace_back("vgg", avatar::vgg_perceptual_loss(params, "", a, b).reshape({1}));
    return r;
  });
}

Napi::Value AvatarRender(const Napi::CallbackInfo& info) {
  const std::string op = "avatarRender";
  const Napi::Object opts = options_of(info, op);
  const avatar::AvatarConfig cfg = read_avatar_config(opts, op);
  const avatar::AvatarScene scene = read_scene(opts, op);
  const avatar::AvatarFrames frames = read_frames(opts, op);
  const avatar::ParamMap params = read_named(opts, "params", op, false);
  const std::vector<int64_t> indices = index_list(opts, "indices", op);
  const at::Device device = device_of(opts, op);
  // metrics: PSNR and SSIM of each frame against its target (evaluation; skipped for synthesis).
  // composite: without an inpainter, frames are the head over the frame image (what a video
  // shows) instead of the head alone (what training compares with the masked image).
  const bool metrics = opts.Get("metrics").ToBoolean(), composite = opts.Get("composite").ToBoolean();
  // heads: false returns the frames only (synthesis): no heads [T, H, W, 3] and alphas [T, H, W]
  // stacked and copied to JavaScript that nobody reads.
  const bool heads_too = !opts.Get("heads").IsBoolean() || opts.Get("heads").ToBoolean();
  // abort: an AbortFlag polled between chunks of frames, so an aborted synthesis stops rendering
  // within one chunk instead of finishing every frame in the background.
  const std::function<bool()> stop = abort_poll(opts.Get("abort"), op + ".abort");
  // workspace: the stream's inpainter workspace (frames of one background, rendered in turn).
  const std::shared_ptr<HeldWorkspace> workspace = workspace_of(opts, op);
  return run_async(info.Env(), op, [=]() {
    at::NoGradGuard no_grad;
    frames.validate(scene, cfg, false);
    const avatar::AvatarFrames on_device = avatar::frames_on(frames, device);
    const avatar::AvatarScene scene_dev = avatar::scene_on(scene, device);
    const avatar::ParamMap params_dev = avatar::params_on(params, device);
    constexpr size_t kFramesPerChunk = 4;
    std::vector<avatar::FrameRender> r;
    for (size_t s = 0; s < indices.size(); s += kFramesPerChunk) {
      TORCH_CHECK(!stop(), "aborted");
      const std::vector<int64_t> part(indices.begin() + s, indices.begin() + std::min(indices.size(), s + kFramesPerChunk));
      for (avatar::FrameRender& fr : avatar::render_frames(cfg, scene_dev, params_dev, on_device, part,
                                                           workspace ? workspace->workspace.get() : nullptr))
        r.push_back(std::move(fr));
    }
    AsyncResult res;
    if (workspace) res.on_js_thread = report_workspace(workspace);
    if (r.empty()) return res;
    std::vector<at::Tensor> heads, alphas, psnr, ssim;
    // The frames [T, H, W, 3], each written once into its slice (no per-frame temporaries
    // stacked afterwards): the head over the frame image, head + image (1 - alpha), or the frame.
    const at::Tensor out = at::empty({static_cast<int64_t>(r.size()), scene.height, scene.width, 3}, r[0].frame.options());
    for (size_t i = 0; i < r.size(); ++i) {
      const avatar::FrameRender& fr = r[i];
      at::Tensor slot = out[static_cast<int64_t>(i)];
      if (composite && !cfg.use_inpainter)
        at::addcmul_out(slot, fr.head.permute({1, 2, 0}), on_device.images[indices[i]], (1 - fr.alpha).permute({1, 2, 0}));
      else
        slot.copy_(fr.frame.permute({1, 2, 0}));
      if (heads_too) {
        heads.push_back(fr.head.permute({1, 2, 0}));
        alphas.push_back(fr.alpha[0]);
      }
      if (metrics) {
        psnr.push_back(avatar::psnr(fr.frame.unsqueeze(0), fr.target.unsqueeze(0)));
        ssim.push_back(avatar::ssim(fr.frame.unsqueeze(0), fr.target.unsqueeze(0)).reshape({1}));
      }
    }
    res.tensors = {{"frames", out}};
    if (heads_too) {
      res.tensors.emplace_back("heads", at::stack(heads));
      res.tensors.emplace_back("alphas", at::stack(alphas));
    }
    if (metrics) {
      res.tensors.emplace_back("psnr", at::cat(psnr));
      res.tensors.emplace_back("ssim", at::cat(ssim));
    }
    return res;
  });
}

Napi::Value AvatarTrain(const Napi::CallbackInfo& info) {
  const std::string op = "avatarTrain";
  const Napi::Object opts = options_of(info, op);
  const avatar::AvatarConfig cfg = read_avatar_config(opts, op);
  const avatar::AvatarScene scene = read_scene(opts, op);
  const avatar::AvatarFrames frames = read_frames(opts, op);
  avatar::ParamMap params = read_named(opts, "params", op, true);
  train::AdamState adam;
  adam.m = read_named(opts, "adamM", op, true);
  adam.v = read_named(opts, "adamV", op, true);
  adam.step = int_or(opts, "step", 0, op);
  train::AdamOptions ao;
  if (opts.Get("adam").IsObject()) {
    const Napi::Object a = opts.Get("adam").As<Napi::Object>();
    const std::string where = op + ".adam";
    ao.lr = num_or(a, "lr", 1e-3, where);
    ao.warmup_steps = int_or(a, "warmupSteps", 0, where);
    ao.total_steps = int_or(a, "totalSteps", 0, where);
    ao.min_lr_factor = num_or(a, "minLrFactor", ao.min_lr_factor, where);
    ao.grad_clip = num_or(a, "gradClip", 0, where);
  }
  const std::vector<int64_t> train_indices = index_list(opts, "trainIndices", op);
  const std::vector<std::string> frozen = string_list(opts, "frozen");
  const int64_t steps = int_or(opts, "steps", 1, op), batch = int_or(opts, "batch", 1, op);
  const uint64_t seed = seed_of(opts, op);
  const std::function<bool()> stop = abort_poll(opts.Get("abort"), op + ".abort");
  std::map<std::string, double> lr_scales;
  if (opts.Get("lrScales").IsObject()) {
    const Napi::Object o = opts.Get("lrScales").As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const std::string k = keys.Get(i).ToString().Utf8Value();
      lr_scales[k] = number_option(o, k.c_str(), op + ".lrScales");
    }
  }
  for (const auto& [name, p] : params)
    if (!adam.m.count(name) || !adam.v.count(name))
      throw_type_error(info.Env(), op + ": missing Adam moments for " + name);
  const std::shared_ptr<train::ProcessGroup> group = process_group_of(opts.Get("group"), op + ".group");
  const int64_t samples_seen = int_or(opts, "samplesSeen", adam.step * batch, op);
  return run_async(info.Env(), op, [=]() mutable {
    const avatar::AvatarTrainResult r = avatar::train_avatar_steps(
        cfg, scene, params, adam, ao, frames, train_indices, frozen, steps, batch, seed, stop, lr_scales,
        train::DataParallel{group.get(), samples_seen});
    AsyncResult res;
    res.tensors = {{"losses", at::tensor(r.losses, at::kDouble)},
                   {"psnr", at::tensor(r.psnr, at::kDouble)},
                   {"step", at::full({1}, static_cast<double>(adam.step), at::kDouble)},
                   {"samplesSeen", at::full({1}, static_cast<double>(r.samples_seen), at::kDouble)},
                   {"allreduceWaitMs", at::full({1}, r.allreduce_wait_ms, at::kDouble)},
                   {"stopped", at::full({1}, r.stopped ? 1.0 : 0.0, at::kDouble)}};
    return res;
  });
}

}  // namespace addon
}  // namespace ggt
