#include "diffusion.h"

#include <ATen/ATen.h>

#include <cmath>
#include <utility>
#include <vector>

namespace ggt {
namespace a2e {
namespace {

// A per-batch coefficient [B] broadcast against x [B, ...].
at::Tensor per_item(const at::Tensor& table, const at::Tensor& t, const at::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = -1;
  return table.to(like.device()).index_select(0, t.to(like.device(), at::kLong)).to(like.scalar_type()).view(shape);
}

void check_steps(const DiffusionSchedule& s, const at::Tensor& t, const char* name, bool allow_minus_one = false) {
  TORCH_CHECK(t.dim() == 1, "expected ", name, " of shape [B], received ", t.dim(), " dimensions");
  if (t.numel() == 0) return;
  const int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
  TORCH_CHECK(lo >= (allow_minus_one ? -1 : 0) && hi < s.steps, "expected ", name, " in [", allow_minus_one ? -1 : 0,
              ", ", s.steps, "), received ", lo < 0 ? lo : hi);
}

// sqrt(ᾱ) and sqrt(1 − ᾱ) at steps t [B] (-1: the clean end, ᾱ = 1) in float64, shaped to
// broadcast against x [B, ...].
std::pair<at::Tensor, at::Tensor> alpha_sigma(const DiffusionSchedule& s, const at::Tensor& t, const at::Tensor& x) {
  const at::Tensor table = at::cat({at::ones({1}, s.alphas_cumprod.options()), s.alphas_cumprod}).to(at::kDouble);
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = -1;
  const at::Tensor ac = table.to(x.device()).index_select(0, (t.to(x.device(), at::kLong) + 1)).view(shape);
  return {at::sqrt(ac), at::sqrt((1 - ac).clamp_min(0))};
}

}  // namespace

DiffusionSchedule make_schedule(int64_t steps, const std::string& kind) {
  TORCH_CHECK(steps >= 1 && steps <= 100000, "expected 1 to 100000 diffusion steps, received ", steps);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  at::Tensor betas;
  if (kind == "linear") {
    const double scale = 1000.0 / static_cast<double>(steps);  // DDPM's range for 1000 steps, rescaled
    betas = at::linspace(scale * 1e-4, std::min(0.999, scale * 0.02), steps, f64);
  } else if (kind == "cosine") {
    const double s_ = 0.008;
    auto f = [&](double t) { return std::pow(std::cos((t / steps + s_) / (1 + s_) * M_PI / 2), 2.0); };
    std::vector<double> b(steps);
    for (int64_t i = 0; i < steps; ++i) b[i] = std::min(0.999, 1.0 - f(i + 1.0) / f(static_cast<double>(i)));
    betas = at::tensor(b, f64);
  } else {
    TORCH_CHECK(false, "expected a noise schedule 'linear' or 'cosine', received '", kind, "'");
  }
  const at::Tensor alphas = 1 - betas;
  const at::Tensor ac = at::cumprod(alphas, 0);
  const at::Tensor ac_prev = at::cat({at::ones({1}, f64), ac.slice(0, 0, -1)});
  DiffusionSchedule s;
  s.steps = steps;
  s.betas = betas.to(at::kFloat);
  s.alphas_cumprod = ac.to(at::kFloat);
  s.alphas_cumprod_prev = ac_prev.to(at::kFloat);
  s.posterior_variance = (betas * (1 - ac_prev) / (1 - ac)).to(at::kFloat);
  s.posterior_coef_x0 = (at::sqrt(ac_prev) * betas / (1 - ac)).to(at::kFloat);
  s.posterior_coef_xt = (at::sqrt(alphas) * (1 - ac_prev) / (1 - ac)).to(at::kFloat);
  return s;
}

at::Tensor q_sample(const DiffusionSchedule& s, const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) {
  check_steps(s, t, "t");
  TORCH_CHECK(noise.sizes() == x0.sizes(), "expected noise of the same shape as x0");
  const at::Tensor ac = per_item(s.alphas_cumprod, t, x0);
  return at::sqrt(ac) * x0 + at::sqrt(1 - ac) * noise;
}

at::Tensor ddpm_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred, const at::Tensor& t,
                     const at::Tensor& noise) {
  check_steps(s, t, "t");
  const at::Tensor mean = per_item(s.posterior_coef_x0, t, x_t) * x0_pred + per_item(s.posterior_coef_xt, t, x_t) * x_t;
  const at::Tensor sigma = at::sqrt(per_item(s.posterior_variance, t, x_t));
  std::vector<int64_t> shape(x_t.dim(), 1);
  shape[0] = -1;
  const at::Tensor nonzero = (t > 0).to(x_t.device(), x_t.scalar_type()).view(shape);  // no noise on the last step
  return mean + nonzero * sigma * noise;
}

at::Tensor ddim_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred, const at::Tensor& t,
                     const at::Tensor& t_prev, double eta, const at::Tensor& noise) {
  check_steps(s, t, "t");
  check_steps(s, t_prev, "t_prev", /*allow_minus_one=*/true);
  TORCH_CHECK((t_prev < t).all().item<bool>(), "expected every t_prev below its t");
  TORCH_CHECK(eta >= 0, "expected eta >= 0, received ", eta);
  const at::Tensor ac = per_item(s.alphas_cumprod, t, x_t);
  // \bar{alpha} at t_prev, 1 for t_prev = -1.
  const at::Tensor table = at::cat({at::ones({1}, s.alphas_cumprod.options()), s.alphas_cumprod});
  const at::Tensor ac_prev = per_item(table, t_prev + 1, x_t);
  const at::Tensor eps = (x_t - at::sqrt(ac) * x0_pred) / at::sqrt(1 - ac);
  const at::Tensor sigma = eta * at::sqrt((1 - ac_prev) / (1 - ac) * (1 - ac / ac_prev));
  return at::sqrt(ac_prev) * x0_pred + at::sqrt((1 - ac_prev - sigma * sigma).clamp_min(0)) * eps + sigma * noise;
}

