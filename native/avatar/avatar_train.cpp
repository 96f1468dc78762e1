#include "avatar_train.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "../render/rasterize.h"
#include "../train/epoch_sampler.h"
#include "../train/grad_average.h"
#include "image_losses.h"
#include "vgg.h"

namespace ggt {
namespace avatar {
namespace {

const at::Tensor& param_or_undefined(const ParamMap& p, const std::string& name) {
  static const at::Tensor undefined;
  const auto it = p.find(name);
  return it == p.end() ? undefined : it->second;
}

// A per-frame parameter's rows for `idx` (undefined stays undefined; [S] stays [S]).
at::Tensor rows(const at::Tensor& t, const at::Tensor& idx, int64_t frames) {
  if (!t.defined()) return t;
  if (t.dim() >= 2 && t.size(0) == frames) return t.index_select(0, idx);
  return t;
}

render::RasterSettings settings_for(const AvatarConfig& cfg, const AvatarScene& scene, const AvatarFrames& frames,
                                    int64_t f) {
  render::RasterSettings s;
  const at::Tensor view = frames.views[f].contiguous().to(at::kFloat).cpu();
  std::memcpy(s.camera.view, view.data_ptr<float>(), 16 * sizeof(float));
  const at::Tensor k = frames.intrinsics[f].to(at::kFloat).cpu();
  s.camera.fx = k[0].item<float>();
  s.camera.fy = k[1].item<float>();
  s.camera.cx = k[2].item<float>();
  s.camera.cy = k[3].item<float>();
  s.camera.width = static_cast<int32_t>(scene.width);
  s.camera.height = static_cast<int32_t>(scene.height);
  s.camera.near_plane = 0.01f;
  s.camera.far_plane = 100.f;
  s.mode = cfg.antialiased ? render::RasterMode::kAntialiased : render::RasterMode::kClassic;
  return s;
}

// max-pool dilation of [B, 1, H, W] masks by r pixels, as two 1D passes (the max over a
// (2r+1)² window is the max of its rows' maxima: 2 (2r + 1) instead of (2r + 1)² comparisons).
// On the CPU a plain loop (512², r = 4: ~0.5 ms against max_pool2d's 20 ms per frame, 6 ms as
// two 1D max_pool2d); masks are finite (the max of a NaN window is not NaN here).
at::Tensor dilate(const at::Tensor& mask, int64_t r) {
  if (r <= 0) return mask;
  if (!mask.device().is_cpu() || mask.scalar_type() != at::kFloat || at::GradMode::is_enabled()) {
    const at::Tensor rows = at::max_pool2d(mask, {1, 2 * r + 1}, {1, 1}, {0, r});
    return at::max_pool2d(rows, {2 * r + 1, 1}, {1, 1}, {r, 0});
  }
  const at::Tensor m = mask.contiguous();
  const int64_t H = m.size(2), W = m.size(3), lines = m.size(0) * H;
  at::Tensor across = at::empty_like(m), out = at::empty_like(m);
  const float* in = m.data_ptr<float>();
  float* mid = across.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, lines, 16, [&](int64_t l0, int64_t l1) {  // along rows
    for (int64_t l = l0; l < l1; ++l) {
      const float* src = in + l * W;
      float* row = mid + l * W;
      std::copy(src, src + W, row);
      for (int64_t k = 1; k <= r && k < W; ++k) {  // shifted rows (loops the compiler vectorises)
        for (int64_t x = 0; x < W - k; ++x) row[x] = std::max(row[x], src[x + k]);
        for (int64_t x = k; x < W; ++x) row[x] = std::max(row[x], src[x - k]);
      }
    }
  });
  at::parallel_for(0, lines, 16, [&](int64_t l0, int64_t l1) {  // along columns: the max of rows y - r .. y + r
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t y = l % H, first = l - y;
      float* row = dst + l * W;
      std::copy(mid + l * W, mid + (l + 1) * W, row);
      for (int64_t k = std::max<int64_t>(0, y - r), e = std::min(H - 1, y + r); k <= e; ++k) {
        const float* src = mid + (first + k) * W;
        for (int64_t x = 0; x < W; ++x) row[x] = std::max(row[x], src[x]);
      }
    }
  });
  return out;
}

}  // namespace

void AvatarConfig::validate() const {
  if (use_generator) generator.validate();
  if (use_color_mlp) color.validate();
  if (use_inpainter) inpainter.validate();
  // Bounded: the dilation is a (2 dilate + 1)² max-pool, a hang for huge values.
  TORCH_CHECK(dilate >= 0 && dilate <= 256, "expected dilate in [0, 256] pixels, received ", dilate);
}

