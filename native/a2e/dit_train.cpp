#include "dit_train.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "../train/epoch_sampler.h"
#include "../train/grad_average.h"
#include "diffusion.h"

namespace ggt {
namespace a2e {
namespace {

at::Tensor normalise(const ParamMap& p, const at::Tensor& y) {
  return (y - p.at("data.mean")) / p.at("data.std");
}

struct Batch {
  at::Tensor x0, cond, speaker;  // [B, W, K] normalised, [B, W, F], [B]
};

// Gathers windows starting at global frame indices `starts` [B] (int64, CPU).
Batch gather_windows(const ParamMap& p, const ClipSet& data, const at::Tensor& starts, const at::Tensor& speakers,
                     int64_t window) {
  const at::Tensor idx = (starts.unsqueeze(1) + at::arange(window, starts.options())).reshape({-1});  // [B*W]
  const int64_t B = starts.size(0);
  Batch b;
  b.x0 = normalise(p, data.targets.index_select(0, idx.to(data.targets.device()))).view({B, window, -1});
  b.cond = data.features.index_select(0, idx.to(data.features.device())).view({B, window, -1});
  b.speaker = speakers;
  return b;
}

// Every clip's windows: valid starting frames are clip_start .. clip_start + length - window.
struct WindowIndex {
  std::vector<int64_t> clip_first;   // per clip: global start frame
  std::vector<int64_t> cumulative;   // cumulative count of valid starts, size C + 1
  std::vector<int64_t> speaker;
};

WindowIndex index_windows(const ClipSet& data, int64_t window) {
  WindowIndex w;
  const at::Tensor st = data.clip_start.cpu(), len = data.clip_length.cpu(), spk = data.clip_speaker.cpu();
  const int64_t C = st.size(0);
  w.cumulative.push_back(0);
  for (int64_t c = 0; c < C; ++c) {
    w.clip_first.push_back(st[c].item<int64_t>());
    w.speaker.push_back(spk[c].item<int64_t>());
    w.cumulative.push_back(w.cumulative.back() + std::max<int64_t>(0, len[c].item<int64_t>() - window + 1));
  }
  return w;
}

}  // namespace

void ClipSet::validate(const DitConfig& cfg, int64_t window) const {
  TORCH_CHECK(features.defined() && features.dim() == 2 && features.size(1) == cfg.feature_dim,
              "expected training features of shape [frames, ", cfg.feature_dim, "], received ",
              features.defined() ? features.sizes() : at::IntArrayRef{});
  TORCH_CHECK(targets.defined() && targets.dim() == 2 && targets.size(1) == cfg.output_dim &&
                  targets.size(0) == features.size(0),
              "expected training targets of shape [", features.size(0), ", ", cfg.output_dim, "], received ",
              targets.defined() ? targets.sizes() : at::IntArrayRef{});
  TORCH_CHECK(clip_start.dim() == 1 && clip_length.sizes() == clip_start.sizes() &&
                  clip_speaker.sizes() == clip_start.sizes() && clip_start.numel() > 0,
              "expected clipStart, clipLength and clipSpeaker of one shape [clips]");
  const at::Tensor end = clip_start + clip_length;
  TORCH_CHECK((clip_start >= 0).all().item<bool>() && (end <= features.size(0)).all().item<bool>(),
              "expected every clip inside the ", features.size(0), " frames given");
  TORCH_CHECK((clip_speaker >= 0).all().item<bool>() && (clip_speaker < cfg.speakers).all().item<bool>(),
              "expected clip speakers in [0, ", cfg.speakers, ")");
  TORCH_CHECK((clip_length >= window).any().item<bool>(), "expected at least one clip of ", window,
              " frames or more (the training window), the longest has ", clip_length.max().item<int64_t>());
  TORCH_CHECK(window >= 2 && window <= cfg.max_frames, "expected a training window of 2 to config.maxFrames = ",
              cfg.max_frames, " frames, received ", window);
}

at::Tensor a2e_loss(const at::Tensor& x0_hat, const at::Tensor& x0, const LossOptions& o) {
  const at::Tensor l_exp = (x0_hat - x0).pow(2).mean();
  if (x0.size(1) < 2 || o.lambda_temp == 0) return o.lambda_exp * l_exp;
  auto diff = [](const at::Tensor& x) { return x.slice(1, 1) - x.slice(1, 0, -1); };
  const at::Tensor r = (diff(x0_hat) - diff(x0)).abs();
  const double dl = o.huber_delta;
  const at::Tensor huber = at::where(r <= dl, 0.5 * r * r, dl * (r - 0.5 * dl));
  return o.lambda_exp * l_exp + o.lambda_temp * huber.mean();
}

bool TrainableSet::trains(const std::string& name) const {
  if (name.rfind("data.", 0) == 0) return false;
  for (const std::string& f : frozen)
    if (name.rfind(f, 0) == 0) return false;
  return true;
}

LossAndGrads loss_and_grads(const DitConfig& cfg, const ParamMap& params, const at::Tensor& x0, const at::Tensor& n,
                            const at::Tensor& noise, const at::Tensor& cond, const at::Tensor& speaker,
                            const at::Tensor& keep, const LossOptions& o, const TrainableSet& trainable,
                            bool want_grads, train::ProcessGroup* group, bool stop_here) {
  at::AutoGradMode grad_mode(want_grads);
  ParamMap leaves, trained;
  for (const auto& [name, t] : params) {
    leaves[name] = want_grads && trainable.trains(name) ? t.detach().requires_grad_(true) : t.detach();
    if (leaves[name].requires_grad()) trained[name] = leaves[name];
  }
  std::unique_ptr<train::GradientAverager> average;
  if (group && want_grads) average = std::make_unique<train::GradientAverager>(*group, trained);
  const DiffusionSchedule s = make_schedule(cfg.diffusion_steps, cfg.schedule);
  const at::Tensor x_t = q_sample(s, x0, n, noise);
  const at::Tensor loss = a2e_loss(dit_forward(cfg, leaves, x_t, n, cond, speaker, keep), x0, o);
  LossAndGrads out;
  out.loss = loss.item<double>();
  if (!want_grads) return out;
  loss.backward();
  if (average) {
    std::vector<double> stats{out.loss, stop_here ? 1.0 : 0.0};
    out.grads = average->finish(stats);
    out.loss = stats[0];
    out.stop_requested = stats[1] > 0;
    out.allreduce_wait_ms = average->wait_ms();
  } else {
    out.stop_requested = stop_here;
    for (const auto& [name, t] : trained) out.grads[name] = t.grad().defined() ? t.grad() : at::zeros_like(t);
  }
  if (!trainable.speaker_rows.empty() && out.grads.count("speaker.embedding")) {
    at::Tensor& g = out.grads["speaker.embedding"];
    at::Tensor mask = at::zeros({g.size(0), 1}, g.options());
    for (int64_t r : trainable.speaker_rows) mask[r] = 1;
    g = g * mask;
  }
  return out;
}

TrainResult train_steps(const DitConfig& cfg, ParamMap& params, AdamState& adam, const ClipSet& data,
                        const LossOptions& loss_opts, const AdamOptions& adam_opts, const TrainableSet& trainable,
                        int64_t steps, uint64_t seed, int64_t batch, const std::function<bool()>& should_stop,
                        const DataParallel& parallel) {
  check_dit_params(cfg, params);
  data.validate(cfg, loss_opts.window);
  TORCH_CHECK(batch >= 1, "expected a batch size >= 1, received ", batch);
  TORCH_CHECK(parallel.samples_seen >= 0, "expected samplesSeen >= 0, received ", parallel.samples_seen);
  for (int64_t r : trainable.speaker_rows)
    TORCH_CHECK(r >= 0 && r < cfg.speakers, "expected trained speaker rows in [0, ", cfg.speakers, "), received ", r);
  const int rank = parallel.group ? parallel.group->rank() : 0;
  const int world = parallel.group ? parallel.group->world() : 1;
  const WindowIndex windows = index_windows(data, loss_opts.window);
  train::EpochSampler sampler(windows.cumulative.back(), seed);
  const at::TensorOptions i64 = at::TensorOptions().dtype(at::kLong);
  const int64_t K = data.targets.size(1);
  TrainResult result;
  result.samples_seen = parallel.samples_seen;
  for (int64_t k = 0; k < steps; ++k) {
    // Alone, stop before the step; in a group, after it, together (see the header).
    if (!parallel.group && should_stop && should_stop()) {
      result.stopped = true;
      break;
    }
    const int64_t step = adam.step;
    // This rank's windows, each with its own diffusion step, noise and condition dropout.
    std::vector<int64_t> starts, speakers, ns;
    std::vector<at::Tensor> noises;
    std::vector<float> keeps;
    for (int64_t position : train::rank_positions(result.samples_seen, batch, rank, world)) {
      const int64_t w = sampler.item(position);
      const auto it = std::upper_bound(windows.cumulative.begin(), windows.cumulative.end(), w);
      const int64_t c = static_cast<int64_t>(it - windows.cumulative.begin()) - 1;
      starts.push_back(windows.clip_first[c] + (w - windows.cumulative[c]));
      speakers.push_back(windows.speaker[c]);
      at::Generator gen = train::sample_generator(seed, position);
      ns.push_back(at::randint(cfg.diffusion_steps, {1}, gen, i64).item<int64_t>());
      noises.push_back(at::normal(0.0, 1.0, {loss_opts.window, K}, gen));
      keeps.push_back(at::rand({1}, gen).item<double>() >= loss_opts.cond_drop ? 1.f : 0.f);
    }
    const Batch bt = gather_windows(params, data, at::tensor(starts, i64), at::tensor(speakers, i64), loss_opts.window);
    const at::Device device = bt.x0.device();
    const LossAndGrads lg = loss_and_grads(cfg, params, bt.x0, at::tensor(ns, i64).to(device),
                                           at::stack(noises).to(device), bt.cond, bt.speaker.to(device),
                                           at::tensor(keeps, at::kFloat).to(device), loss_opts, trainable, true,
                                           parallel.group, parallel.group && should_stop && should_stop());
    TORCH_CHECK(std::isfinite(lg.loss), "the Audio-Expression training loss became ", lg.loss, " at step ", step,
                " (try a lower learning rate)");
    train::ParamMap masks;
    if (!trainable.speaker_rows.empty()) {
      at::Tensor mask = at::zeros({cfg.speakers, 1}, params.at("speaker.embedding").options());
      for (int64_t r : trainable.speaker_rows) mask[r] = 1;
      masks["speaker.embedding"] = mask;  // rows of other speakers stay exactly as they were
    }
    const double lr = learning_rate(adam_opts, step);
    const double norm = train::adam_step(params, adam, lg.grads, adam_opts, masks);
    result.losses.push_back(lg.loss);
    result.lrs.push_back(lr);
    result.grad_norm = norm;
    result.samples_seen += batch * world;
    result.allreduce_wait_ms += lg.allreduce_wait_ms;
    if (parallel.group && lg.stop_requested) {
      result.stopped = true;
      break;
    }
  }
  return result;
}

double eval_loss(const DitConfig& cfg, const ParamMap& params, const ClipSet& data, const LossOptions& loss_opts,
                 uint64_t seed, int64_t batch) {
  check_dit_params(cfg, params);
  data.validate(cfg, loss_opts.window);
  const at::Tensor st = data.clip_start.cpu(), len = data.clip_length.cpu(), spk = data.clip_speaker.cpu();
  std::vector<int64_t> starts, speakers;
  for (int64_t c = 0; c < st.size(0); ++c)
    for (int64_t s = 0; s + loss_opts.window <= len[c].item<int64_t>(); s += loss_opts.window) {
      starts.push_back(st[c].item<int64_t>() + s);
      speakers.push_back(spk[c].item<int64_t>());
    }
  const at::TensorOptions i64 = at::TensorOptions().dtype(at::kLong);
  at::Generator gen = train::sample_generator(seed, -1);  // its own stream, apart from training's positions
  double total = 0;
  int64_t count = 0;
  LossOptions o = loss_opts;
  for (size_t b0 = 0; b0 < starts.size(); b0 += batch) {
    const size_t b1 = std::min(starts.size(), b0 + static_cast<size_t>(batch));
    const std::vector<int64_t> s(starts.begin() + b0, starts.begin() + b1), k(speakers.begin() + b0, speakers.begin() + b1);
    const int64_t B = static_cast<int64_t>(s.size());
    const Batch bt = gather_windows(params, data, at::tensor(s, i64), at::tensor(k, i64), loss_opts.window);
    const at::Tensor n = at::randint(cfg.diffusion_steps, {B}, gen, i64);
    const at::Tensor noise = at::normal(0.0, 1.0, bt.x0.sizes(), gen, bt.x0.options().device(at::kCPU)).to(bt.x0.device());
    const at::Tensor keep = at::ones({B}, bt.x0.options());
    const LossAndGrads lg = loss_and_grads(cfg, params, bt.x0, n.to(bt.x0.device()), noise, bt.cond,
                                           bt.speaker.to(bt.x0.device()), keep, o, TrainableSet{}, false);
    total += lg.loss * B;
    count += B;
  }
  return total / static_cast<double>(count);
}

}  // namespace a2e
}  // namespace ggt
