/* test_normal.c: the SIMD Gaussian sampler (src/normal.h).
 *  - Each number against a reference built here from Random123's own
 *    philox4x32 and the C library's log, sin and cos: the same uniforms and
 *    quadrant, so the two differ only by the rounding of log, sin and cos
 *    (within 8 ulp of |z|; fdlibm's kernels are within 1 ulp each).
 *  - Positions: any (first, n) slice equals the same slice of one long fill,
 *    for odd and even starts and lengths.
 *  - SIMD paths: each path this CPU runs gives the bits of the portable one.
 *  - Streams: each field of the id but the sample changes every number.
 *  - The law, on 4·10^6 numbers of a fixed stream: mean, variance, fourth
 *    moment, the correlation within a pair and the frequency beyond 3 and 4,
 *    each within 5 standard errors of its value under N(0, 1) (standard
 *    errors from the normal law's own moments: 1, √2, √96, 1 and the
 *    binomial's), and the Kolmogorov–Smirnov distance within 2/√n
 *    (P(√n·D > 2) < 7e−4 under the null). The seed is fixed, so the check
 *    is deterministic; a tolerance of 5 SE flags a bias of 5/√n ≈ 0.0025. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>

#include "normal.h"
#include "perturb/perturb.h"
#include "testlib.h"

/* The reference of position t, from Random123 and libm. */
static double reference(const pt_normal_stream *s, uint64_t t) {
  const uint64_t b = t / 2;
  const philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), s->ctr_hi[0], s->ctr_hi[1]}};
  const philox4x32_key_t key = {{s->key[0], s->key[1]}};
  const philox4x32_ctr_t w = philox4x32(ctr, key);
  const uint64_t wu = (uint64_t)w.v[1] << 32 | w.v[0], wa = (uint64_t)w.v[3] << 32 | w.v[2];
  const double u = ((double)(wu >> 12) + 0.5) * 0x1p-52;
  const double phi = ((double)((wa >> 10) & ((UINT64_C(1) << 52) - 1)) * 0x1p-52 - 0.5) * 1.57079632679489661923;
  const double r = sqrt(-2.0 * log(u));
  const double c = cos(phi), sn = sin(phi);
  double x, y;
  switch (wa >> 62) {
  case 0: x = c; y = sn; break;
  case 1: x = -sn; y = c; break;
  case 2: x = -c; y = -sn; break;
  default: x = sn; y = -c; break;
  }
  return r * (t % 2 ? y : x);
}

enum { NREF = 100003 };

static void test_reference(void) {
  const pt_rng_id id = {42, PT_PURPOSE_PERTURB, 3, 17, 0};
  pt_normal_stream s;
  pt_normal_stream_of(&id, &s);
  double *z = malloc(NREF * sizeof *z);
  CHECK(z != NULL, "out of memory");
  if (!z) return;
  pt_normal_fill(&s, 0, NREF, z);
  double worst = 0.0;
  size_t bad = 0;
  for (size_t t = 0; t < NREF; t++) {
    const double ref = reference(&s, t), err = fabs(z[t] - ref) / (fabs(ref) * 0x1p-52 + 0x1p-1074);
    if (err > worst) worst = err;
    if (err > 8.0) bad++;
  }
  printf("  %d numbers against Random123 + libm: worst %.2f ulp of |z|\n", NREF, worst);
  CHECK(bad == 0, "%zu numbers are more than 8 ulp from the reference", bad);
  free(z);
}

static void test_positions(void) {
  const pt_rng_id id = {7, PT_PURPOSE_PERTURB, 0, 5, 0};
  pt_normal_stream s;
  pt_normal_stream_of(&id, &s);
  enum { N = 300 };
  double all[N], part[N];
  pt_normal_fill(&s, 0, N, all);
  int ok = 1;
  for (uint64_t first = 0; first < 40; first++)
    for (size_t n = 0; first + n <= N; n += 1 + n / 3) {
      for (size_t k = 0; k < N; k++) part[k] = -99.0;
      pt_normal_fill(&s, first, n, part);
      if (memcmp(part, all + first, n * sizeof *part) != 0) ok = 0;
      if (n < N && part[n] != -99.0) ok = 0; /* nothing written past n */
    }
  CHECK(ok, "a slice differs from the long fill, or a fill wrote past its end");
  /* far positions: block 2^32 and beyond uses the counter's second word */
  double far[3], again[1];
  pt_normal_fill(&s, UINT64_C(0x1fffffffe), 3, far);
  pt_normal_fill(&s, UINT64_C(0x1ffffffff), 1, again);
  CHECK(far[1] == again[0], "position 2^33 - 1 differs between two fills");
  for (int k = 0; k < 3; k++) {
    const double ref = reference(&s, UINT64_C(0x1fffffffe) + (uint64_t)k);
    CHECK(fabs(far[k] - ref) <= 8 * 0x1p-52 * fabs(ref), "position 2^33 - 2 + %d is not the reference's", k);
  }
}

