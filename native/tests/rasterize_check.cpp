// The rasterizer's checks in ggtalker_native_check: CPU vs the float64 reference, CUDA vs CPU
// (rasterizer and FLAME + rigging), and --bench timings of the DESIGN.md §8 scenes.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "check_util.h"
#include "checks.h"
#include "render/bench_scenes.h"
#include "render/rasterize.h"
#include "render/reference_rasterize.h"
#include "rig/flame.h"
#include "rig/rig.h"


using namespace ggt::render;
using namespace ggt::check;

namespace {

struct Run {
  RasterOutputs out;
  std::vector<at::Tensor> grads;  // means, quats, scales, opacities, colors
};

// Renders `s` on `device` (float64 reference when `reference`) and back-propagates
// sum(image * w_image + alpha * w_alpha + depth * w_depth).
Run render_with_grads(const GaussianScene& s, const at::Device& device, RasterMode mode, bool reference,
                      const std::vector<at::Tensor>& weights) {
  std::vector<at::Tensor> in{s.means, s.quats, s.scales, s.opacities, s.colors};
  for (auto& t : in) t = t.to(device).detach().requires_grad_(true);
  RasterSettings settings{s.camera, {0.1f, 0.2f, 0.3f}, mode};
  Run r;
  r.out = reference ? reference_rasterize(in[0], in[1], in[2], in[3], in[4], settings)
                    : rasterize(in[0], in[1], in[2], in[3], in[4], settings);
  const auto dt = r.out.image.scalar_type();
  at::Tensor loss = (r.out.image * weights[0].to(device, dt)).sum() + (r.out.alpha * weights[1].to(device, dt)).sum() +
                    (r.out.depth * weights[2].to(device, dt)).sum();
  loss.backward();
  for (auto& t : in) r.grads.push_back(t.grad().to(at::kCPU, at::kDouble));
  return r;
}

void compare(const std::string& label, const GaussianScene& s, const at::Device& dev_a, bool ref_a,
             const at::Device& dev_b, bool ref_b, double image_tol, double grad_tol) {
  const char* names[5] = {"means", "quats", "scales", "opacities", "colors"};
  const int64_t h = s.camera.height, w = s.camera.width;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const std::vector<at::Tensor> weights{at::rand({h, w, 3}, gen) - 0.5, at::rand({h, w}, gen) - 0.5,
                                        at::rand({h, w}, gen) - 0.5};
  for (RasterMode mode : {RasterMode::kClassic, RasterMode::kAntialiased}) {
    const std::string m = label + (mode == RasterMode::kClassic ? " classic" : " antialiased");
    const Run a = render_with_grads(s, dev_a, mode, ref_a, weights);
    const Run b = render_with_grads(s, dev_b, mode, ref_b, weights);
    expect_close(m + " image", a.out.image, b.out.image, image_tol);
    expect_close(m + " alpha", a.out.alpha, b.out.alpha, image_tol);
    expect_close(m + " depth", a.out.depth, b.out.depth, image_tol);
    for (int i = 0; i < 5; ++i) expect_close(m + " d/d" + names[i], a.grads[i], b.grads[i], grad_tol);
  }
}

// FLAME forward + rigging on `device` for a random FLAME-format model; returns the rigged
// means, scales, quats and the gradient of a weighted sum to the jaw pose and offsets.
std::vector<at::Tensor> rig_run(const at::Device& device) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const int64_t v = 300, f = 500, n = 2000;
  ggt::rig::FlameModelTensors m;
  m.v_template = at::randn({v, 3}, gen) * 0.1;
  m.shapedirs = at::randn({v, 3, 10}, gen) * 0.01;
  m.exprdirs = at::randn({v, 3, 5}, gen) * 0.01;
  m.posedirs = at::randn({v, 3, 36}, gen) * 0.001;
  m.j_regressor = at::softmax(at::randn({5, v}, gen), 1);
  m.lbs_weights = at::softmax(at::randn({v, 5}, gen) * 3, 1);
  m.parents = {-1, 0, 1, 1, 1};
  const at::Tensor faces = at::randint(0, v, {f, 3}, gen, at::kLong);
  ggt::rig::LocalGaussians g{at::randint(0, f, {n}, gen, at::kLong), at::Tensor(), at::randn({n, 3}, gen) * 0.3,
                             at::randn({n, 3}, gen) * 0.3 - 1, at::randn({n, 4}, gen)};
  ggt::rig::FlameParams p;
  p.jaw = (at::randn({4, 3}, gen) * 0.3).to(device).requires_grad_(true);
  p.expr = (at::randn({4, 5}, gen)).to(device);
  for (at::Tensor* t : {&m.v_template, &m.shapedirs, &m.exprdirs, &m.posedirs, &m.j_regressor, &m.lbs_weights})
    *t = t->to(device);
  for (at::Tensor* t : {&g.face, &g.offset, &g.log_scale, &g.quat}) *t = t->to(device);
  g.offset.requires_grad_(true);
  const ggt::rig::FlameOutput out = ggt::rig::flame_forward(m, p);
  const ggt::rig::RiggedGaussians r = ggt::rig::rig_gaussians(out.vertices, faces.to(device), g);
  const at::Tensor w = at::randn(r.means.sizes(), gen).to(device);
  ((r.means * w).sum() + r.scales.sum() + r.quats.sum()).backward();
  return {r.means, r.scales, r.quats, p.jaw.grad(), g.offset.grad()};
}