at::Tensor dpm_solver_pp_step(const DiffusionSchedule& s, const at::Tensor& x_t, const at::Tensor& x0_pred,
                              const at::Tensor& t, const at::Tensor& t_next, const at::Tensor& x0_before,
                              const at::Tensor& t_before) {
  check_steps(s, t, "t");
  check_steps(s, t_next, "t_next", /*allow_minus_one=*/true);
  TORCH_CHECK((t_next < t).all().item<bool>(), "expected every t_next below its t");
  TORCH_CHECK(x0_pred.sizes() == x_t.sizes(), "expected x0_pred of the same shape as x_t");
  const auto [a, sg] = alpha_sigma(s, t, x_t);
  const auto [a_n, sg_n] = alpha_sigma(s, t_next, x_t);
  at::Tensor d = x0_pred;
  if (x0_before.defined()) {
    TORCH_CHECK(t_before.defined(), "expected t_before with x0_before");
    check_steps(s, t_before, "t_before");
    TORCH_CHECK((t_before > t).all().item<bool>(), "expected every t_before above its t");
    TORCH_CHECK(x0_before.sizes() == x_t.sizes(), "expected x0_before of the same shape as x_t");
    const auto [a_b, sg_b] = alpha_sigma(s, t_before, x_t);
    const at::Tensor lambda = at::log(a) - at::log(sg);
    const at::Tensor h = at::log(a_n) - at::log(sg_n) - lambda;        // +inf towards the clean end
    const at::Tensor half_inv_r = (h / (lambda - (at::log(a_b) - at::log(sg_b)))) / 2;  // 1 / (2r)
    // First order where h is infinite (t_next = -1).
    const at::Tensor w = at::where(t_next.to(x_t.device()).view(half_inv_r.sizes()) < 0, at::zeros_like(half_inv_r), half_inv_r)
                             .to(x_t.scalar_type());
    d = x0_pred + w * (x0_pred - x0_before);
  }
  const at::Tensor coef_x = (sg_n / sg).to(x_t.scalar_type());
  const at::Tensor coef_d = (a_n - sg_n * a / sg).to(x_t.scalar_type());
  return coef_x * x_t + coef_d * d;
}

}  // namespace a2e
}  // namespace ggt
