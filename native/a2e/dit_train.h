// Training the Audio-Expression diffusion transformer (docs/audio-expression-model.md,
// "Training"): random windows of a clip set, x0-prediction diffusion loss (L2 + Huber on
// frame differences), classifier-free condition dropout, and Adam with warm-up + cosine
// learning rate. Steps are seeded by (seed, global step), so a run resumed from a
// checkpoint draws exactly the batches the uninterrupted run would have drawn.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "../train/adam.h"
#include "../train/process_group.h"
#include "dit.h"

namespace ggt {
namespace a2e {

// Clips laid end to end: features [Σ T_c, F] and targets [Σ T_c, K] (raw units, normalised
// inside with data.mean / data.std), clip_start / clip_length / clip_speaker [C] int64.
struct ClipSet {
  at::Tensor features, targets, clip_start, clip_length, clip_speaker;
  void validate(const DitConfig& cfg, int64_t window) const;
};

struct LossOptions {
  int64_t window = 10;           // frames per training window
  double lambda_exp = 1.0;
  double lambda_temp = 1.0;
  double huber_delta = 1.0;
  double cond_drop = 0.1;        // probability of dropping C' (classifier-free guidance)
};

using train::AdamOptions;
using train::learning_rate;

// The loss of predicted x̂0 [B, T, K] against x0 [B, T, K] (both normalised):
// λ_exp mean((x̂0 − x0)²) + λ_temp mean(Huber_δ(Δx̂0 − Δx0)). Returns a scalar.
at::Tensor a2e_loss(const at::Tensor& x0_hat, const at::Tensor& x0, const LossOptions& o);

using train::AdamState;

// Which parameters train: all but those whose names start with one of `frozen`, and never
// data.mean / data.std. When speaker_rows is non-empty, only those rows of the speaker
// embedding receive updates.
struct TrainableSet {
  std::vector<std::string> frozen;
  std::vector<int64_t> speaker_rows;
  bool trains(const std::string& name) const;
};

struct TrainResult {
  std::vector<double> losses;  // one per step (the mean over all ranks)
  std::vector<double> lrs;
  double grad_norm = 0;        // of the last step, before clipping
  int64_t samples_seen = 0;    // the sample position the next step starts at
  double allreduce_wait_ms = 0;  // summed over the steps: communication the backward did not hide
  bool stopped = false;        // should_stop() (of any rank, with a group) ended the call early
};

using train::DataParallel;

// Runs `steps` optimisation steps from adam.step, updating `params` (in place) and `adam`;
// `batch` windows per rank and step. `should_stop` is polled between steps; with a group, a rank
// that should stop says so in its step's all-reduce and every rank stops after that same step
// (no rank is left waiting in a collective the others never start). Throws if the loss becomes
// non-finite, or (with a group) when another rank is gone or stalls past the timeout.
TrainResult train_steps(const DitConfig& cfg, ParamMap& params, AdamState& adam, const ClipSet& data,
                        const LossOptions& loss_opts, const AdamOptions& adam_opts, const TrainableSet& trainable,
                        int64_t steps, uint64_t seed, int64_t batch, const std::function<bool()>& should_stop,
                        const DataParallel& parallel = {});

// A fixed, seeded evaluation: every clip cut into non-overlapping windows, each with a
// timestep and noise drawn from `seed`, condition kept. Returns the mean loss.
double eval_loss(const DitConfig& cfg, const ParamMap& params, const ClipSet& data, const LossOptions& loss_opts,
                 uint64_t seed, int64_t batch);

// The loss of one explicit batch and, when want_grads, the gradient of every trained
// parameter (for tests and gradient checks). x0 normalised [B, T, K].
// With `group`, the loss and gradients are averaged over its ranks, and `stop_here` (this rank
// wants to stop after this step) is shared: stop_requested is true when any rank wants to.
struct LossAndGrads {
  double loss = 0;
  ParamMap grads;
  double allreduce_wait_ms = 0;
  bool stop_requested = false;
};
LossAndGrads loss_and_grads(const DitConfig& cfg, const ParamMap& params, const at::Tensor& x0, const at::Tensor& n,
                            const at::Tensor& noise, const at::Tensor& cond, const at::Tensor& speaker,
                            const at::Tensor& keep, const LossOptions& o, const TrainableSet& trainable,
                            bool want_grads, train::ProcessGroup* group = nullptr, bool stop_here = false);

}  // namespace a2e
}  // namespace ggt
