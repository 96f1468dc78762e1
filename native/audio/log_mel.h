// The weight-free audio encoder: log-mel features, a stand-in for wav2vec 2.0 so every stage
// runs without downloaded weights. Same framing as wav2vec2 at 16 kHz (a 20 ms hop: 50 frames
// a second) and torchaudio's MelSpectrogram conventions (centred reflect-padded frames,
// periodic Hann window, power spectrum, HTK mel scale, no filter normalisation), then
// log(mel + floor).
#pragma once

#include <ATen/core/Tensor.h>

namespace ggt {
namespace audio {

struct LogMelConfig {
  int64_t sample_rate = 16000;
  int64_t n_fft = 400;        // 25 ms
  int64_t hop_length = 320;   // 20 ms: 50 Hz, like wav2vec2's features
  int64_t n_mels = 80;
  double f_min = 0.0;
  double f_max = 8000.0;
  double log_floor = 1e-6;
};

// Triangular HTK-mel filters [n_fft / 2 + 1, n_mels] (torchaudio.functional.melscale_fbanks
// with mel_scale="htk", norm=None), float32.
at::Tensor mel_filterbank(const LogMelConfig& config);

// samples [T] (mono, at config.sample_rate) -> features [1 + T / hop, n_mels], float32.
at::Tensor log_mel(const at::Tensor& samples, const LogMelConfig& config);

}  // namespace audio
}  // namespace ggt
