#include "dit.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

namespace ggt {
namespace a2e {
namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

void add_linear(Shapes& s, const std::string& name, int64_t out, int64_t in) {
  s.push_back({name + ".weight", {out, in}});
  s.push_back({name + ".bias", {out}});
}

void add_norm(Shapes& s, const std::string& name, int64_t d) {
  s.push_back({name + ".weight", {d}});
  s.push_back({name + ".bias", {d}});
}

void add_attention(Shapes& s, const std::string& name, int64_t d) {
  for (const char* part : {".q", ".k", ".v", ".out"}) add_linear(s, name + part, d, d);
}

void add_ff(Shapes& s, const std::string& name, int64_t d, int64_t ff) {
  add_linear(s, name + ".in", ff, d);
  add_linear(s, name + ".out", d, ff);
}

const at::Tensor& param(const ParamMap& p, const std::string& name) {
  const auto it = p.find(name);
  TORCH_CHECK(it != p.end(), "the Audio-Expression model has no parameter ", name);
  return it->second;
}

at::Tensor linear(const ParamMap& p, const std::string& name, const at::Tensor& x) {
  return at::linear(x, param(p, name + ".weight"), param(p, name + ".bias"));
}

at::Tensor norm(const ParamMap& p, const std::string& name, const at::Tensor& x) {
  return at::layer_norm(x, {x.size(-1)}, param(p, name + ".weight"), param(p, name + ".bias"), 1e-5);
}

// Linear(name)(x) split into heads: x [B, T, d] -> [B, heads, T, d / heads].
at::Tensor project_heads(const ParamMap& p, const std::string& name, const at::Tensor& x, int64_t heads) {
  const int64_t B = x.size(0), T = x.size(1), d = x.size(2);
  return linear(p, name, x).view({B, T, heads, d / heads}).transpose(1, 2);
}

// Scaled dot-product attention of projected heads q [B, h, Tq, hd], k and v [B, h, Tk, hd],
// heads concatenated and projected by Linear(name.out) -> [B, Tq, h·hd]; `bias` (optional)
// [Tq, Tk] is added to the scores (-inf masks a pair out).
at::Tensor attend(const ParamMap& p, const std::string& name, const at::Tensor& q, const at::Tensor& k,
                  const at::Tensor& v, const at::Tensor& bias = {}) {
  const int64_t B = q.size(0), h = q.size(1), Tq = q.size(2), hd = q.size(3);
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));  // [B, h, Tq, Tk]
  if (bias.defined()) scores = scores + bias;
  const at::Tensor w = at::softmax(scores, -1);
  const at::Tensor o = at::matmul(w, v).transpose(1, 2).reshape({B, Tq, h * hd});
  return linear(p, name + ".out", o);
}

// Multi-head attention: q_in [B, Tq, d], kv_in [B, Tk, d] -> [B, Tq, d] (bias as in attend).
at::Tensor attention(const ParamMap& p, const std::string& name, const at::Tensor& q_in, const at::Tensor& kv_in,
                     int64_t heads, const at::Tensor& bias = {}) {
  return attend(p, name, project_heads(p, name + ".q", q_in, heads), project_heads(p, name + ".k", kv_in, heads),
                project_heads(p, name + ".v", kv_in, heads), bias);
}

at::Tensor feed_forward(const ParamMap& p, const std::string& name, const at::Tensor& x) {
  return linear(p, name + ".out", at::gelu(linear(p, name + ".in", x)));
}

void check_input(const at::Tensor& t, const char* name, std::vector<int64_t> shape, at::ScalarType dtype) {
  TORCH_CHECK(t.defined(), "missing input ", name);
  bool ok = t.dim() == static_cast<int64_t>(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || t.size(i) == shape[i];
  if (!ok) {
    std::string want = "[";
    for (size_t i = 0; i < shape.size(); ++i) want += (i ? ", " : "") + (shape[i] < 0 ? std::string("*") : std::to_string(shape[i]));
    TORCH_CHECK(false, "expected ", name, " of shape ", want, "], received ", t.sizes());
  }
  TORCH_CHECK(t.scalar_type() == dtype, "expected ", name, " of dtype ", dtype, ", received ", t.scalar_type());
}

}  // namespace

