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

// The four sub-pixel phases of a 3x3 convolution (padding 1) over a nearest-neighbour 2x
// upsampling, as one 2x2 convolution of the low-resolution input. Along one axis, output row
// 2i + a reads upsampled rows 2i + a - 1 .. 2i + a + 1, which are low-resolution rows
// (i - 1, i, i) for a = 0 and (i, i, i + 1) for a = 1: kernel rows (k0 | k1 + k2) on rows
// (i - 1, i) and (k0 + k1 | k2) on rows (i, i + 1). Padded by 1, a 2x2 window at output
// position r covers rows r - 1 and r, so phase a of row i is window row i + a.
// w [O, I, 3, 3] -> [4 O, I, 2, 2], phase (a, b) in rows (2 a + b) O .. (2 a + b + 1) O.
at::Tensor subpixel_weight(const at::Tensor& w) {
  auto fold = [](const at::Tensor& k, int64_t dim, int a) {
    const at::Tensor k0 = k.narrow(dim, 0, 1), k1 = k.narrow(dim, 1, 1), k2 = k.narrow(dim, 2, 1);
    return a == 0 ? at::cat({k0, k1 + k2}, dim) : at::cat({k0 + k1, k2}, dim);
  };
  std::vector<at::Tensor> phases;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) phases.push_back(fold(fold(w, 2, a), 3, b));
  return at::cat(phases, 0);
}

// The phases of conv3x3(upsample2(x), w) [B, 4 O, h + 1, w + 1] (no bias), computed at x's
// resolution: 16 instead of 36 multiply-adds per low-resolution pixel and input channel.
at::Tensor upsampled_phases(const at::Tensor& x, const at::Tensor& w) {
  return at::conv2d(x, subpixel_weight(w).contiguous(at::MemoryFormat::ChannelsLast), {}, {1, 1}, {1, 1});
}

// View of y [B, O, 2h, 2w] as its phase (a, b): [B, O, h, w], y[:, :, 2i + a, 2j + b].
at::Tensor phase_of(const at::Tensor& y, int a, int b) {
  const int64_t h = y.size(2) / 2, w = y.size(3) / 2;
  return y.as_strided({y.size(0), y.size(1), h, w}, {y.stride(0), y.stride(1), 2 * y.stride(2), 2 * y.stride(3)},
                      y.storage_offset() + a * y.stride(2) + b * y.stride(3));
}

// y += conv3x3(upsample2(x), w) (padding 1, no bias), in place: y [B, O, 2h, 2w], x [B, I, h, w],
// w [O, I, 3, 3]. Equal to the upsampled convolution up to float rounding (taps summed first).
at::Tensor& add_upsampled_conv3x3_(at::Tensor& y, const at::Tensor& x, const at::Tensor& w) {
  const int64_t O = w.size(0), h = x.size(2), wd = x.size(3);
  const at::Tensor z = upsampled_phases(x, w);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) phase_of(y, a, b).add_(z.narrow(1, (2 * a + b) * O, O).narrow(2, a, h).narrow(3, b, wd));
  return y;
}

// conv3x3(upsample2(x), w) as a new tensor (differentiable): the phases interleaved.
at::Tensor upsampled_conv3x3(const at::Tensor& x, const at::Tensor& w) {
  const int64_t O = w.size(0), h = x.size(2), wd = x.size(3), B = x.size(0);
  const at::Tensor z = upsampled_phases(x, w);
  std::vector<at::Tensor> rows;  // phase a: [B, O, h, w, 2] (b interleaved last)
  for (int a = 0; a < 2; ++a) {
    std::vector<at::Tensor> cols;
    for (int b = 0; b < 2; ++b) cols.push_back(z.narrow(1, (2 * a + b) * O, O).narrow(2, a, h).narrow(3, b, wd));
    rows.push_back(at::stack(cols, -1));
  }
  return at::stack(rows, 3).reshape({B, O, 2 * h, 2 * wd});  // [B, O, h, 2, w, 2] -> [B, O, 2h, 2w]
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
  ggt::ensure_correct_convolutions();  // LibTorch 2.6 + oneDNN 3.7: see common/conv_check.h
  // Activations are channels-last (NHWC): oneDNN convolves them in place of reordering every
  // NCHW input and output to its blocked layout (measured at 512², 2 cores: 2-6x faster for
  // the 8- and 3-channel layers, 1.2-1.4x for the rest).
  const auto cl = at::MemoryFormat::ChannelsLast;
  const bool in_place = !at::GradMode::is_enabled();  // rendering: SiLU in place, one buffer per layer
  auto act = [in_place](at::Tensor t) { return in_place ? at::silu_(t) : at::silu(t); };
  auto weight = [&](const std::string& name) { return get(p, prefix + name + ".weight").contiguous(cl); };
  auto bias = [&](const std::string& name) { return get(p, prefix + name + ".bias"); };
  const at::Tensor removed = background * (1 - region);
  at::Tensor x = at::cat({head, alpha, removed, region}, 1).contiguous(cl);  // [B, 8, H, W]
  x = act(at::conv2d(x, weight("in"), bias("in"), {1, 1}, {1, 1}));
  std::vector<at::Tensor> skips;
  for (int64_t l = 0; l < cfg.levels; ++l) {
    skips.push_back(x);
    const std::string n = "down." + std::to_string(l);
    x = act(at::conv2d(x, weight(n), bias(n), {2, 2}, {1, 1}));
  }
  // up.l = conv3x3(cat(upsample2(x), skip)): the conv splits over the two inputs, and its
  // upsampled half runs at x's resolution (upsampled_conv3x3): no [B, 3 C_l, H_l, W_l] concat
  // or upsampled copy is made, and the upsampled half costs 16/9 MACs per pixel instead of 9.
  for (int64_t l = cfg.levels - 1; l >= 0; --l) {
    const std::string n = "up." + std::to_string(l);
    const at::Tensor w = get(p, prefix + n + ".weight");  // [C_l, 2 C_l + C_l, 3, 3]: upsampled x first, then the skip
    const int64_t up_channels = x.size(1);
    at::Tensor y = at::conv2d(skips[l], w.narrow(1, up_channels, w.size(1) - up_channels).contiguous(cl), bias(n), {1, 1}, {1, 1});
    y = in_place ? add_upsampled_conv3x3_(y, x, w.narrow(1, 0, up_channels))
                 : y + upsampled_conv3x3(x, w.narrow(1, 0, up_channels));
    x = act(y);
  }
  skips.clear();
  // The frame: the alpha composite plus the network's residual, back to contiguous NCHW.
  at::Tensor frame = head + (1 - alpha) * removed;  // [B, 3, H, W]
  const at::Tensor residual = at::conv2d(x, weight("out"), bias("out"), {1, 1}, {1, 1});
  return in_place ? frame.add_(residual) : frame + residual.contiguous();
}

}  // namespace avatar
}  // namespace ggt