void AvatarFrames::validate(const AvatarScene& scene, const AvatarConfig& cfg, bool training) const {
  TORCH_CHECK(images.defined() && images.dim() == 4 && images.size(1) == scene.height && images.size(2) == scene.width &&
                  images.size(3) == 3,
              "expected frame images of shape [T, ", scene.height, ", ", scene.width, ", 3], received ",
              images.defined() ? images.sizes() : at::IntArrayRef{});
  const int64_t T = images.size(0);
  TORCH_CHECK(views.defined() && views.sizes() == at::IntArrayRef({T, 4, 4}), "expected views of shape [", T,
              ", 4, 4], received ", views.defined() ? views.sizes() : at::IntArrayRef{});
  TORCH_CHECK(intrinsics.defined() && intrinsics.sizes() == at::IntArrayRef({T, 4}), "expected intrinsics of shape [",
              T, ", 4] (fx, fy, cx, cy), received ", intrinsics.defined() ? intrinsics.sizes() : at::IntArrayRef{});
  if (masks.defined())
    TORCH_CHECK(masks.sizes() == at::IntArrayRef({T, scene.height, scene.width}), "expected masks of shape [", T, ", ",
                scene.height, ", ", scene.width, "], received ", masks.sizes());
  TORCH_CHECK(!training || cfg.use_inpainter || masks.defined(),
              "frames need foreground masks when there is no body inpainter (the head is compared with the masked image)");
  if (cfg.use_generator) {
    TORCH_CHECK(sources.defined() && sources.dim() == 4 && sources.size(1) == 3 &&
                    sources.size(2) == cfg.generator.image_size && sources.size(3) == cfg.generator.image_size,
                "expected generator source images of shape [M, 3, ", cfg.generator.image_size, ", ",
                cfg.generator.image_size, "], received ", sources.defined() ? sources.sizes() : at::IntArrayRef{});
    TORCH_CHECK(source.defined() && source.sizes() == at::IntArrayRef({T}), "expected a source index per frame [", T, "]");
    TORCH_CHECK(T == 0 || (source.min().item<int64_t>() >= 0 && source.max().item<int64_t>() < sources.size(0)),
                "expected source indices in [0, ", sources.size(0), ")");
  }
}

namespace {
at::Tensor on(const at::Tensor& t, const at::Device& device) { return t.defined() ? t.to(device) : t; }
}  // namespace

AvatarScene scene_on(const AvatarScene& scene, const at::Device& device) {
  AvatarScene s = scene;
  rig::FlameModelTensors& m = s.model;
  for (at::Tensor* t : {&m.v_template, &m.shapedirs, &m.exprdirs, &m.posedirs, &m.j_regressor, &m.lbs_weights,
                        &m.lmk_faces, &m.lmk_bary, &m.faces})
    *t = on(*t, device);
  s.layout.face = on(s.layout.face, device);
  s.layout.bary = on(s.layout.bary, device);
  return s;
}

AvatarFrames frames_on(const AvatarFrames& frames, const at::Device& device) {
  AvatarFrames f = frames;
  for (at::Tensor* t : {&f.images, &f.masks, &f.views, &f.intrinsics, &f.sources, &f.source}) *t = on(*t, device);
  return f;
}

ParamMap params_on(const ParamMap& params, const at::Device& device) {
  ParamMap p;
  for (const auto& [name, t] : params) p[name] = on(t, device);
  return p;
}

