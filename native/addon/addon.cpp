// Module entry: registers the bindings and sizes LibTorch's thread pool (Debian's LibTorch
// starts with one thread; the rasterizer's CPU kernels run on this pool).
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <napi.h>

#include <string>
#include <thread>

#include "a2e_binding.h"
#include "dist_binding.h"
#include "abort_flag.h"
#include "audio_binding.h"
#include "avatar_binding.h"
#include "diffusion_binding.h"
#include "eval_binding.h"
#include "mesh_render_binding.h"
#include "native_errors.h"
#include "rasterize_binding.h"
#include "../common/caching_cpu_allocator.h"
#include "../render/rasterize_kernels.h"
#include "rig_binding.h"
#include "tensor_handle.h"
#include "wav2vec2_binding.h"

#ifdef GGT_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

namespace ggt {
namespace addon {
namespace {

int cuda_device_count() {
#ifdef GGT_WITH_CUDA
  try {
    return static_cast<int>(c10::cuda::device_count());
  } catch (...) {
    return 0;
  }
#else
  return 0;
#endif
}

// Names of the visible CUDA devices ("NVIDIA H200", ...), for `ggtalker info`; empty without
// CUDA kernels. A device whose properties cannot be read is listed as "unknown".
Napi::Array cuda_device_names(Napi::Env env, int count) {
  Napi::Array names = Napi::Array::New(env);
#ifdef GGT_WITH_CUDA
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    const bool ok = cudaGetDeviceProperties(&prop, i) == cudaSuccess;
    names.Set(static_cast<uint32_t>(i), ok ? std::string(prop.name) : std::string("unknown"));
  }
#else
  (void)count;
#endif
  return names;
}

// backends() -> {cpu, cuda, cudaDevices, cudaDeviceNames, torchVersion, threads, cpuKernels, cpuCache}
Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("cpu", true);
#ifdef GGT_WITH_CUDA
  out.Set("cuda", true);
#else
  out.Set("cuda", false);
#endif
  const int devices = cuda_device_count();
  out.Set("cudaDevices", devices);
  out.Set("cudaDeviceNames", cuda_device_names(env, devices));
  out.Set("torchVersion", TORCH_VERSION);
  out.Set("threads", at::get_num_threads());
  out.Set("cpuKernels", ggt::render::cpu_kernel_variant());
  const ggt::cpu::CpuCacheStats cache = ggt::cpu::install_caching_cpu_allocator().stats();
  Napi::Object cache_out = Napi::Object::New(env);
  cache_out.Set("cachedBytes", static_cast<double>(cache.cached_bytes));
  cache_out.Set("limitBytes", static_cast<double>(cache.limit_bytes));
  cache_out.Set("hits", static_cast<double>(cache.hits));
  cache_out.Set("misses", static_cast<double>(cache.misses));
  out.Set("cpuCache", cache_out);
  return out;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw_type_error(info.Env(), "expected a thread count");
  const double v = info[0].As<Napi::Number>().DoubleValue();
  // Bounded: OpenMP would try to start every thread asked for.
  if (!(v >= 1 && v <= 1024) || v != static_cast<double>(static_cast<int>(v)))
    throw_type_error(info.Env(), "expected a thread count in [1, 1024], received " + std::to_string(v));
  const int n = static_cast<int>(v);
  guarded(info.Env(), [&] { at::set_num_threads(n); });
  return info.Env().Undefined();
}

}  // namespace
}  // namespace addon
}  // namespace ggt

static Napi::Object InitGgtalker(Napi::Env env, Napi::Object exports) {
  using namespace ggt::addon;
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0 && at::get_num_threads() < static_cast<int>(cores)) at::set_num_threads(static_cast<int>(cores));
  ggt::cpu::install_caching_cpu_allocator();  // before any tensor of ours is made
  TensorHandle::Init(env, exports);
  exports.Set("backends", Napi::Function::New<Backends>(env, "backends"));
  exports.Set("setNumThreads", Napi::Function::New<SetNumThreads>(env, "setNumThreads"));
  exports.Set("rasterize", Napi::Function::New<Rasterize>(env, "rasterize"));
  exports.Set("benchScene", Napi::Function::New<BenchScene>(env, "benchScene"));
  exports.Set("rasterizerStageTimes", Napi::Function::New<RasterizerStageTimes>(env, "rasterizerStageTimes"));
  exports.Set("laneMath", Napi::Function::New<LaneMath>(env, "laneMath"));
  exports.Set("flameForward", Napi::Function::New<FlameForward>(env, "flameForward"));
  exports.Set("triangleFrames", Napi::Function::New<TriangleFrames>(env, "triangleFrames"));
  exports.Set("rigGaussians", Napi::Function::New<RigGaussians>(env, "rigGaussians"));
  exports.Set("uvLayout", Napi::Function::New<UvLayout>(env, "uvLayout"));
  exports.Set("sampleUvGaussians", Napi::Function::New<SampleUvGaussians>(env, "sampleUvGaussians"));
  exports.Set("renderHead", Napi::Function::New<RenderHead>(env, "renderHead"));
  exports.Set("a2eInit", Napi::Function::New<A2eInit>(env, "a2eInit"));
  exports.Set("a2eForward", Napi::Function::New<A2eForward>(env, "a2eForward"));
  exports.Set("a2eLoss", Napi::Function::New<A2eLoss>(env, "a2eLoss"));
  exports.Set("a2eTrain", Napi::Function::New<A2eTrain>(env, "a2eTrain"));
  exports.Set("a2eEval", Napi::Function::New<A2eEval>(env, "a2eEval"));
  exports.Set("a2eSample", Napi::Function::New<A2eSample>(env, "a2eSample"));
  InitA2eScriptModel(env, exports);
  InitDistGroup(env, exports);
  InitAbortFlag(env, exports);
  InitMeshRender(env, exports);
  InitEval(env, exports);
  exports.Set("avatarNetInit", Napi::Function::New<AvatarNetInit>(env, "avatarNetInit"));
  exports.Set("avatarGenerate", Napi::Function::New<AvatarGenerate>(env, "avatarGenerate"));
  exports.Set("avatarNetForward", Napi::Function::New<AvatarNetForward>(env, "avatarNetForward"));
  exports.Set("imageLosses", Napi::Function::New<ImageLosses>(env, "imageLosses"));
  exports.Set("avatarRender", Napi::Function::New<AvatarRender>(env, "avatarRender"));
  exports.Set("avatarTrain", Napi::Function::New<AvatarTrain>(env, "avatarTrain"));
  exports.Set("logMel", Napi::Function::New<LogMel>(env, "logMel"));
  exports.Set("diffusionSchedule", Napi::Function::New<DiffusionSchedule>(env, "diffusionSchedule"));
  exports.Set("diffusionStep", Napi::Function::New<DiffusionStep>(env, "diffusionStep"));
  exports.Set("wav2vec2Features", Napi::Function::New<Wav2Vec2Features>(env, "wav2vec2Features"));
  return exports;
}

NODE_API_MODULE(ggtalker, InitGgtalker)
