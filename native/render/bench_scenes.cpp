#include "bench_scenes.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ggt {
namespace render {
namespace {

at::Tensor log_uniform(int64_t n, double lo, double hi, at::Generator& gen) {
  return at::exp(at::rand({n, 3}, gen) * (std::log(hi) - std::log(lo)) + std::log(lo));
}

Camera looking_along_z(float distance, float focal, float centre, int32_t size) {
  Camera c{};
  for (int i = 0; i < 16; ++i) c.view[i] = (i % 5 == 0) ? 1.f : 0.f;
  c.view[11] = distance;  // world -> camera: translate +distance along z
  c.fx = c.fy = focal;
  c.cx = c.cy = centre;
  c.width = c.height = size;
  c.near_plane = 0.01f;
  c.far_plane = 100.f;
  return c;
}

}  // namespace

GaussianScene make_bench_scene(const std::string& name, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  GaussianScene s;
  int64_t n;
  if (name == "head" || name == "small") {
    n = name == "head" ? 100000 : 400;
    const at::Tensor dir = at::randn({n, 3}, gen);
    const at::Tensor radii = at::tensor({0.08f, 0.11f, 0.10f}).view({1, 3});
    s.means = dir / dir.norm(2, 1, true) * radii + 0.003 * at::randn({n, 3}, gen);
    s.scales = log_uniform(n, 0.001, 0.006, gen);
    s.camera = name == "head" ? looking_along_z(0.6f, 1100.f, 256.f, 512) : looking_along_z(0.6f, 137.5f, 32.f, 64);
  } else if (name == "scene") {
    n = 1000000;
    s.means = at::rand({n, 3}, gen) * 2 - 1;
    s.scales = log_uniform(n, 0.002, 0.02, gen);
    s.camera = looking_along_z(3.f, 1000.f, 512.f, 1024);
  } else {
    TORCH_CHECK(false, "expected a benchmark scene named head, scene or small, received '", name, "'");
  }
  const at::Tensor q = at::randn({n, 4}, gen);
  s.quats = q / q.norm(2, 1, true);
  s.opacities = at::rand({n}, gen) * 0.7 + 0.3;
  s.colors = at::rand({n, 3}, gen);
  return s;
}

}  // namespace render
}  // namespace ggt
