/* normal.c: Gaussians by Philox4x32-10 and Box–Muller, one body compiled for
 * each instruction set (see normal.h for the method). */
#include "normal.h"

#include <math.h>
#include <string.h>

#include <Random123/philox.h>

#include "simd_impl.h"

/* Key and upper counter words from a Philox4x64-10 hash of the id. The hash
 * counters {epoch, instance, 2^64 − 1, 2^64 − 1} (instance streams) and
 * {epoch, instance, sample, 2^64 − 2} (per-sample streams) are ones no
 * ziggurat stream reaches (they would be its block 2^64 − 1 or 2^64 − 2). */
static void stream_from_hash(const pt_rng_id *id, uint64_t c2, uint64_t c3, pt_normal_stream *s) {
  const philox4x64_ctr_t ctr = {{id->epoch, id->instance, c2, c3}};
  const philox4x64_key_t key = {{id->seed, id->purpose}};
  const philox4x64_ctr_t h = philox4x64(ctr, key);
  s->key[0] = (uint32_t)h.v[0];
  s->key[1] = (uint32_t)(h.v[0] >> 32);
  s->ctr_hi[0] = (uint32_t)h.v[1];
  s->ctr_hi[1] = (uint32_t)(h.v[1] >> 32);
}

void pt_normal_stream_of(const pt_rng_id *id, pt_normal_stream *s) { stream_from_hash(id, UINT64_MAX, UINT64_MAX, s); }

void pt_normal_stream_of_sample(const pt_rng_id *id, pt_normal_stream *s) {
  stream_from_hash(id, id->sample, UINT64_MAX - 1, s);
}

/* Bits and doubles, both ways (memcpy: the compiler turns it into a move). */
static inline double from_bits(uint64_t b) {
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}
static inline uint64_t to_bits(double x) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

#define MANTISSA UINT64_C(0x000fffffffffffff)
#define ONE_BITS UINT64_C(0x3ff0000000000000)

/* log u for u in (0, 1), u normal: fdlibm's e_log.c without its special
 * cases (none arise here) and with one formula for every f, so that it has
 * no branch. u = 2^k (1 + f) with 1 + f in [√2/2, √2). */
static inline __attribute__((always_inline)) double log_unit(double u) {
  static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                      Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                      Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                      Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                      Lg7 = 1.479819860511658591e-01;
  const uint64_t b = to_bits(u);
  /* a mantissa at or above √2's halves the fraction and raises k by one */
  const uint64_t up = (b & MANTISSA) >= UINT64_C(0x6a09e667f3bcd);
  const double m = from_bits((b & MANTISSA) | (ONE_BITS - (up << 52)));
  /* k as a double without an int64 conversion (AVX2 has none):
   * 2^52 + n has the bits 0x4330000000000000 + n for n < 2^52 */
  const double dk = from_bits(UINT64_C(0x4330000000000000) + (b >> 52) + up) - (0x1p52 + 1023.0);
  const double f = m - 1.0; /* exact: m is within a factor 2 of 1 */
  const double s = f / (2.0 + f), z = s * s, w = z * z;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const double R = t2 + t1, hfsq = 0.5 * f * f;
  return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
}

/* sin x and cos x for |x| ≤ π/4: FreeBSD's k_sin.c and k_cos.c with no tail
 * (y = 0). */
static inline __attribute__((always_inline)) void sincos_kernel(double x, double *sn, double *cs) {
  static const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                      S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                      S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  static const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                      C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                      C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  const double z = x * x, v = z * x;
  const double rs = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  *sn = x + v * (S1 + z * rs);
  const double rc = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const double hz = 0.5 * z, w = 1.0 - hz;
  *cs = w + (((1.0 - w) - hz) + z * rc);
}

/* ---- Philox4x32-10 blocks ---------------------------------------------
 * Block b of the stream has the counter {b mod 2^32, b / 2^32, ctr_hi} and
 * the stream's key. Its four words become two 64-bit words: wu = words 1:0
 * (the uniform) and wa = words 3:2 (quadrant and angle). The portable
 * version is Random123's philox4x32; the SIMD versions compute 4 or 8 blocks
 * at once in 64-bit lanes (a 32 × 32 → 64-bit multiply per lane gives both
 * halves of Philox's products), and test_normal.c checks them against it. */

static void blocks_portable(const pt_normal_stream *s, uint64_t b0, size_t nb, uint64_t *wu, uint64_t *wa) {
  const philox4x32_key_t key = {{s->key[0], s->key[1]}};
  for (size_t q = 0; q < nb; q++) {
    const uint64_t b = b0 + q;
    const philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), s->ctr_hi[0], s->ctr_hi[1]}};
    const philox4x32_ctr_t w = philox4x32(ctr, key);
    wu[q] = (uint64_t)w.v[1] << 32 | w.v[0];
    wa[q] = (uint64_t)w.v[3] << 32 | w.v[2];
  }
}

