// LibTorch layer of the rasterizer: input checks, buffer allocation, the stage sequence on
// the right backend, and the autograd function that ties forward and backward together.
#include "rasterize.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../common/cpu_parallel.h"
#include "rasterize_kernels.h"

#ifdef GGT_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace ggt {
namespace render {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::mutex stage_mutex;
StageTimes stage_times;  // guarded by stage_mutex

// Milliseconds since `start`, restarting it.
double lap(std::chrono::steady_clock::time_point& start) {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start).count();
  start = now;
  return ms;
}

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void check_gaussian_tensor(const at::Tensor& t, const char* name, std::vector<int64_t> shape,
                           const char* shape_text, const at::Device& device) {
  TORCH_CHECK(t.defined(), "expected ", name, " to be a tensor, received nothing");
  TORCH_CHECK(t.scalar_type() == at::kFloat, "expected ", name, " to be float32, received ", t.scalar_type());
  bool ok = t.dim() == static_cast<int64_t>(shape.size());
  for (size_t d = 0; ok && d < shape.size(); ++d) ok = shape[d] < 0 || t.size(d) == shape[d];
  TORCH_CHECK(ok, "expected ", name, " to have shape ", shape_text, ", received shape ", shape_of(t));
  TORCH_CHECK(t.device() == device, "expected ", name, " on ", device, " like means, received it on ", t.device());
}

// The value checks of rasterize() on CPU tensors: one parallel pass over each contiguous
// input instead of LibTorch reductions that allocate a [N, ...] bool tensor per check.
// Returns the first failed check's message, or empty.
struct ValueRule {
  const char* name;
  const float* data;
  int64_t rows, cols;
  float lo, hi;       // every value in [lo, hi] (after the finiteness check)
  bool nonzero_rows;  // some value of each row is non-zero (rows of 4 only: quaternions)
  const char* range_message;
};

// Flags of one run of floats, in a loop without branches that the compiler vectorises (the
// input is read once, at memory speed): non-finite values (all exponent bits set), values
// outside [lo, hi] (NaN counts too, but is reported as non-finite first).
// Compiled for AVX-512 and AVX2 too, the widest the CPU runs picked at load time (the baseline
// SSE2 loop took 0.22-0.35 ms for head's 1.4 M input floats, these 0.15-0.22 ms: 5 A/B pairs).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
int scan_values(const float* x, int64_t count, float lo, float hi) {
  uint32_t not_finite = 0, out_of_range = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    not_finite |= (bits & 0x7f800000u) == 0x7f800000u;
    out_of_range |= !(x[i] >= lo) | !(x[i] <= hi);
  }
  return (not_finite ? 1 : 0) | (out_of_range ? 2 : 0);
}

// Whether any row of 4 floats is all zeros (+0 or -0).
bool any_zero_row4(const float* x, int64_t rows) {
  uint32_t zero = 0;
  for (int64_t i = 0; i < rows; ++i) {
    uint32_t bits = 0;
    for (int c = 0; c < 4; ++c) {
      uint32_t b;
      std::memcpy(&b, x + 4 * i + c, sizeof b);
      bits |= b & 0x7fffffffu;
    }
    zero |= bits == 0;
  }
  return zero != 0;
}

std::string check_values_cpu(const std::vector<ValueRule>& rules) {
  enum : int { kNotFinite = 1, kOutOfRange = 2, kZeroRow = 4 };
  std::vector<int> found(rules.size(), 0);
  for (size_t k = 0; k < rules.size(); ++k) {
    const ValueRule& r = rules[k];
    std::atomic<int> flags{0};
    cpu::parallel_ranges(r.rows, 16384, [&](int64_t begin, int64_t end) {
      int local = scan_values(r.data + begin * r.cols, (end - begin) * r.cols, r.lo, r.hi);
      TORCH_INTERNAL_ASSERT(!r.nonzero_rows || r.cols == 4);
      if (r.nonzero_rows && any_zero_row4(r.data + begin * r.cols, end - begin)) local |= kZeroRow;
      if (local != 0) flags.fetch_or(local);
    });
    found[k] = flags.load();
  }
  // The order the messages had as separate checks: finiteness of every input first.
  for (size_t k = 0; k < rules.size(); ++k)
    if (found[k] & kNotFinite) return std::string("expected ") + rules[k].name + " to be finite, received NaN or infinity";
  for (size_t k = 0; k < rules.size(); ++k)
    if (found[k] & kOutOfRange) return rules[k].range_message;
  for (size_t k = 0; k < rules.size(); ++k)
    if (found[k] & kZeroRow) return "expected quats to have non-zero rows, received a zero quaternion";
  return {};
}

