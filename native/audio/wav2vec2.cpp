#include "wav2vec2.h"
#include "../common/conv_check.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ggt {
namespace audio {
namespace {

// Finds `key` (an HF name without the "wav2vec2." prefix) under any of `aliases` and checks its shape.
class WeightTable {
 public:
  explicit WeightTable(const std::map<std::string, at::Tensor>& named) : named_(named) {}

  bool has(const std::string& key) const { return find(key) != nullptr; }

  at::Tensor get(const std::string& key, at::IntArrayRef shape, const std::vector<std::string>& aliases = {}) const {
    const at::Tensor* t = find(key);
    for (size_t i = 0; t == nullptr && i < aliases.size(); ++i) t = find(aliases[i]);
    TORCH_CHECK(t != nullptr, "the wav2vec2 weights lack ", key, " (also looked for wav2vec2.", key,
                aliases.empty() ? "" : " and its other names", ")");
    TORCH_CHECK(t->sizes() == shape, "expected wav2vec2 weight ", key, " of shape ", shape, ", received shape ",
                t->sizes());
    TORCH_CHECK(t->is_floating_point(), "expected wav2vec2 weight ", key, " to be floating point, received ",
                t->scalar_type());
    return t->to(at::kFloat);
  }

 private:
  const at::Tensor* find(const std::string& key) const {
    for (const std::string& name : {key, "wav2vec2." + key}) {
      const auto it = named_.find(name);
      if (it != named_.end()) return &it->second;
    }
    return nullptr;
  }
  const std::map<std::string, at::Tensor>& named_;
};

void check_config(const Wav2Vec2Config& c) {
  TORCH_CHECK(!c.conv_dim.empty() && c.conv_dim.size() == c.conv_kernel.size() &&
                  c.conv_dim.size() == c.conv_stride.size(),
              "expected as many wav2vec2 conv channels, kernels and strides, received ", c.conv_dim.size(), ", ",
              c.conv_kernel.size(), " and ", c.conv_stride.size());
  for (size_t i = 0; i < c.conv_dim.size(); ++i)
    TORCH_CHECK(c.conv_dim[i] > 0 && c.conv_kernel[i] > 0 && c.conv_stride[i] > 0,
                "expected positive wav2vec2 conv channels, kernel and stride, received ", c.conv_dim[i], ", ",
                c.conv_kernel[i], " and ", c.conv_stride[i], " for conv layer ", i);
  TORCH_CHECK(c.hidden > 0 && c.num_layers >= 0 && c.num_heads > 0 && c.intermediate > 0,
              "expected a positive wav2vec2 width, heads and FFN size, received ", c.hidden, ", ", c.num_heads,
              " and ", c.intermediate);
  TORCH_CHECK(c.hidden % c.num_heads == 0, "expected the wav2vec2 width ", c.hidden, " to divide into ", c.num_heads,
              " heads");
  TORCH_CHECK(c.pos_conv_kernel > 0 && c.pos_conv_groups > 0 && c.hidden % c.pos_conv_groups == 0,
              "expected a positive positional conv kernel and groups dividing the width ", c.hidden, ", received ",
              c.pos_conv_kernel, " and ", c.pos_conv_groups);
}

std::string layer_key(int64_t i, const char* rest) { return "encoder.layers." + std::to_string(i) + "." + rest; }

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, double eps) {
  return at::layer_norm(x, {x.size(-1)}, w, b, eps);
}

// x [T, H] -> [T, H]: multi-head self-attention, no mask (one utterance).
at::Tensor self_attention(const at::Tensor& x, const Wav2Vec2Weights::Layer& l, int64_t heads) {
  const int64_t T = x.size(0), H = x.size(1), d = H / heads;
  auto split = [&](const at::Tensor& t) { return t.view({T, heads, d}).transpose(0, 1); };  // [heads, T, d]
  const at::Tensor q = split(at::linear(x, l.q_w, l.q_b) * (1.0 / std::sqrt(static_cast<double>(d))));
  const at::Tensor k = split(at::linear(x, l.k_w, l.k_b));
  const at::Tensor v = split(at::linear(x, l.v_w, l.v_b));
  const at::Tensor attn = at::softmax(at::matmul(q, k.transpose(1, 2)), -1);  // [heads, T, T]
  const at::Tensor out = at::matmul(attn, v).transpose(0, 1).reshape({T, H});
  return at::linear(out, l.out_w, l.out_b);
}

at::Tensor feed_forward(const at::Tensor& x, const Wav2Vec2Weights::Layer& l) {
  return at::linear(at::gelu(at::linear(x, l.ff_in_w, l.ff_in_b)), l.ff_out_w, l.ff_out_b);
}

at::Tensor encoder_layer(const at::Tensor& x, const Wav2Vec2Weights::Layer& l, const Wav2Vec2Config& c) {
  const double eps = c.layer_norm_eps;
  if (c.layer_norm_first) {
    const at::Tensor h = x + self_attention(layer_norm(x, l.ln_w, l.ln_b, eps), l, c.num_heads);
    return h + feed_forward(layer_norm(h, l.final_ln_w, l.final_ln_b, eps), l);
  }
  const at::Tensor h = layer_norm(x + self_attention(x, l, c.num_heads), l.ln_w, l.ln_b, eps);
  return layer_norm(h + feed_forward(h, l), l.final_ln_w, l.final_ln_b, eps);
}

// samples [T] -> conv features [frames, C_last].
at::Tensor extract_features(const at::Tensor& samples, const Wav2Vec2Weights& w, const Wav2Vec2Config& c) {
  at::Tensor x = samples.view({1, 1, -1});  // [batch 1, channels 1, T]
  for (size_t i = 0; i < w.conv.size(); ++i) {
    const auto& l = w.conv[i];
    ggt::ensure_correct_convolutions();
    x = at::conv1d(x, l.weight, l.bias, {c.conv_stride[i]});  // [1, C_i, frames_i]
    if (c.extractor_layer_norm) {
      x = layer_norm(x.transpose(1, 2), l.norm_weight, l.norm_bias, c.layer_norm_eps).transpose(1, 2);
    } else if (i == 0) {
      x = at::group_norm(x, c.conv_dim[0], l.norm_weight, l.norm_bias, c.layer_norm_eps);  // per channel, over time
    }
    x = at::gelu(x);
  }
  return x[0].transpose(0, 1);
}

// x [T, H] -> GELU(weight-normed grouped conv over time) [T, H]; HF's SamePad drops the last
// frame of an even kernel so the output keeps T frames.
at::Tensor positional_embedding(const at::Tensor& x, const Wav2Vec2Weights& w, const Wav2Vec2Config& c) {
  const at::Tensor weight = w.pos_g * w.pos_v / w.pos_v.pow(2).sum(at::IntArrayRef{0, 1}, /*keepdim=*/true).sqrt();  // norm per tap
  const int64_t K = c.pos_conv_kernel;
  ggt::ensure_correct_convolutions();
  at::Tensor y = at::conv1d(x.transpose(0, 1).unsqueeze(0), weight, w.pos_b, {1}, {K / 2}, {1}, c.pos_conv_groups);
  if (K % 2 == 0) y = y.slice(2, 0, -1);
  return at::gelu(y[0].transpose(0, 1));
}

}  // namespace

