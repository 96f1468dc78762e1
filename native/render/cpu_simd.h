// Minimal SIMD layer for the CPU blending kernels (rasterize_cpu.cpp). A "lane set" type
// provides float vectors F, int vectors I and lane masks M with the few operations the kernels
// need; the kernels are written once against it (rasterize_cpu_tiles.inc) and compiled per
// instruction set:
//   ScalarLanes  one lane, plain float maths with libm's expf: exactly the arithmetic of
//                splat_alpha in gaussian_math.h. Used on every CPU without AVX2+FMA and
//                on non-x86 targets.
//   Avx2Lanes    eight lanes (x86-64 with AVX2 and FMA, chosen at run time). Its expf is a
//                polynomial accurate to about 1 ulp, and a*b+c is fused, so results differ
//                from the scalar path in the last bits only.
//   Avx512Lanes  sixteen lanes (x86-64 with AVX-512F, chosen at run time): a whole tile row.
//                Same arithmetic as Avx2Lanes lane for lane (same expf bits).
// fmadd(a, b, c) means a * b + c: one rounding with FMA, two without, which keeps the scalar
// path bit-identical to the reference formulas.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Compile the functions defined between GGT_BEGIN_AVX2 (GGT_BEGIN_AVX512) and GGT_END_TARGET
// for AVX2 + FMA (AVX-512F); callers must check the CPU first (cpu_has_avx2_fma, cpu_has_avx512).
#if defined(__x86_64__) && defined(__clang__)
#define GGT_BEGIN_AVX2 _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define GGT_BEGIN_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx2,fma\"))), apply_to = function)")
#define GGT_END_TARGET _Pragma("clang attribute pop")
#elif defined(__x86_64__) && defined(__GNUC__)
#define GGT_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define GGT_BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx2,fma\")")
#define GGT_END_TARGET _Pragma("GCC pop_options")
#endif

namespace ggt {
namespace render {
namespace simd {

struct ScalarLanes {
  static constexpr int kLanes = 1;
  using F = float;
  using I = int32_t;
  using M = bool;

  static F set1(float v) { return v; }
  static F iota() { return 0.f; }
  static F load(const float* p) { return *p; }
  static void store(float* p, F v) { *p = v; }
  static I load(const int32_t* p) { return *p; }
  static void store(int32_t* p, I v) { *p = v; }
  static I set1(int32_t v) { return v; }
  static I to_int(F x) { return static_cast<int32_t>(x); }  // truncating; x in int32 range
  // Lanes shifted by n outside [0, 32) give 0, as vpsllvd.
  static I shl(I a, I n) { return n >= 0 && n < 32 ? static_cast<int32_t>(static_cast<uint32_t>(a) << n) : 0; }
  static I bit_or(I a, I b) { return a | b; }
  static I sub(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b)); }
  static I add(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)); }
  static I bit_and(I a, I b) { return a & b; }
  static I shr(I a, int n) { return static_cast<int32_t>(static_cast<uint32_t>(a) >> n); }  // logical, n in [0, 32)
  static F to_float(I a) { return static_cast<float>(a); }
  static I float_bits(F x) {
    I v;
    std::memcpy(&v, &x, sizeof v);
    return v;
  }

  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F fmadd(F a, F b, F c) { return a * b + c; }   // a * b + c, two roundings
  static F fnmadd(F a, F b, F c) { return c - a * b; }  // c - a * b, two roundings
  static F min(F a, F b) { return std::fmin(a, b); }
  static F exp(F x) { return std::exp(x); }
  // For the projection (rasterize_cpu_project.inc): max_with / min_with's rules (a NaN x
  // gives the bound), sqrt, rounding, float(int(x)) with x86's conversion.
  static F max_with(F bound, F x) { return x > bound ? x : bound; }
  static F min_with(F bound, F x) { return x < bound ? x : bound; }
  static F sqrt(F x) { return std::sqrt(x); }
  static F floor(F x) { return std::floor(x); }
  static F ceil(F x) { return std::ceil(x); }
  static F truncate_to_float(F x) { return static_cast<float>(static_cast<int32_t>(x)); }  // float(int(x))

  static M lt(F a, F b) { return a < b; }
  static M le(F a, F b) { return a <= b; }
  static M ge(F a, F b) { return a >= b; }
  static M both(M a, M b) { return a && b; }
  static M and_not(M a, M b) { return a && !b; }  // a and not b
  static bool any(M m) { return m; }
  static uint32_t bits(M m) { return m ? 1u : 0u; }
  static M from_bits(uint32_t b) { return b != 0; }
  static F select(M m, F a, F b) { return m ? a : b; }
  static I select(M m, I a, I b) { return m ? a : b; }
  // *p = v in the lanes of m; the other lanes of *p are left as they are.
  static void store_where(M m, float* p, F v) { if (m) *p = v; }
  static void store_where(M m, int32_t* p, I v) { if (m) *p = v; }

  // out[j] = sum of the lanes of v[j], j < count.
  static void sum_lanes(const F* v, int count, float* out) {
    for (int j = 0; j < count; ++j) out[j] = v[j];
  }

  // The bits of v as a float lane (to store an int field in a float record).
  static F int_bits(I v) {
    F f;
    std::memcpy(&f, &v, sizeof f);
    return f;
  }
  // Records l = 0 .. count - 1 (count <= kLanes), record l being lane l of fields[0 .. 15], to
  // records + 16 l (64-byte lines, aligned). The vector lane sets transpose in registers and
  // store past the caches (non-temporal); stream_fence orders those stores before what follows.
  static void stream_records(const F* fields, int count, float* records) {
    if (count > 0) std::memcpy(records, fields, 16 * sizeof(float));
  }
  static void stream_fence() {}
};