void bench(const std::string& name, const at::Device& device, int reps) {
  const GaussianScene s = make_bench_scene(name, 0);
  std::vector<at::Tensor> in{s.means, s.quats, s.scales, s.opacities, s.colors};
  for (auto& t : in) t = t.to(device).detach().requires_grad_(true);
  const RasterSettings settings{s.camera, {0.f, 0.f, 0.f}, RasterMode::kClassic};
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const at::Tensor weight = at::rand({s.camera.height, s.camera.width, 3}, gen).to(device);
  using clock = std::chrono::steady_clock;
  std::vector<double> fwd, bwd;
  for (int r = 0; r < reps + 2; ++r) {  // the first two are warm-up
    synchronize(device);
    const auto t0 = clock::now();
    const RasterOutputs out = rasterize(in[0], in[1], in[2], in[3], in[4], settings);
    synchronize(device);
    const auto t1 = clock::now();
    (out.image * weight).sum().backward();
    synchronize(device);
    const auto t2 = clock::now();
    for (auto& t : in) t.mutable_grad().reset();
    if (r >= 2) {
      fwd.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      bwd.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
  }
  std::printf("{\"case\":\"%s\",\"backend\":\"%s\",\"threads\":%d,\"n\":%lld,\"width\":%d,\"height\":%d,"
              "\"forward_ms\":%.3f,\"backward_ms\":%.3f,\"source\":\"native_check\"}\n",
              name.c_str(), backend_name(device), device.is_cuda() ? 0 : at::get_num_threads(),
              static_cast<long long>(s.means.size(0)), s.camera.width, s.camera.height, median(fwd), median(bwd));
  std::fflush(stdout);
}

}  // namespace

namespace ggt {
namespace check {

void rasterize_checks(bool run_bench, int reps) {
  const at::Device cpu(at::kCPU);
  compare("cpu vs float64 reference (small)", make_bench_scene("small", 3), cpu, false, cpu, true, 1e-4, 1e-3);
  if (cuda_available()) {
    const at::Device cuda(at::kCUDA, 0);
    compare("cuda vs cpu (small)", make_bench_scene("small", 4), cuda, false, cpu, false, 1e-4, 1e-3);
    compare("cuda vs cpu (head)", make_bench_scene("head", 5), cuda, false, cpu, false, 1e-4, 1e-3);
    const auto rig_cpu = rig_run(cpu), rig_cuda = rig_run(cuda);
    const char* rig_names[5] = {"means", "scales", "quats", "d/djaw", "d/doffset"};
    for (int i = 0; i < 5; ++i)
      expect_close(std::string("flame+rig cuda vs cpu ") + rig_names[i], rig_cuda[i], rig_cpu[i], 1e-4);
  }
  if (run_bench) {
    for (const char* name : {"head", "scene"}) {
      if (cuda_available()) bench(name, at::Device(at::kCUDA, 0), reps);
      bench(name, cpu, name == std::string("scene") ? std::max(1, reps / 3) : reps);
    }
  }
}

}  // namespace check
}  // namespace ggt