Wav2Vec2Config Wav2Vec2Config::base() { return Wav2Vec2Config{}; }

Wav2Vec2Config Wav2Vec2Config::large() {
  Wav2Vec2Config c;
  c.conv_bias = true;
  c.extractor_layer_norm = true;
  c.hidden = 1024;
  c.num_layers = 24;
  c.num_heads = 16;
  c.intermediate = 4096;
  c.layer_norm_first = true;
  return c;
}

Wav2Vec2Config Wav2Vec2Config::xlsr_1b() {
  Wav2Vec2Config c = large();
  c.hidden = 1280;
  c.num_layers = 48;
  c.intermediate = 5120;
  return c;
}

Wav2Vec2Weights wav2vec2_weights(const std::map<std::string, at::Tensor>& named, const Wav2Vec2Config& c) {
  check_config(c);
  const WeightTable t(named);
  Wav2Vec2Weights w;
  const int64_t H = c.hidden, F = c.intermediate, K = c.pos_conv_kernel;
  int64_t in = 1;
  for (size_t i = 0; i < c.conv_dim.size(); ++i) {
    const std::string p = "feature_extractor.conv_layers." + std::to_string(i) + ".";
    const int64_t out = c.conv_dim[i];
    Wav2Vec2Weights::Conv l;
    l.weight = t.get(p + "conv.weight", {out, in, c.conv_kernel[i]});
    if (c.conv_bias) l.bias = t.get(p + "conv.bias", {out});
    if (c.extractor_layer_norm || i == 0) {
      l.norm_weight = t.get(p + "layer_norm.weight", {out});
      l.norm_bias = t.get(p + "layer_norm.bias", {out});
    }
    w.conv.push_back(l);
    in = out;
  }
  w.proj_ln_w = t.get("feature_projection.layer_norm.weight", {in});
  w.proj_ln_b = t.get("feature_projection.layer_norm.bias", {in});
  w.proj_w = t.get("feature_projection.projection.weight", {H, in});
  w.proj_b = t.get("feature_projection.projection.bias", {H});
  const std::string pos = "encoder.pos_conv_embed.conv.";
  w.pos_g = t.get(pos + "weight_g", {1, 1, K}, {pos + "parametrizations.weight.original0"});
  w.pos_v = t.get(pos + "weight_v", {H, H / c.pos_conv_groups, K}, {pos + "parametrizations.weight.original1"});
  w.pos_b = t.get(pos + "bias", {H});
  w.enc_ln_w = t.get("encoder.layer_norm.weight", {H});
  w.enc_ln_b = t.get("encoder.layer_norm.bias", {H});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto k = [i](const char* rest) { return layer_key(i, rest); };
    Wav2Vec2Weights::Layer l;
    l.q_w = t.get(k("attention.q_proj.weight"), {H, H});
    l.q_b = t.get(k("attention.q_proj.bias"), {H});
    l.k_w = t.get(k("attention.k_proj.weight"), {H, H});
    l.k_b = t.get(k("attention.k_proj.bias"), {H});
    l.v_w = t.get(k("attention.v_proj.weight"), {H, H});
    l.v_b = t.get(k("attention.v_proj.bias"), {H});
    l.out_w = t.get(k("attention.out_proj.weight"), {H, H});
    l.out_b = t.get(k("attention.out_proj.bias"), {H});
    l.ln_w = t.get(k("layer_norm.weight"), {H});
    l.ln_b = t.get(k("layer_norm.bias"), {H});
    l.ff_in_w = t.get(k("feed_forward.intermediate_dense.weight"), {F, H});
    l.ff_in_b = t.get(k("feed_forward.intermediate_dense.bias"), {F});
    l.ff_out_w = t.get(k("feed_forward.output_dense.weight"), {H, F});
    l.ff_out_b = t.get(k("feed_forward.output_dense.bias"), {H});
    l.final_ln_w = t.get(k("final_layer_norm.weight"), {H});
    l.final_ln_b = t.get(k("final_layer_norm.bias"), {H});
    w.layers.push_back(l);
  }
  TORCH_CHECK(!t.has(layer_key(c.num_layers, "attention.q_proj.weight")), "the wav2vec2 weights hold more than the ",
              c.num_layers, " layers the config asks for (found ", layer_key(c.num_layers, "..."), ")");
  return w;
}