std::vector<FrameRender> render_frames(const AvatarConfig& cfg, const AvatarScene& scene, const ParamMap& params,
                                       const AvatarFrames& frames, const std::vector<int64_t>& indices,
                                       InpainterWorkspace* inpainter_workspace) {
  const int64_t T = frames.count();
  for (int64_t f : indices) TORCH_CHECK(f >= 0 && f < T, "expected frame indices in [0, ", T, "), received ", f);
  const at::Tensor idx = at::tensor(indices, at::TensorOptions().dtype(at::kLong)).to(frames.images.device());

  // Per-frame FLAME and vertices [B, V, 3].
  rig::FlameParams fp;
  fp.shape = rows(param_or_undefined(params, "flame.shape"), idx, T);
  fp.expr = rows(param_or_undefined(params, "flame.expr"), idx, T);
  fp.rotation = rows(param_or_undefined(params, "flame.rotation"), idx, T);
  fp.neck = rows(param_or_undefined(params, "flame.neck"), idx, T);
  fp.jaw = rows(param_or_undefined(params, "flame.jaw"), idx, T);
  fp.eyes = rows(param_or_undefined(params, "flame.eyes"), idx, T);
  fp.translation = rows(param_or_undefined(params, "flame.translation"), idx, T);
  // [V, 3] for one identity, or [T, V, 3] per frame (the Expression-Visual prior's identities).
  const at::Tensor static_offset = param_or_undefined(params, "flame.static_offset");
  fp.static_offset = static_offset.defined() && static_offset.dim() == 3 ? rows(static_offset, idx, T) : static_offset;
  TORCH_CHECK(fp.expr.defined() || fp.jaw.defined() || fp.rotation.defined() || fp.translation.defined(),
              "expected per-frame FLAME parameters (flame.expr, flame.jaw, flame.rotation or flame.translation)");
  const rig::FlameOutput flame = rig::flame_forward(scene.model, fp);
  TORCH_CHECK(flame.vertices.size(0) == static_cast<int64_t>(indices.size()),
              "the per-frame FLAME parameters do not cover every frame (", T, ")");

  // Maps: the `map` parameter, or G(source) per distinct source image.
  std::map<int64_t, rig::UvGaussians> by_source;
  auto gaussians_for = [&](int64_t f) -> const rig::UvGaussians& {
    const int64_t key = cfg.use_generator ? frames.source[f].item<int64_t>() : -1;
    auto it = by_source.find(key);
    if (it == by_source.end()) {
      at::Tensor map;
      if (cfg.use_generator) {
        map = generator_forward(cfg.generator, params, "gen.", frames.sources.narrow(0, key, 1))[0];
      } else {
        map = param_or_undefined(params, "map");
        TORCH_CHECK(map.defined(), "expected the avatar's UV Gaussian map as parameter 'map' [uv, uv, 14]");
      }
      it = by_source.emplace(key, rig::sample_uv_gaussians(map, scene.layout)).first;
    }
    return it->second;
  };

  std::vector<FrameRender> out;
  for (size_t b = 0; b < indices.size(); ++b) {
    const int64_t f = indices[b];
    const rig::UvGaussians& g = gaussians_for(f);
    const rig::RiggedGaussians r = rig::rig_gaussians(flame.vertices.narrow(0, b, 1), scene.model.faces, g.local);
    at::Tensor colors = g.sh0;  // [N, 3] SH0
    if (cfg.use_color_mlp) {
      std::vector<at::Tensor> code;
      for (const at::Tensor& t : {fp.expr, fp.jaw, fp.rotation, fp.neck})
        if (t.defined()) code.push_back(t[b].reshape({-1}));
      colors = color_mlp_forward(cfg.color, params, "color.", colors, at::cat(code));
    }
    const render::RasterOutputs ro = render::rasterize(r.means[0], r.quats[0], r.scales[0], at::sigmoid(g.opacity_logit),
                                                       colors.unsqueeze(1), settings_for(cfg, scene, frames, f));
    FrameRender fr;
    fr.head = ro.image.permute({2, 0, 1});   // [3, H, W]
    fr.alpha = ro.alpha.unsqueeze(0);        // [1, H, W]
    const at::Tensor image = frames.images[f].permute({2, 0, 1});
    if (cfg.use_inpainter) {
      // The region to remove: the tracked foreground mask if any, else the render's alpha.
      const at::Tensor m = frames.masks.defined() ? frames.masks[f].unsqueeze(0) : fr.alpha.detach();
      const at::Tensor region = dilate(m.unsqueeze(0), cfg.dilate);
      fr.frame = inpainter_workspace && !at::GradMode::is_enabled()
                     ? inpainter_forward_reusing(cfg.inpainter, params, "inpaint.", fr.head.unsqueeze(0), fr.alpha.unsqueeze(0),
                                                 image.unsqueeze(0), region, *inpainter_workspace)[0]
                     : inpainter_forward(cfg.inpainter, params, "inpaint.", fr.head.unsqueeze(0), fr.alpha.unsqueeze(0),
                                         image.unsqueeze(0), region)[0];
      fr.target = image;
    } else {
      fr.frame = fr.head;
      fr.target = frames.masks.defined() ? image * frames.masks[f].unsqueeze(0) : image;
    }
    out.push_back(fr);
  }
  return out;
}

