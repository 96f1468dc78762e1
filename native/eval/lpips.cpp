#include "lpips.h"

#include <ATen/ATen.h>

#include <array>
#include <vector>

#include "../avatar/vgg.h"
#include "../common/conv_check.h"

namespace ggt {
namespace eval {
namespace {

struct Shape {
  std::string name;
  std::vector<int64_t> sizes;
};

// torchvision alexnet().features: convs (index, out, in, kernel); max-pools (3, stride 2) at 2, 5.
struct AlexConv {
  int index;
  int64_t out, in, kernel, stride, pad;
};
const std::vector<AlexConv> kAlexConvs = {{0, 64, 3, 11, 4, 2}, {3, 192, 64, 5, 1, 2}, {6, 384, 192, 3, 1, 1},
                                          {8, 256, 384, 3, 1, 1}, {10, 256, 256, 3, 1, 1}};
const std::vector<int64_t> kAlexChannels = {64, 192, 384, 256, 256};

// torchvision vgg16().features convs (index, out, in), all 3×3; taps relu1_2 … relu5_3.
const std::vector<std::array<int64_t, 3>> kVggConvs = {{0, 64, 3},     {2, 64, 64},    {5, 128, 64},   {7, 128, 128},
                                                       {10, 256, 128}, {12, 256, 256}, {14, 256, 256}, {17, 512, 256},
                                                       {19, 512, 512}, {21, 512, 512}, {24, 512, 512}, {26, 512, 512},
                                                       {28, 512, 512}};
const std::vector<int> kVggTaps = {3, 8, 15, 22, 29};
const std::vector<int64_t> kVggChannels = {64, 128, 256, 512, 512};

std::vector<Shape> expected_shapes(LpipsNetwork network) {
  std::vector<Shape> s;
  const auto conv = [&](int64_t index, int64_t out, int64_t in, int64_t k) {
    const std::string n = "features." + std::to_string(index);
    s.push_back({n + ".weight", {out, in, k, k}});
    s.push_back({n + ".bias", {out}});
  };
  if (network == LpipsNetwork::kAlex)
    for (const AlexConv& c : kAlexConvs) conv(c.index, c.out, c.in, c.kernel);
  else
    for (const auto& c : kVggConvs) conv(c[0], c[1], c[2], 3);
  const std::vector<int64_t>& ch = network == LpipsNetwork::kAlex ? kAlexChannels : kVggChannels;
  for (size_t k = 0; k < ch.size(); ++k) s.push_back({"lin" + std::to_string(k) + ".model.1.weight", {1, ch[k], 1, 1}});
  return s;
}

const at::Tensor& get(const std::map<std::string, at::Tensor>& p, const std::string& name) {
  const auto it = p.find(name);
  TORCH_CHECK(it != p.end(), "the LPIPS weights lack ", name);
  return it->second;
}

// The five AlexNet taps of x [N, 3, H, W].
std::vector<at::Tensor> alex_taps(const std::map<std::string, at::Tensor>& p, at::Tensor x) {
  std::vector<at::Tensor> taps;
  for (size_t i = 0; i < kAlexConvs.size(); ++i) {
    const AlexConv& c = kAlexConvs[i];
    if (c.index == 3 || c.index == 6) x = at::max_pool2d(x, {3, 3}, {2, 2});
    const std::string n = "features." + std::to_string(c.index);
    ggt::ensure_correct_convolutions();
    x = at::relu(at::conv2d(x, get(p, n + ".weight"), get(p, n + ".bias"), {c.stride, c.stride}, {c.pad, c.pad}));
    taps.push_back(x);
  }
  return taps;
}

}  // namespace

LpipsNetwork lpips_network(const std::string& name) {
  if (name == "alex") return LpipsNetwork::kAlex;
  if (name == "vgg") return LpipsNetwork::kVgg;
  TORCH_CHECK(false, "expected the LPIPS network 'alex' or 'vgg', received '", name, "'");
}

void lpips_check(const std::map<std::string, at::Tensor>& params, LpipsNetwork network) {
  for (const Shape& s : expected_shapes(network)) {
    const at::Tensor& t = get(params, s.name);
    TORCH_CHECK(t.sizes() == at::IntArrayRef(s.sizes), "expected LPIPS weight ", s.name, " of shape ", at::IntArrayRef(s.sizes),
                ", received ", t.sizes());
    TORCH_CHECK(t.scalar_type() == at::kFloat, "expected LPIPS weight ", s.name, " to be float32, received ", t.scalar_type());
  }
}

at::Tensor lpips_distance(const std::map<std::string, at::Tensor>& params, LpipsNetwork network, const at::Tensor& a,
                          const at::Tensor& b) {
  TORCH_CHECK(a.dim() == 4 && a.size(1) == 3 && a.sizes() == b.sizes(), "expected two image batches [B, 3, H, W], received ",
              a.sizes(), " and ", b.sizes());
  lpips_check(params, network);
  const at::Tensor shift = at::tensor({-0.030f, -0.088f, -0.188f}, a.options()).view({1, 3, 1, 1});
  const at::Tensor scale = at::tensor({0.458f, 0.448f, 0.450f}, a.options()).view({1, 3, 1, 1});
  const at::Tensor x = ((at::cat({a, b}) * 2 - 1) - shift) / scale;  // both in one pass: [2B, 3, H, W]
  const std::vector<at::Tensor> taps =
      network == LpipsNetwork::kAlex ? alex_taps(params, x) : avatar::vgg16_relu_features(params, "", x, kVggTaps);
  const int64_t B = a.size(0);
  at::Tensor total = at::zeros({B}, a.options());
  for (size_t k = 0; k < taps.size(); ++k) {
    const at::Tensor f = taps[k] / (taps[k].pow(2).sum(1, true).sqrt() + 1e-10);  // [2B, C, h, w]
    const at::Tensor d = (f.narrow(0, 0, B) - f.narrow(0, B, B)).pow(2);
    const at::Tensor w = get(params, "lin" + std::to_string(k) + ".model.1.weight");  // [1, C, 1, 1]
    ggt::ensure_correct_convolutions();
    total = total + at::conv2d(d, w).mean({1, 2, 3});  // [B, 1, h, w] → [B]
  }
  return total;
}

}  // namespace eval
}  // namespace ggt
