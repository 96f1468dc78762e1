// The synthesis path's checks in ggtalker_native_check: the per-frame pipeline of synthesize()
// (FLAME -> UV-map Gaussians -> rigging -> colour MLP -> rasterizer -> body inpainter, i.e.
// avatar::render_frames) and Audio-Expression sampling (a2e::sample_sequence), CUDA vs CPU; and
// with --bench, frames per second at 512x512 per stage set and the expressions' sampling time,
// on each backend, as JSON lines (what `npm run bench -- synthesize` measures through Node).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "a2e/dit.h"
#include "a2e/dit_sample.h"
#include "avatar/avatar_train.h"
#include "avatar/networks.h"
#include "check_util.h"
#include "common/conv_check.h"
#include "checks.h"
#include "rig/rig.h"

using namespace ggt;
using namespace ggt::check;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// A test avatar in the formats synthesize() hands to the native core: a head-sized ellipsoid
// grid mesh in FLAME's format (grid² vertices, 2 (grid - 1)² faces, FLAME's 5 joints with the
// lower front on the jaw) whose UV layout is the grid itself, a random UV Gaussian map of
// uv² texels, a colour MLP and an inpainter with random weights (perturbed away from their
// zero-initialised output layers, so every layer shows in a comparison), and T frames of
// FLAME parameters, background images, and one front camera.
struct TestAvatar {
  avatar::AvatarConfig cfg;
  avatar::AvatarScene scene;
  avatar::AvatarFrames frames;
  avatar::ParamMap params;
};

constexpr int64_t kShapes = 100, kExpressions = 100;

rig::FlameModelTensors ellipsoid_model(int64_t grid, at::Generator& gen, at::Tensor& vt) {
  const int64_t v = grid * grid;
  std::vector<float> pos, uv;
  std::vector<int64_t> faces;
  at::Tensor weights = at::zeros({v, 5});
  for (int64_t i = 0; i < grid; ++i) {
    for (int64_t j = 0; j < grid; ++j) {
      const double theta = M_PI * (0.04 + 0.92 * i / (grid - 1.0)), phi = 2 * M_PI * j / (grid - 1.0);
      const double x = 0.08 * std::sin(theta) * std::sin(phi), y = 0.11 * std::cos(theta),
                   z = 0.09 * std::sin(theta) * std::cos(phi);
      pos.insert(pos.end(), {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)});
      uv.insert(uv.end(), {static_cast<float>(j / (grid - 1.0)), static_cast<float>(1 - i / (grid - 1.0))});
      weights[i * grid + j][y < -0.04 && z > 0 ? 2 : 1] = 1;  // jaw, else neck
      if (i + 1 < grid && j + 1 < grid) {
        const int64_t a = i * grid + j, b = a + 1, c = a + grid, d = c + 1;
        faces.insert(faces.end(), {a, c, b, b, c, d});
      }
    }
  }
  rig::FlameModelTensors m;
  m.v_template = at::tensor(pos).view({v, 3});
  m.shapedirs = at::randn({v, 3, kShapes}, gen) * 1e-3;
  m.exprdirs = at::randn({v, 3, kExpressions}, gen) * 1e-3;
  m.posedirs = at::randn({v, 3, 36}, gen) * 1e-4;
  m.j_regressor = at::softmax(at::randn({5, v}, gen) * 0.1, 1);
  m.lbs_weights = weights;
  m.parents = {-1, 0, 1, 1, 1};
  m.faces = at::tensor(faces).view({-1, 3});
  vt = at::tensor(uv).view({v, 2});
  return m;
}

avatar::ParamMap perturbed(const avatar::ParamMap& p, const std::string& prefix, at::Generator& gen, double amount) {
  avatar::ParamMap out;
  for (const auto& [name, t] : p) out[prefix + name] = t + amount * at::randn(t.sizes(), gen);
  return out;
}