void DitConfig::validate() const {
  auto positive = [](int64_t v, const char* key) {
    TORCH_CHECK(v >= 1, "expected config.", key, " >= 1, received ", v);
  };
  positive(feature_dim, "featureDim");
  positive(d_model, "dModel");
  positive(heads, "heads");
  positive(ff_dim, "ffDim");
  positive(decoder_layers, "decoderLayers");
  positive(speakers, "speakers");
  positive(speaker_dim, "speakerDim");
  positive(max_frames, "maxFrames");
  positive(diffusion_steps, "diffusionSteps");
  TORCH_CHECK(cond_layers >= 0, "expected config.condLayers >= 0, received ", cond_layers);
  TORCH_CHECK(time_tokens >= 0, "expected config.timeTokens >= 0, received ", time_tokens);
  TORCH_CHECK(output_dim >= 4, "expected config.outputDim >= 4 (expressions then 3 jaw-pose values), received ", output_dim);
  TORCH_CHECK(expression_count == output_dim - 3, "expected config.expressionCount = outputDim - 3 = ", output_dim - 3,
              ", received ", expression_count);
  TORCH_CHECK(d_model % heads == 0, "expected config.dModel (", d_model, ") divisible by config.heads (", heads, ")");
  TORCH_CHECK(d_model % 2 == 0, "expected an even config.dModel, received ", d_model);
  TORCH_CHECK(align_radius >= -1, "expected config.alignRadius >= 0, or -1 for none, received ", align_radius);
  TORCH_CHECK(schedule == "cosine" || schedule == "linear", "expected config.schedule 'cosine' or 'linear', received '",
              schedule, "'");
}

std::vector<std::pair<std::string, std::vector<int64_t>>> dit_parameter_shapes(const DitConfig& cfg) {
  cfg.validate();
  const int64_t d = cfg.d_model;
  Shapes s;
  add_linear(s, "cond.in_proj", d, cfg.feature_dim);
  s.push_back({"speaker.embedding", {cfg.speakers, cfg.speaker_dim}});
  add_linear(s, "cond.speaker_proj", d, cfg.speaker_dim);
  add_linear(s, "cond.merge", d, 2 * d);
  for (int64_t i = 0; i < cfg.cond_layers; ++i) {
    const std::string pre = "cond.layers." + std::to_string(i);
    add_norm(s, pre + ".norm1", d);
    add_attention(s, pre + ".self_attn", d);
    add_norm(s, pre + ".norm2", d);
    add_ff(s, pre + ".ff", d, cfg.ff_dim);
  }
  add_norm(s, "cond.norm", d);
  add_linear(s, "time.mlp.0", d, d);
  add_linear(s, "time.mlp.2", d, d);
  add_linear(s, "time.tokens", cfg.time_tokens * d, d);
  add_linear(s, "film.cond", d, d);
  add_linear(s, "dec.in_proj", d, cfg.output_dim);
  s.push_back({"dec.pos", {cfg.max_frames, d}});
  for (int64_t i = 0; i < cfg.decoder_layers; ++i) {
    const std::string pre = "dec.layers." + std::to_string(i);
    add_norm(s, pre + ".norm1", d);
    add_attention(s, pre + ".self_attn", d);
    add_norm(s, pre + ".norm2", d);
    add_attention(s, pre + ".cross_attn", d);
    add_linear(s, pre + ".film", 2 * d, d);
    add_norm(s, pre + ".norm3", d);
    add_ff(s, pre + ".ff", d, cfg.ff_dim);
  }
  add_norm(s, "dec.norm", d);
  add_linear(s, "dec.out_proj", cfg.output_dim, d);
  s.push_back({"data.mean", {cfg.output_dim}});
  s.push_back({"data.std", {cfg.output_dim}});
  return s;
}

ParamMap dit_init(const DitConfig& cfg, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  ParamMap p;
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& [name, shape] : dit_parameter_shapes(cfg)) {
    at::Tensor t;
    const bool is_norm = name.find("norm") != std::string::npos;
    if (name == "data.std") {
      t = at::ones(shape, f32);
    } else if (name == "data.mean") {
      t = at::zeros(shape, f32);
    } else if (name == "dec.pos" || name == "speaker.embedding") {
      t = at::normal(0.0, 0.02, shape, gen, f32);
    } else if (ends_with(name, ".bias")) {
      t = at::zeros(shape, f32);
    } else if (is_norm) {
      t = at::ones(shape, f32);
    } else {
      // Xavier-uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)). FiLM layers start at zero
      // so that every decoder layer begins unmodulated (gamma = beta = 0), as in DiT's adaLN-Zero.
      const double a = std::sqrt(6.0 / static_cast<double>(shape[0] + shape[1]));
      t = name.find(".film.") != std::string::npos ? at::zeros(shape, f32) : at::rand(shape, gen, f32) * (2 * a) - a;
    }
    p[name] = t;
  }
  return p;
}