// Camera is stored in the autograd context as doubles (IValue has no float lists).
std::vector<double> camera_to_doubles(const Camera& c) {
  std::vector<double> v(c.view, c.view + 16);
  for (double x : {double(c.fx), double(c.fy), double(c.cx), double(c.cy), double(c.width), double(c.height),
                   double(c.near_plane), double(c.far_plane)})
    v.push_back(x);
  return v;
}

Camera camera_from_doubles(const std::vector<double>& v) {
  Camera c;
  for (int i = 0; i < 16; ++i) c.view[i] = static_cast<float>(v[i]);
  c.fx = static_cast<float>(v[16]);
  c.fy = static_cast<float>(v[17]);
  c.cx = static_cast<float>(v[18]);
  c.cy = static_cast<float>(v[19]);
  c.width = static_cast<int32_t>(v[20]);
  c.height = static_cast<int32_t>(v[21]);
  c.near_plane = static_cast<float>(v[22]);
  c.far_plane = static_cast<float>(v[23]);
  return c;
}

#ifdef GGT_WITH_CUDA
void* current_stream(const at::Tensor& t) {
  return static_cast<void*>(c10::cuda::getCurrentCUDAStream(t.device().index()).stream());
}
#else
[[noreturn]] void no_cuda() {
  TORCH_CHECK(false, "these tensors are on a CUDA device, but this ggtalker binary was built without CUDA kernels; "
                     "rebuild with nvcc and a CUDA-enabled LibTorch (see docs/gpu-build.md)");
}
#endif

GaussianInputs gaussian_inputs(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
                               const at::Tensor& opacities) {
  return {means.size(0), means.data_ptr<float>(), quats.data_ptr<float>(), scales.data_ptr<float>(),
          opacities.data_ptr<float>()};
}

TileFootprint* footprints_of(const at::Tensor& t) { return reinterpret_cast<TileFootprint*>(t.data_ptr<int64_t>()); }

// Everything the backward needs from the forward, besides the inputs.
struct ForwardState {
  at::Tensor proj;  // CUDA: [N, kProjStride]; CPU: [N], the depths (project_forward_cpu)
  at::Tensor radii, sorted_ids, tile_start, final_t, last_contributor;
  at::Tensor splat_records;  // CPU: [N, kSplatRecordFloats] blending records; CUDA: empty
  at::Tensor image, alpha, depth;
};