int64_t wav2vec2_frames(int64_t samples, const Wav2Vec2Config& c) {
  int64_t n = samples;
  for (size_t i = 0; i < c.conv_kernel.size(); ++i) {
    if (n < c.conv_kernel[i]) return 0;
    n = (n - c.conv_kernel[i]) / c.conv_stride[i] + 1;
  }
  return n;
}

at::Tensor wav2vec2_features(const at::Tensor& samples, const Wav2Vec2Weights& w, const Wav2Vec2Config& c,
                             int64_t layer, const std::function<void(int64_t, int64_t)>& on_step) {
  check_config(c);
  TORCH_CHECK(samples.dim() == 1, "expected mono samples of shape [T], received ", samples.dim(), " dimensions");
  TORCH_CHECK(layer >= -1 && layer <= c.num_layers, "expected a wav2vec2 layer from 0 to ", c.num_layers,
              " (or -1 for the last), received ", layer);
  TORCH_CHECK(static_cast<int64_t>(w.layers.size()) == c.num_layers && w.conv.size() == c.conv_dim.size(),
              "the wav2vec2 weights were resolved for another config");
  TORCH_CHECK(wav2vec2_frames(samples.size(0), c) > 0,
              "expected enough samples for one wav2vec2 frame (400, 25 ms at 16 kHz, for the standard extractor), "
              "received ", samples.size(0));
  at::Tensor x = samples.to(at::kFloat);
  if (c.do_normalize) x = (x - x.mean()) / at::sqrt(x.var(/*unbiased=*/false) + 1e-7);
  const int64_t last = layer < 0 ? c.num_layers : layer;
  x = extract_features(x, w, c);                                                   // [frames, C]
  x = at::linear(layer_norm(x, w.proj_ln_w, w.proj_ln_b, c.layer_norm_eps), w.proj_w, w.proj_b);  // [frames, H]
  x = x + positional_embedding(x, w, c);
  if (!c.layer_norm_first) x = layer_norm(x, w.enc_ln_w, w.enc_ln_b, c.layer_norm_eps);
  if (on_step) on_step(1, 1 + last);
  for (int64_t i = 0; i < last; ++i) {
    x = encoder_layer(x, w.layers[i], c);
    if (on_step) on_step(2 + i, 1 + last);
  }
  if (c.layer_norm_first && last == c.num_layers) x = layer_norm(x, w.enc_ln_w, w.enc_ln_b, c.layer_norm_eps);
  return x;
}

}  // namespace audio
}  // namespace ggt