static void test_paths(void) {
  enum { N = 4099 };
  const pt_rng_id id = {1, PT_PURPOSE_PERTURB, 2, 3, 0};
  pt_normal_stream s;
  pt_normal_stream_of(&id, &s);
  static double ref[N], z[N];
  CHECK_OK(pt_simd_select("portable"));
  pt_normal_fill(&s, 1, N, ref);
  for (int l = PT_SIMD_AVX2; l <= PT_SIMD_AVX512; l++) {
    const char *name = pt_simd_name((pt_simd_level)l);
    if (l > (int)pt_simd_supported()) {
      printf("  %s: not run on this CPU, not tested\n", name);
      continue;
    }
    CHECK_OK(pt_simd_select(name));
    memset(z, 0, sizeof z);
    pt_normal_fill(&s, 1, N, z);
    printf("  %s: %s\n", name, memcmp(z, ref, sizeof z) == 0 ? "same bits as portable" : "DIFFERS");
    CHECK(memcmp(z, ref, sizeof z) == 0, "the %s path differs from the portable one", name);
  }
  CHECK_OK(pt_simd_select("auto"));
}

static void test_streams(void) {
  const pt_rng_id base = {11, PT_PURPOSE_PERTURB, 1, 2, 0};
  pt_rng_id ids[5] = {base, base, base, base, base};
  ids[1].seed++;
  ids[2].purpose++;
  ids[3].epoch++;
  ids[4].instance++;
  double z[5][8];
  for (int k = 0; k < 5; k++) {
    pt_normal_stream s;
    pt_normal_stream_of(&ids[k], &s);
    pt_normal_fill(&s, 0, 8, z[k]);
  }
  int distinct = 1;
  for (int a = 0; a < 5; a++)
    for (int b = a + 1; b < 5; b++)
      for (int j = 0; j < 8; j++)
        if (z[a][j] == z[b][j]) distinct = 0;
  CHECK(distinct, "two streams that differ in one field share a number");
  pt_rng_id other_sample = base;
  other_sample.sample = 99;
  pt_normal_stream s0, s1;
  pt_normal_stream_of(&base, &s0);
  pt_normal_stream_of(&other_sample, &s1);
  CHECK(memcmp(&s0, &s1, sizeof s0) == 0, "the sample field changed the stream");
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* |value − expected| within 5 standard errors; prints the z-score. */
static void check_within(const char *what, double value, double expected, double se) {
  const double score = (value - expected) / se;
  printf("  %-28s %+.6f (expected %+.6f, %+.2f SE)\n", what, value, expected, score);
  CHECK(fabs(score) <= 5.0, "%s is %.2f standard errors from its value", what, score);
}

static void test_law(void) {
  enum { N = 4000000 };
  const pt_rng_id id = {2020, PT_PURPOSE_PERTURB, 0, 0, 0};
  pt_normal_stream s;
  pt_normal_stream_of(&id, &s);
  double *z = malloc(N * sizeof *z);
  CHECK(z != NULL, "out of memory");
  if (!z) return;
  pt_normal_fill(&s, 0, N, z);
  double m1 = 0, m2 = 0, m4 = 0, cross = 0;
  size_t beyond3 = 0, beyond4 = 0;
  for (size_t k = 0; k < N; k++) {
    const double x = z[k], x2 = x * x;
    m1 += x;
    m2 += x2;
    m4 += x2 * x2;
    beyond3 += fabs(x) > 3.0;
    beyond4 += fabs(x) > 4.0;
    if (k % 2) cross += z[k - 1] * x;
  }
  const double n = N;
  check_within("mean", m1 / n, 0.0, 1.0 / sqrt(n));
  check_within("E[z^2]", m2 / n, 1.0, sqrt(2.0 / n));
  check_within("E[z^4]", m4 / n, 3.0, sqrt(96.0 / n));
  check_within("E[z_2b z_2b+1]", cross / (n / 2), 0.0, 1.0 / sqrt(n / 2));
  const double p3 = 2.0 * gsl_cdf_ugaussian_Q(3.0), p4 = 2.0 * gsl_cdf_ugaussian_Q(4.0);
  check_within("P(|z| > 3)", (double)beyond3 / n, p3, sqrt(p3 * (1 - p3) / n));
  check_within("P(|z| > 4)", (double)beyond4 / n, p4, sqrt(p4 * (1 - p4) / n));
  qsort(z, N, sizeof *z, cmp_double);
  double D = 0.0;
  for (size_t k = 0; k < N; k++) {
    const double F = gsl_cdf_ugaussian_P(z[k]);
    const double lo = F - (double)k / n, hi = (double)(k + 1) / n - F;
    if (lo > D) D = lo;
    if (hi > D) D = hi;
  }
  printf("  Kolmogorov-Smirnov sqrt(n) D = %.3f (bound 2)\n", sqrt(n) * D);
  CHECK(sqrt(n) * D < 2.0, "the Kolmogorov-Smirnov distance is too large");
  printf("  largest |z|: %.3f (the bound is 8.57)\n", fmax(-z[0], z[N - 1]));
  CHECK(-z[0] < 8.58 && z[N - 1] < 8.58, "a number beyond the bound 8.57");
  free(z);
}

int main(void) {
  test_reference();
  test_positions();
  test_paths();
  test_streams();
  test_law();
  return pt_test_finish("test_normal");
}
