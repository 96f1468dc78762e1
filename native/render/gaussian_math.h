// Per-Gaussian and per-pixel maths of the 3DGS rasterizer, shared verbatim by the
// CPU kernels (rasterize_cpu.cpp) and the CUDA kernels (rasterize.cu), so the two
// backends cannot drift. Plain float maths, no LibTorch, no allocation.
//
// Conventions (DESIGN.md §3):
//   camera: row-major 4x4 world->camera matrix, OpenCV axes (x right, y down, z forward);
//   pixel (i, j) has its centre at (i + 0.5, j + 0.5) in the same units as cx, cy;
//   quaternion (w, x, y, z), normalised here; scales are positive (already activated);
//   conic (A, B, C) is the inverse 2D covariance with power = -0.5 (A dx^2 + C dy^2) - B dx dy.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define GGT_HD __host__ __device__ __forceinline__
#else
#define GGT_HD inline
#endif

namespace ggt {
namespace render {

constexpr int kTileSize = 16;                  // pixels per tile side
constexpr float kBlurEps = 0.3f;               // added to the 2D covariance diagonal
constexpr float kMinAlpha = 1.0f / 255.0f;     // contributions below this are skipped
constexpr float kMaxAlpha = 0.99f;             // per-Gaussian alpha clamp
constexpr float kMinTransmittance = 1e-4f;     // a pixel stops once T would fall below this
constexpr float kFrustumSlack = 1.3f;          // x/z, y/z clamp: 1.3 tan(fov / 2)

GGT_HD int min_int(int a, int b) { return a < b ? a : b; }

// fmaxf(bound, x) / fminf(bound, x) as comparisons: GCC on x86-64 turns fmaxf into a libm call
// (for its NaN and signed-zero rules), ~5 % of a CPU render. A NaN x gives `bound`, as there.
GGT_HD float max_with(float bound, float x) { return x > bound ? x : bound; }
GGT_HD float min_with(float bound, float x) { return x < bound ? x : bound; }
GGT_HD int max_int(int a, int b) { return a > b ? a : b; }

struct Vec2 { float x, y; };
struct Vec3 { float x, y, z; };
struct Mat3 { float m[3][3]; };                // row-major
struct Sym2 { float a, b, c; };                // [[a, b], [b, c]]

// What the camera is: pinhole intrinsics, image size and clip range.
struct Camera {
  float view[16];            // world->camera, row-major 4x4 (only the top 3 rows are used)
  float fx, fy, cx, cy;
  int32_t width, height;
  float near_plane, far_plane;
};

GGT_HD Vec3 transform_point(const float* view, Vec3 p) {
  return {view[0] * p.x + view[1] * p.y + view[2] * p.z + view[3],
          view[4] * p.x + view[5] * p.y + view[6] * p.z + view[7],
          view[8] * p.x + view[9] * p.y + view[10] * p.z + view[11]};
}

// R^T v for the rotation block of the view matrix (pulls gradients back to world space).
GGT_HD Vec3 rotate_transposed(const float* view, Vec3 v) {
  return {view[0] * v.x + view[4] * v.y + view[8] * v.z,
          view[1] * v.x + view[5] * v.y + view[9] * v.z,
          view[2] * v.x + view[6] * v.y + view[10] * v.z};
}

// Rotation matrix of the normalised quaternion q = (w, x, y, z).
GGT_HD Mat3 quat_to_rotmat(float w, float x, float y, float z) {
  Mat3 r;
  r.m[0][0] = 1.f - 2.f * (y * y + z * z); r.m[0][1] = 2.f * (x * y - w * z);       r.m[0][2] = 2.f * (x * z + w * y);
  r.m[1][0] = 2.f * (x * y + w * z);       r.m[1][1] = 1.f - 2.f * (x * x + z * z); r.m[1][2] = 2.f * (y * z - w * x);
  r.m[2][0] = 2.f * (x * z - w * y);       r.m[2][1] = 2.f * (y * z + w * x);       r.m[2][2] = 1.f - 2.f * (x * x + y * y);
  return r;
}

// Vector-Jacobian product of quat_to_rotmat: gradient on (w, x, y, z) given dL/dR.
GGT_HD void quat_to_rotmat_vjp(float w, float x, float y, float z, const Mat3& g, float out[4]) {
  const float(*G)[3] = g.m;
  out[0] = 2.f * (x * (G[2][1] - G[1][2]) + y * (G[0][2] - G[2][0]) + z * (G[1][0] - G[0][1]));
  out[1] = 2.f * (-2.f * x * (G[1][1] + G[2][2]) + y * (G[0][1] + G[1][0]) + z * (G[0][2] + G[2][0]) +
                  w * (G[2][1] - G[1][2]));
  out[2] = 2.f * (x * (G[0][1] + G[1][0]) - 2.f * y * (G[0][0] + G[2][2]) + z * (G[1][2] + G[2][1]) +
                  w * (G[0][2] - G[2][0]));
  out[3] = 2.f * (x * (G[0][2] + G[2][0]) + y * (G[1][2] + G[2][1]) - 2.f * z * (G[0][0] + G[1][1]) +
                  w * (G[1][0] - G[0][1]));
}

// World covariance Sigma = M M^T with M = R(q) diag(s). Only the upper triangle matters to
// callers, but the full matrix keeps the chain rule below uniform.
GGT_HD Mat3 covariance3d(const Mat3& r, Vec3 s) {
  float mm[3][3];
  for (int i = 0; i < 3; ++i) {
    mm[i][0] = r.m[i][0] * s.x;
    mm[i][1] = r.m[i][1] * s.y;
    mm[i][2] = r.m[i][2] * s.z;
  }
  Mat3 cov;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) cov.m[i][j] = mm[i][0] * mm[j][0] + mm[i][1] * mm[j][1] + mm[i][2] * mm[j][2];
  return cov;
}

// Camera-space covariance W = Rv Sigma Rv^T (Rv: rotation block of the view matrix).
GGT_HD Mat3 rotate_covariance(const float* view, const Mat3& cov) {
  float t[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      t[i][j] = view[4 * i + 0] * cov.m[0][j] + view[4 * i + 1] * cov.m[1][j] + view[4 * i + 2] * cov.m[2][j];
  Mat3 w;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      w.m[i][j] = t[i][0] * view[4 * j + 0] + t[i][1] * view[4 * j + 1] + t[i][2] * view[4 * j + 2];
  return w;
}

// The EWA Jacobian rows of the perspective projection at camera point p, with x/z and y/z
// clamped to the slackened field of view. J = [[fx/z, 0, -fx u/z], [0, fy/z, -fy v/z]],
// u, v the clamped x/z, y/z.
struct Jacobian { float j00, j02, j11, j12; float u, v; bool u_clamped, v_clamped; };

GGT_HD Jacobian projection_jacobian(const Camera& cam, Vec3 p) {
  const float lim_x = kFrustumSlack * 0.5f * static_cast<float>(cam.width) / cam.fx;
  const float lim_y = kFrustumSlack * 0.5f * static_cast<float>(cam.height) / cam.fy;
  const float rz = 1.f / p.z;
  float u = p.x * rz, v = p.y * rz;
  Jacobian jac;
  jac.u_clamped = !(u >= -lim_x && u <= lim_x);
  jac.v_clamped = !(v >= -lim_y && v <= lim_y);
  u = min_with(lim_x, max_with(-lim_x, u));
  v = min_with(lim_y, max_with(-lim_y, v));
  jac.u = u;
  jac.v = v;
  jac.j00 = cam.fx * rz;
  jac.j02 = -cam.fx * u * rz;
  jac.j11 = cam.fy * rz;
  jac.j12 = -cam.fy * v * rz;
  return jac;
}

// 2D covariance J W J^T (before the blur term).
GGT_HD Sym2 project_covariance(const Jacobian& j, const Mat3& w) {
  // rows of J: r0 = (j00, 0, j02), r1 = (0, j11, j12)
  const float* W0 = w.m[0];
  const float* W1 = w.m[1];
  const float* W2 = w.m[2];
  const float r0w[3] = {j.j00 * W0[0] + j.j02 * W2[0], j.j00 * W0[1] + j.j02 * W2[1], j.j00 * W0[2] + j.j02 * W2[2]};
  const float r1w[3] = {j.j11 * W1[0] + j.j12 * W2[0], j.j11 * W1[1] + j.j12 * W2[1], j.j11 * W1[2] + j.j12 * W2[2]};
  Sym2 s;
  s.a = r0w[0] * j.j00 + r0w[2] * j.j02;
  s.b = r0w[1] * j.j11 + r0w[2] * j.j12;
  s.c = r1w[1] * j.j11 + r1w[2] * j.j12;
  return s;
}

// Everything the blending stage needs of one projected Gaussian.
struct Projected {
  Vec2 mean;        // pixel coordinates
  Sym2 conic;       // inverse of the blurred 2D covariance
  float depth;      // camera z
  float opacity;    // after the antialiasing compensation, if any
  int32_t radius;   // pixels; 0 = culled
  int rect[4];      // tiles it can change, [x0, y0, x1, y1) (splat_tile_rect); set when not culled
};

// Clamps a tile coordinate into [0, hi] before the integer conversion (safe for huge or
// NaN values; same result as 3DGS's truncate-then-clamp for every finite value).
GGT_HD int clamp_tile(float v, int hi) {
  return static_cast<int>(min_with(static_cast<float>(hi), max_with(0.f, v)));
}

// Pixel-space bounding rectangle in tiles, [x0, y0, x1, y1), exactly as 3DGS computes it.
GGT_HD void tile_rect(Vec2 mean, int radius, int tiles_x, int tiles_y, int rect[4]) {
  const float r = static_cast<float>(radius);
  rect[0] = clamp_tile((mean.x - r) / kTileSize, tiles_x);
  rect[1] = clamp_tile((mean.y - r) / kTileSize, tiles_y);
  rect[2] = clamp_tile((mean.x + r + kTileSize - 1) / kTileSize, tiles_x);
  rect[3] = clamp_tile((mean.y + r + kTileSize - 1) / kTileSize, tiles_y);
}

// Half-extents (pixels) of the ellipse outside which the splat's alpha is below 1/255, so
// 3DGS would skip it: alpha = o exp(-d^T K d / 2) >= 1/255  <=>  d^T K d <= 2 ln(255 o), whose
// x half-extent is sqrt(2 ln(255 o) (K^-1)_xx). Padded slightly so float rounding in the
// alpha test can never fall outside. Returns false when the splat can reach no pixel.
GGT_HD bool splat_extent(Sym2 conic, float opacity, float* ex, float* ey) {
  const float t = logf(255.f * opacity);
  const float det = conic.a * conic.c - conic.b * conic.b;
  if (!(t >= 0.f) || !(det > 0.f)) return false;
  const float t2 = 2.f * (t + 1e-3f);
  *ex = sqrtf(t2 * conic.c / det) * 1.0001f + 0.01f;
  *ey = sqrtf(t2 * conic.a / det) * 1.0001f + 0.01f;
  return true;
}

// Tiles the splat can change: the 3DGS rectangle intersected with the tiles its
// alpha >= 1/255 ellipse reaches. Binning with this instead of the 3DGS rectangle alone gives
// the same image and gradients (the dropped pairs would all be skipped) with fewer pairs.
GGT_HD void splat_tile_rect(Vec2 mean, Sym2 conic, float opacity, int radius, int tiles_x, int tiles_y,
                            int rect[4]) {
  tile_rect(mean, radius, tiles_x, tiles_y, rect);
  float ex, ey;
  if (!splat_extent(conic, opacity, &ex, &ey)) {
    rect[2] = rect[0];
    rect[3] = rect[1];
    return;
  }
  rect[0] = max_int(rect[0], clamp_tile(floorf((mean.x - ex) / kTileSize), tiles_x));
  rect[1] = max_int(rect[1], clamp_tile(floorf((mean.y - ey) / kTileSize), tiles_y));
  rect[2] = max_int(rect[0], min_int(rect[2], clamp_tile(floorf((mean.x + ex) / kTileSize) + 1.f, tiles_x)));
  rect[3] = max_int(rect[1], min_int(rect[3], clamp_tile(floorf((mean.y + ey) / kTileSize) + 1.f, tiles_y)));
}

// Projects one Gaussian (EWA splatting). Returns false (and radius 0) when it is culled:
// outside [near, far], a degenerate quaternion, a non-positive 2D determinant, or no tile hit.
GGT_HD bool project_gaussian(const Camera& cam, Vec3 mean, const float quat[4], Vec3 scale, float opacity,
                             bool antialiased, int tiles_x, int tiles_y, Projected& out) {
  out.radius = 0;
  const Vec3 p = transform_point(cam.view, mean);
  if (!(p.z >= cam.near_plane && p.z <= cam.far_plane)) return false;
  const float qn2 = quat[0] * quat[0] + quat[1] * quat[1] + quat[2] * quat[2] + quat[3] * quat[3];
  if (!(qn2 > 1e-24f)) return false;
  const float inv_qn = 1.f / sqrtf(qn2);
  const Mat3 r = quat_to_rotmat(quat[0] * inv_qn, quat[1] * inv_qn, quat[2] * inv_qn, quat[3] * inv_qn);
  const Mat3 w = rotate_covariance(cam.view, covariance3d(r, scale));
  const Jacobian jac = projection_jacobian(cam, p);
  const Sym2 raw = project_covariance(jac, w);
  const Sym2 cov{raw.a + kBlurEps, raw.b, raw.c + kBlurEps};
  const float det = cov.a * cov.c - cov.b * cov.b;
  if (!(det > 0.f)) return false;
  const float inv_det = 1.f / det;
  out.conic = {cov.c * inv_det, -cov.b * inv_det, cov.a * inv_det};
  float compensation = 1.f;
  if (antialiased) {
    const float det_raw = raw.a * raw.c - raw.b * raw.b;
    compensation = sqrtf(max_with(0.f, det_raw * inv_det));
  }
  out.opacity = opacity * compensation;
  const float rz = 1.f / p.z;
  out.mean = {cam.fx * p.x * rz + cam.cx, cam.fy * p.y * rz + cam.cy};
  out.depth = p.z;
  const float mid = 0.5f * (cov.a + cov.c);
  const float lambda_max = mid + sqrtf(max_with(0.1f, mid * mid - det));
  const int radius = static_cast<int>(ceilf(3.f * sqrtf(lambda_max)));
  int* rect = out.rect;
  splat_tile_rect(out.mean, out.conic, out.opacity, radius, tiles_x, tiles_y, rect);
  if ((rect[2] - rect[0]) * (rect[3] - rect[1]) == 0) return false;
  out.radius = radius;
  return true;
}

// Gradients of one projected Gaussian's outputs, as accumulated by the blending backward.
struct ProjectedGrad {
  Vec2 mean;
  Sym2 conic;       // with respect to (A, B, C) as they enter the power
  float depth;
  float opacity;    // with respect to the compensated opacity
};

// Vector-Jacobian product of project_gaussian. Writes dL/dmean [3], dL/dquat [4] (raw, before
// normalisation), dL/dscale [3] and dL/dopacity [1]. Call only for Gaussians that were not culled.
GGT_HD void project_gaussian_vjp(const Camera& cam, Vec3 mean, const float quat[4], Vec3 scale, float opacity,
                                 bool antialiased, const ProjectedGrad& g, float v_mean[3], float v_quat[4],
                                 float v_scale[3], float* v_opacity) {
  // Recompute the forward intermediates.
  const Vec3 p = transform_point(cam.view, mean);
  const float qn2 = quat[0] * quat[0] + quat[1] * quat[1] + quat[2] * quat[2] + quat[3] * quat[3];
  const float inv_qn = 1.f / sqrtf(qn2);
  const float qn[4] = {quat[0] * inv_qn, quat[1] * inv_qn, quat[2] * inv_qn, quat[3] * inv_qn};
  const Mat3 r = quat_to_rotmat(qn[0], qn[1], qn[2], qn[3]);
  const Mat3 w = rotate_covariance(cam.view, covariance3d(r, scale));
  const Jacobian jac = projection_jacobian(cam, p);
  const Sym2 raw = project_covariance(jac, w);
  const float a = raw.a + kBlurEps, b = raw.b, c = raw.c + kBlurEps;
  const float det = a * c - b * b;
  const float inv_det2 = 1.f / (det * det);

  // Opacity compensation (antialiased mode): o_eff = o * sqrt(det_raw / det).
  float compensation = 1.f;
  float ga = 0.f, gb = 0.f, gc = 0.f;  // dL/d(a, b, c) of the 2D covariance, b counted once
  if (antialiased) {
    const float det_raw = raw.a * raw.c - raw.b * raw.b;
    const float ratio = det_raw / det;
    compensation = sqrtf(max_with(0.f, ratio));
    if (ratio > 0.f) {
      const float v_comp = g.opacity * opacity;
      const float v_ratio = v_comp * 0.5f / compensation;
      const float v_det_raw = v_ratio / det;
      const float v_det = -v_ratio * ratio / det;
      ga += v_det_raw * raw.c + v_det * c;
      gc += v_det_raw * raw.a + v_det * a;
      gb += -2.f * b * (v_det_raw + v_det);
    }
  }
  *v_opacity = g.opacity * compensation;

  // Conic (A, B, C) = (c, -b, a) / det.
  ga += (-c * c * g.conic.a + b * c * g.conic.b - b * b * g.conic.c) * inv_det2;
  gb += (2.f * b * c * g.conic.a - (a * c + b * b) * g.conic.b + 2.f * a * b * g.conic.c) * inv_det2;
  gc += (-b * b * g.conic.a + a * b * g.conic.b - a * a * g.conic.c) * inv_det2;

  // S = J W J^T; symmetric gradient G2 = [[ga, gb/2], [gb/2, gc]].
  const float g2[2][2] = {{ga, 0.5f * gb}, {0.5f * gb, gc}};
  const float J[2][3] = {{jac.j00, 0.f, jac.j02}, {0.f, jac.j11, jac.j12}};
  float gw[3][3];  // J^T G2 J
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k)
      gw[i][k] = J[0][i] * (g2[0][0] * J[0][k] + g2[0][1] * J[1][k]) +
                 J[1][i] * (g2[1][0] * J[0][k] + g2[1][1] * J[1][k]);
  float jw[2][3];  // J W
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 3; ++k) jw[i][k] = J[i][0] * w.m[0][k] + J[i][1] * w.m[1][k] + J[i][2] * w.m[2][k];
  const float gj00 = 2.f * (g2[0][0] * jw[0][0] + g2[0][1] * jw[1][0]);
  const float gj02 = 2.f * (g2[0][0] * jw[0][2] + g2[0][1] * jw[1][2]);
  const float gj11 = 2.f * (g2[1][0] * jw[0][1] + g2[1][1] * jw[1][1]);
  const float gj12 = 2.f * (g2[1][0] * jw[0][2] + g2[1][1] * jw[1][2]);

