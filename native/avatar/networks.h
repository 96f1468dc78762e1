// The avatar networks (GGTalker §3.3-3.4) as named parameter maps with plain at:: forward
// passes (autograd, CPU and CUDA alike):
//   - the Identity-Gaussian Generator G: one front image -> a UV Gaussian map [uv, uv, 14],
//     a convolutional encoder to a small latent grid and an upsampling decoder, predicting a
//     residual over a learned mean map (`base`) so an untrained G already gives a head;
//   - the colour MLP: (SH0 colour, per-frame expression + pose code) -> SH0 colour;
//   - the body inpainter: a small U-Net from the rendered head and the frame with a dilated
//     head region removed to the final frame (a residual over their alpha composite).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ggt {
namespace avatar {

using ParamMap = std::map<std::string, at::Tensor>;
using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

struct GeneratorConfig {
  int64_t image_size = 512;   // input images are image_size x image_size RGB in [0, 1]
  int64_t uv_size = 128;      // output map uv_size x uv_size x 14
  int64_t latent_size = 8;    // encoder output grid (image_size and uv_size are latent_size * 2^k)
  int64_t channels = 32;      // width of the first encoder layer; doubles per level up to max_channels
  int64_t max_channels = 256;
  void validate() const;
};

struct ColorMlpConfig {
  int64_t code_dim = 103;     // per-frame code: expression coefficients + pose values
  int64_t hidden = 64;
  int64_t layers = 2;         // hidden layers
  void validate() const;
};

struct InpainterConfig {
  int64_t channels = 16;      // first level width; doubles per level
  int64_t levels = 3;         // down/up-sampling levels (H and W divisible by 2^levels)
  void validate() const;
};

Shapes generator_shapes(const GeneratorConfig& cfg);
Shapes color_mlp_shapes(const ColorMlpConfig& cfg);
Shapes inpainter_shapes(const InpainterConfig& cfg);

// Kaiming-uniform convolutions / linears, zero biases, zero output layers (so the generator
// starts at its base map, the colour MLP at the identity, the inpainter at the composite).
// Names are relative (e.g. "enc.0.weight"); callers add a prefix ("gen.", "color.", "inpaint.").
ParamMap init_params(const Shapes& shapes, uint64_t seed);

// Checks `p` (with `prefix` on every name) holds every tensor of `shapes`.
void check_params(const Shapes& shapes, const ParamMap& p, const std::string& prefix, const char* what);

// image [B, 3, S, S] -> map [B, uv, uv, 14].
at::Tensor generator_forward(const GeneratorConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& image);

// sh0 [N, 3], code [C] -> sh0 [N, 3] (sh0 + MLP(sh0, code)).
at::Tensor color_mlp_forward(const ColorMlpConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& sh0, const at::Tensor& code);

// head [B, 3, H, W] (premultiplied over black), alpha [B, 1, H, W], background [B, 3, H, W]
// (the frame, head region not yet removed), region [B, 1, H, W] in [0, 1] (the dilated head
// mask to remove) -> frame [B, 3, H, W].
at::Tensor inpainter_forward(const InpainterConfig& cfg, const ParamMap& p, const std::string& prefix,
                             const at::Tensor& head, const at::Tensor& alpha, const at::Tensor& background,
                             const at::Tensor& region);

// The inpainter's activations kept across the frames of one stream (synthesis), so that each
// frame recomputes only where it differs from the stream's background. A frame's input is the
// background itself ([head 0, alpha 0, background, region 0]) outside the box around its head
// region; a 3x3 convolution's output differs from the background's only within one pixel (one
// output pixel of a stride-2 one) of where its input differs, so every layer is recomputed
// on a box that grows that much per layer (512², a head over 40 % of the frame: about half of
// each layer) and keeps the background's activations elsewhere. The result equals the full
// forward pass up to float rounding (the same convolutions, run on crops).
// Memory: two copies (background, current) of every layer's activations, 140 MiB at 512² for
// the default sizes (inpainter_workspace_bytes; the addon reports it to V8). One frame at a
// time: a workspace busy in another call is not used.
struct InpainterWorkspace;
std::shared_ptr<InpainterWorkspace> make_inpainter_workspace();
// Bytes of the tensors `ws` holds now (waits for a call using it to finish).
int64_t inpainter_workspace_bytes(InpainterWorkspace& ws);

// inpainter_forward with B = 1, no autograd, through `ws` (recomputed from scratch when the
// background, the image size or the weights changed since the last frame).
at::Tensor inpainter_forward_reusing(const InpainterConfig& cfg, const ParamMap& p, const std::string& prefix,
                                     const at::Tensor& head, const at::Tensor& alpha, const at::Tensor& background,
                                     const at::Tensor& region, InpainterWorkspace& ws);

}  // namespace avatar
}  // namespace ggt