void check_dit_params(const DitConfig& cfg, const ParamMap& params) {
  for (const auto& [name, shape] : dit_parameter_shapes(cfg)) {
    const auto it = params.find(name);
    TORCH_CHECK(it != params.end() && it->second.defined(), "the Audio-Expression weights lack ", name,
                " (expected shape ", at::IntArrayRef(shape), ")");
    TORCH_CHECK(it->second.sizes() == at::IntArrayRef(shape), "expected Audio-Expression weight ", name, " of shape ",
                at::IntArrayRef(shape), ", received ", it->second.sizes());
    TORCH_CHECK(it->second.scalar_type() == at::kFloat, "expected Audio-Expression weight ", name,
                " to be float32, received ", it->second.scalar_type());
  }
}

at::Tensor sinusoidal_embedding(const at::Tensor& p, int64_t dim) {
  const int64_t h = dim / 2;
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(p.device());
  const at::Tensor omega = at::exp(at::arange(h, opts) * (-std::log(10000.0) / static_cast<double>(h)));  // [h]
  const at::Tensor angle = p.to(at::kFloat).unsqueeze(1) * omega.unsqueeze(0);                           // [M, h]
  return at::cat({at::sin(angle), at::cos(angle)}, 1);
}

at::Tensor dit_forward(const DitConfig& cfg, const ParamMap& p, const at::Tensor& x_t, const at::Tensor& n,
                       const at::Tensor& cond, const at::Tensor& speaker, const at::Tensor& keep) {
  check_input(x_t, "x_t", {-1, -1, cfg.output_dim}, at::kFloat);
  const int64_t B = x_t.size(0), T = x_t.size(1);
  check_input(cond, "cond", {B, T, cfg.feature_dim}, at::kFloat);
  return dit_denoise(cfg, p, x_t, n, dit_encode_condition(cfg, p, cond, speaker, keep));
}

DitCondition dit_encode_condition(const DitConfig& cfg, const ParamMap& p, const at::Tensor& cond,
                                  const at::Tensor& speaker, const at::Tensor& keep) {
  check_input(cond, "cond", {-1, -1, cfg.feature_dim}, at::kFloat);
  const int64_t B = cond.size(0), T = cond.size(1), d = cfg.d_model;
  TORCH_CHECK(T >= 1 && T <= cfg.max_frames, "expected 1 to config.maxFrames = ", cfg.max_frames,
              " frames per window, received ", T);
  check_input(speaker, "speaker", {B}, at::kLong);
  check_input(keep, "keep", {B}, at::kFloat);
  if (B > 0)
    TORCH_CHECK(speaker.min().item<int64_t>() >= 0 && speaker.max().item<int64_t>() < cfg.speakers,
                "expected speaker indices in [0, ", cfg.speakers, "), received ", speaker.max().item<int64_t>());
  const at::Tensor a = linear(p, "cond.in_proj", cond);                                                           // [B, T, d]
  const at::Tensor spk = linear(p, "cond.speaker_proj", param(p, "speaker.embedding").index_select(0, speaker));  // [B, d]
  at::Tensor c = linear(p, "cond.merge", at::cat({a, spk.unsqueeze(1).expand({B, T, d})}, 2));
  c = c + sinusoidal_embedding(at::arange(T, cond.options()), d).unsqueeze(0);
  for (int64_t i = 0; i < cfg.cond_layers; ++i) {
    const std::string pre = "cond.layers." + std::to_string(i);
    const at::Tensor h1 = norm(p, pre + ".norm1", c);
    c = c + attention(p, pre + ".self_attn", h1, h1, cfg.heads);
    c = c + feed_forward(p, pre + ".ff", norm(p, pre + ".norm2", c));
  }
  DitCondition out;
  out.c_prime = norm(p, "cond.norm", c) * keep.view({B, 1, 1});
  out.c_bar = out.c_prime.mean(1);
  return out;
}

void dit_cache_cross_attention(const DitConfig& cfg, const ParamMap& p, DitCondition& c) {
  c.cross_k.clear();
  c.cross_v.clear();
  for (int64_t i = 0; i < cfg.decoder_layers; ++i) {
    const std::string pre = "dec.layers." + std::to_string(i) + ".cross_attn";
    c.cross_k.push_back(project_heads(p, pre + ".k", c.c_prime, cfg.heads));  // [B, h, T, hd]
    c.cross_v.push_back(project_heads(p, pre + ".v", c.c_prime, cfg.heads));
  }
}

