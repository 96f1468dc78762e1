#include "networks.h"
#include "../common/conv_check.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ggt {
namespace avatar {
namespace {

bool power_of_two_multiple(int64_t big, int64_t small) {
  if (small < 1 || big < small || big % small != 0) return false;
  const int64_t r = big / small;
  return (r & (r - 1)) == 0;
}

int64_t log2_ratio(int64_t big, int64_t small) {
  TORCH_CHECK(small >= 1 && big >= 1, "expected positive sizes, received ", big, " and ", small);
  int64_t k = 0;
  while ((small << k) < big) ++k;
  return k;
}

void add_conv(Shapes& s, const std::string& name, int64_t out, int64_t in, int64_t k = 3) {
  s.push_back({name + ".weight", {out, in, k, k}});
  s.push_back({name + ".bias", {out}});
}

void add_linear(Shapes& s, const std::string& name, int64_t out, int64_t in) {
  s.push_back({name + ".weight", {out, in}});
  s.push_back({name + ".bias", {out}});
}

const at::Tensor& get(const ParamMap& p, const std::string& name) {
  const auto it = p.find(name);
  TORCH_CHECK(it != p.end(), "missing network parameter ", name);
  return it->second;
}

at::Tensor conv(const ParamMap& p, const std::string& name, const at::Tensor& x, int64_t stride = 1) {
  ggt::ensure_correct_convolutions();  // LibTorch 2.6 + oneDNN 3.7: see common/conv_check.h
  return at::conv2d(x, get(p, name + ".weight"), get(p, name + ".bias"), {stride, stride}, {1, 1});
}

at::Tensor upsample2(const at::Tensor& x) {
  return at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
}

std::vector<int64_t> generator_widths(const GeneratorConfig& cfg) {
  std::vector<int64_t> w;
  const int64_t down = log2_ratio(cfg.image_size, cfg.latent_size);
  for (int64_t i = 0; i < down; ++i) w.push_back(std::min(cfg.channels << i, cfg.max_channels));
  return w;
}

}  // namespace

void GeneratorConfig::validate() const {
  TORCH_CHECK(power_of_two_multiple(image_size, latent_size), "expected generator imageSize (", image_size,
              ") to be latentSize (", latent_size, ") times a power of two");
  TORCH_CHECK(power_of_two_multiple(uv_size, latent_size), "expected generator uvSize (", uv_size,
              ") to be latentSize (", latent_size, ") times a power of two");
  TORCH_CHECK(image_size > latent_size, "expected generator imageSize > latentSize");
  TORCH_CHECK(channels >= 1 && max_channels >= channels, "expected 1 <= generator channels <= maxChannels");
}

void ColorMlpConfig::validate() const {
  TORCH_CHECK(code_dim >= 0 && hidden >= 1 && layers >= 1, "expected colour MLP codeDim >= 0, hidden >= 1, layers >= 1");
}

void InpainterConfig::validate() const {
  TORCH_CHECK(channels >= 1 && levels >= 1 && levels <= 6, "expected inpainter channels >= 1 and 1 <= levels <= 6");
}

Shapes generator_shapes(const GeneratorConfig& cfg) {
  cfg.validate();
  Shapes s;
  const std::vector<int64_t> w = generator_widths(cfg);
  int64_t in = 3;
  for (size_t i = 0; i < w.size(); ++i) {
    add_conv(s, "enc." + std::to_string(i), w[i], in);
    in = w[i];
  }
  const int64_t up = log2_ratio(cfg.uv_size, cfg.latent_size);
  for (int64_t j = 0; j < up; ++j) {
    const int64_t out = std::max(cfg.channels, in / 2);
    add_conv(s, "dec." + std::to_string(j), out, in);
    in = out;
  }
  add_conv(s, "out", 14, in);
  s.push_back({"base", {cfg.uv_size, cfg.uv_size, 14}});
  return s;
}

Shapes color_mlp_shapes(const ColorMlpConfig& cfg) {
  cfg.validate();
  Shapes s;
  int64_t in = 3 + cfg.code_dim;
  for (int64_t i = 0; i < cfg.layers; ++i) {
    add_linear(s, "l" + std::to_string(i), cfg.hidden, in);
    in = cfg.hidden;
  }
  add_linear(s, "out", 3, in);
  return s;
}

Shapes inpainter_shapes(const InpainterConfig& cfg) {
  cfg.validate();
  Shapes s;
  add_conv(s, "in", cfg.channels, 8);
  for (int64_t l = 0; l < cfg.levels; ++l) add_conv(s, "down." + std::to_string(l), cfg.channels << (l + 1), cfg.channels << l);
  for (int64_t l = cfg.levels - 1; l >= 0; --l)
    add_conv(s, "up." + std::to_string(l), cfg.channels << l, (cfg.channels << (l + 1)) + (cfg.channels << l));
  add_conv(s, "out", 3, cfg.channels);
  return s;
}

ParamMap init_params(const Shapes& shapes, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  ParamMap p;
  for (const auto& [name, shape] : shapes) {
    const bool zero = name == "base" || name.rfind("out.", 0) == 0 || (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0);
    if (zero) {
      p[name] = at::zeros(shape, f32);
      continue;
    }
    int64_t fan_in = 1;
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    // Kaiming-uniform for SiLU-ish units: U(-b, b), b = sqrt(6 / fan_in) / 2 (keeps activations O(1)).
    const double b = std::sqrt(6.0 / static_cast<double>(fan_in)) / 2;
    p[name] = at::rand(shape, gen, f32) * (2 * b) - b;
  }
  return p;
}

void check_params(const Shapes& shapes, const ParamMap& p, const std::string& prefix, const char* what) {
  for (const auto& [name, shape] : shapes) {
    const auto it = p.find(prefix + name);
    TORCH_CHECK(it != p.end() && it->second.defined(), "the ", what, " weights lack ", prefix + name,
                " (expected shape ", at::IntArrayRef(shape), ")");
    TORCH_CHECK(it->second.sizes() == at::IntArrayRef(shape), "expected ", what, " weight ", prefix + name, " of shape ",
                at::IntArrayRef(shape), ", received ", it->second.sizes());
  }
}

at::Tensor generator_forward(const GeneratorConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& image) {
  TORCH_CHECK(image.dim() == 4 && image.size(1) == 3 && image.size(2) == cfg.image_size && image.size(3) == cfg.image_size,
              "expected generator input images of shape [B, 3, ", cfg.image_size, ", ", cfg.image_size, "], received ",
              image.sizes());
  at::Tensor x = image * 2 - 1;
  const size_t down = generator_widths(cfg).size();
  for (size_t i = 0; i < down; ++i) x = at::silu(conv(p, prefix + "enc." + std::to_string(i), x, 2));
  const int64_t up = log2_ratio(cfg.uv_size, cfg.latent_size);
  for (int64_t j = 0; j < up; ++j) x = at::silu(conv(p, prefix + "dec." + std::to_string(j), upsample2(x)));
  const at::Tensor y = conv(p, prefix + "out", x).permute({0, 2, 3, 1});  // [B, uv, uv, 14]
  return y + get(p, prefix + "base").unsqueeze(0);
}

at::Tensor color_mlp_forward(const ColorMlpConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& sh0, const at::Tensor& code) {
  TORCH_CHECK(sh0.dim() == 2 && sh0.size(1) == 3, "expected colours of shape [N, 3], received ", sh0.sizes());
  TORCH_CHECK(code.dim() == 1 && code.size(0) == cfg.code_dim, "expected a colour-MLP code of ", cfg.code_dim,
              " values, received shape ", code.sizes());
  // The first layer sees [sh0, code]; the code is the same for every Gaussian, so its share
  // W_code · code + b [hidden] is computed once instead of per Gaussian (with FLAME's 100
  // expressions the code is 109 of the 112 inputs: the layer costs ~35x less).
  const at::Tensor w0 = get(p, prefix + "l0.weight");  // [hidden, 3 + code_dim]
  const at::Tensor code_term = at::linear(code.unsqueeze(0), w0.narrow(1, 3, cfg.code_dim), get(p, prefix + "l0.bias"));
  // Rendering (no autograd): activations in place, so each layer allocates one [N, hidden]
  // buffer instead of two (fresh memory costs page faults: ~3 ms per MiB on the benchmark VM).
  const bool in_place = !at::GradMode::is_enabled();
  auto act = [in_place](at::Tensor t) { return in_place ? at::silu_(t) : at::silu(t); };
  at::Tensor x = act(at::addmm(code_term, sh0, w0.narrow(1, 0, 3).t()));  // [N, hidden]
  for (int64_t i = 1; i < cfg.layers; ++i) {
    const std::string n = prefix + "l" + std::to_string(i);
    x = act(at::linear(x, get(p, n + ".weight"), get(p, n + ".bias")));
  }
  return sh0 + at::linear(x, get(p, prefix + "out.weight"), get(p, prefix + "out.bias"));
}

at::Tensor inpainter_forward(const InpainterConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& head, const at::Tensor& alpha, const at::Tensor& background,
                             const at::Tensor& region) {
  TORCH_CHECK(head.dim() == 4 && head.size(1) == 3, "expected the rendered head as [B, 3, H, W], received ", head.sizes());
  const int64_t H = head.size(2), W = head.size(3), m = int64_t{1} << cfg.levels;
  TORCH_CHECK(H % m == 0 && W % m == 0, "expected the inpainter's image size divisible by ", m, " (2^levels), received ",
              H, "x", W);
  const int64_t B = head.size(0);
  auto same = [&](const at::Tensor& t, int64_t channels, const char* name) {
    TORCH_CHECK(t.dim() == 4 && t.size(0) == B && t.size(1) == channels && t.size(2) == H && t.size(3) == W, "expected the inpainter's ",
                name, " of shape [", B, ", ", channels, ", ", H, ", ", W, "], received ", t.sizes());
  };
  same(alpha, 1, "alpha");
  same(background, 3, "background");
  same(region, 1, "region");
  const at::Tensor removed = background * (1 - region);
  const at::Tensor composite = head + (1 - alpha) * removed;
  at::Tensor x = at::silu(conv(p, prefix + "in", at::cat({head, alpha, removed, region}, 1)));
  std::vector<at::Tensor> skips;
  for (int64_t l = 0; l < cfg.levels; ++l) {
    skips.push_back(x);
    x = at::silu(conv(p, prefix + "down." + std::to_string(l), x, 2));
  }
  for (int64_t l = cfg.levels - 1; l >= 0; --l)
    x = at::silu(conv(p, prefix + "up." + std::to_string(l), at::cat({upsample2(x), skips[l]}, 1)));
  return composite + conv(p, prefix + "out", x);
}

}  // namespace avatar
}  // namespace ggt