LossParts frame_losses(const AvatarConfig& cfg, const ParamMap& params, const std::vector<FrameRender>& renders) {
  std::vector<at::Tensor> pred, target;
  for (const FrameRender& r : renders) {
    pred.push_back(r.frame);
    target.push_back(r.target);
  }
  const at::Tensor a = at::stack(pred), b = at::stack(target);  // [B, 3, H, W]
  LossParts l;
  l.l1 = avatar::l1_loss(a, b);
  l.ssim = avatar::ssim(a, b);
  // Position regularisation: the mean offset length of the map's Gaussians from their anchors.
  const at::Tensor map = param_or_undefined(params, "map");
  const at::Tensor base = param_or_undefined(params, "gen.base");
  const at::Tensor& m = map.defined() ? map : base;
  l.pos = m.defined() ? m.narrow(-1, 0, 3).norm(2, -1).mean() : at::zeros({}, a.options());
  l.total = cfg.lambda_l1 * l.l1 + cfg.lambda_ssim * (1 - l.ssim) + cfg.lambda_pos * l.pos;
  if (cfg.lambda_vgg > 0) {
    TORCH_CHECK(has_vgg(params, "vgg."), "lambdaVgg > 0 needs the VGG-16 weights (vgg.features.*)");
    l.vgg = vgg_perceptual_loss(params, "vgg.", a, b);
    l.total = l.total + cfg.lambda_vgg * l.vgg;
  }
  return l;
}

AvatarTrainResult train_avatar_steps(const AvatarConfig& cfg, const AvatarScene& scene, ParamMap& params,
                                     train::AdamState& adam, const train::AdamOptions& adam_opts,
                                     const AvatarFrames& frames, const std::vector<int64_t>& train_indices,
                                     const std::vector<std::string>& frozen, int64_t steps, int64_t batch,
                                     uint64_t seed, const std::function<bool()>& should_stop,
                                     const std::map<std::string, double>& lr_scales,
                                     const train::DataParallel& parallel) {
  cfg.validate();
  frames.validate(scene, cfg, true);
  TORCH_CHECK(!train_indices.empty(), "expected at least one training frame");
  TORCH_CHECK(batch >= 1, "expected a batch of at least 1 frame, received ", batch);
  TORCH_CHECK(parallel.samples_seen >= 0, "expected samplesSeen >= 0, received ", parallel.samples_seen);
  auto trains = [&](const std::string& name) {
    if (name.rfind("data.", 0) == 0 || name.rfind("vgg.", 0) == 0) return false;  // fixed networks
    for (const std::string& f : frozen)
      if (name.rfind(f, 0) == 0) return false;
    return true;
  };
  train::ParamMap scales;
  for (const auto& [name, t] : params)
    for (const auto& [prefix, scale] : lr_scales)
      if (name.rfind(prefix, 0) == 0) scales[name] = at::full({}, scale, t.options());
  const int rank = parallel.group ? parallel.group->rank() : 0;
  const int world = parallel.group ? parallel.group->world() : 1;
  train::EpochSampler sampler(static_cast<int64_t>(train_indices.size()), seed);
  AvatarTrainResult result;
  result.samples_seen = parallel.samples_seen;
  for (int64_t k = 0; k < steps; ++k) {
    if (!parallel.group && should_stop && should_stop()) {
      result.stopped = true;
      break;
    }
    std::vector<int64_t> idx;
    for (int64_t position : train::rank_positions(result.samples_seen, batch, rank, world))
      idx.push_back(train_indices[static_cast<size_t>(sampler.item(position))]);

    ParamMap leaves, trained;
    for (const auto& [name, t] : params) {
      leaves[name] = trains(name) ? t.detach().requires_grad_(true) : t.detach();
      if (leaves[name].requires_grad()) trained[name] = leaves[name];
    }
    std::unique_ptr<train::GradientAverager> average;
    if (parallel.group) average = std::make_unique<train::GradientAverager>(*parallel.group, trained);
    at::AutoGradMode grad_mode(true);
    const std::vector<FrameRender> renders = render_frames(cfg, scene, leaves, frames, idx);
    const LossParts l = frame_losses(cfg, leaves, renders);
    double loss = l.total.item<double>();
    TORCH_CHECK(std::isfinite(loss), "the avatar loss became ", loss, " at step ", adam.step, " (try a lower learning rate)");
    l.total.backward();
    double p = 0;
    for (const FrameRender& r : renders) p += avatar::psnr(r.frame.unsqueeze(0), r.target.unsqueeze(0)).item<double>();
    p /= static_cast<double>(renders.size());
    ParamMap grads;
    bool stop_requested = false;
    if (average) {
      std::vector<double> stats{loss, p, should_stop && should_stop() ? 1.0 : 0.0};
      grads = average->finish(stats);
      loss = stats[0];
      p = stats[1];
      stop_requested = stats[2] > 0;
      result.allreduce_wait_ms += average->wait_ms();
    } else {
      for (const auto& [name, t] : trained) grads[name] = t.grad().defined() ? t.grad() : at::zeros_like(t);
    }
    train::adam_step(params, adam, grads, adam_opts, scales);
    result.losses.push_back(loss);
    result.psnr.push_back(p);
    result.samples_seen += batch * world;
    if (stop_requested) {
      result.stopped = true;
      break;
    }
  }
  return result;
}

}  // namespace avatar
}  // namespace ggt
