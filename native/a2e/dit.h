// The Audio-Expression diffusion transformer (GGTalker §3.2) exactly as
// docs/audio-expression-model.md defines it: a condition encoder over per-frame audio
// features, a sinusoidal diffusion-time MLP injected by FiLM and as time tokens, and a
// decoder of self-attention, cross-attention and FiLM layers that predicts the clean
// sequence x0. Parameters live in a name -> tensor map (the checkpoint's names), and the
// forward pass is plain at:: ops, so autograd, CPU and CUDA all work unchanged.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ggt {
namespace a2e {

struct DitConfig {
  int64_t feature_dim = 1280;    // F: audio feature width
  int64_t output_dim = 103;      // K: expression coefficients then jaw pose (3)
  int64_t expression_count = 100;
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t ff_dim = 2048;
  int64_t cond_layers = 2;
  int64_t decoder_layers = 8;
  int64_t speakers = 1;
  int64_t speaker_dim = 64;
  int64_t time_tokens = 2;
  int64_t max_frames = 64;       // P: longest window
  // Alignment bias of the cross-attention (as FaceFormer's): decoder frame i sees condition
  // frames j with |i - j| <= align_radius (and every time token); -1 disables it.
  int64_t align_radius = -1;
  int64_t diffusion_steps = 1000;
  std::string schedule = "cosine";

  // Throws (TORCH_CHECK) with the offending key when a value is out of range.
  void validate() const;
};

using ParamMap = std::map<std::string, at::Tensor>;

// Every parameter and buffer the model needs, in a stable order, with its shape.
std::vector<std::pair<std::string, std::vector<int64_t>>> dit_parameter_shapes(const DitConfig& cfg);

// Fresh weights: Xavier-uniform matrices, zero biases, unit LayerNorms, N(0, 0.02²)
// positional/speaker tables, zero output projection's bias; data.mean 0, data.std 1.
ParamMap dit_init(const DitConfig& cfg, uint64_t seed);

// Checks that `params` holds every parameter with its shape (float32), naming the first
// missing or mismatched one.
void check_dit_params(const DitConfig& cfg, const ParamMap& params);

// x_t [B, T, K], n [B] int64 in [0, N), cond [B, T, F], speaker [B] int64 in [0, S),
// keep [B] float (1 keeps the condition, 0 drops it). Returns x̂0 [B, T, K] (normalised).
at::Tensor dit_forward(const DitConfig& cfg, const ParamMap& p, const at::Tensor& x_t, const at::Tensor& n,
                       const at::Tensor& cond, const at::Tensor& speaker, const at::Tensor& keep);

// The condition half of the forward pass, which does not depend on x_t or n (so samplers
// compute it once for all denoising steps): C' [B, T, d] and c̄ [B, d].
struct DitCondition {
  at::Tensor c_prime, c_bar;
  // Optional (dit_cache_cross_attention): per decoder layer, the cross-attention keys and values
  // of C', each [B, heads, T, d / heads]. They too are the same at every denoising step; when
  // present dit_denoise uses them instead of projecting C' again (only the k time tokens, which
  // depend on n, are projected per call).
  std::vector<at::Tensor> cross_k, cross_v;
};
DitCondition dit_encode_condition(const DitConfig& cfg, const ParamMap& p, const at::Tensor& cond,
                                  const at::Tensor& speaker, const at::Tensor& keep);

// Fills c.cross_k / c.cross_v (see DitCondition). The result of dit_denoise is the same with or
// without them, to float32 round-off.
void dit_cache_cross_attention(const DitConfig& cfg, const ParamMap& p, DitCondition& c);

// The rest: x_t [B, T, K], n [B] -> x̂0 [B, T, K], given the encoded condition.
at::Tensor dit_denoise(const DitConfig& cfg, const ParamMap& p, const at::Tensor& x_t, const at::Tensor& n,
                       const DitCondition& c);

// The sinusoidal embedding of positions/timesteps p [M] into [M, dim] (sin half, cos half).
at::Tensor sinusoidal_embedding(const at::Tensor& p, int64_t dim);

}  // namespace a2e
}  // namespace ggt