#if defined(GGT_BEGIN_AVX2)
GGT_BEGIN_AVX2

struct Avx2Lanes {
  static constexpr int kLanes = 8;
  using F = __m256;
  using I = __m256i;
  using M = __m256;  // all-ones lanes are set

  static F set1(float v) { return _mm256_set1_ps(v); }
  static F iota() { return _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static I load(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(int32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static I set1(int32_t v) { return _mm256_set1_epi32(v); }
  static I to_int(F x) { return _mm256_cvttps_epi32(x); }
  static I shl(I a, I n) { return _mm256_sllv_epi32(a, n); }
  static I bit_or(I a, I b) { return _mm256_or_si256(a, b); }
  static I sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I bit_and(I a, I b) { return _mm256_and_si256(a, b); }
  static I shr(I a, int n) { return _mm256_srli_epi32(a, n); }
  static F to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static I float_bits(F x) { return _mm256_castps_si256(x); }

  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  // max_ps / min_ps return their second operand when either is NaN: the bound, as max_with.
  static F max_with(F bound, F x) { return _mm256_max_ps(x, bound); }
  static F min_with(F bound, F x) { return _mm256_min_ps(x, bound); }
  static F sqrt(F x) { return _mm256_sqrt_ps(x); }
  static F floor(F x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static F ceil(F x) { return _mm256_round_ps(x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static F truncate_to_float(F x) { return _mm256_cvtepi32_ps(_mm256_cvttps_epi32(x)); }

  // e^x for x >= -87 (smaller x gives e^-87), max error 1.03 ulp: x = q ln2 + s with
  // |s| <= ln2 / 2 (ln2 split in two for an exact reduction), e^s = 1 + s + s^2 P(s) with
  // SLEEF's expf_u10 coefficients for P, evaluated in Estrin's form (a shorter dependency
  // chain than Horner's), then the 2^q scaling through the exponent bits.
  static F exp(F x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.f));
    const F q = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F s = _mm256_fnmadd_ps(q, _mm256_set1_ps(0.693145751953125f), x);
    s = _mm256_fnmadd_ps(q, _mm256_set1_ps(1.428606765330187045e-06f), s);
    const F s2 = _mm256_mul_ps(s, s);
    const F p01 = _mm256_fmadd_ps(_mm256_set1_ps(0.166666671633720397949219f), s, _mm256_set1_ps(0.5f));
    const F p23 = _mm256_fmadd_ps(_mm256_set1_ps(0.00833336077630519866943359f), s,
                                  _mm256_set1_ps(0.0416664853692054748535156f));
    const F p45 = _mm256_fmadd_ps(_mm256_set1_ps(0.000198527617612853646278381f), s,
                                  _mm256_set1_ps(0.00139304355252534151077271f));
    const F p = _mm256_fmadd_ps(p45, _mm256_mul_ps(s2, s2), _mm256_fmadd_ps(p23, s2, p01));
    const F u = _mm256_add_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(s2, p, s));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(q), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(u, _mm256_castsi256_ps(e));
  }

  static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M both(M a, M b) { return _mm256_and_ps(a, b); }
  static M and_not(M a, M b) { return _mm256_andnot_ps(b, a); }
  static bool any(M m) { return !_mm256_testz_ps(m, m); }
  static uint32_t bits(M m) { return static_cast<uint32_t>(_mm256_movemask_ps(m)); }
  static M from_bits(uint32_t b) {
    const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i v = _mm256_and_si256(_mm256_set1_epi32(static_cast<int32_t>(b)), lane_bit);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(v, lane_bit));
  }
  static F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  static I select(M m, I a, I b) {
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(b), _mm256_castsi256_ps(a), m));
  }
  static F int_bits(I v) { return _mm256_castsi256_ps(v); }
  // r[0 .. 7] transposed in place: lane l of r[k] goes to lane k of r[l].
  static void transpose8(F* r) {
    F t[8], u[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) {  // u[4 i + c]: columns c (low half) and c + 4 of rows 4 i .. 4 i + 3
      u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
      u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int c = 0; c < 4; ++c) {
      r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
      r[c + 4] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
  }
  static void stream_records(const F* fields, int count, float* records) {
    F lo[8], hi[8];
    for (int k = 0; k < 8; ++k) {
      lo[k] = fields[k];
      hi[k] = fields[8 + k];
    }
    transpose8(lo);
    transpose8(hi);
    for (int l = 0; l < count; ++l) {
      _mm256_stream_ps(records + 16 * l, lo[l]);
      _mm256_stream_ps(records + 16 * l + 8, hi[l]);
    }
  }
  static void stream_fence() { _mm_sfence(); }

  // A blend and a full store: AVX2's masked stores (vmaskmov) are slow on some CPUs.
  static void store_where(M m, float* p, F v) { store(p, select(m, v, load(p))); }
  static void store_where(M m, int32_t* p, I v) { store(p, select(m, v, load(p))); }

  // out[j] = sum of the lanes of v[j], j < count (lanes summed pairwise: a fixed order).
  static void sum_lanes(const F* v, int count, float* out) {
    for (int j = 0; j < count; j += 8) {
      F r[8];
      for (int i = 0; i < 8; ++i) r[i] = j + i < count ? v[j + i] : _mm256_setzero_ps();
      const F h01 = _mm256_hadd_ps(r[0], r[1]), h23 = _mm256_hadd_ps(r[2], r[3]);
      const F h45 = _mm256_hadd_ps(r[4], r[5]), h67 = _mm256_hadd_ps(r[6], r[7]);
      const F h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);
      // h0123 = (v0 v1 v2 v3 | v0 v1 v2 v3) partial sums of the low and high 128-bit halves.
      const F lo = _mm256_permute2f128_ps(h0123, h4567, 0x20), hi = _mm256_permute2f128_ps(h0123, h4567, 0x31);
      float sums[8];
      _mm256_storeu_ps(sums, _mm256_add_ps(lo, hi));
      for (int i = 0; i < 8 && j + i < count; ++i) out[j + i] = sums[i];
    }
  }
};

