#include "log_mel.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ggt {
namespace audio {
namespace {

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }

void check_config(const LogMelConfig& c) {
  TORCH_CHECK(c.sample_rate > 0, "expected a positive sample rate, received ", c.sample_rate);
  TORCH_CHECK(c.n_fft >= 2 && c.hop_length >= 1 && c.n_mels >= 1,
              "expected n_fft >= 2, hop_length >= 1 and n_mels >= 1, received ", c.n_fft, ", ", c.hop_length, ", ",
              c.n_mels);
  TORCH_CHECK(c.f_min >= 0 && c.f_max > c.f_min && c.f_max <= c.sample_rate / 2.0,
              "expected 0 <= f_min < f_max <= sample_rate / 2, received f_min ", c.f_min, ", f_max ", c.f_max);
  TORCH_CHECK(c.log_floor > 0, "expected a positive log floor, received ", c.log_floor);
}

}  // namespace

at::Tensor mel_filterbank(const LogMelConfig& c) {
  check_config(c);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const int64_t n_freqs = c.n_fft / 2 + 1;
  const at::Tensor freqs = at::linspace(0, static_cast<double>(c.sample_rate / 2), n_freqs, f64);
  const at::Tensor mels = at::linspace(hz_to_mel(c.f_min), hz_to_mel(c.f_max), c.n_mels + 2, f64);
  const at::Tensor f_pts = 700.0 * (at::pow(10.0, mels / 2595.0) - 1.0);  // [n_mels + 2]
  const at::Tensor f_diff = f_pts.slice(0, 1) - f_pts.slice(0, 0, -1);   // [n_mels + 1]
  const at::Tensor slopes = f_pts.unsqueeze(0) - freqs.unsqueeze(1);       // [n_freqs, n_mels + 2]
  const at::Tensor down = -slopes.slice(1, 0, -2) / f_diff.slice(0, 0, -1);
  const at::Tensor up = slopes.slice(1, 2) / f_diff.slice(0, 1);
  return at::clamp_min(at::minimum(down, up), 0.0).to(at::kFloat);
}

at::Tensor log_mel(const at::Tensor& samples, const LogMelConfig& c) {
  check_config(c);
  TORCH_CHECK(samples.dim() == 1, "expected mono samples of shape [T], received ", samples.dim(), " dimensions");
  const int64_t pad = c.n_fft / 2;
  TORCH_CHECK(samples.size(0) > pad, "expected more than ", pad, " samples (n_fft / 2) to frame, received ",
              samples.size(0));
  const at::Tensor x = samples.to(at::kFloat).contiguous();
  // Centred frames: reflect-pad n_fft / 2 on both sides (torch.stft's center=True).
  const at::Tensor padded = at::reflection_pad1d(x.view({1, 1, -1}), {pad, pad}).view({-1});
  const at::Tensor window = at::hann_window(c.n_fft, /*periodic=*/true, x.options());
  const at::Tensor spec = at::stft(padded, c.n_fft, c.hop_length, c.n_fft, window, /*normalized=*/false,
                                   /*onesided=*/true, /*return_complex=*/true);  // [n_freqs, frames]
  const at::Tensor power = at::view_as_real(spec).pow(2).sum(-1);                // |X|^2
  const at::Tensor mel = at::matmul(power.transpose(0, 1), mel_filterbank(c).to(x.device()));  // [frames, n_mels]
  return at::log(mel + c.log_floor);
}

}  // namespace audio
}  // namespace ggt
