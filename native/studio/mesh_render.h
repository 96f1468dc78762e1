// The studio camera: a textured, shaded triangle-mesh renderer (z-buffer, perspective-correct
// barycentrics), independent of the Gaussian rasterizer, so that the studio's ground truth is
// "photographed" by an image formation the avatar does not share. Plain C++17 (no LibTorch).
//
// Conventions (docs/studio-camera.md):
//   - camera: world->camera 4x4 row-major `view`, OpenCV axes (x right, y down, z forward);
//     pixel (i, j) spans [i, i+1] x [j, j+1]; a point projects to (fx X/Z + cx, fy Y/Z + cy).
//   - supersampling: `samples` s per axis; sample (a, b) of pixel (i, j) sits at
//     (i + (a + 0.5)/s, j + (b + 0.5)/s); the pixel is the box-filtered mean of its s^2 samples.
//   - depth output: a separate one-sample-per-pixel z-buffer at the pixel centres.
//   - near plane z = kNearPlane: triangles crossing it are clipped (not dropped).
//   - shading per sample, colour clamped to [0, 1] (see shade_sample in mesh_render.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ggt {
namespace studio {

constexpr double kNearPlane = 0.01;
// Upper bound on width * height * samples^2 (the sample buffers take ~16 bytes per sample).
constexpr int64_t kMaxSamples = int64_t(1) << 25;
constexpr int kMaxLabels = 8;

// A linear-RGB albedo texture, [H, W, 3]; row 0 is v = 0. Not owned.
struct Texture {
  const float* rgb = nullptr;
  int64_t width = 0, height = 0;
};

// One mesh; every pointer is borrowed and must outlive render_meshes.
struct Mesh {
  const float* positions = nullptr;  // [V, 3] world, metres
  int64_t vertex_count = 0;
  const uint32_t* faces = nullptr;   // [F, 3], counter-clockwise seen from outside
  int64_t face_count = 0;
  const float* uvs = nullptr;        // [F, 3, 2] per-corner (u right, v down)
  int64_t texture = 0;               // index into RenderInputs::textures
  const float* normals = nullptr;    // [V, 3] or null: area-weighted vertex normals are computed
  const float* occlusion = nullptr;  // [V] in [0, 1] or null (1 everywhere)
  double specular = 0.04;
  double shininess = 32.0;
  int64_t label = 0;                 // coverage layer, 0..kMaxLabels-1
  bool double_sided = false;
};

// A directional light; `direction` points from the surface toward the light (normalised inside).
struct Light {
  double direction[3] = {0, 0, 1};
  double colour[3] = {1, 1, 1};
};

struct Camera {
  double view[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};  // row-major world->camera
  double fx = 1, fy = 1, cx = 0, cy = 0;
  int64_t width = 0, height = 0;
};

struct RenderInputs {
  Camera camera;
  std::vector<Mesh> meshes;
  std::vector<Texture> textures;
  std::vector<Light> lights;
  double ambient[3] = {0, 0, 0};
  const float* background = nullptr;  // [H, W, 3] or null (black)
  int64_t samples = 2;                // per axis, 1..4
};

struct RenderOutputs {
  int64_t labels = 1;          // L = 1 + the largest label used
  std::vector<float> image;    // [H, W, 3], in [0, 1]
  std::vector<float> coverage; // [L, H, W], fraction of samples whose nearest surface has label l
  std::vector<float> depth;    // [H, W], camera z at the pixel centre (+inf where no surface)
};

// Every size, index and value render_meshes relies on; throws std::invalid_argument with an
// "expected ..., received ..." message for the first problem.
void check_inputs(const RenderInputs& in);

// Renders the meshes; `in` must have passed check_inputs (the binding checks on the JS thread,
// so bad input is an argument error, not a failed render). `stop` is polled every 4096 faces
// of the setup and once per 32 x 32-pixel tile; when it returns true the call throws
// std::runtime_error("aborted").
RenderOutputs render_meshes(const RenderInputs& in, const std::function<bool()>& stop);

}  // namespace studio
}  // namespace ggt