#if PT_SIMD_X86
#include <immintrin.h>

/* The key of round r is key + r·W (mod 2^32). */
static void round_keys(const pt_normal_stream *s, uint64_t k0[10], uint64_t k1[10]) {
  for (uint32_t r = 0; r < 10; r++) {
    k0[r] = (uint32_t)(s->key[0] + r * PHILOX_W32_0);
    k1[r] = (uint32_t)(s->key[1] + r * PHILOX_W32_1);
  }
}

/* One Philox round on 64-bit lanes whose low halves hold the words; the high
 * halves may hold garbage, which the 32-bit multiplies ignore. */
#define PHILOX_ROUND_V(W, mul, srli, xor3, k0, k1) \
  do {                                              \
    const W p0 = mul(c0, m0), p1 = mul(c2, m1);     \
    c0 = xor3(srli(p1, 32), c1, k0);                \
    c1 = p1;                                        \
    c2 = xor3(srli(p0, 32), c3, k1);                \
    c3 = p0;                                        \
  } while (0)

PT_TARGET_AVX2 static inline __m256i xor3_256(__m256i a, __m256i b, __m256i c) {
  return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
}

PT_TARGET_AVX2 static void blocks_avx2(const pt_normal_stream *s, uint64_t b0, size_t nb, uint64_t *wu,
                                       uint64_t *wa) {
  uint64_t k0[10], k1[10];
  round_keys(s, k0, k1);
  const __m256i m0 = _mm256_set1_epi64x(PHILOX_M4x32_0), m1 = _mm256_set1_epi64x(PHILOX_M4x32_1);
  const __m256i lo32 = _mm256_set1_epi64x(0xffffffff), lanes = _mm256_setr_epi64x(0, 1, 2, 3);
  size_t q = 0;
  for (; q + 4 <= nb; q += 4) {
    const __m256i b = _mm256_add_epi64(_mm256_set1_epi64x((long long)(b0 + q)), lanes);
    __m256i c0 = b, c1 = _mm256_srli_epi64(b, 32);
    __m256i c2 = _mm256_set1_epi64x(s->ctr_hi[0]), c3 = _mm256_set1_epi64x(s->ctr_hi[1]);
    for (int r = 0; r < 10; r++)
      PHILOX_ROUND_V(__m256i, _mm256_mul_epu32, _mm256_srli_epi64, xor3_256, _mm256_set1_epi64x((long long)k0[r]),
                     _mm256_set1_epi64x((long long)k1[r]));
    _mm256_storeu_si256((__m256i *)(wu + q), _mm256_or_si256(_mm256_slli_epi64(c1, 32), _mm256_and_si256(c0, lo32)));
    _mm256_storeu_si256((__m256i *)(wa + q), _mm256_or_si256(_mm256_slli_epi64(c3, 32), _mm256_and_si256(c2, lo32)));
  }
  if (q < nb) blocks_portable(s, b0 + q, nb - q, wu + q, wa + q);
}

