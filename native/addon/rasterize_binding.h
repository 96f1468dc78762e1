// N-API binding of the rasterizer (rasterize_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

// rasterize(options) -> Promise<{image, alpha, depth, radii, grads?}>. Options: means, quats,
// scales, opacities, colors (Tensor handles or {data, shape}), camera {view[16], fx, fy, cx,
// cy, width, height, near, far}, background [3], mode 'classic' | 'antialiased', device,
// outputGrads {image?, alpha?, depth?} (loss weights: returns grads of their weighted sum),
// reference (the float64 test reference), returnTensors (handles instead of arrays).
Napi::Value Rasterize(const Napi::CallbackInfo& info);

// rasterizerStageTimes() -> {checks, project, sort, blend, backwardBlend, backwardProject,
// forwardTotal}: ms of each stage of the most recent CPU render and its backward in this
// process (benchmarks), and its (tile, Gaussian) pairs: rectTilePairs in the tile rectangles,
// tilePairs in the tile lists.
Napi::Value RasterizerStageTimes(const Napi::CallbackInfo& info);

// benchScene(name, seed) -> {means, quats, scales, opacities, colors, camera}: the seeded
// benchmark scenes of DESIGN.md §8 (bench_scenes.h).
Napi::Value BenchScene(const Napi::CallbackInfo& info);

// laneMath(op 'log' | 'exp', variant 'scalar' | 'avx2' | 'avx512', x Float32Array) ->
// Float32Array | null: the CPU kernels' lane maths on x (render::cpu_lane_math), for tests;
// null when this CPU or build lacks the variant.
Napi::Value LaneMath(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace ggt
