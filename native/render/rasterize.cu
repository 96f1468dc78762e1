// CUDA kernels of the rasterizer (contracts in rasterize_kernels.h). All maths comes from
// gaussian_math.h, shared with the CPU kernels, so the two backends compute the same thing:
//   project_forward / project_backward: one thread per Gaussian;
//   bin: one thread per Gaussian emits its (tile | depth, id) pairs, CUB radix-sorts them, one
//        thread per tile finds where its run starts;
//   blend_forward / blend_backward: one 16x16 block per tile, one thread per pixel, with the
//        tile's Gaussians staged through shared memory in batches of 256 (as in 3DGS).
#include <cub/device/device_radix_sort.cuh>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "rasterize_kernels.h"

namespace ggt {
namespace render {
namespace {

constexpr int kThreadsPerGaussianBlock = 256;  // block size of the per-Gaussian kernels
constexpr int kBlockPixels = kTileSize * kTileSize;
constexpr int kBatch = kBlockPixels;  // Gaussians staged per round: one load per thread
constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxGridY = 65535;

// Per-(pixel, Gaussian) gradient components reduced across a warp in the blending backward:
// the seven ProjField slots of v_proj, then the three of v_colors.
constexpr int kGradColor = kProjOpacity + 1;
constexpr int kGradCount = kGradColor + 3;

struct Rgb {
  float c[3];
};

void check(cudaError_t err, const char* stage, const char* what) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("ggt::render::") + stage + ": " + what + " failed: " +
                             cudaGetErrorString(err));
  }
}

void check_launch(const char* stage, const char* kernel) { check(cudaGetLastError(), stage, kernel); }

// 1D grid covering `items` threads (items > 0).
unsigned int blocks_for(int64_t items, const char* stage) {
  const int64_t blocks = (items + kThreadsPerGaussianBlock - 1) / kThreadsPerGaussianBlock;
  if (blocks > std::numeric_limits<int32_t>::max()) {
    throw std::runtime_error(std::string("ggt::render::") + stage + ": too many items for one grid");
  }
  return static_cast<unsigned int>(blocks);
}

// One block per tile: grid [tiles_x, tiles_y], blocks [kTileSize, kTileSize].
dim3 tile_blocks(const Camera& cam, const char* stage) {
  const TileGrid grid = TileGrid::for_camera(cam);
  if (grid.tiles_y > kMaxGridY) {
    throw std::runtime_error(std::string("ggt::render::") + stage + ": image too tall for the tile grid");
  }
  return dim3(static_cast<unsigned int>(grid.tiles_x), static_cast<unsigned int>(grid.tiles_y));
}

// Scratch memory ordered on a stream. Freed by release() on success; the destructor only
// frees (unchecked) when an exception unwinds past it.
class StreamScratch {
 public:
  StreamScratch(size_t bytes, cudaStream_t stream, const char* stage) : stream_(stream), stage_(stage) {
    check(cudaMallocAsync(&ptr_, bytes, stream_), stage_, "cudaMallocAsync");
  }
  ~StreamScratch() {
    if (ptr_ != nullptr) static_cast<void>(cudaFreeAsync(ptr_, stream_));
  }
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;

  char* data() const { return static_cast<char*>(ptr_); }
  void release() {
    void* p = ptr_;
    ptr_ = nullptr;
    check(cudaFreeAsync(p, stream_), stage_, "cudaFreeAsync");
  }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
  const char* stage_;
};