  // Camera-space point: through the Jacobian, the pixel mean and the depth.
  const float rz = 1.f / p.z, rz2 = rz * rz, rz3 = rz2 * rz;
  Vec3 gp{0.f, 0.f, 0.f};
  gp.z += -cam.fx * rz2 * gj00 - cam.fy * rz2 * gj11;
  if (jac.u_clamped) {
    gp.z += cam.fx * jac.u * rz2 * gj02;
  } else {
    gp.x += -cam.fx * rz2 * gj02;
    gp.z += 2.f * cam.fx * p.x * rz3 * gj02;
  }
  if (jac.v_clamped) {
    gp.z += cam.fy * jac.v * rz2 * gj12;
  } else {
    gp.y += -cam.fy * rz2 * gj12;
    gp.z += 2.f * cam.fy * p.y * rz3 * gj12;
  }
  gp.x += cam.fx * rz * g.mean.x;
  gp.y += cam.fy * rz * g.mean.y;
  gp.z += -cam.fx * p.x * rz2 * g.mean.x - cam.fy * p.y * rz2 * g.mean.y + g.depth;
  const Vec3 gm = rotate_transposed(cam.view, gp);
  v_mean[0] = gm.x;
  v_mean[1] = gm.y;
  v_mean[2] = gm.z;