TestAvatar make_test_avatar(int64_t size, int64_t uv, int64_t grid, int64_t frames, bool color, bool inpainter,
                            uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  TestAvatar a;
  at::Tensor vt;
  a.scene.model = ellipsoid_model(grid, gen, vt);
  a.scene.layout = rig::rasterize_uv_layout(vt, a.scene.model.faces, uv, uv);
  a.scene.width = a.scene.height = size;

  a.cfg.use_color_mlp = color;
  a.cfg.color.code_dim = kExpressions + 9;  // expression, jaw, rotation, neck
  a.cfg.use_inpainter = inpainter;
  if (color) a.params = perturbed(avatar::init_params(avatar::color_mlp_shapes(a.cfg.color), seed), "color.", gen, 0.05);
  if (inpainter) {
    for (auto& [name, t] : perturbed(avatar::init_params(avatar::inpainter_shapes(a.cfg.inpainter), seed + 1),
                                     "inpaint.", gen, 0.02))
      a.params[name] = t;
  }
  // Map channels: offset 3 (face units), log-scale 3 (of the face size: ~0.4 covers the surface
  // at uv = 4 x grid), rotation 4, SH0 colour 3, opacity logit 1.
  const double log_scale = std::log(0.4 * 4.0 * grid / uv);
  a.params["map"] = at::cat({at::randn({uv, uv, 3}, gen) * 0.05, at::randn({uv, uv, 3}, gen) * 0.1 + log_scale,
                             at::randn({uv, uv, 4}, gen), at::randn({uv, uv, 3}, gen) * 0.5,
                             at::randn({uv, uv, 1}, gen) + 2.0},
                            2);
  a.params["flame.expr"] = at::randn({frames, kExpressions}, gen) * 0.5;
  a.params["flame.jaw"] = at::cat({at::rand({frames, 1}, gen) * 0.2, at::zeros({frames, 2})}, 1);
  a.params["flame.rotation"] = at::randn({frames, 3}, gen) * 0.05;
  a.params["flame.neck"] = at::randn({frames, 3}, gen) * 0.02;
  a.params["flame.shape"] = at::randn({kShapes}, gen);

  // OpenCV camera 0.6 m in front of the head, looking at it: x right, y down, z forward.
  const at::Tensor view = at::tensor(std::vector<float>{1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0.6f, 0, 0, 0, 1}).view({4, 4});
  const float f = 1.6f * static_cast<float>(size), c = 0.5f * static_cast<float>(size);
  a.frames.images = at::rand({frames, size, size, 3}, gen);
  a.frames.views = view.unsqueeze(0).repeat({frames, 1, 1});
  a.frames.intrinsics = at::tensor(std::vector<float>{f, f, c, c}).unsqueeze(0).repeat({frames, 1});
  return a;
}

// render_frames on `device` for frames [first, first + count): frames, heads, alphas stacked
// [count, 3, H, W] / [count, 1, H, W], still on `device`. Like synthesize(), each call sends
// only its frames' images and parameters, and the avatar's weights, to the device; with
// `workspace`, the inpainter reuses the stream's background activations as synthesize() does.
std::vector<at::Tensor> render_on(const TestAvatar& a, const at::Device& device, int64_t first, int64_t count,
                                  avatar::InpainterWorkspace* workspace = nullptr) {
  at::NoGradGuard no_grad;
  const int64_t T = a.frames.count();
  avatar::AvatarFrames batch;
  batch.images = a.frames.images.narrow(0, first, count);
  batch.views = a.frames.views.narrow(0, first, count);
  batch.intrinsics = a.frames.intrinsics.narrow(0, first, count);
  avatar::ParamMap params;
  for (const auto& [name, t] : a.params)
    params[name] = name.rfind("flame.", 0) == 0 && t.dim() >= 2 && t.size(0) == T ? t.narrow(0, first, count) : t;
  std::vector<int64_t> idx(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) idx[static_cast<size_t>(i)] = i;
  std::vector<at::Tensor> out, heads, alphas;
  for (const avatar::FrameRender& r : avatar::render_frames(a.cfg, avatar::scene_on(a.scene, device),
                                                            avatar::params_on(params, device),
                                                            avatar::frames_on(batch, device), idx, workspace)) {
    out.push_back(r.frame);
    heads.push_back(r.head);
    alphas.push_back(r.alpha);
  }
  return {at::stack(out), at::stack(heads), at::stack(alphas)};
}