ForwardState forward_kernels(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
                             const at::Tensor& opacities, const at::Tensor& colors, const Camera& cam,
                             const std::array<float, 3>& background, bool antialiased, int64_t max_tile_pairs) {
  const int64_t n = means.size(0);
  const auto f32 = means.options();
  const auto i32 = f32.dtype(at::kInt);
  const bool cuda = means.is_cuda();
  const TileGrid grid = cuda ? TileGrid::for_camera(cam) : TileGrid::for_cpu(cam);
  const GaussianInputs g = gaussian_inputs(means, quats, scales, opacities);
  ForwardState s;
  StageTimes times;
  auto clock = std::chrono::steady_clock::now();
  s.proj = cuda ? at::empty({n, kProjStride}, f32) : at::empty({n}, f32);
  s.radii = at::empty({n}, i32);
  at::Tensor touched = at::empty({n}, i32);
  at::Tensor footprints;  // CPU: [N, 2] int64 holding a TileFootprint per Gaussian, for binning
  s.splat_records = at::empty({cuda ? 0 : n, kSplatRecordFloats}, f32);
  int64_t n_isect = 0;  // the rectangles' (tile, Gaussian) pairs
  at::Tensor offsets;   // CUDA: inclusive cumulative sum of tiles_touched [N], int64
  if (n > 0) {
    if (cuda) {
#ifdef GGT_WITH_CUDA
      project_forward_cuda(g, cam, antialiased, s.proj.data_ptr<float>(), s.radii.data_ptr<int32_t>(),
                           touched.data_ptr<int32_t>(), current_stream(means));
      offsets = at::cumsum(touched, 0, at::kLong);
      n_isect = offsets[n - 1].item<int64_t>();
#else
      no_cuda();
#endif
    } else {
      footprints = at::empty({n, 2}, f32.dtype(at::kLong));
      n_isect = project_forward_cpu(g, cam, antialiased, colors.data_ptr<float>(), s.proj.data_ptr<float>(),
                                    s.radii.data_ptr<int32_t>(), touched.data_ptr<int32_t>(), footprints_of(footprints),
                                    s.splat_records.data_ptr<float>());
    }
  }
  times.project = lap(clock);
  TORCH_CHECK(n_isect < (int64_t(1) << 31), "this scene has ", n_isect,
              " tile intersections, more than the rasterizer's 2^31 limit: render fewer or smaller Gaussians");
  // Checked before the pairs are allocated: a few huge Gaussians cover every tile of a large image.
  const int tile_w = cuda ? kTileSize : kCpuTileWidth, tile_h = cuda ? kTileSize : kCpuTileHeight;
  TORCH_CHECK(n_isect <= max_tile_pairs, "this scene has ", n_isect, " (Gaussian, ", tile_w, "x", tile_h,
              " tile) pairs, more than maxTilePairs = ",
              max_tile_pairs, " (about ", (n_isect * 4) >> 20, " MB of tile lists): render fewer or smaller Gaussians or a smaller image, ",
              "or raise maxTilePairs if the machine has the memory");
  s.sorted_ids = at::empty({n_isect}, i32);
  s.tile_start = at::zeros({grid.count() + 1}, i32);
  const int64_t pixels = static_cast<int64_t>(cam.height) * cam.width;
  s.image = at::empty({cam.height, cam.width, 3}, f32);
  s.alpha = at::empty({cam.height, cam.width}, f32);
  s.depth = at::empty({cam.height, cam.width}, f32);
  s.final_t = at::empty({cam.height, cam.width}, f32);
  s.last_contributor = at::empty({cam.height, cam.width}, i32);
  if (pixels == 0) return s;
  if (cuda) {
#ifdef GGT_WITH_CUDA
    void* stream = current_stream(means);
    bin_cuda(n, s.proj.data_ptr<float>(), s.radii.data_ptr<int32_t>(), offsets.data_ptr<int64_t>(), grid, n_isect,
             s.sorted_ids.data_ptr<int32_t>(), s.tile_start.data_ptr<int32_t>(), stream);
    blend_forward_cuda(cam, s.proj.data_ptr<float>(), colors.data_ptr<float>(), background.data(),
                       s.sorted_ids.data_ptr<int32_t>(), s.tile_start.data_ptr<int32_t>(), s.image.data_ptr<float>(),
                       s.alpha.data_ptr<float>(), s.depth.data_ptr<float>(), s.final_t.data_ptr<float>(),
                       s.last_contributor.data_ptr<int32_t>(), stream);
#endif
  } else {
    bin_cpu(n, s.proj.data_ptr<float>(), s.radii.data_ptr<int32_t>(), n > 0 ? footprints_of(footprints) : nullptr, grid,
            n_isect, s.sorted_ids.data_ptr<int32_t>(), s.tile_start.data_ptr<int32_t>());
    times.sort = lap(clock);
    times.rect_pairs = n_isect;
    times.tile_pairs = s.tile_start.data_ptr<int32_t>()[grid.count()];
    blend_forward_cpu(cam, s.splat_records.data_ptr<float>(), background.data(), s.sorted_ids.data_ptr<int32_t>(),
                      s.tile_start.data_ptr<int32_t>(), s.image.data_ptr<float>(), s.alpha.data_ptr<float>(),
                      s.depth.data_ptr<float>(), s.final_t.data_ptr<float>(), s.last_contributor.data_ptr<int32_t>());
    times.blend = lap(clock);
    std::lock_guard<std::mutex> lock(stage_mutex);
    times.checks = stage_times.checks;  // set by rasterize() just before
    stage_times = times;
  }
  return s;
}