at::Tensor dit_denoise(const DitConfig& cfg, const ParamMap& p, const at::Tensor& x_t, const at::Tensor& n,
                       const DitCondition& cnd) {
  check_input(x_t, "x_t", {-1, -1, cfg.output_dim}, at::kFloat);
  const int64_t B = x_t.size(0), T = x_t.size(1), d = cfg.d_model;
  TORCH_CHECK(cnd.c_prime.dim() == 3 && cnd.c_prime.size(0) == B && cnd.c_prime.size(1) == T,
              "expected the encoded condition to cover ", B, " windows of ", T, " frames, it has shape ", cnd.c_prime.sizes());
  check_input(n, "n", {B}, at::kLong);
  if (B > 0)
    TORCH_CHECK(n.min().item<int64_t>() >= 0 && n.max().item<int64_t>() < cfg.diffusion_steps,
                "expected diffusion timesteps in [0, ", cfg.diffusion_steps, ")");
  const auto fopts = x_t.options();

  // Diffusion time: t_n [B, d], the FiLM input g [B, d].
  const at::Tensor t_n = linear(p, "time.mlp.2", at::silu(linear(p, "time.mlp.0", sinusoidal_embedding(n, d))));
  const at::Tensor g_act = at::silu(t_n + linear(p, "film.cond", cnd.c_bar));
  // Time tokens [B, k, d]: the memory is C' ++ time tokens [B, T + k, d].
  const at::Tensor tokens = cfg.time_tokens > 0 ? linear(p, "time.tokens", t_n).view({B, cfg.time_tokens, d}) : at::Tensor();
  const bool cached = !cnd.cross_k.empty();
  TORCH_CHECK(!cached || (static_cast<int64_t>(cnd.cross_k.size()) == cfg.decoder_layers &&
                          cnd.cross_v.size() == cnd.cross_k.size()),
              "expected cached cross-attention keys and values for ", cfg.decoder_layers, " decoder layers");
  const at::Tensor memory = cached || !tokens.defined() ? cnd.c_prime : at::cat({cnd.c_prime, tokens}, 1);

  // Alignment bias [T, T + k]: frame i sees condition frames within align_radius, and all time tokens.
  at::Tensor cross_bias;
  if (cfg.align_radius >= 0) {
    const at::Tensor i = at::arange(T, fopts).unsqueeze(1), j = at::arange(T, fopts).unsqueeze(0);
    const at::Tensor band = at::where((i - j).abs() <= static_cast<double>(cfg.align_radius), at::zeros({T, T}, fopts),
                                      at::full({T, T}, -std::numeric_limits<float>::infinity(), fopts));
    cross_bias = at::cat({band, at::zeros({T, cfg.time_tokens}, fopts)}, 1);
  }

  // Decoder.
  at::Tensor h = linear(p, "dec.in_proj", x_t) + param(p, "dec.pos").slice(0, 0, T).unsqueeze(0);
  for (int64_t i = 0; i < cfg.decoder_layers; ++i) {
    const std::string pre = "dec.layers." + std::to_string(i);
    const at::Tensor h1 = norm(p, pre + ".norm1", h);
    h = h + attention(p, pre + ".self_attn", h1, h1, cfg.heads);
    const at::Tensor h2 = norm(p, pre + ".norm2", h);
    if (cached) {
      // Keys/values of C' from the cache, the time tokens' projected now: [B, h, T + k, hd].
      at::Tensor k = cnd.cross_k[i], v = cnd.cross_v[i];
      if (tokens.defined()) {
        k = at::cat({k, project_heads(p, pre + ".cross_attn.k", tokens, cfg.heads)}, 2);
        v = at::cat({v, project_heads(p, pre + ".cross_attn.v", tokens, cfg.heads)}, 2);
      }
      h = h + attend(p, pre + ".cross_attn", project_heads(p, pre + ".cross_attn.q", h2, cfg.heads), k, v, cross_bias);
    } else {
      h = h + attention(p, pre + ".cross_attn", h2, memory, cfg.heads, cross_bias);
    }
    const std::vector<at::Tensor> gb = linear(p, pre + ".film", g_act).chunk(2, 1);  // gamma, beta [B, d]
    const at::Tensor modulated = norm(p, pre + ".norm3", h) * (1 + gb[0].unsqueeze(1)) + gb[1].unsqueeze(1);
    h = h + feed_forward(p, pre + ".ff", modulated);
  }
  return linear(p, "dec.out_proj", norm(p, "dec.norm", h));
}

}  // namespace a2e
}  // namespace ggt