GGT_END_TARGET

GGT_BEGIN_AVX512

struct Avx512Lanes {
  static constexpr int kLanes = 16;
  using F = __m512;
  using I = __m512i;
  using M = __mmask16;
  static constexpr M kAll = 0xffff;

  static F set1(float v) { return _mm512_set1_ps(v); }
  static F iota() {
    return _mm512_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f, 10.f, 11.f, 12.f, 13.f, 14.f, 15.f);
  }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static I load(const int32_t* p) { return _mm512_loadu_si512(p); }
  static void store(int32_t* p, I v) { _mm512_storeu_si512(p, v); }
  static I set1(int32_t v) { return _mm512_set1_epi32(v); }
  static I to_int(F x) { return _mm512_mask_cvttps_epi32(_mm512_setzero_si512(), kAll, x); }
  static I shl(I a, I n) { return _mm512_maskz_sllv_epi32(kAll, a, n); }
  static I bit_or(I a, I b) { return _mm512_or_si512(a, b); }
  static I sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I bit_and(I a, I b) { return _mm512_and_si512(a, b); }
  static I shr(I a, int n) { return _mm512_maskz_srli_epi32(kAll, a, n); }
  static F to_float(I a) { return _mm512_mask_cvtepi32_ps(_mm512_setzero_ps(), kAll, a); }
  static I float_bits(F x) { return _mm512_castps_si512(x); }

  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm512_mask_min_ps(a, kAll, a, b); }
  static F max_with(F bound, F x) { return _mm512_mask_max_ps(x, kAll, x, bound); }
  static F min_with(F bound, F x) { return _mm512_mask_min_ps(x, kAll, x, bound); }
  static F sqrt(F x) { return _mm512_mask_sqrt_ps(x, kAll, x); }
  static F floor(F x) { return _mm512_mask_roundscale_ps(x, kAll, x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static F ceil(F x) { return _mm512_mask_roundscale_ps(x, kAll, x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static F truncate_to_float(F x) { return _mm512_mask_cvtepi32_ps(x, kAll, _mm512_mask_cvttps_epi32(_mm512_setzero_si512(), kAll, x)); }

  // Avx2Lanes::exp, sixteen lanes at a time. (The masked forms with every lane on stand for
  // the plain ones, whose GCC 12 definitions trip -Wmaybe-uninitialized.)
  static F exp(F x) {
    x = _mm512_mask_max_ps(x, kAll, x, _mm512_set1_ps(-87.f));
    const F q = _mm512_mask_roundscale_ps(x, kAll, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F s = _mm512_fnmadd_ps(q, _mm512_set1_ps(0.693145751953125f), x);
    s = _mm512_fnmadd_ps(q, _mm512_set1_ps(1.428606765330187045e-06f), s);
    const F s2 = _mm512_mul_ps(s, s);
    const F p01 = _mm512_fmadd_ps(_mm512_set1_ps(0.166666671633720397949219f), s, _mm512_set1_ps(0.5f));
    const F p23 = _mm512_fmadd_ps(_mm512_set1_ps(0.00833336077630519866943359f), s,
                                  _mm512_set1_ps(0.0416664853692054748535156f));
    const F p45 = _mm512_fmadd_ps(_mm512_set1_ps(0.000198527617612853646278381f), s,
                                  _mm512_set1_ps(0.00139304355252534151077271f));
    const F p = _mm512_fmadd_ps(p45, _mm512_mul_ps(s2, s2), _mm512_fmadd_ps(p23, s2, p01));
    const F u = _mm512_add_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(s2, p, s));
    return _mm512_mask_scalef_ps(u, kAll, u, q);  // u 2^q, exact like Avx2Lanes' exponent-bits product
  }

  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M both(M a, M b) { return a & b; }
  static M and_not(M a, M b) { return a & ~b; }
  static bool any(M m) { return m != 0; }
  static uint32_t bits(M m) { return m; }
  static M from_bits(uint32_t b) { return static_cast<M>(b); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
  static I select(M m, I a, I b) { return _mm512_mask_blend_epi32(m, b, a); }
  static void store_where(M m, float* p, F v) { _mm512_mask_storeu_ps(p, m, v); }
  static void store_where(M m, int32_t* p, I v) { _mm512_mask_storeu_epi32(p, m, v); }
  static F int_bits(I v) { return _mm512_castsi512_ps(v); }
  // r[0 .. 15] transposed in place: lane l of r[k] goes to lane k of r[l].
  // 128-bit blocks 0, 2 (odd: 1, 3) of a, then those of b. (The masked forms with every lane
  // on, here and in transpose16: see exp.)
  static F blocks(F a, F b, bool odd) {
    return odd ? _mm512_mask_shuffle_f32x4(a, kAll, a, b, 0xdd) : _mm512_mask_shuffle_f32x4(a, kAll, a, b, 0x88);
  }
  static void transpose16(F* r) {
    F t[16], u[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_mask_unpacklo_ps(r[2 * i], kAll, r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_mask_unpackhi_ps(r[2 * i], kAll, r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {  // u[4 i + c], 128-bit lane j: column 4 j + c of rows 4 i .. 4 i + 3
      u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
      u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int c = 0; c < 4; ++c) {
      const F even01 = blocks(u[c], u[4 + c], 0), odd01 = blocks(u[c], u[4 + c], 1);
      const F even23 = blocks(u[8 + c], u[12 + c], 0), odd23 = blocks(u[8 + c], u[12 + c], 1);
      r[c] = blocks(even01, even23, 0);
      r[8 + c] = blocks(even01, even23, 1);
      r[4 + c] = blocks(odd01, odd23, 0);
      r[12 + c] = blocks(odd01, odd23, 1);
    }
  }
  static void stream_records(const F* fields, int count, float* records) {
    F r[16];
    for (int k = 0; k < 16; ++k) r[k] = fields[k];
    transpose16(r);
    for (int l = 0; l < count; ++l) _mm512_stream_ps(records + 16 * l, r[l]);
  }
  static void stream_fence() { _mm_sfence(); }

  // out[j] = sum of the lanes of v[j], j < count: the two 256-bit halves added, then as
  // Avx2Lanes::sum_lanes.
  static void sum_lanes(const F* v, int count, float* out) {
    __m256 halves[16];
    for (int j = 0; j < count; ++j) {
      const __m512d d = _mm512_castps_pd(v[j]);
      const __m256d lo = _mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xff, d, 0);
      const __m256d hi = _mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xff, d, 1);
      halves[j] = _mm256_add_ps(_mm256_castpd_ps(lo), _mm256_castpd_ps(hi));
    }
    Avx2Lanes::sum_lanes(halves, count, out);
  }
};

GGT_END_TARGET
#endif

// True when this CPU runs the Avx2Lanes kernels.
inline bool cpu_has_avx2_fma() {
#if defined(GGT_BEGIN_AVX2)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// True when this CPU runs the Avx512Lanes kernels.
inline bool cpu_has_avx512() {
#if defined(GGT_BEGIN_AVX512)
  return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

}  // namespace simd
}  // namespace render
}  // namespace ggt
