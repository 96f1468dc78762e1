// The wav2vec 2.0 encoder (Baevski et al. 2020) for inference: the conv feature extractor, the
// feature projection, the weight-normed positional conv and the Transformer, as HuggingFace's
// Wav2Vec2Model (and torchaudio's wav2vec2_model) compute them, with HuggingFace's weight names.
// Written with at:: ops only, so it runs wherever its tensors live (CPU or CUDA).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ggt {
namespace audio {

struct Wav2Vec2Config {
  // Feature extractor: one entry per conv layer (channels, kernel, stride); 20 ms at 16 kHz overall.
  std::vector<int64_t> conv_dim = std::vector<int64_t>(7, 512);
  std::vector<int64_t> conv_kernel = {10, 3, 3, 3, 3, 2, 2};
  std::vector<int64_t> conv_stride = {5, 2, 2, 2, 2, 2, 2};
  bool conv_bias = false;
  // false: GroupNorm (groups = channels) after the first conv only (base);
  // true: LayerNorm over channels after every conv (large-lv60, XLS-R).
  bool extractor_layer_norm = false;
  int64_t hidden = 768;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t intermediate = 3072;
  int64_t pos_conv_kernel = 128;
  int64_t pos_conv_groups = 16;
  // false: post-LN layers, LayerNorm before the first layer (base);
  // true: pre-LN ("stable layer norm") layers, LayerNorm after the last one (large, XLS-R).
  bool layer_norm_first = false;
  double layer_norm_eps = 1e-5;
  // HuggingFace's feature extractor: samples -> (samples - mean) / sqrt(var + 1e-7) per utterance.
  bool do_normalize = true;

  static Wav2Vec2Config base();     // facebook/wav2vec2-base: 768 wide, 12 layers, 12 heads
  static Wav2Vec2Config large();    // facebook/wav2vec2-large-lv60: 1024 wide, 24 layers, 16 heads
  static Wav2Vec2Config xlsr_1b();  // facebook/wav2vec2-xls-r-1b: 1280 wide, 48 layers, 16 heads
};

// The weights, resolved from HuggingFace names and shape-checked.
struct Wav2Vec2Weights {
  struct Conv {
    at::Tensor weight, bias, norm_weight, norm_bias;  // [C_out, C_in, k], [C_out] (bias / norm optional)
  };
  struct Layer {
    at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b;  // [H, H], [H]
    at::Tensor ln_w, ln_b;                                  // attention LayerNorm [H]
    at::Tensor ff_in_w, ff_in_b, ff_out_w, ff_out_b;        // [F, H], [F], [H, F], [H]
    at::Tensor final_ln_w, final_ln_b;                      // [H]
  };
  std::vector<Conv> conv;
  at::Tensor proj_ln_w, proj_ln_b, proj_w, proj_b;  // [C], [C], [H, C], [H]
  at::Tensor pos_g, pos_v, pos_b;                   // [1, 1, K], [H, H / G, K], [H]
  at::Tensor enc_ln_w, enc_ln_b;                    // [H]
  std::vector<Layer> layers;
};

// Looks up every weight the config needs by its HuggingFace name (the "wav2vec2." prefix is
// optional; the positional conv's weight_g / weight_v may also be named
// parametrizations.weight.original0 / original1) and checks its shape. Unused names are ignored
// (e.g. a CTC head). Throws naming the missing key or the expected and received shapes.
Wav2Vec2Weights wav2vec2_weights(const std::map<std::string, at::Tensor>& named, const Wav2Vec2Config& c);

// Frames the feature extractor makes of `samples` samples (0 when too short): per conv layer
// n -> floor((n - kernel) / stride) + 1; about 50 a second at 16 kHz.
int64_t wav2vec2_frames(int64_t samples, const Wav2Vec2Config& c);

// samples [T] (16 kHz mono) -> hidden states [frames, hidden] of `layer`: 0 is the input to the
// first Transformer layer (HF's hidden_states[0]), k the output of layer k, -1 the last layer
// (which includes the final LayerNorm of a pre-LN model, like HF's last_hidden_state).
// `on_step(done, total)`, when given, is told after the feature extractor and after each
// Transformer layer run (total = 1 + the layers run), on the calling thread.
at::Tensor wav2vec2_features(const at::Tensor& samples, const Wav2Vec2Weights& w, const Wav2Vec2Config& c,
                             int64_t layer = -1, const std::function<void(int64_t, int64_t)>& on_step = {});

}  // namespace audio
}  // namespace ggt