constexpr size_t align_up(size_t bytes) {
  constexpr size_t kAlign = 256;
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

__device__ __forceinline__ int64_t global_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ Vec3 load3(const float* p, int64_t i) { return {p[3 * i], p[3 * i + 1], p[3 * i + 2]}; }

__device__ __forceinline__ int warp_max(int v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = max_int(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: projection.

// Per Gaussian i: proj [N, 8], radii [N], tiles_touched [N]; culled Gaussians get zeros.
__global__ void project_forward_kernel(GaussianInputs g, Camera cam, bool antialiased, int tiles_x, int tiles_y,
                                       float* __restrict__ proj, int32_t* __restrict__ radii,
                                       int32_t* __restrict__ tiles_touched) {
  const int64_t i = global_index();
  if (i >= g.n) return;
  float* out = proj + i * kProjStride;
  Projected p;
  if (!project_gaussian(cam, load3(g.means, i), g.quats + 4 * i, load3(g.scales, i), g.opacities[i], antialiased,
                        tiles_x, tiles_y, p)) {
    store_projected(nullptr, out);
    radii[i] = 0;
    tiles_touched[i] = 0;
    return;
  }
  store_projected(&p, out);
  radii[i] = p.radius;
  tiles_touched[i] = (p.rect[2] - p.rect[0]) * (p.rect[3] - p.rect[1]);
}

// Per Gaussian i: v_means [N, 3], v_quats [N, 4], v_scales [N, 3], v_opacities [N] from v_proj [N, 8].
__global__ void project_backward_kernel(GaussianInputs g, Camera cam, bool antialiased,
                                        const int32_t* __restrict__ radii, const float* __restrict__ v_proj,
                                        float* __restrict__ v_means, float* __restrict__ v_quats,
                                        float* __restrict__ v_scales, float* __restrict__ v_opacities) {
  const int64_t i = global_index();
  if (i >= g.n) return;
  // Computed in registers, then stored once: the VJP accumulates into its outputs.
  float vm[3] = {0.f, 0.f, 0.f}, vq[4] = {0.f, 0.f, 0.f, 0.f}, vs[3] = {0.f, 0.f, 0.f}, vo = 0.f;
  if (radii[i] != 0) {
    const float* v = v_proj + i * kProjStride;
    const ProjectedGrad pg = load_projected_grad(v);
    project_gaussian_vjp(cam, load3(g.means, i), g.quats + 4 * i, load3(g.scales, i), g.opacities[i], antialiased,
                         pg, vm, vq, vs, &vo);
  }
  for (int k = 0; k < 3; ++k) v_means[3 * i + k] = vm[k];
  for (int k = 0; k < 4; ++k) v_quats[4 * i + k] = vq[k];
  for (int k = 0; k < 3; ++k) v_scales[3 * i + k] = vs[k];
  v_opacities[i] = vo;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: binning.

// Gaussian i writes its tiles' pairs at [offsets[i - 1], offsets[i]) of keys / values
// [n_isect], gaussian-major and row-major over its tile rectangle. key = tile << 32 | depth
// bits (depth > 0, so the bits order like the float).
__global__ void emit_intersections_kernel(int64_t n, const float* __restrict__ proj,
                                          const int32_t* __restrict__ radii, const int64_t* __restrict__ offsets,
                                          int tiles_x, int tiles_y, uint64_t* __restrict__ keys,
                                          int32_t* __restrict__ values) {
  const int64_t i = global_index();
  if (i >= n || radii[i] == 0) return;
  const float* p = proj + i * kProjStride;
  int rect[4];
  proj_tile_rect(p, radii[i], tiles_x, tiles_y, rect);
  const uint64_t depth_bits = __float_as_uint(p[kProjDepth]);
  int64_t k = i == 0 ? 0 : offsets[i - 1];
  for (int ty = rect[1]; ty < rect[3]; ++ty) {
    for (int tx = rect[0]; tx < rect[2]; ++tx, ++k) {
      const uint64_t tile = static_cast<uint64_t>(ty) * tiles_x + tx;
      keys[k] = (tile << 32) | depth_bits;
      values[k] = static_cast<int32_t>(i);
    }
  }
}

// tile_start [tiles + 1]: tile t starts at the first sorted key whose tile is >= t (a lower
// bound over keys [n_isect]), which also gives empty tiles equal bounds and tile_start[tiles]
// = n_isect without any memset.
__global__ void tile_start_kernel(const uint64_t* __restrict__ sorted_keys, int32_t n_isect, int64_t tiles,
                                  int32_t* __restrict__ tile_start) {
  const int64_t t = global_index();
  if (t > tiles) return;
  const uint64_t first_key = static_cast<uint64_t>(t) << 32;
  int32_t lo = 0, hi = n_isect;
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (sorted_keys[mid] < first_key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  tile_start[t] = lo;
}

// ---------------------------------------------------------------------------------------------
// Stage 3: blending. Block (bx, by) renders tile by * tiles_x + bx; thread (tx, ty) its pixel.

// A batch of one tile's Gaussians in shared memory, [kBatch] each. Every thread reads the same
// element at a time (broadcast), so the array-of-structs layout costs no bank conflicts.
struct SharedBatch {
  int32_t id[kBatch];
  Vec2 mean[kBatch];
  Sym2 conic[kBatch];
  float opacity[kBatch];
  float depth[kBatch];
  Vec3 color[kBatch];

  __device__ void load(int slot, int32_t gid, const float* __restrict__ proj, const float* __restrict__ colors) {
    const float* p = proj + static_cast<int64_t>(gid) * kProjStride;
    id[slot] = gid;
    mean[slot] = {p[kProjMeanX], p[kProjMeanY]};
    conic[slot] = {p[kProjConicA], p[kProjConicB], p[kProjConicC]};
    opacity[slot] = p[kProjOpacity];
    depth[slot] = p[kProjDepth];
    color[slot] = load3(colors, gid);
  }
};

// image [H, W, 3], alpha / depth / final_t / last_contributor [H, W] from proj [N, 8] and
// colors [N, 3]: front-to-back compositing, stopping a pixel before T falls below
// kMinTransmittance and the whole block once every pixel has stopped.
__global__ void __launch_bounds__(kBlockPixels)
    blend_forward_kernel(Camera cam, const float* __restrict__ proj, const float* __restrict__ colors, Rgb background,
                         const int32_t* __restrict__ sorted_ids, const int32_t* __restrict__ tile_start,
                         float* __restrict__ image, float* __restrict__ alpha, float* __restrict__ depth,
                         float* __restrict__ final_t, int32_t* __restrict__ last_contributor) {
  __shared__ SharedBatch batch;
  const int tile = blockIdx.y * gridDim.x + blockIdx.x;
  const int rank = threadIdx.y * kTileSize + threadIdx.x;
  const int x = blockIdx.x * kTileSize + threadIdx.x, y = blockIdx.y * kTileSize + threadIdx.y;
  const bool inside = x < cam.width && y < cam.height;
  const float px = x + 0.5f, py = y + 0.5f;
  const int begin = tile_start[tile], end = tile_start[tile + 1];

  float T = 1.f, cr = 0.f, cg = 0.f, cb = 0.f, cd = 0.f;
  int32_t last = 0;
  bool done = !inside;  // pixels outside the image only help load
  for (int batch_begin = begin; batch_begin < end; batch_begin += kBatch) {
    // Also the barrier that lets the previous batch be overwritten.
    if (__syncthreads_count(done) == kBlockPixels) break;
    if (batch_begin + rank < end) batch.load(rank, sorted_ids[batch_begin + rank], proj, colors);
    __syncthreads();
    const int count = min_int(kBatch, end - batch_begin);
    for (int j = 0; !done && j < count; ++j) {
      float gv, dx, dy;
      const float a = splat_alpha(batch.mean[j], batch.conic[j], batch.opacity[j], px, py, &gv, &dx, &dy);
      if (a == 0.f) continue;
      const float next_t = T * (1.f - a);
      if (next_t < kMinTransmittance) {
        done = true;
        break;
      }
      const float w = a * T;
      cr += batch.color[j].x * w;
      cg += batch.color[j].y * w;
      cb += batch.color[j].z * w;
      cd += batch.depth[j] * w;
      T = next_t;
      last = batch_begin - begin + j + 1;
    }
  }
  if (!inside) return;
  const int64_t pix = static_cast<int64_t>(y) * cam.width + x;
  image[3 * pix + 0] = cr + T * background.c[0];
  image[3 * pix + 1] = cg + T * background.c[1];
  image[3 * pix + 2] = cb + T * background.c[2];
  alpha[pix] = 1.f - T;
  depth[pix] = cd;
  final_t[pix] = T;
  last_contributor[pix] = last;
}

// v_proj [N, 8] and v_colors [N, 3] (zero-initialised; accumulated atomically) from v_image
// [H, W, 3], v_alpha [H, W], v_depth [H, W]: each pixel replays its blended Gaussians back to
// front from last_contributor, recovering T from final_t (3DGS recursion).
//
// All lanes of a warp step through the same batch element together, so each gradient component
// is summed over the warp with shuffles and lane 0 issues one atomicAdd per component; this
// cuts atomic traffic 32-fold. Control flow stays warp-uniform around the shuffles.
__global__ void __launch_bounds__(kBlockPixels)
    blend_backward_kernel(Camera cam, const float* __restrict__ proj, const float* __restrict__ colors,
                          Rgb background, const int32_t* __restrict__ sorted_ids,
                          const int32_t* __restrict__ tile_start, const float* __restrict__ final_t,
                          const int32_t* __restrict__ last_contributor, const float* __restrict__ v_image,
                          const float* __restrict__ v_alpha, const float* __restrict__ v_depth, float* v_proj,
                          float* v_colors) {
  __shared__ SharedBatch batch;
  __shared__ int block_last;
  const int tile = blockIdx.y * gridDim.x + blockIdx.x;
  const int rank = threadIdx.y * kTileSize + threadIdx.x;
  const int lane = rank % kWarpSize;
  const int x = blockIdx.x * kTileSize + threadIdx.x, y = blockIdx.y * kTileSize + threadIdx.y;
  const bool inside = x < cam.width && y < cam.height;
  const float px = x + 0.5f, py = y + 0.5f;
  const int begin = tile_start[tile];
  const int64_t pix = static_cast<int64_t>(y) * cam.width + x;

  // Pixels outside the image replay nothing (last = 0) and contribute zeros to the reductions.
  const int last = inside ? last_contributor[pix] : 0;
  const float t_final = inside ? final_t[pix] : 0.f;
  const float v_value[4] = {inside ? v_image[3 * pix + 0] : 0.f, inside ? v_image[3 * pix + 1] : 0.f,
                            inside ? v_image[3 * pix + 2] : 0.f, inside ? v_depth[pix] : 0.f};
  const float v_alpha_pixel = inside ? v_alpha[pix] : 0.f;
  const float bg_dot = background.c[0] * v_value[0] + background.c[1] * v_value[1] + background.c[2] * v_value[2];

  // Positions at or past the largest last_contributor of a warp (block) blended nowhere in it:
  // the warp skips them, the block never loads them.
  const int warp_last = warp_max(last);
  if (rank == 0) block_last = 0;
  __syncthreads();
  if (lane == 0) atomicMax(&block_last, warp_last);
  __syncthreads();
  const int replay_end = block_last;

  float T = t_final;
  float accum[4] = {0.f, 0.f, 0.f, 0.f};  // colour and depth of everything behind, per unit weight
  float last_alpha = 0.f, last_value[4] = {0.f, 0.f, 0.f, 0.f};
  // Positions [batch_end - kBatch, batch_end) of the tile's list, slot j holding batch_end - 1 - j.
  for (int batch_end = replay_end; batch_end > 0; batch_end -= kBatch) {
    __syncthreads();  // the previous batch is fully consumed
    if (batch_end - 1 - rank >= 0) batch.load(rank, sorted_ids[begin + batch_end - 1 - rank], proj, colors);
    __syncthreads();
    const int count = min_int(kBatch, batch_end);
    for (int j = 0; j < count; ++j) {
      const int pos = batch_end - 1 - j;
      if (pos >= warp_last) continue;  // warp-uniform

      float grad[kGradCount];
      for (int k = 0; k < kGradCount; ++k) grad[k] = 0.f;
      float gv, dx, dy;
      const float a =
          pos < last ? splat_alpha(batch.mean[j], batch.conic[j], batch.opacity[j], px, py, &gv, &dx, &dy) : 0.f;
      if (a != 0.f) {
        T = T / (1.f - a);
        const float w = a * T;
        const float value[4] = {batch.color[j].x, batch.color[j].y, batch.color[j].z, batch.depth[j]};
        float v_a = 0.f;
        for (int c = 0; c < 4; ++c) {
          accum[c] = last_alpha * last_value[c] + (1.f - last_alpha) * accum[c];
          last_value[c] = value[c];
          v_a += (value[c] - accum[c]) * v_value[c];
        }
        for (int c = 0; c < 3; ++c) grad[kGradColor + c] = w * v_value[c];
        grad[kProjDepth] = w * v_value[3];
        v_a *= T;
        v_a += t_final / (1.f - a) * (v_alpha_pixel - bg_dot);
        last_alpha = a;
        const float o = batch.opacity[j];
        if (o * gv < kMaxAlpha) {  // a clamped alpha passes no gradient to the shape
          const Sym2 cn = batch.conic[j];
          const float v_g = o * v_a;
          grad[kProjOpacity] = gv * v_a;
          grad[kProjMeanX] = v_g * gv * (-cn.a * dx - cn.b * dy);
          grad[kProjMeanY] = v_g * gv * (-cn.b * dx - cn.c * dy);
          grad[kProjConicA] = -0.5f * gv * dx * dx * v_g;
          grad[kProjConicB] = -gv * dx * dy * v_g;
          grad[kProjConicC] = -0.5f * gv * dy * dy * v_g;
        }
      }
      if (!__any_sync(kFullMask, a != 0.f)) continue;
      for (int k = 0; k < kGradCount; ++k) {
        for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
          grad[k] += __shfl_down_sync(kFullMask, grad[k], offset);
        }
      }
      if (lane == 0) {
        const int64_t gid = batch.id[j];
        for (int k = 0; k < kGradColor; ++k) atomicAdd(&v_proj[gid * kProjStride + k], grad[k]);
        for (int c = 0; c < 3; ++c) atomicAdd(&v_colors[gid * 3 + c], grad[kGradColor + c]);
      }
    }
  }
}

}  // namespace

void project_forward_cuda(const GaussianInputs& g, const Camera& cam, bool antialiased, float* proj, int32_t* radii,
                          int32_t* tiles_touched, void* stream) {
  if (g.n == 0) return;
  const TileGrid grid = TileGrid::for_camera(cam);
  project_forward_kernel<<<blocks_for(g.n, "project_forward_cuda"), kThreadsPerGaussianBlock, 0,
                           static_cast<cudaStream_t>(stream)>>>(g, cam, antialiased, grid.tiles_x, grid.tiles_y, proj,
                                                                radii, tiles_touched);
  check_launch("project_forward_cuda", "project_forward_kernel");
}

void bin_cuda(int64_t n, const float* proj, const int32_t* radii, const int64_t* offsets, TileGrid grid,
              int64_t n_isect, int32_t* sorted_ids, int32_t* tile_start, void* stream) {
  const char* stage = "bin_cuda";
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  const int64_t tiles = grid.count();
  if (n_isect == 0) {
    check(cudaMemsetAsync(tile_start, 0, static_cast<size_t>(tiles + 1) * sizeof(int32_t), s), stage,
          "cudaMemsetAsync");
    return;
  }
  // sorted_ids, tile_start and the Gaussian ids are int32.
  if (n_isect > std::numeric_limits<int32_t>::max() || n > std::numeric_limits<int32_t>::max()) {
    throw std::runtime_error("ggt::render::bin_cuda: more than 2^31 - 1 intersections or Gaussians");
  }
  const int num_items = static_cast<int>(n_isect);

  // Only the low 32 bits (depth) and the bits tile ids can occupy take part in the sort.
  int tile_bits = 0;
  while ((int64_t{1} << tile_bits) < tiles) ++tile_bits;
  const int end_bit = 32 + tile_bits;

  size_t sort_bytes = 0;
  check(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, static_cast<const uint64_t*>(nullptr),
                                        static_cast<uint64_t*>(nullptr), static_cast<const int32_t*>(nullptr),
                                        static_cast<int32_t*>(nullptr), num_items, 0, end_bit, s),
        stage, "cub::DeviceRadixSort::SortPairs (workspace size)");

  // One scratch block: keys_in [n_isect], keys_out [n_isect], values_in [n_isect], CUB workspace.
  // The sorted values go straight to sorted_ids.
  const size_t keys_bytes = align_up(static_cast<size_t>(n_isect) * sizeof(uint64_t));
  const size_t values_bytes = align_up(static_cast<size_t>(n_isect) * sizeof(int32_t));
  StreamScratch scratch(2 * keys_bytes + values_bytes + sort_bytes, s, stage);
  uint64_t* keys_in = reinterpret_cast<uint64_t*>(scratch.data());
  uint64_t* keys_out = reinterpret_cast<uint64_t*>(scratch.data() + keys_bytes);
  int32_t* values_in = reinterpret_cast<int32_t*>(scratch.data() + 2 * keys_bytes);
  void* sort_workspace = scratch.data() + 2 * keys_bytes + values_bytes;

  emit_intersections_kernel<<<blocks_for(n, stage), kThreadsPerGaussianBlock, 0, s>>>(
      n, proj, radii, offsets, grid.tiles_x, grid.tiles_y, keys_in, values_in);
  check_launch(stage, "emit_intersections_kernel");
  // Stable: equal keys (same tile and depth) keep the emission order, i.e. increasing id.
  check(cub::DeviceRadixSort::SortPairs(sort_workspace, sort_bytes, keys_in, keys_out, values_in, sorted_ids,
                                        num_items, 0, end_bit, s),
        stage, "cub::DeviceRadixSort::SortPairs");
  tile_start_kernel<<<blocks_for(tiles + 1, stage), kThreadsPerGaussianBlock, 0, s>>>(keys_out, num_items, tiles,
                                                                                       tile_start);
  check_launch(stage, "tile_start_kernel");
  scratch.release();
}

void blend_forward_cuda(const Camera& cam, const float* proj, const float* colors, const float* background,
                        const int32_t* sorted_ids, const int32_t* tile_start, float* image, float* alpha,
                        float* depth, float* final_t, int32_t* last_contributor, void* stream) {
  if (cam.width <= 0 || cam.height <= 0) return;
  const char* stage = "blend_forward_cuda";
  const Rgb bg{{background[0], background[1], background[2]}};
  blend_forward_kernel<<<tile_blocks(cam, stage), dim3(kTileSize, kTileSize), 0, static_cast<cudaStream_t>(stream)>>>(
      cam, proj, colors, bg, sorted_ids, tile_start, image, alpha, depth, final_t, last_contributor);
  check_launch(stage, "blend_forward_kernel");
}

void blend_backward_cuda(const Camera& cam, int64_t n, const float* proj, const float* colors,
                         const float* background, const int32_t* sorted_ids, const int32_t* tile_start,
                         const float* final_t, const int32_t* last_contributor, const float* v_image,
                         const float* v_alpha, const float* v_depth, float* v_proj, float* v_colors, void* stream) {
  if (n == 0 || cam.width <= 0 || cam.height <= 0) return;
  const char* stage = "blend_backward_cuda";
  const Rgb bg{{background[0], background[1], background[2]}};
  blend_backward_kernel<<<tile_blocks(cam, stage), dim3(kTileSize, kTileSize), 0,
                          static_cast<cudaStream_t>(stream)>>>(cam, proj, colors, bg, sorted_ids, tile_start, final_t,
                                                               last_contributor, v_image, v_alpha, v_depth, v_proj,
                                                               v_colors);
  check_launch(stage, "blend_backward_kernel");
}

void project_backward_cuda(const GaussianInputs& g, const Camera& cam, bool antialiased, const int32_t* radii,
                           const float* v_proj, float* v_means, float* v_quats, float* v_scales, float* v_opacities,
                           void* stream) {
  if (g.n == 0) return;
  project_backward_kernel<<<blocks_for(g.n, "project_backward_cuda"), kThreadsPerGaussianBlock, 0,
                            static_cast<cudaStream_t>(stream)>>>(g, cam, antialiased, radii, v_proj, v_means, v_quats,
                                                                 v_scales, v_opacities);
  check_launch("project_backward_cuda", "project_backward_kernel");
}

}  // namespace render
}  // namespace ggt
