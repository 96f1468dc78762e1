#include "networks.h"
#include "../common/conv_check.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <mutex>

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

// y [B, O, 2h, 2w] += the phases z [B, 4 O, h + 1, w + 1] (upsampled_phases) interleaved.
at::Tensor& add_phases_(at::Tensor& y, const at::Tensor& z, int64_t O) {
  const int64_t h = y.size(2) / 2, wd = y.size(3) / 2;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) phase_of(y, a, b).add_(z.narrow(1, (2 * a + b) * O, O).narrow(2, a, h).narrow(3, b, wd));
  return y;
}

// y += conv3x3(upsample2(x), w) (padding 1, no bias), in place: y [B, O, 2h, 2w], x [B, I, h, w],
// w [O, I, 3, 3]. Equal to the upsampled convolution up to float rounding (taps summed first).
at::Tensor& add_upsampled_conv3x3_(at::Tensor& y, const at::Tensor& x, const at::Tensor& w) {
  return add_phases_(y, upsampled_phases(x, w), w.size(0));
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
  const at::Tensor w_sh0 = w0.narrow(1, 0, 3).t();  // [3, hidden]
  if (in_place && sh0.device().is_cpu()) {
    // Rendering on the CPU: every layer as a 1x1 convolution of a channels-last view of the
    // rows [rows, C] (as [16, C, rows / 16, 1]), which oneDNN runs ~2x faster than the BLAS
    // GEMM of at::linear (52k Gaussians, hidden 64, 2 cores: 2.3 vs 4-7 ms per hidden layer),
    // and with no BLAS call per frame at all: OpenBLAS's own threads spin (sched_yield) for a
    // while after each call, taking a core from LibTorch's threads (10 % of a synthesis profile).
    // The rows are padded to a multiple of kGroups (oneDNN takes 1x1 convolutions of batch
    // >= 16); padding rows are zeros and dropped.
    constexpr int64_t kGroups = 16;
    ggt::ensure_correct_convolutions();  // LibTorch 2.6 + oneDNN 3.7: see common/conv_check.h
    const int64_t N = sh0.size(0), rows = (N + kGroups - 1) / kGroups * kGroups;
    auto planes = [&](const at::Tensor& t) { return t.view({kGroups, rows / kGroups, 1, t.size(1)}).permute({0, 3, 1, 2}); };
    auto rows_of = [&](const at::Tensor& y) { return y.permute({0, 2, 3, 1}).reshape({rows, y.size(1)}); };
    auto conv1x1 = [&](const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
      return rows_of(at::conv2d(planes(x), w.reshape({w.size(0), w.size(1), 1, 1}), b));  // [rows, out]
    };
    at::Tensor x = at::zeros({rows, 3}, sh0.options());  // [rows, 3]
    x.narrow(0, 0, N).copy_(sh0);
    // The code's share as a product and sum (a [hidden, C] x [C] GEMV is no work for BLAS).
    const at::Tensor b0 = (w0.narrow(1, 3, cfg.code_dim) * code).sum(1) + get(p, prefix + "l0.bias");  // [hidden]
    x = conv1x1(x, w0.narrow(1, 0, 3), b0);
    at::silu_(x);
    for (int64_t i = 1; i < cfg.layers; ++i) {
      const std::string n = prefix + "l" + std::to_string(i);
      x = conv1x1(x, get(p, n + ".weight"), get(p, n + ".bias"));
      at::silu_(x);
    }
    return sh0 + conv1x1(x, get(p, prefix + "out.weight"), get(p, prefix + "out.bias")).narrow(0, 0, N);
  }
  auto act = [in_place](at::Tensor t) { return in_place ? at::silu_(t) : at::silu(t); };
  at::Tensor x = act(at::addmm(code_term, sh0, w_sh0));  // [N, hidden]
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

// ---- The inpainter through a per-stream workspace (networks.h) ----

namespace {

// Rows [y0, y1) x columns [x0, x1) of one level's grid.
struct Box {
  int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  bool empty() const { return y0 >= y1 || x0 >= x1; }
};

Box unite(const Box& a, const Box& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {std::min(a.y0, b.y0), std::max(a.y1, b.y1), std::min(a.x0, b.x0), std::max(a.x1, b.x1)};
}

// Where a 3x3 convolution (padding 1) of stride 1 or 2 over an input differing in `in` can
// differ, on its H x W output grid: output o reads inputs s o - 1 .. s o + 1.
Box conv_reach(const Box& in, int64_t stride, int64_t H, int64_t W) {
  if (in.empty()) return {};
  auto lo = [stride](int64_t a) { return stride == 1 ? a - 1 : a / 2; };       // first o with s o + 1 >= a
  auto hi = [stride](int64_t b) { return stride == 1 ? b + 1 : b / 2 + 1; };   // past the last o with s o - 1 <= b - 1
  return {std::max<int64_t>(lo(in.y0), 0), std::min(hi(in.y1), H), std::max<int64_t>(lo(in.x0), 0), std::min(hi(in.x1), W)};
}

at::Tensor silu_of(at::Tensor t) { return at::silu_(t); }

at::Tensor crop(const at::Tensor& t, const Box& b) { return t.narrow(2, b.y0, b.y1 - b.y0).narrow(3, b.x0, b.x1 - b.x0); }

// x's rows [r0, r1) x columns [c0, c1) (which may reach past x by up to its padding), the part
// outside x zero-padded as a padding-1 convolution pads it.
at::Tensor padded_window(const at::Tensor& x, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const int64_t H = x.size(2), W = x.size(3);
  const Box inside{std::max<int64_t>(r0, 0), std::min(r1, H), std::max<int64_t>(c0, 0), std::min(c1, W)};
  const at::Tensor w = crop(x, inside);
  const int64_t top = inside.y0 - r0, bottom = r1 - inside.y1, left = inside.x0 - c0, right = c1 - inside.x1;
  return top || bottom || left || right ? at::constant_pad_nd(w, {left, right, top, bottom}) : w;
}

// conv3x3(x, w, b; stride, padding 1) on the output box `out` only: [1, O, out rows, out cols].
at::Tensor conv_on(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t stride, const Box& out) {
  const at::Tensor win = padded_window(x, stride * out.y0 - 1, stride * (out.y1 - 1) + 2, stride * out.x0 - 1, stride * (out.x1 - 1) + 2);
  return at::conv2d(win.contiguous(at::MemoryFormat::ChannelsLast), w, b, {stride, stride}, at::IntArrayRef{0, 0});
}

}  // namespace

struct InpainterWorkspace {
  std::mutex mutex;
  // What the background activations were computed for.
  int64_t channels = 0, levels = 0;
  std::vector<std::pair<const void*, int64_t>> weights;  // (tensor, version) of each weight
  at::Tensor background;                                 // [1, 3, H, W]
  // Activations of the background ([0, 0, background, 0]) and of the last frame, NHWC, in the
  // order: input [1, 8, H, W], in, down.0 .. down.(L-1), up.(L-1) .. up.0, out [1, 3, H, W];
  // and where the last frame's differ from the background's.
  std::vector<at::Tensor> reference, current;
  std::vector<Box> changed;
  at::Tensor frame;  // the background's frame [1, 3, H, W]: the background plus its residual
};

std::shared_ptr<InpainterWorkspace> make_inpainter_workspace() { return std::make_shared<InpainterWorkspace>(); }

int64_t inpainter_workspace_bytes(InpainterWorkspace& ws) {
  std::lock_guard<std::mutex> lock(ws.mutex);
  int64_t bytes = 0;
  auto add = [&](const at::Tensor& t) {
    if (t.defined()) bytes += static_cast<int64_t>(t.nbytes());
  };
  add(ws.background);
  add(ws.frame);
  for (const auto& list : {&ws.reference, &ws.current})
    for (const at::Tensor& t : *list) add(t);
  return bytes;
}

at::Tensor inpainter_forward_reusing(const InpainterConfig& cfg, const ParamMap& p, const std::string& prefix,
                                     const at::Tensor& head, const at::Tensor& alpha, const at::Tensor& background,
                                     const at::Tensor& region, InpainterWorkspace& ws) {
  TORCH_CHECK(head.dim() == 4 && head.size(0) == 1, "the inpainter's workspace takes one frame at a time, received ", head.sizes());
  std::unique_lock<std::mutex> lock(ws.mutex, std::try_to_lock);
  if (!lock.owns_lock()) return inpainter_forward(cfg, p, prefix, head, alpha, background, region);  // in use by another call
  const at::NoGradGuard no_grad;
  ggt::ensure_correct_convolutions();  // LibTorch 2.6 + oneDNN 3.7: see common/conv_check.h
  const auto cl = at::MemoryFormat::ChannelsLast;
  const int64_t H = head.size(2), W = head.size(3), L = cfg.levels;
  const int64_t m = int64_t{1} << L;
  TORCH_CHECK(H % m == 0 && W % m == 0, "expected the inpainter's image size divisible by ", m, " (2^levels), received ", H, "x", W);
  TORCH_CHECK(alpha.sizes() == at::IntArrayRef({1, 1, H, W}) && region.sizes() == at::IntArrayRef({1, 1, H, W}) &&
                  background.sizes() == at::IntArrayRef({1, 3, H, W}),
              "expected the inpainter's alpha and region [1, 1, ", H, ", ", W, "] and background [1, 3, ", H, ", ", W, "]");
  auto weight = [&](const std::string& name) { return get(p, prefix + name + ".weight").contiguous(cl); };
  auto bias = [&](const std::string& name) { return get(p, prefix + name + ".bias"); };
  const Shapes shapes = inpainter_shapes(cfg);
  std::vector<std::pair<const void*, int64_t>> key;
  for (const auto& [name, shape] : shapes) {
    const at::Tensor& t = get(p, prefix + name);
    key.emplace_back(t.unsafeGetTensorImpl(), static_cast<int64_t>(t._version()));
  }
  // Layer k's grid: input, in and up.0 at level 0, down.l at level l + 1, up.l at level l.
  const int64_t K = 2 * L + 3;
  auto level_of = [L](int64_t k) { return k <= 1 ? 0 : k <= L + 1 ? k - 1 : k < 2 * L + 2 ? 2 * L + 1 - k : 0; };


  // Layer k over box `out` of its grid, from the current activations of the layers before it.
  auto compute = [&](int64_t k, const Box& out) -> at::Tensor {
    if (k == 1) return silu_of(conv_on(ws.current[0], weight("in"), bias("in"), 1, out));
    if (k <= L + 1) {
      const std::string n = "down." + std::to_string(k - 2);
      return silu_of(conv_on(ws.current[k - 1], weight(n), bias(n), 2, out));
    }
    if (k == K - 1) return conv_on(ws.current[K - 2], weight("out"), bias("out"), 1, out);
    // up.l = conv(cat(upsample2(u), skip)): `out` has even bounds (the caller makes them so).
    const int64_t l = 2 * L + 1 - k;
    const std::string n = "up." + std::to_string(l);
    const at::Tensor& u = ws.current[k - 1];
    const at::Tensor& skip = ws.current[l + 1];
    const at::Tensor w = get(p, prefix + n + ".weight");
    const int64_t up = u.size(1);
    at::Tensor y = conv_on(skip, w.narrow(1, up, w.size(1) - up).contiguous(cl), bias(n), 1, out);
    // The low-resolution rows i0 - 1 .. i1 around the box's i0 .. i1 - 1, zero-padded as padding
    // 1 pads them: the phases' 2x2 windows over them (upsampled_phases without padding).
    const at::Tensor win = padded_window(u, out.y0 / 2 - 1, out.y1 / 2 + 1, out.x0 / 2 - 1, out.x1 / 2 + 1);
    const at::Tensor z = at::conv2d(win.contiguous(cl), subpixel_weight(w.narrow(1, 0, up)).contiguous(cl), {}, {1, 1}, at::IntArrayRef{0, 0});
    add_phases_(y, z, w.size(0));
    return at::silu_(y);
  };
  auto full = [&](int64_t k) {
    const int64_t s = int64_t{1} << level_of(k);
    return Box{0, H / s, 0, W / s};
  };

  const bool same = ws.channels == cfg.channels && ws.levels == L && ws.weights == key && ws.background.defined() &&
                    ws.background.device() == background.device() && ws.background.sizes() == background.sizes() && at::equal(ws.background, background);
  if (!same) {
    // The background's activations, every layer on its whole grid.
    ws.channels = cfg.channels;
    ws.levels = L;
    ws.weights = key;
    ws.background = background.contiguous().clone();
    ws.current.assign(K, at::Tensor());
    ws.changed.assign(K, Box{});
    ws.current[0] = at::cat({at::zeros({1, 4, H, W}, head.options()), background, at::zeros({1, 1, H, W}, head.options())}, 1).contiguous(cl);
    for (int64_t k = 1; k < K; ++k) ws.current[k] = compute(k, full(k)).contiguous(cl);
    ws.reference.clear();
    for (const at::Tensor& t : ws.current) ws.reference.push_back(t.clone(cl));
    ws.frame = (ws.background + ws.reference[K - 1]).contiguous();
  }

  // Where this frame's input differs from the background's: its head, alpha and region.
  const at::Tensor differs = (region[0][0] > 0).logical_or_(alpha[0][0] > 0).logical_or_(head[0].ne(0).any(0));  // [H, W]
  Box box;
  const at::Tensor rows = differs.any(1).nonzero(), cols = differs.any(0).nonzero();
  if (rows.numel() > 0) box = {rows.min().item<int64_t>(), rows.max().item<int64_t>() + 1, cols.min().item<int64_t>(), cols.max().item<int64_t>() + 1};

  for (int64_t k = 0; k < K; ++k) {
    const int64_t s = int64_t{1} << level_of(k);
    Box out;
    if (k == 0) {
      out = box;
    } else if (k <= L + 1) {
      out = conv_reach(ws.changed[k - 1], k == 1 ? 1 : 2, H / s, W / s);
    } else if (k == K - 1) {
      out = conv_reach(ws.changed[K - 2], 1, H, W);
    } else {
      const int64_t l = 2 * L + 1 - k;
      const Box& u = ws.changed[k - 1];
      const Box upsampled = u.empty() ? Box{} : Box{2 * u.y0, 2 * u.y1, 2 * u.x0, 2 * u.x1};
      out = conv_reach(unite(upsampled, ws.changed[l + 1]), 1, H / s, W / s);
      if (!out.empty()) out = {out.y0 / 2 * 2, (out.y1 + 1) / 2 * 2, out.x0 / 2 * 2, (out.x1 + 1) / 2 * 2};  // whole phases
    }
    // Back to the background where the last frame changed layer k outside this frame's box
    // (the strips of the old box above, below, left and right of the new one), then the box.
    const Box old = ws.changed[k];
    auto restore = [&](const Box& b) {
      if (!b.empty()) crop(ws.current[k], b).copy_(crop(ws.reference[k], b));
    };
    if (out.empty()) {
      restore(old);
    } else if (!old.empty()) {
      const int64_t top = std::min(old.y1, out.y0), bottom = std::max(old.y0, out.y1);
      restore({old.y0, top, old.x0, old.x1});
      restore({bottom, old.y1, old.x0, old.x1});
      const int64_t y0 = std::max(old.y0, top), y1 = std::min(old.y1, bottom);
      restore({y0, y1, old.x0, std::min(old.x1, out.x0)});
      restore({y0, y1, std::max(old.x0, out.x1), old.x1});
    }
    ws.changed[k] = out;
    if (out.empty()) continue;
    if (k == 0) {
      const at::Tensor r = crop(region, out);
      crop(ws.current[0], out).copy_(at::cat({crop(head, out), crop(alpha, out), crop(background, out) * (1 - r), r}, 1));
    } else {
      crop(ws.current[k], out).copy_(compute(k, out));
    }
  }
  // The frame, the alpha composite plus the residual as inpainter_forward makes it, is the
  // background's frame outside the box where the residual changed: the composite is the
  // background itself outside the (smaller) box where the input changed.
  at::Tensor frame = ws.frame.clone();
  const Box& out = ws.changed[K - 1];
  if (!out.empty()) {
    const at::Tensor a = crop(alpha, out);
    crop(frame, out).copy_(crop(head, out) + (1 - a) * (crop(background, out) * (1 - crop(region, out))) + crop(ws.current[K - 1], out));
  }
  return frame;
}

}  // namespace avatar
}  // namespace ggt