// A small Audio-Expression DiT with random weights (perturbed off its zero-initialised FiLM and
// output layers) and a random condition [frames, feature_dim].
a2e::DitConfig small_dit() {
  a2e::DitConfig c;
  c.feature_dim = 32;
  c.d_model = 64;
  c.heads = 4;
  c.ff_dim = 128;
  c.cond_layers = 1;
  c.decoder_layers = 2;
  c.align_radius = 2;
  c.diffusion_steps = 100;
  return c;
}

// The paper's DiT (docs/audio-expression-model.md) reading wav2vec2-base features: 46.5M parameters.
a2e::DitConfig paper_dit() {
  a2e::DitConfig c;
  c.feature_dim = 768;
  c.align_radius = 2;
  return c;
}

at::Tensor sample_on(const a2e::DitConfig& cfg, const a2e::ParamMap& params, const at::Tensor& cond,
                     const a2e::SampleOptions& so, const at::Device& device) {
  at::NoGradGuard no_grad;
  a2e::ParamMap p;
  for (const auto& [name, t] : params) p[name] = t.to(device);
  return a2e::sample_sequence(cfg, a2e::dit_denoiser(cfg, p), p.at("data.mean"), p.at("data.std"), cond.to(device), 0,
                              so);
}

a2e::ParamMap random_dit(const a2e::DitConfig& cfg, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  a2e::ParamMap p = a2e::dit_init(cfg, seed);
  for (auto& [name, t] : p)
    if (name.rfind("data.", 0) != 0) t = t + 0.02 * at::randn(t.sizes(), gen);
  return p;
}

void compare_backends(const at::Device& cuda) {
  const at::Device cpu(at::kCPU);
  strict_cuda_math();
  // The whole per-frame pipeline, every stage on.
  const TestAvatar a = make_test_avatar(128, 64, 31, 3, true, true, 21);
  const std::vector<at::Tensor> c = render_on(a, cpu, 0, 3), g = render_on(a, cuda, 0, 3);
  const double coverage = c[2].mean().item<double>();
  expect_true("synthesis test avatar covers the image", coverage > 0.1 && coverage < 0.9,
              "mean alpha " + std::to_string(coverage) + " (expected 0.1 to 0.9)");
  expect_close("synthesis frames cuda vs cpu", g[0], c[0], 1e-3);
  expect_close("synthesis heads cuda vs cpu", g[1], c[1], 1e-3);
  expect_close("synthesis alphas cuda vs cpu", g[2], c[2], 1e-3);

  // Expression sampling: DDIM with guidance over overlapping windows (noise drawn on the CPU,
  // so both backends start from the same x_T).
  const a2e::DitConfig cfg = small_dit();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor cond = at::randn({40, cfg.feature_dim}, gen);
  a2e::SampleOptions so;
  so.steps = 10;
  so.guidance = 2;
  so.seed = 3;
  const a2e::ParamMap p = random_dit(cfg, 9);
  expect_close("a2e sample cuda vs cpu", sample_on(cfg, p, cond, so, cuda), sample_on(cfg, p, cond, so, cpu), 1e-3);
}

// Frames per second of render_frames at 512x512 for one stage set, frames copied to host memory
// as synthesize() does; batches of 8 like synthesize()'s default.
double bench_render(const at::Device& device, bool color, bool inpainter, int64_t frames) {
  const int64_t batch = 8;
  const TestAvatar a = make_test_avatar(512, 256, 71, frames, color, inpainter, 31);
  const std::shared_ptr<avatar::InpainterWorkspace> workspace = avatar::make_inpainter_workspace();
  render_on(a, device, 0, batch, workspace.get());  // warm-up: allocator, cuDNN algorithm choice, thread pool, workspace
  synchronize(device);
  const auto t0 = clock_type::now();
  for (int64_t f = 0; f < frames; f += batch) {
    const std::vector<at::Tensor> r = render_on(a, device, f, std::min(batch, frames - f), workspace.get());
    r[0].to(at::kCPU);
  }
  synchronize(device);
  const double s = seconds_since(t0);
  const std::string stages = std::string("head") + (color ? "+color" : "") + (inpainter ? "+inpainter" : "");
  const int64_t gaussians = (a.scene.layout.face >= 0).sum().item<int64_t>();
  std::printf("{\"case\":\"synthesize-render\",\"backend\":\"%s\",\"threads\":%d,\"stages\":\"%s\",\"width\":512,"
              "\"height\":512,\"gaussians\":%lld,\"frames\":%lld,\"batch\":%lld,\"render_fps\":%.2f,"
              "\"source\":\"native_check\"}\n",
              backend_name(device), device.is_cuda() ? 0 : at::get_num_threads(), stages.c_str(),
              static_cast<long long>(gaussians), static_cast<long long>(frames), static_cast<long long>(batch),
              frames / s);
  std::fflush(stdout);
  return frames / s;
}