at::Tensor contiguous_or_zeros(const at::Tensor& grad, at::IntArrayRef shape, const at::TensorOptions& options) {
  return grad.defined() ? grad.contiguous() : at::zeros(shape, options);
}

// Autograd function over the kernels. Inputs are contiguous float32 tensors; colors [N, 3].
// Outputs: image [H, W, 3], alpha [H, W], expected depth [H, W] (kDepthAlphaFloor), radii [N].
// The CPU kernels divide and differentiate the depth per pixel; on CUDA it is done here.
class RasterizeFunction : public torch::autograd::Function<RasterizeFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& means, const at::Tensor& quats,
                               const at::Tensor& scales, const at::Tensor& opacities, const at::Tensor& colors,
                               std::vector<double> camera, std::vector<double> background, bool antialiased,
                               int64_t max_tile_pairs) {
    const Camera cam = camera_from_doubles(camera);
    const std::array<float, 3> bg{float(background[0]), float(background[1]), float(background[2])};
    ForwardState s;
    // On the CPU the kernels' parallel regions share one wake-up of LibTorch's threads.
    auto kernels = [&] { s = forward_kernels(means, quats, scales, opacities, colors, cam, bg, antialiased, max_tile_pairs); };
    if (means.is_cuda()) kernels();
    else cpu::with_team(kernels);
    if (means.is_cuda()) s.depth = s.depth / s.alpha.clamp_min(kDepthAlphaFloor);
    ctx->save_for_backward({means, quats, scales, opacities, colors, s.proj, s.radii, s.sorted_ids, s.tile_start,
                            s.final_t, s.last_contributor, s.splat_records, s.depth});
    ctx->saved_data["camera"] = camera;
    ctx->saved_data["background"] = background;
    ctx->saved_data["antialiased"] = antialiased;
    ctx->mark_non_differentiable({s.radii});
    return {s.image, s.alpha, s.depth, s.radii};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &means = saved[0], &quats = saved[1], &scales = saved[2], &opacities = saved[3],
                     &colors = saved[4], &proj = saved[5], &radii = saved[6], &sorted_ids = saved[7],
                     &tile_start = saved[8], &final_t = saved[9], &last_contributor = saved[10],
                     &splat_records = saved[11], &depth = saved[12];
    const Camera cam = camera_from_doubles(ctx->saved_data["camera"].toDoubleVector());
    const auto bgd = ctx->saved_data["background"].toDoubleVector();
    const std::array<float, 3> bg{float(bgd[0]), float(bgd[1]), float(bgd[2])};
    const bool antialiased = ctx->saved_data["antialiased"].toBool();
    const int64_t h = final_t.size(0), w = final_t.size(1);
    const at::Tensor v_image = contiguous_or_zeros(grads[0], {h, w, 3}, final_t.options());
    at::Tensor v_alpha = contiguous_or_zeros(grads[1], {h, w}, final_t.options());
    at::Tensor v_depth = contiguous_or_zeros(grads[2], {h, w}, final_t.options());
    if (means.is_cuda()) {  // to the accumulated depth's gradient, as the CPU kernels do per pixel
      const at::Tensor alpha = 1 - final_t, floored = alpha.clamp_min(kDepthAlphaFloor);
      v_alpha = (v_alpha - at::where(alpha >= kDepthAlphaFloor, v_depth * depth / floored, at::zeros_like(alpha))).contiguous();
      v_depth = (v_depth / floored).contiguous();
    }

    const int64_t n = means.size(0);
    // CUDA accumulates into zeros; the CPU writes every row.
    const bool cuda = means.is_cuda();
    at::Tensor v_proj = cuda ? at::zeros({n, kProjStride}, proj.options()) : at::empty({n, kProjStride}, proj.options());
    at::Tensor v_colors = cuda ? at::zeros_like(colors) : at::empty_like(colors);
    at::Tensor v_means = at::empty_like(means), v_quats = at::empty_like(quats), v_scales = at::empty_like(scales),
               v_opacities = at::empty_like(opacities);
    if (n > 0 && final_t.numel() > 0) {
      const GaussianInputs g = gaussian_inputs(means, quats, scales, opacities);
      if (means.is_cuda()) {
#ifdef GGT_WITH_CUDA
        void* stream = current_stream(means);
        blend_backward_cuda(cam, n, proj.data_ptr<float>(), colors.data_ptr<float>(), bg.data(),
                            sorted_ids.data_ptr<int32_t>(), tile_start.data_ptr<int32_t>(), final_t.data_ptr<float>(),
                            last_contributor.data_ptr<int32_t>(), v_image.data_ptr<float>(), v_alpha.data_ptr<float>(),
                            v_depth.data_ptr<float>(), v_proj.data_ptr<float>(), v_colors.data_ptr<float>(), stream);
        project_backward_cuda(g, cam, antialiased, radii.data_ptr<int32_t>(), v_proj.data_ptr<float>(),
                              v_means.data_ptr<float>(), v_quats.data_ptr<float>(), v_scales.data_ptr<float>(),
                              v_opacities.data_ptr<float>(), stream);
#else
        no_cuda();
#endif
      } else {
        auto clock = std::chrono::steady_clock::now();
        double blend_ms = 0;
        cpu::with_team([&] {  // one wake-up of LibTorch's threads for both stages' regions
        blend_backward_cpu(cam, n, splat_records.data_ptr<float>(), bg.data(), sorted_ids.data_ptr<int32_t>(),
                           tile_start.data_ptr<int32_t>(), final_t.data_ptr<float>(), depth.data_ptr<float>(),
                           last_contributor.data_ptr<int32_t>(), v_image.data_ptr<float>(), v_alpha.data_ptr<float>(),
                           v_depth.data_ptr<float>(), v_proj.data_ptr<float>(), v_colors.data_ptr<float>());
        blend_ms = lap(clock);
        project_backward_cpu(g, cam, antialiased, radii.data_ptr<int32_t>(), v_proj.data_ptr<float>(),
                             v_means.data_ptr<float>(), v_quats.data_ptr<float>(), v_scales.data_ptr<float>(),
                             v_opacities.data_ptr<float>());
        });
        std::lock_guard<std::mutex> lock(stage_mutex);
        stage_times.backward_blend = blend_ms;
        stage_times.backward_project = lap(clock);
      }
    } else {
      for (at::Tensor* t : {&v_means, &v_quats, &v_scales, &v_opacities, &v_colors}) t->zero_();
    }
    return {v_means, v_quats, v_scales, v_opacities, v_colors, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

std::array<float, 3> camera_center(const Camera& c) {
  const float* v = c.view;
  return {-(v[0] * v[3] + v[4] * v[7] + v[8] * v[11]), -(v[1] * v[3] + v[5] * v[7] + v[9] * v[11]),
          -(v[2] * v[3] + v[6] * v[7] + v[10] * v[11])};
}

void check_camera(const Camera& c) {
  for (int i = 0; i < 16; ++i)
    TORCH_CHECK(std::isfinite(c.view[i]), "expected the view matrix to be finite, received ", c.view[i],
                " at element ", i);
  TORCH_CHECK(c.view[12] == 0.f && c.view[13] == 0.f && c.view[14] == 0.f && c.view[15] == 1.f,
              "expected the view matrix's last row to be [0, 0, 0, 1], received [", c.view[12], ", ", c.view[13],
              ", ", c.view[14], ", ", c.view[15], "]");
  TORCH_CHECK(std::isfinite(c.fx) && c.fx > 0.f && std::isfinite(c.fy) && c.fy > 0.f,
              "expected focal lengths fx, fy to be positive and finite, received ", c.fx, ", ", c.fy);
  TORCH_CHECK(std::isfinite(c.cx) && std::isfinite(c.cy), "expected cx, cy to be finite, received ", c.cx, ", ",
              c.cy);
  TORCH_CHECK(c.width >= 1 && c.height >= 1 && c.width <= 16384 && c.height <= 16384,
              "expected width and height in [1, 16384], received ", c.width, " x ", c.height);
  TORCH_CHECK(std::isfinite(c.near_plane) && c.near_plane > 0.f && c.far_plane > c.near_plane,
              "expected 0 < near < far (far may be infinite), received near ", c.near_plane, ", far ", c.far_plane);
}

at::Tensor sh_to_color(const at::Tensor& sh, const at::Tensor& means, const at::Tensor& campos) {
  // Real SH basis of 3DGS (degree <= 3), evaluated at the unit direction camera -> Gaussian.
  const int64_t k = sh.size(1);
  const at::Tensor dir = means - campos.to(means.options()).view({1, 3});
  const at::Tensor d = dir / dir.norm(2, 1, true).clamp_min(1e-12);
  const at::Tensor x = d.select(1, 0), y = d.select(1, 1), z = d.select(1, 2);
  std::vector<at::Tensor> basis{at::full_like(x, 0.28209479177387814)};
  if (k > 1) {
    const double c1 = 0.4886025119029199;
    basis.insert(basis.end(), {-c1 * y, c1 * z, -c1 * x});
  }
  if (k > 4) {
    const at::Tensor xx = x * x, yy = y * y, zz = z * z;
    basis.insert(basis.end(), {1.0925484305920792 * x * y, -1.0925484305920792 * y * z,
                               0.31539156525252005 * (2 * zz - xx - yy), -1.0925484305920792 * x * z,
                               0.5462742152960396 * (xx - yy)});
    if (k > 9) {
      basis.insert(basis.end(), {-0.5900435899266435 * y * (3 * xx - yy), 2.890611442640554 * x * y * z,
                                 -0.4570457994644658 * y * (4 * zz - xx - yy),
                                 0.3731763325901154 * z * (2 * zz - 3 * xx - 3 * yy),
                                 -0.4570457994644658 * x * (4 * zz - xx - yy), 1.445305721320277 * z * (xx - yy),
                                 -0.5900435899266435 * x * (xx - 3 * yy)});
    }
  }
  const at::Tensor b = at::stack(basis, 1);  // [N, K]
  return (at::bmm(b.unsqueeze(1), sh).squeeze(1) + 0.5).clamp_min(0.0);
}

StageTimes last_stage_times() {
  std::lock_guard<std::mutex> lock(stage_mutex);
  return stage_times;
}

RasterOutputs rasterize(const at::Tensor& means, const at::Tensor& quats, const at::Tensor& scales,
                        const at::Tensor& opacities, const at::Tensor& colors, const RasterSettings& settings) {
  const auto start = std::chrono::steady_clock::now();
  auto clock = start;
  check_camera(settings.camera);
  TORCH_CHECK(means.defined() && means.dim() == 2 && means.size(1) == 3,
              "expected means to have shape [N, 3], received shape ", means.defined() ? shape_of(means) : "none");
  const int64_t n = means.size(0);
  const at::Device device = means.device();
  check_gaussian_tensor(means, "means", {n, 3}, "[N, 3]", device);
  check_gaussian_tensor(quats, "quats", {n, 4}, "[N, 4] (N from means)", device);
  check_gaussian_tensor(scales, "scales", {n, 3}, "[N, 3] (N from means)", device);
  check_gaussian_tensor(opacities, "opacities", {n}, "[N] (N from means)", device);
  TORCH_CHECK(colors.defined() && (colors.dim() == 2 || colors.dim() == 3),
              "expected colors to have shape [N, 3] or SH coefficients [N, K, 3], received shape ",
              colors.defined() ? shape_of(colors) : "none");
  if (colors.dim() == 2) {
    check_gaussian_tensor(colors, "colors", {n, 3}, "[N, 3] (N from means)", device);
  } else {
    check_gaussian_tensor(colors, "SH coefficients", {n, -1, 3}, "[N, K, 3]", device);
    const int64_t k = colors.size(1);
    TORCH_CHECK(k == 1 || k == 4 || k == 9 || k == 16,
                "expected SH coefficients [N, K, 3] with K = 1, 4, 9 or 16 (degree 0-3), received K = ", k);
  }
  TORCH_CHECK(n < (int64_t(1) << 31), "expected fewer than 2^31 Gaussians, received ", n);
  TORCH_CHECK(device.is_cpu() || device.is_cuda(), "expected tensors on the CPU or a CUDA device, received ", device);
  const char* kScalesMessage = "expected scales to be non-negative (standard deviations, not log-scales)";
  const char* kOpacitiesMessage = "expected opacities in [0, 1] (not logits)";
  if (device.is_cpu()) {
    const float inf = std::numeric_limits<float>::infinity();
    const at::Tensor m = means.contiguous(), q = quats.contiguous(), sc = scales.contiguous(), o = opacities.contiguous(),
                     c = colors.contiguous();
    std::string failed;
    cpu::with_team([&] { failed = check_values_cpu({
        {"means", m.data_ptr<float>(), n, 3, -inf, inf, false, ""},
        {"quats", q.data_ptr<float>(), n, 4, -inf, inf, true, ""},
        {"scales", sc.data_ptr<float>(), n, 3, 0.f, inf, false, kScalesMessage},
        {"opacities", o.data_ptr<float>(), n, 1, 0.f, 1.f, false, kOpacitiesMessage},
        {colors.dim() == 2 ? "colors" : "SH coefficients", c.data_ptr<float>(), n, c.numel() / std::max<int64_t>(n, 1),
         -inf, inf, false, ""},
    }); });
    TORCH_CHECK(failed.empty(), failed);
  } else {
    for (const auto& [t, name] : {std::pair<const at::Tensor&, const char*>{means, "means"}, {quats, "quats"},
                                  {scales, "scales"}, {opacities, "opacities"},
                                  {colors, colors.dim() == 2 ? "colors" : "SH coefficients"}})
      TORCH_CHECK(at::isfinite(t).all().item<bool>(), "expected ", name, " to be finite, received NaN or infinity");
    TORCH_CHECK((scales >= 0).all().item<bool>(), kScalesMessage);
    TORCH_CHECK(((opacities >= 0) & (opacities <= 1)).all().item<bool>(), kOpacitiesMessage);
    TORCH_CHECK((quats.abs().sum(1) > 0).all().item<bool>(),
                "expected quats to have non-zero rows, received a zero quaternion");
  }
  for (float b : settings.background)
    TORCH_CHECK(std::isfinite(b), "expected the background colour to be finite, received ", b);

  at::Tensor rgb = colors;
  if (colors.dim() == 3) {
    const auto c = camera_center(settings.camera);
    rgb = sh_to_color(colors, means, at::tensor({c[0], c[1], c[2]}, means.options()));
  }
  const auto& bg = settings.background;
  {
    std::lock_guard<std::mutex> lock(stage_mutex);
    stage_times.checks = lap(clock);
  }
  auto out = RasterizeFunction::apply(means.contiguous(), quats.contiguous(), scales.contiguous(),
                                      opacities.contiguous(), rgb.contiguous(), camera_to_doubles(settings.camera),
                                      std::vector<double>{bg[0], bg[1], bg[2]},
                                      settings.mode == RasterMode::kAntialiased, settings.max_tile_pairs);
  if (device.is_cpu()) {
    auto finish = start;
    std::lock_guard<std::mutex> lock(stage_mutex);
    stage_times.total = lap(finish);
  }
  return {out[0], out[1], out[2], out[3]};
}

}  // namespace render
}  // namespace ggt