  // W = Rv Sigma Rv^T  ->  dL/dSigma = Rv^T gw Rv.
  float t[3][3], gs[3][3];
  const float* V = cam.view;
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k) t[i][k] = V[0 + i] * gw[0][k] + V[4 + i] * gw[1][k] + V[8 + i] * gw[2][k];
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k) gs[i][k] = t[i][0] * V[0 + k] + t[i][1] * V[4 + k] + t[i][2] * V[8 + k];

  // Sigma = M M^T, M = R diag(s)  ->  dL/dM = (gs + gs^T) M.
  const float s[3] = {scale.x, scale.y, scale.z};
  Mat3 gr;
  for (int i = 0; i < 3; ++i) v_scale[i] = 0.f;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      float gm_rc = 0.f;
      for (int k = 0; k < 3; ++k) gm_rc += (gs[row][k] + gs[k][row]) * r.m[k][col] * s[col];
      v_scale[col] += r.m[row][col] * gm_rc;
      gr.m[row][col] = s[col] * gm_rc;
    }
  }
  float gqn[4];
  quat_to_rotmat_vjp(qn[0], qn[1], qn[2], qn[3], gr, gqn);
  const float dot = qn[0] * gqn[0] + qn[1] * gqn[1] + qn[2] * gqn[2] + qn[3] * gqn[3];
  for (int i = 0; i < 4; ++i) v_quat[i] = (gqn[i] - qn[i] * dot) * inv_qn;
}

// Alpha of one splat at pixel centre (px, py), or 0 when 3DGS skips it (power > 0 or
// alpha < 1/255). Also returns the unclamped Gaussian value and the offset for the backward.
GGT_HD float splat_alpha(Vec2 mean, Sym2 conic, float opacity, float px, float py, float* gauss, float* dx,
                         float* dy) {
  const float ddx = mean.x - px, ddy = mean.y - py;
  const float power = -0.5f * (conic.a * ddx * ddx + conic.c * ddy * ddy) - conic.b * ddx * ddy;
  if (power > 0.f) return 0.f;
  const float gv = expf(power);
  const float alpha = min_with(kMaxAlpha, opacity * gv);
  if (alpha < kMinAlpha) return 0.f;
  *gauss = gv;
  *dx = ddx;
  *dy = ddy;
  return alpha;
}

}  // namespace render
}  // namespace ggt