// Seconds to sample 10 s of expressions (250 frames at 25 fps) with the paper-size DiT.
double bench_a2e(const at::Device& device) {
  const a2e::DitConfig cfg = paper_dit();
  const a2e::ParamMap p = random_dit(cfg, 13);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(6);
  const at::Tensor cond = at::randn({250, cfg.feature_dim}, gen);
  a2e::SampleOptions so;  // DDIM, 25 steps, window 10, overlap 4
  sample_on(cfg, p, cond.narrow(0, 0, 20), so, device);  // warm-up
  synchronize(device);
  const auto t0 = clock_type::now();
  sample_on(cfg, p, cond, so, device).to(at::kCPU);
  const double s = seconds_since(t0);
  std::printf("{\"case\":\"synthesize-expressions\",\"backend\":\"%s\",\"threads\":%d,\"model\":\"dit-paper\","
              "\"frames\":250,\"steps\":%lld,\"seconds\":%.3f,\"source\":\"native_check\"}\n",
              backend_name(device), device.is_cuda() ? 0 : at::get_num_threads(), static_cast<long long>(so.steps), s);
  std::fflush(stdout);
  return s;
}

}  // namespace

namespace ggt {
namespace check {

// The networks' float32 convolutions against float64 after the oneDNN check (common/
// conv_check.h): without it, Debian 13's LibTorch 2.6 is off by ~0.4 here (24 input channels).
static void check_float32_convolutions() {
  ensure_correct_convolutions();
  at::NoGradGuard no_grad;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor x = at::cos(at::arange(2 * 24 * 16 * 16, f64) * 0.013).view({2, 24, 16, 16});
  const at::Tensor w = at::sin(at::arange(8 * 24 * 3 * 3, f64) * 0.7).view({8, 24, 3, 3}) * 0.2;
  const at::Tensor ref = at::conv2d(x, w, {}, {2, 2}, {1, 1});
  const at::Tensor out = at::conv2d(x.to(at::kFloat), w.to(at::kFloat), {}, {2, 2}, {1, 1});
  expect_close(std::string("cpu float32 convolution (24 channels) vs float64, oneDNN ") +
                   (onednn_disabled() ? "off (it failed the check)" : "on"),
               out, ref, 1e-4);
}

void synthesis_checks(bool run_bench, int reps) {
  check_float32_convolutions();
  if (cuda_available()) compare_backends(at::Device(at::kCUDA, 0));
  if (!run_bench) return;
  std::vector<at::Device> devices;
  if (cuda_available()) devices.emplace_back(at::kCUDA, 0);
  devices.emplace_back(at::kCPU);
  for (const at::Device& d : devices) {
    // Frames per stage set: enough for a steady rate (CPU frames take ~0.1 s each here).
    const int64_t frames = d.is_cuda() ? 16 * reps : 16;
    bench_render(d, false, false, frames);
    bench_render(d, true, false, frames);
    const double fps = bench_render(d, true, true, frames);
    const double a2e_seconds = bench_a2e(d);
    // 10 s of speech: expressions first, then every frame through every stage.
    std::printf("{\"case\":\"synthesize-end-to-end\",\"backend\":\"%s\",\"stages\":\"head+color+inpainter\","
                "\"audio_seconds\":10,\"frames\":250,\"end_to_end_fps\":%.2f,\"source\":\"native_check\"}\n",
                backend_name(d), 250 / (a2e_seconds + 250 / fps));
    std::fflush(stdout);
  }
}

}  // namespace check
}  // namespace ggt
