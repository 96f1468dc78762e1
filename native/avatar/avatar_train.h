// Rendering and optimising avatars (GGTalker §3.3-3.4): a UV Gaussian map — a parameter, or
// the Identity-Gaussian Generator's output for a source image — sampled into Gaussians,
// rigged to the FLAME mesh of each frame, coloured (optionally through the colour MLP),
// rasterized, and composited with the frame's background (optionally through the body
// inpainter). One step function serves every stage; the stages differ only in which
// parameters train (Expression-Visual prior: gen.* and inpaint.*; adaptation stage 1: map;
// stage 2: map + flame.*; then color.* and inpaint.*).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <string>
#include <vector>

#include "../rig/flame.h"
#include "../rig/rig.h"
#include "../train/adam.h"
#include "../train/process_group.h"
#include "networks.h"

namespace ggt {
namespace avatar {

struct AvatarConfig {
  bool use_generator = false;   // map = G(source image) (gen.*) instead of the `map` parameter
  GeneratorConfig generator;
  bool use_color_mlp = false;   // colours through color.* with code (expr, jaw, rotation, neck)
  ColorMlpConfig color;
  bool use_inpainter = false;   // frame = inpainter(...) (inpaint.*) instead of head-only vs masked target
  InpainterConfig inpainter;
  int64_t dilate = 4;           // pixels the head mask is grown by before the inpainter removes it
  double lambda_l1 = 0.8, lambda_ssim = 0.2, lambda_pos = 0.01;
  double lambda_vgg = 0.0;      // VGG-16 perceptual loss weight (needs vgg.features.* parameters)
  bool antialiased = false;
  void validate() const;
};

// What stays fixed: the FLAME model, the UV layout, the frame size.
struct AvatarScene {
  rig::FlameModelTensors model;
  rig::UvLayout layout;
  int64_t width = 0, height = 0;
};

// The frames of a dataset (T of them): images [T, H, W, 3] in [0, 1], masks [T, H, W]
// (optional with the inpainter), world->camera views [T, 4, 4] (OpenCV axes), intrinsics
// [T, 4] (fx, fy, cx, cy); generator inputs: sources [M, 3, S, S] and source [T] int64 (which
// source image each frame's identity map comes from).
struct AvatarFrames {
  at::Tensor images, masks, views, intrinsics, sources, source;
  int64_t count() const { return images.size(0); }
  // `training`: masks are required without an inpainter (the head is compared with the masked image).
  void validate(const AvatarScene& scene, const AvatarConfig& cfg, bool training) const;
};

// Per-frame FLAME parameters live in the parameter map as flame.expr [T, E], flame.jaw,
// flame.rotation, flame.neck, flame.translation [T, 3], flame.eyes [T, 6], and flame.shape
// ([S] or [T, S]), flame.static_offset ([V, 3] or [T, V, 3]) (each optional: zeros).
using ParamMap = std::map<std::string, at::Tensor>;

// The same inputs on `device` (tensors already there are not copied): synthesis and training
// run wherever the inputs are, CPU or CUDA alike.
AvatarScene scene_on(const AvatarScene& scene, const at::Device& device);
AvatarFrames frames_on(const AvatarFrames& frames, const at::Device& device);
ParamMap params_on(const ParamMap& params, const at::Device& device);

struct FrameRender {
  at::Tensor frame;  // [3, H, W] the final image
  at::Tensor head;   // [3, H, W] the rendered head (premultiplied over black)
  at::Tensor alpha;  // [1, H, W]
  at::Tensor target; // [3, H, W] what the frame is compared with (the masked image without the inpainter)
};

// Renders frames `indices` of `frames` (differentiable in the parameters). With
// `inpainter_workspace` (rendering a stream, no autograd), the inpainter reuses the activations
// of the stream's background (networks.h).
std::vector<FrameRender> render_frames(const AvatarConfig& cfg, const AvatarScene& scene, const ParamMap& params,
                                       const AvatarFrames& frames, const std::vector<int64_t>& indices,
                                       InpainterWorkspace* inpainter_workspace = nullptr);

struct LossParts {
  at::Tensor total, l1, ssim, pos, vgg;  // scalars
};
LossParts frame_losses(const AvatarConfig& cfg, const ParamMap& params, const std::vector<FrameRender>& renders);

struct AvatarTrainResult {
  std::vector<double> losses;   // per step, the mean over all ranks
  std::vector<double> psnr;     // mean PSNR of each step's batch (over all ranks)
  int64_t samples_seen = 0;     // the sample position the next step starts at
  double allreduce_wait_ms = 0; // summed over the steps: communication the backward did not hide
  bool stopped = false;         // should_stop() (of any rank, with a group) ended the call early
};

// `steps` Adam steps on the parameters not under a frozen prefix (data.* never trains); each
// step renders `batch` frames per rank, drawn from `train_indices` in seeded per-epoch orders
// by global sample position (train/epoch_sampler.h; with a group, gradients, loss and PSNR are
// averaged over its ranks). Stops early when should_stop() says so: in a group, every rank
// after the step in which any rank's should_stop() said so (shared through that step's all-reduce).
AvatarTrainResult train_avatar_steps(const AvatarConfig& cfg, const AvatarScene& scene, ParamMap& params,
                                     train::AdamState& adam, const train::AdamOptions& adam_opts,
                                     const AvatarFrames& frames, const std::vector<int64_t>& train_indices,
                                     const std::vector<std::string>& frozen, int64_t steps, int64_t batch,
                                     uint64_t seed, const std::function<bool()>& should_stop,
                                     const std::map<std::string, double>& lr_scales = {},
                                     const train::DataParallel& parallel = {});

}  // namespace avatar
}  // namespace ggt