PT_TARGET_AVX512 static inline __m512i xor3_512(__m512i a, __m512i b, __m512i c) {
  return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

PT_TARGET_AVX512 static void blocks_avx512(const pt_normal_stream *s, uint64_t b0, size_t nb, uint64_t *wu,
                                           uint64_t *wa) {
  uint64_t k0[10], k1[10];
  round_keys(s, k0, k1);
  const __m512i m0 = _mm512_set1_epi64(PHILOX_M4x32_0), m1 = _mm512_set1_epi64(PHILOX_M4x32_1);
  const __m512i lo32 = _mm512_set1_epi64(0xffffffff), lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  size_t q = 0;
  for (; q + 8 <= nb; q += 8) {
    const __m512i b = _mm512_add_epi64(_mm512_set1_epi64((long long)(b0 + q)), lanes);
    __m512i c0 = b, c1 = _mm512_srli_epi64(b, 32);
    __m512i c2 = _mm512_set1_epi64(s->ctr_hi[0]), c3 = _mm512_set1_epi64(s->ctr_hi[1]);
    for (int r = 0; r < 10; r++)
      PHILOX_ROUND_V(__m512i, _mm512_mul_epu32, _mm512_srli_epi64, xor3_512, _mm512_set1_epi64((long long)k0[r]),
                     _mm512_set1_epi64((long long)k1[r]));
    _mm512_storeu_si512(wu + q, _mm512_or_si512(_mm512_slli_epi64(c1, 32), _mm512_and_si512(c0, lo32)));
    _mm512_storeu_si512(wa + q, _mm512_or_si512(_mm512_slli_epi64(c3, 32), _mm512_and_si512(c2, lo32)));
  }
  if (q < nb) blocks_avx2(s, b0 + q, nb - q, wu + q, wa + q);
}
#endif

/* ---- Box–Muller ----------------------------------------------------------
 * Pair q from the words wu[q], wa[q] into out[2q], out[2q+1]. Written once,
 * compiled for each instruction set and vectorised by the compiler. */
static inline __attribute__((always_inline)) void box_muller(size_t nb, const uint64_t *restrict wu,
                                                             const uint64_t *restrict wa, double *restrict out) {
  for (size_t q = 0; q < nb; q++) {
    /* u = (n + 1/2) 2^−52 for the top 52 bits n: 1 + n 2^−52 minus (1 − 2^−53), exact */
    const double u = from_bits(ONE_BITS | (wu[q] >> 12)) - (1.0 - 0x1p-53);
    const double r = sqrt(-2.0 * log_unit(u));
    /* φ = (π/2)(x − 3/2) for x = 1 + n 2^−52 in [1, 2): φ in [−π/4, π/4) */
    const double phi = (from_bits(ONE_BITS | ((wa[q] >> 10) & MANTISSA)) - 1.5) * 1.57079632679489661923;
    double sn, cs;
    sincos_kernel(phi, &sn, &cs);
    /* rotate by quadrant·π/2: an odd quadrant swaps cos and sin */
    const uint64_t quad = wa[q] >> 62;
    const double a = (quad & 1) ? sn : cs, c = (quad & 1) ? cs : sn;
    /* the sign bits (cos < 0 in quadrants 1 and 2, sin < 0 in 2 and 3) go
     * onto r, which is positive */
    out[2 * q] = from_bits(to_bits(r) ^ (((quad + 1) & 2) << 62)) * a;
    out[2 * q + 1] = from_bits(to_bits(r) ^ ((quad & 2) << 62)) * c;
  }
}

static void box_muller_portable(size_t nb, const uint64_t *wu, const uint64_t *wa, double *out) {
  box_muller(nb, wu, wa, out);
}

#if PT_SIMD_X86
PT_TARGET_AVX2 static void box_muller_avx2(size_t nb, const uint64_t *wu, const uint64_t *wa, double *out) {
  box_muller(nb, wu, wa, out);
}

PT_TARGET_AVX512 static void box_muller_avx512(size_t nb, const uint64_t *wu, const uint64_t *wa, double *out) {
  box_muller(nb, wu, wa, out);
}
#endif

/* Blocks per pass (a multiple of every vector width): the words and numbers
 * of a pass stay in the L1 cache. */
#define CHUNK 128

/* Blocks b0 … b0 + nb − 1 into numbers out[0 … 2nb − 1] on path `level`;
 * nb is a multiple of the path's width (8 blocks for AVX-512, 4 for AVX2). */
static void pairs(pt_simd_level level, const pt_normal_stream *s, uint64_t b0, size_t nb, uint64_t *wu,
                  uint64_t *wa, double *out) {
  switch (level) {
#if PT_SIMD_X86
  case PT_SIMD_AVX512:
    blocks_avx512(s, b0, nb, wu, wa);
    box_muller_avx512(nb, wu, wa, out);
    return;
  case PT_SIMD_AVX2:
    blocks_avx2(s, b0, nb, wu, wa);
    box_muller_avx2(nb, wu, wa, out);
    return;
#endif
  default:
    blocks_portable(s, b0, nb, wu, wa);
    box_muller_portable(nb, wu, wa, out);
  }
}

/* Each pass computes whole vectors of blocks (a few more than asked for at
 * the ends: they cost less than a scalar tail) into a buffer and copies the
 * numbers wanted, which may start on a block's second number. */
void pt_normal_fill(const pt_normal_stream *s, uint64_t first, size_t n, double *z) {
  const pt_simd_level level = pt_simd_active();
  const size_t width = level == PT_SIMD_AVX512 ? 8 : level == PT_SIMD_AVX2 ? 4 : 1;
  uint64_t wu[CHUNK], wa[CHUNK];
  double buf[2 * CHUNK];
  uint64_t t = first;
  size_t left = n;
  while (left > 0) {
    const size_t skip = (size_t)(t & 1);
    size_t nb = (skip + left + 1) / 2;
    if (nb > CHUNK) nb = CHUNK;
    const size_t padded = (nb + width - 1) / width * width;
    pairs(level, s, t / 2, padded, wu, wa, buf);
    const size_t take = 2 * nb - skip < left ? 2 * nb - skip : left;
    memcpy(z, buf + skip, take * sizeof *z);
    z += take;
    t += take;
    left -= take;
  }
}
