/* test_rng.c: same seed, same numbers; different ids, independent draws.
 *
 * What this file proves (acceptance criterion "reproducible randomness"):
 *  1. A stream is a pure function of its pt_rng_id: seeking two generators
 *     (or one generator twice, also after it has drawn) to the same id gives
 *     bitwise identical gsl_rng_get words and Gaussian / Gumbel samples, and
 *     the words are exactly Philox4x64-10 with key {seed, purpose} and
 *     counter {epoch, instance, sample, block} (a known-answer check against
 *     Random123 itself).
 *  2. Changing any ONE field of the id (to an adjacent or a distant value) or
 *     swapping two fields gives a different stream whose Gaussian draws are
 *     uncorrelated with the original's; draws inside one stream are not
 *     autocorrelated.
 *  3. The library's samplers have the right distributions: mean, variance,
 *     Kolmogorov–Smirnov distance and (Gaussian) the ziggurat tail frequency,
 *     both from one long stream and from many short streams (the way the
 *     estimators draw: one stream of d numbers per (instance, sample)).
 *  4. The perturbed estimators inherit this: repeated calls, a second object
 *     and a freed-and-reallocated object give bitwise identical outputs; the
 *     sums over a split sample range add up exactly to the sum over the whole
 *     range (integer-valued solver); an instance's rows depend only on its
 *     id, not on its position in the batch; and sample m of instance i is the
 *     documented stream (seed, PT_PURPOSE_PERTURB, epoch, i, m).
 *
 * Statistical checks: every tolerance is z = 5 standard errors computed from
 * a closed form (or, for KS, the asymptotic Kolmogorov quantile). Under the
 * null hypothesis a 5-SE deviation has probability ≈ 6e-7, so a failure means
 * a real defect; seeds are fixed, so every run draws the same numbers and a
 * pass or a fail is reproducible. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>

#include "testlib.h"

#define EULER_GAMMA 0.5772156649015329
#define PI 3.14159265358979323846
/* Starts of the tail of the standard 256-layer (Marsaglia & Tsang 2000) and
 * 128-layer ziggurats. A sampler whose tail branch is wrong shows up as a
 * wrong frequency beyond its R; both are checked so the test keeps its bite
 * whichever table noise.c uses (the frequency beyond any fixed threshold is
 * 2(1 − Φ(t)) for a correct sampler). */
#define ZIG_R256 3.6541528853610088
#define ZIG_R128 3.442619855899

enum { NCORR = 100000, NDIST = 1000000 };

/* Seeks r to id and draws n numbers of noise nz. */
static void draw(gsl_rng *r, const pt_noise_type *nz, const pt_rng_id *id, size_t n, double *z) {
  pt_rng_seek(r, id);
  nz->sample(r, n, z);
}

/* Pearson correlation of a and b. Under independence r ≈ N(0, 1/n). */
static double correlation(size_t n, const double *a, const double *b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= (double)n;
  mb /= (double)n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / sqrt(saa * sbb);
}

static int cmp_double(const void *pa, const void *pb) {
  const double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Kolmogorov–Smirnov statistic D = sup |F_n − F| of x (sorted in place). */
static double ks_statistic(size_t n, double *x, double (*cdf)(double)) {
  qsort(x, n, sizeof *x, cmp_double);
  double dmax = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double f = cdf(x[i]);
    const double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
    if (lo > dmax) dmax = lo;
    if (hi > dmax) dmax = hi;
  }
  return dmax;
}

static double gumbel_cdf(double x) { return exp(-exp(-x)); }

/* Sample mean and (n−1)-normalised variance. */
static void mean_var(size_t n, const double *x, double *mean, double *var) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  const double m = s / (double)n;
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = ss / (double)(n - 1);
}

/* ------------------------------------------------------------------------ */
static void test_same_id_same_numbers(void) {
  printf("== same id, same numbers: gsl_rng_get, Gaussian and Gumbel samples; re-seeking restarts\n");
  gsl_rng *r1 = pt_rng_alloc(), *r2 = pt_rng_alloc();
  CHECK(r1 != NULL && r2 != NULL, "pt_rng_alloc failed: %s", pt_last_error());
  if (!r1 || !r2) return;
  CHECK(strcmp(gsl_rng_name(r1), "perturb-philox4x64") == 0, "generator name '%s'", gsl_rng_name(r1));
  CHECK(r1->type == pt_rng_type() && gsl_rng_min(r1) == 0 && gsl_rng_max(r1) == 0xffffffffUL,
        "generator type / range (min %lu, max %lu)", gsl_rng_min(r1), gsl_rng_max(r1));

  const pt_rng_id id = {2024, PT_PURPOSE_PERTURB, 3, 7, 11};
  enum { NW = 1000 };
  unsigned long a[NW], b[NW], c[NW];
  pt_rng_seek(r1, &id);
  for (size_t i = 0; i < NW; i++) a[i] = gsl_rng_get(r1);
  pt_rng_seek(r2, &id); /* a second generator object */
  for (size_t i = 0; i < NW; i++) b[i] = gsl_rng_get(r2);
  CHECK(memcmp(a, b, sizeof a) == 0, "two generators seeked to the same id give different words");
  for (size_t i = 0; i < 37; i++) (void)gsl_rng_get(r1); /* r1 is mid-stream now */
  pt_rng_seek(r1, &id);
  for (size_t i = 0; i < NW; i++) c[i] = gsl_rng_get(r1);
  CHECK(memcmp(a, c, sizeof a) == 0, "re-seeking after drawing does not restart the stream");

  /* Known answer: the words are the 32-bit halves (low first) of Philox4x64-10
   * blocks with key {seed, purpose}, counter {epoch, instance, sample, block}. */
  int kat_ok = 1;
  for (size_t i = 0; i < NW; i++) {
    const philox4x64_ctr_t ctr = {{id.epoch, id.instance, id.sample, (uint64_t)(i / 8)}};
    const philox4x64_key_t key = {{id.seed, id.purpose}};
    const philox4x64_ctr_t out = philox4x64(ctr, key);
    const unsigned long want = (uint32_t)(out.v[(i % 8) / 2] >> (32 * (i % 2)));
    if (a[i] != want) kat_ok = 0;
  }
  CHECK(kat_ok, "gsl_rng_get words are not Philox4x64-10 of (key {seed, purpose}, ctr {epoch, instance, sample, block})");

  /* GSL's own seeding selects the stream (seed, 0, 0, 0, 0) (rng.c). */
  const pt_rng_id id42 = {42, 0, 0, 0, 0};
  gsl_rng_set(r1, 42);
  for (size_t i = 0; i < 64; i++) a[i] = gsl_rng_get(r1);
  pt_rng_seek(r2, &id42);
  for (size_t i = 0; i < 64; i++) b[i] = gsl_rng_get(r2);
  CHECK(memcmp(a, b, 64 * sizeof *a) == 0, "gsl_rng_set(r, 42) differs from pt_rng_seek to (42, 0, 0, 0, 0)");

  /* The library's samplers: bitwise identical on re-seek, on another object,
   * after drawing, for an odd count (a partly used Philox block). */
  const pt_noise_type *noises[3] = {pt_noise_gaussian, pt_noise_gaussian_ziggurat, pt_noise_gumbel};
  enum { NS = 1001 };
  static double za[NS], zb[NS], zc[NS];
  for (int k = 0; k < 3; k++) {
    const pt_noise_type *nz = noises[k];
    draw(r1, nz, &id, NS, za);
    draw(r2, nz, &id, NS, zb);
    CHECK(memcmp(za, zb, sizeof za) == 0, "%s: two generators, same id, different samples", nz->name);
    nz->sample(r1, 123, zc); /* advance */
    (void)gsl_rng_get(r1);
    draw(r1, nz, &id, NS, zc);
    CHECK(memcmp(za, zc, sizeof za) == 0, "%s: re-seeking after drawing does not restart the samples", nz->name);
    /* A shorter draw is a prefix of a longer one: numbers depend on the id and
     * their position only, not on how many are asked for at once. */
    const size_t lens[] = {1, 3, 4, 5, 17, 500};
    for (size_t q = 0; q < sizeof lens / sizeof *lens; q++) {
      draw(r2, nz, &id, lens[q], zb);
      CHECK(memcmp(za, zb, lens[q] * sizeof *za) == 0, "%s: the first %zu of %d draws differ from a draw of %zu",
            nz->name, lens[q], (int)NS, lens[q]);
    }
    int finite = 1;
    for (size_t i = 0; i < NS; i++) finite &= isfinite(za[i]) != 0;
    CHECK(finite, "%s: a sample is not finite", nz->name);
  }
  CHECK(pt_noise_gaussian->mean == 0.0 && pt_noise_gaussian->variance == 1.0, "Gaussian mean/variance fields");
  CHECK(pt_noise_gaussian_ziggurat->mean == 0.0 && pt_noise_gaussian_ziggurat->variance == 1.0,
        "ziggurat Gaussian mean/variance fields");
  CHECK(pt_noise_is_gaussian(pt_noise_gaussian) && pt_noise_is_gaussian(pt_noise_gaussian_ziggurat) &&
          !pt_noise_is_gaussian(pt_noise_gumbel) && !pt_noise_is_gaussian(NULL),
        "pt_noise_is_gaussian");
  CHECK(pt_noise_by_name("gaussian-ziggurat") == pt_noise_gaussian_ziggurat, "pt_noise_by_name(gaussian-ziggurat)");
  /* The SIMD Gaussian through its GSL entry point (a stream of the whole id)
   * and its instance streams (sample_many) share no numbers. */
  {
    double zs[8], zm[8];
    draw(r1, pt_noise_gaussian, &id, 8, zs);
    pt_noise_gaussian->sample_many(&id, id.sample, 1, 8, zm);
    int shared = 0;
    for (int i = 0; i < 8; i++)
      for (int j = 0; j < 8; j++) shared |= zs[i] == zm[j];
    CHECK(!shared, "the Gaussian's sample and sample_many streams share a number");
  }
  CHECK(fabs(pt_noise_gumbel->mean - EULER_GAMMA) < 1e-15 && fabs(pt_noise_gumbel->variance - PI * PI / 6) < 1e-15,
        "Gumbel mean/variance fields: %.17g, %.17g", pt_noise_gumbel->mean, pt_noise_gumbel->variance);
  gsl_rng_free(r1);
  gsl_rng_free(r2);
}

/* ------------------------------------------------------------------------ */
static void check_independent(gsl_rng *r, const pt_noise_type *nz, const pt_rng_id *A, const pt_rng_id *B,
                              const char *what, double *za, double *zb) {
  /* Different streams: the first words already differ ... */
  unsigned long wa[8], wb[8];
  pt_rng_seek(r, A);
  for (int i = 0; i < 8; i++) wa[i] = gsl_rng_get(r);
  pt_rng_seek(r, B);
  for (int i = 0; i < 8; i++) wb[i] = gsl_rng_get(r);
  CHECK(memcmp(wa, wb, sizeof wa) != 0, "%s: the first 8 words are identical", what);
  /* ... and N = 100000 draws are uncorrelated: under independence the sample
   * correlation is ≈ N(0, 1/N), so |r| ≤ 5/√N has a false-alarm probability
   * of ≈ 6e-7 (seeds are fixed: the outcome is deterministic). */
  draw(r, nz, A, NCORR, za);
  draw(r, nz, B, NCORR, zb);
  CHECK(memcmp(za, zb, NCORR * sizeof *za) != 0, "%s: identical %s draws", what, nz->name);
  const double rho = correlation(NCORR, za, zb);
  CHECK(fabs(rho) <= 5.0 / sqrt((double)NCORR), "%s: %s correlation %.5f exceeds 5/sqrt(N) = %.5f", what, nz->name,
        rho, 5.0 / sqrt((double)NCORR));
}

static void test_independence(void) {
  printf("== different ids, independent draws: each field changed alone (adjacent and distant), swaps, lags\n");
  gsl_rng *r = pt_rng_alloc();
  double *za = malloc(NCORR * sizeof *za), *zb = malloc(NCORR * sizeof *zb);
  if (!r || !za || !zb) {
    CHECK(0, "allocation failed");
    return;
  }
  const pt_rng_id A = {12345, PT_PURPOSE_PERTURB, 4, 7, 0};
  /* Each field changed alone, first to an adjacent value (the most likely to
   * collide in a weak mixing of the fields), then to a distant one. */
  struct {
    const char *what;
    pt_rng_id B;
  } cases[] = {
    {"seed 12345 vs 12346", {12346, PT_PURPOSE_PERTURB, 4, 7, 0}},
    {"seed 12345 vs 0x9e3779b97f4a7c15", {0x9e3779b97f4a7c15u, PT_PURPOSE_PERTURB, 4, 7, 0}},
    {"purpose PERTURB vs SHUFFLE", {12345, PT_PURPOSE_SHUFFLE, 4, 7, 0}},
    {"purpose PERTURB vs USER", {12345, PT_PURPOSE_USER, 4, 7, 0}},
    {"epoch 4 vs 5", {12345, PT_PURPOSE_PERTURB, 5, 7, 0}},
    {"epoch 4 vs 2^40", {12345, PT_PURPOSE_PERTURB, (uint64_t)1 << 40, 7, 0}},
    {"instance 7 vs 8", {12345, PT_PURPOSE_PERTURB, 4, 8, 0}},
    {"instance 7 vs 2^63", {12345, PT_PURPOSE_PERTURB, 4, (uint64_t)1 << 63, 0}},
    {"sample 0 vs 1", {12345, PT_PURPOSE_PERTURB, 4, 7, 1}},
    {"sample 0 vs 99999", {12345, PT_PURPOSE_PERTURB, 4, 7, 99999}},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
    check_independent(r, pt_noise_gaussian, &A, &cases[k].B, cases[k].what, za, zb);
  /* The Gumbel sampler on adjacent ids too (it consumes words differently). */
  check_independent(r, pt_noise_gumbel, &A, &cases[6].B, "Gumbel, instance 7 vs 8", za, zb);
  check_independent(r, pt_noise_gumbel, &A, &cases[8].B, "Gumbel, sample 0 vs 1", za, zb);

  /* Swapped values between fields: a symmetric combination of the fields
   * (a sum, an XOR) would make these collide. */
  const pt_rng_id s1 = {1, 2, 3, 4, 5};
  const pt_rng_id swaps[] = {{2, 1, 3, 4, 5}, {1, 2, 4, 3, 5}, {1, 2, 3, 5, 4}, {1, 2, 5, 4, 3}};
  const char *swap_names[] = {"swap seed/purpose", "swap epoch/instance", "swap instance/sample",
                              "swap epoch/sample"};
  for (size_t k = 0; k < 4; k++) check_independent(r, pt_noise_gaussian, &s1, &swaps[k], swap_names[k], za, zb);
  /* Zero id against one with a single bit set high in a field. */
  const pt_rng_id z0 = {0, 0, 0, 0, 0}, z1 = {0, 0, 0, 0, (uint64_t)1 << 63};
  check_independent(r, pt_noise_gaussian, &z0, &z1, "all-zero id vs sample = 2^63", za, zb);

  /* Within one stream: lag-k autocorrelation, same 5/√N bound. Lags 1–8
   * cover neighbours inside one Philox block (four 64-bit words, giving four
   * or eight numbers depending on the sampler) and across blocks. */
  draw(r, pt_noise_gaussian, &A, NCORR, za);
  const size_t lags[] = {1, 2, 3, 4, 8};
  for (size_t q = 0; q < sizeof lags / sizeof *lags; q++) {
    const size_t L = lags[q], n = NCORR - L;
    const double rho = correlation(n, za, za + L);
    CHECK(fabs(rho) <= 5.0 / sqrt((double)n), "Gaussian lag-%zu autocorrelation %.5f exceeds 5/sqrt(N)", L, rho);
  }
  draw(r, pt_noise_gumbel, &A, NCORR, za);
  {
    const double rho = correlation(NCORR - 1, za, za + 1);
    CHECK(fabs(rho) <= 5.0 / sqrt((double)NCORR - 1), "Gumbel lag-1 autocorrelation %.5f exceeds 5/sqrt(N)", rho);
  }
  /* The raw words: lag-1 correlation of consecutive gsl_rng_uniform values. */
  pt_rng_seek(r, &A);
  for (size_t i = 0; i < NCORR; i++) za[i] = gsl_rng_uniform(r);
  {
    const double rho = correlation(NCORR - 1, za, za + 1);
    CHECK(fabs(rho) <= 5.0 / sqrt((double)NCORR - 1), "uniform lag-1 autocorrelation %.5f exceeds 5/sqrt(N)", rho);
  }
  free(za);
  free(zb);
  gsl_rng_free(r);
}

/* ------------------------------------------------------------------------ */
/* Moments, KS and (Gaussian) tail frequency of N draws in z (z is sorted). */
static void check_gaussian(const char *how, size_t n, double *z) {
  double m, v;
  mean_var(n, z, &m, &v);
  const double N = (double)n;
  char what[128];
  snprintf(what, sizeof what, "Gaussian (%s) mean", how);
  CHECK_WITHIN(what, m, 0.0, 5.0, 1.0 / sqrt(N), 0.0);
  /* SE of the sample variance of a normal: σ²·sqrt(2/(N−1)) ≈ sqrt(2/N). */
  snprintf(what, sizeof what, "Gaussian (%s) variance", how);
  CHECK_WITHIN(what, v, 1.0, 5.0, sqrt(2.0 / N), 0.0);
  /* Fourth moment E[Z⁴] = 3 (SE sqrt((E[Z⁸] − 9)/N) = sqrt(96/N)) and the
   * fraction of positive draws 1/2 (binomial SE): the shape of the tails and
   * the sign bit. */
  double m4 = 0;
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    m4 += z[i] * z[i] * z[i] * z[i];
    pos += z[i] > 0;
  }
  snprintf(what, sizeof what, "Gaussian (%s) fourth moment", how);
  CHECK_WITHIN(what, m4 / N, 3.0, 5.0, sqrt(96.0 / N), 0.0);
  snprintf(what, sizeof what, "Gaussian (%s) fraction > 0", how);
  CHECK_WITHIN(what, (double)pos / N, 0.5, 5.0, 0.5 / sqrt(N), 0.0);
  /* The ziggurat's tail: P(|Z| > R) = 2(1 − Φ(R)), binomial SE. */
  size_t tail = 0, tail128 = 0;
  for (size_t i = 0; i < n; i++) {
    tail += fabs(z[i]) > ZIG_R256;
    tail128 += fabs(z[i]) > ZIG_R128;
  }
  const double p = 2.0 * gsl_cdf_ugaussian_Q(ZIG_R256), p128 = 2.0 * gsl_cdf_ugaussian_Q(ZIG_R128);
  snprintf(what, sizeof what, "Gaussian (%s) tail frequency P(|Z| > 3.6541528853610088)", how);
  CHECK_WITHIN(what, (double)tail / N, p, 5.0, sqrt(p * (1 - p) / N), 0.0);
  snprintf(what, sizeof what, "Gaussian (%s) tail frequency P(|Z| > 3.442619855899)", how);
  CHECK_WITHIN(what, (double)tail128 / N, p128, 5.0, sqrt(p128 * (1 - p128) / N), 0.0);
  /* KS: sqrt(N)·D converges to the Kolmogorov distribution; its 0.999
   * quantile is 1.95. */
  const double D = ks_statistic(n, z, gsl_cdf_ugaussian_P);
  CHECK(sqrt(N) * D < 1.95, "Gaussian (%s) KS: sqrt(N) D = %.4f >= 1.95", how, sqrt(N) * D);
  printf("  Gaussian (%s): mean %.5f, var %.5f, tails %zu and %zu (expected %.1f and %.1f), sqrt(N) D = %.4f\n",
         how, m, v, tail, tail128, p * N, p128 * N, sqrt(N) * D);
}

static void check_gumbel(const char *how, size_t n, double *z) {
  double m, v;
  mean_var(n, z, &m, &v);
  const double N = (double)n, s2 = PI * PI / 6.0;
  char what[128];
  snprintf(what, sizeof what, "Gumbel (%s) mean", how);
  CHECK_WITHIN(what, m, EULER_GAMMA, 5.0, sqrt(s2 / N), 0.0);
  /* SE of a sample variance ≈ sqrt((μ4 − σ⁴)/N), μ4 = (3 + 12/5) σ⁴ for the
   * Gumbel (excess kurtosis 12/5). */
  snprintf(what, sizeof what, "Gumbel (%s) variance", how);
  CHECK_WITHIN(what, v, s2, 5.0, sqrt((3.0 + 12.0 / 5.0 - 1.0) * s2 * s2 / N), 0.0);
  const double D = ks_statistic(n, z, gumbel_cdf);
  CHECK(sqrt(N) * D < 1.95, "Gumbel (%s) KS: sqrt(N) D = %.4f >= 1.95", how, sqrt(N) * D);
  printf("  Gumbel (%s): mean %.5f, var %.5f, sqrt(N) D = %.4f\n", how, m, v, sqrt(N) * D);
}

static void test_distributions(void) {
  printf("== distributions of the library samplers (N = 10^6): moments, KS, tail\n");
  gsl_rng *r = pt_rng_alloc();
  double *z = malloc(NDIST * sizeof *z);
  if (!r || !z) {
    CHECK(0, "allocation failed");
    return;
  }
  const pt_rng_id id = {777, PT_PURPOSE_USER, 0, 0, 0};
  /* One long stream. */
  draw(r, pt_noise_gaussian, &id, NDIST, z);
  check_gaussian("one stream", NDIST, z);
  draw(r, pt_noise_gaussian_ziggurat, &id, NDIST, z);
  check_gaussian("one stream, ziggurat", NDIST, z);
  pt_noise_gaussian->sample_many(&id, 0, NDIST / 10, 10, z);
  check_gaussian("one instance, 10^5 samples of 10", NDIST, z);
  draw(r, pt_noise_gumbel, &id, NDIST, z);
  check_gumbel("one stream", NDIST, z);
  /* Many short streams of d = 5 numbers, one per (instance, sample), as the
   * estimators draw them: every stream starts on a fresh Philox block. */
  enum { DS = 5 };
  for (int k = 0; k < 3; k++) {
    const pt_noise_type *nz = k == 0 ? pt_noise_gaussian : k == 1 ? pt_noise_gaussian_ziggurat : pt_noise_gumbel;
    for (size_t s = 0; s < NDIST / DS; s++) {
      const pt_rng_id sid = {777, PT_PURPOSE_PERTURB, 1, s / 100, s % 100};
      draw(r, nz, &sid, DS, z + s * DS);
    }
    if (k < 2) check_gaussian(k == 0 ? "200000 streams of 5" : "200000 streams of 5, ziggurat", NDIST, z);
    else check_gumbel("200000 streams of 5", NDIST, z);
  }
  /* The SIMD Gaussian as the estimators draw it: 2000 instance streams, 100
   * samples of 5 each, one sample per call. */
  for (size_t s = 0; s < NDIST / DS; s++) {
    const pt_rng_id sid = {777, PT_PURPOSE_PERTURB, 1, s / 100, 0};
    pt_noise_gaussian->sample_many(&sid, s % 100, 1, DS, z + s * DS);
  }
  check_gaussian("2000 instances of 100 samples of 5", NDIST, z);
  free(z);
  gsl_rng_free(r);
}

/* ------------------------------------------------------------------------ */
enum { PD = 6, PM = 50, PN = 3 };

static void make_objects(pt_solver **s, pt_perturbed **p) {
  *s = NULL;
  *p = NULL;
  CHECK_OK(pt_solver_ranking_alloc(PD, s));
  CHECK_OK(pt_perturbed_alloc(*s, pt_noise_gaussian, 0.7, PM, p));
  pt_perturbed_set_stream(*p, 99, 2);
}

/* Outputs of every estimator on one state, to compare bitwise. */
typedef struct outputs {
  double y[PN * PD], y_se[PN * PD], F[PN], F_se[PN], loss[PN], grad[PN * PD], jv[PN * PD], J[PD * PD];
} outputs;

static void run_all(pt_perturbed *p, const double *theta, const double *target, const double *v, outputs *o) {
  memset(o, 0, sizeof *o);
  CHECK_OK(pt_perturbed_maximizer(p, PN, theta, NULL, o->y, o->y_se));
  CHECK_OK(pt_perturbed_maximum(p, PN, theta, NULL, o->F, o->F_se));
  CHECK_OK(pt_loss_fy(p, PN, theta, target, NULL, o->loss, o->grad));
  CHECK_OK(pt_perturbed_jvp(p, PN, theta, NULL, v, PT_CV_LEAVE_ONE_OUT, o->jv, NULL));
  CHECK_OK(pt_perturbed_jacobian(p, theta, 1, PT_JACOBIAN_SECOND_ORDER, PT_CV_UNPERTURBED, o->J, NULL));
}

static void test_perturbed_determinism(void) {
  printf("== perturbed estimators: repeated calls, new objects, split sample ranges, instance ids\n");
  /* Row 1 has ties (ranking breaks them by index; noise separates them). */
  const double theta[PN * PD] = {0.3, -1.2, 0.8, 0.0, 2.1, -0.4, 1, 1, 1, 0, 0, 0, -3, 5, 0.25, -0.5, 1.5, 2};
  double target[PN * PD], v[PN * PD];
  for (size_t k = 0; k < PN * PD; k++) {
    target[k] = (double)((k * 5) % PD);
    v[k] = sin((double)k);
  }
  pt_solver *s, *s2;
  pt_perturbed *p, *p2;
  make_objects(&s, &p);
  outputs o1, o2;
  run_all(p, theta, target, v, &o1);
  /* A call in between on other instances must not change anything. */
  double junk[PN * PD];
  const uint64_t other[PN] = {100, 200, 300};
  CHECK_OK(pt_perturbed_maximizer(p, PN, theta, other, junk, NULL));
  run_all(p, theta, target, v, &o2);
  CHECK(memcmp(&o1, &o2, sizeof o1) == 0, "estimators called twice on the same state differ");
  CHECK(memcmp(o1.y, o2.y, sizeof o1.y) == 0 && memcmp(o1.loss, o2.loss, sizeof o1.loss) == 0 &&
            memcmp(o1.grad, o2.grad, sizeof o1.grad) == 0,
        "maximizer / FY loss called twice differ");
  /* A second object alive at the same time, then free and re-allocate. */
  make_objects(&s2, &p2);
  run_all(p2, theta, target, v, &o2);
  CHECK(memcmp(&o1, &o2, sizeof o1) == 0, "a second object with the same settings gives other numbers");
  pt_perturbed_free(&p2);
  pt_solver_free(&s2);
  pt_perturbed_free(&p);
  pt_solver_free(&s);
  make_objects(&s, &p);
  run_all(p, theta, target, v, &o2);
  CHECK(memcmp(&o1, &o2, sizeof o1) == 0, "freed and re-allocated objects give other numbers");
  /* The stream's seed and epoch matter, and going back restores the numbers. */
  pt_perturbed_set_stream(p, 100, 2);
  run_all(p, theta, target, v, &o2);
  CHECK(memcmp(o1.y, o2.y, sizeof o1.y) != 0, "another seed gives the same maximizer");
  pt_perturbed_set_stream(p, 99, 3);
  run_all(p, theta, target, v, &o2);
  CHECK(memcmp(o1.y, o2.y, sizeof o1.y) != 0, "another epoch gives the same maximizer");
  pt_perturbed_set_stream(p, 99, 2);
  run_all(p, theta, target, v, &o2);
  CHECK(memcmp(&o1, &o2, sizeof o1) == 0, "restoring seed and epoch does not restore the numbers");

  /* Splitting the samples: Σ over [0, k) + Σ over [k, M) = Σ over [0, M),
   * bitwise: ranking outputs are integers, so every partial sum is exact. */
  double full[PN * PD], part1[PN * PD], part2[PN * PD], part3[PN * PD], sum[PN * PD];
  CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, 0, PM, full, NULL));
  const uint64_t splits[] = {0, 1, 7, 25, 49, 50};
  for (size_t q = 0; q < sizeof splits / sizeof *splits; q++) {
    const uint64_t k = splits[q];
    CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, 0, k, part1, NULL));
    CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, k, PM, part2, NULL));
    for (size_t j = 0; j < PN * PD; j++) sum[j] = part1[j] + part2[j];
    CHECK(memcmp(sum, full, sizeof sum) == 0, "sums over [0,%llu) + [%llu,%d) != sums over [0,%d)",
          (unsigned long long)k, (unsigned long long)k, (int)PM, (int)PM);
  }
  /* Three pieces in another order of addition. */
  CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, 0, 13, part1, NULL));
  CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, 13, 31, part2, NULL));
  CHECK_OK(pt_perturbed_sums(p, PN, theta, NULL, 31, PM, part3, NULL));
  for (size_t j = 0; j < PN * PD; j++) sum[j] = part3[j] + (part2[j] + part1[j]);
  CHECK(memcmp(sum, full, sizeof sum) == 0, "sums over [0,13) + [13,31) + [31,50) != sums over [0,50)");
  /* The maximizer is those sums divided by M (same operation, same bits). */
  int same = 1;
  for (size_t j = 0; j < PN * PD; j++) same &= full[j] / (double)PM == o1.y[j];
  CHECK(same, "maximizer != sums over [0, M) / M");

  /* Sample m of instance i is sample m of the instance stream (seed,
   * PERTURB, epoch, i) with the SIMD Gaussian (sample_many), and the stream
   * (seed, PERTURB, epoch, i, m) with the ziggurat: recompute y*(θ + εZ) by
   * hand and compare with a one-sample sum, and with the sums of all M
   * samples (drawn in batches) against the sum of the hand-made ones. */
  {
    gsl_rng *r = pt_rng_alloc();
    pt_perturbed *pz = NULL;
    CHECK_OK(pt_perturbed_alloc(s, pt_noise_gaussian_ziggurat, 0.7, PM, &pz));
    if (pz) pt_perturbed_set_stream(pz, 99, 2);
    double z[PD], w[PD], yh[PD], y1[PD], all[PD], hand[PD] = {0};
    const uint64_t inst = 42, m = 17;
    const pt_rng_id rid = {99, PT_PURPOSE_PERTURB, 2, inst, m};
    for (int k = 0; k < 2 && pz; k++) {
      pt_perturbed *pk = k == 0 ? p : pz;
      if (k == 0) pt_noise_gaussian->sample_many(&rid, m, 1, PD, z);
      else draw(r, pt_noise_gaussian_ziggurat, &rid, PD, z);
      for (size_t j = 0; j < PD; j++) w[j] = theta[j] + 0.7 * z[j];
      CHECK_OK(pt_solver_solve(s, w, yh));
      CHECK_OK(pt_perturbed_sums(pk, 1, theta, &inst, m, m + 1, y1, NULL));
      CHECK(memcmp(yh, y1, sizeof yh) == 0, "%s: sample %llu of instance %llu is not the documented stream",
            k == 0 ? "gaussian" : "gaussian-ziggurat", (unsigned long long)m, (unsigned long long)inst);
    }
    for (uint64_t q = 0; q < PM; q++) {
      pt_noise_gaussian->sample_many(&rid, q, 1, PD, z);
      for (size_t j = 0; j < PD; j++) w[j] = theta[j] + 0.7 * z[j];
      CHECK_OK(pt_solver_solve(s, w, yh));
      for (size_t j = 0; j < PD; j++) hand[j] += yh[j];
    }
    CHECK_OK(pt_perturbed_sums(p, 1, theta, &inst, 0, PM, all, NULL));
    CHECK(memcmp(hand, all, sizeof all) == 0, "the batched sums over M differ from samples drawn one by one");
    pt_perturbed_free(&pz);
    gsl_rng_free(r);
  }

  /* Instance ids: rows with ids {5, 9} equal each instance computed alone. */
  {
    const uint64_t ids[2] = {5, 9}, swapped[2] = {9, 5};
    double yb[2 * PD], ya[PD], lb[2], gb[2 * PD], la, ga[PD], Fb[2], Fa;
    double th_sw[2 * PD], y_sw[2 * PD];
    CHECK_OK(pt_perturbed_maximizer(p, 2, theta, ids, yb, NULL));
    CHECK_OK(pt_loss_fy(p, 2, theta, target, ids, lb, gb));
    CHECK_OK(pt_perturbed_maximum(p, 2, theta, ids, Fb, NULL));
    for (size_t i = 0; i < 2; i++) {
      CHECK_OK(pt_perturbed_maximizer(p, 1, theta + i * PD, &ids[i], ya, NULL));
      CHECK(memcmp(ya, yb + i * PD, sizeof ya) == 0, "maximizer row %zu (id %llu) differs from the lone instance", i,
            (unsigned long long)ids[i]);
      CHECK_OK(pt_loss_fy(p, 1, theta + i * PD, target + i * PD, &ids[i], &la, ga));
      CHECK(memcmp(&la, &lb[i], sizeof la) == 0 && memcmp(ga, gb + i * PD, sizeof ga) == 0,
            "FY loss row %zu (id %llu) differs from the lone instance", i, (unsigned long long)ids[i]);
      CHECK_OK(pt_perturbed_maximum(p, 1, theta + i * PD, &ids[i], &Fa, NULL));
      CHECK(memcmp(&Fa, &Fb[i], sizeof Fa) == 0, "maximum row %zu differs from the lone instance", i);
    }
    /* Swapping rows together with their ids swaps the outputs. */
    memcpy(th_sw, theta + PD, PD * sizeof *th_sw);
    memcpy(th_sw + PD, theta, PD * sizeof *th_sw);
    CHECK_OK(pt_perturbed_maximizer(p, 2, th_sw, swapped, y_sw, NULL));
    CHECK(memcmp(y_sw, yb + PD, PD * sizeof *y_sw) == 0 && memcmp(y_sw + PD, yb, PD * sizeof *y_sw) == 0,
          "swapping rows and ids does not swap the outputs");
    /* ids = NULL means 0, 1, ..., n−1; and the id, not θ, picks the noise:
     * one θ under two ids gives two different estimates. */
    const uint64_t natural[PN] = {0, 1, 2};
    CHECK_OK(pt_perturbed_maximizer(p, PN, theta, natural, junk, NULL));
    CHECK(memcmp(junk, o1.y, sizeof junk) == 0, "ids = NULL differs from ids = {0, 1, 2}");
    CHECK_OK(pt_perturbed_maximizer(p, 1, theta, &ids[1], ya, NULL));
    CHECK(memcmp(ya, yb, sizeof ya) != 0, "the same theta under ids 5 and 9 gives identical estimates");
  }
  pt_perturbed_free(&p);
  pt_solver_free(&s);

  /* The same with Gumbel noise and the argmax solver (one-hot outputs). */
  {
    pt_solver *a = NULL;
    pt_perturbed *q = NULL;
    CHECK_OK(pt_solver_argmax_alloc(PD, &a));
    CHECK_OK(pt_perturbed_alloc(a, pt_noise_gumbel, 1.3, PM, &q));
    pt_perturbed_set_stream(q, 7, 0);
    double y1[PN * PD], y2[PN * PD], f1[PN * PD], h1[PN * PD], h2[PN * PD];
    CHECK_OK(pt_perturbed_maximizer(q, PN, theta, NULL, y1, NULL));
    CHECK_OK(pt_perturbed_maximizer(q, PN, theta, NULL, y2, NULL));
    CHECK(memcmp(y1, y2, sizeof y1) == 0, "Gumbel/argmax maximizer called twice differs");
    CHECK_OK(pt_perturbed_sums(q, PN, theta, NULL, 0, PM, f1, NULL));
    CHECK_OK(pt_perturbed_sums(q, PN, theta, NULL, 0, 20, h1, NULL));
    CHECK_OK(pt_perturbed_sums(q, PN, theta, NULL, 20, PM, h2, NULL));
    for (size_t j = 0; j < PN * PD; j++) h1[j] += h2[j];
    CHECK(memcmp(h1, f1, sizeof h1) == 0, "Gumbel/argmax split sums differ");
    pt_perturbed_free(&q);
    pt_solver_free(&a);
  }
}

/* pt_perturbed_sums draws the noise of several instances together when each
 * needs at most 64 numbers (ms·d ≤ 64): the sums must be those of the
 * instance-by-instance path, bitwise. Asking for the values F as well takes
 * that path, so the two calls below take one path each. */
static void test_grouped_sums(void) {
  printf("== perturbed sums: instances drawn in groups = one by one, bitwise\n");
  enum { GN = 19, GD = 10 }; /* 19 instances: two whole groups of 8 and a part */
  pt_solver *s = NULL;
  pt_perturbed *p = NULL;
  CHECK_OK(pt_solver_ranking_alloc(GD, &s));
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gaussian, 0.9, 8, &p));
  pt_perturbed_set_stream(p, 5, 1);
  double theta[GN * GD], grouped[GN * GD], single[GN * GD], F[GN];
  uint64_t ids[GN];
  for (size_t k = 0; k < GN * GD; k++) theta[k] = 0.1 * (double)((k * 7) % 13) - 0.6;
  for (size_t i = 0; i < GN; i++) ids[i] = 1000003 * i + 17;
  /* sample ranges of 1, 2 and 6 samples (10 to 60 numbers), one not from 0,
   * and 7 samples (70 numbers: both calls one by one, as a control) */
  const uint64_t ranges[][2] = {{0, 1}, {0, 2}, {3, 5}, {2, 8}, {1, 8}};
  int same = 1, moved = 0;
  for (size_t q = 0; q < sizeof ranges / sizeof *ranges; q++) {
    CHECK_OK(pt_perturbed_sums(p, GN, theta, ids, ranges[q][0], ranges[q][1], grouped, NULL));
    CHECK_OK(pt_perturbed_sums(p, GN, theta, ids, ranges[q][0], ranges[q][1], single, F));
    same &= memcmp(grouped, single, sizeof grouped) == 0;
    /* the noise moved the rankings: the sums are not all M times one ranking */
    for (size_t k = 0; k < GN * GD; k++) moved |= fmod(grouped[k], (double)(ranges[q][1] - ranges[q][0])) != 0.0;
  }
  CHECK(same, "sums drawn in groups differ from sums drawn instance by instance");
  CHECK(moved, "the sample sums show no effect of the noise");
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

int main(void) {
  test_same_id_same_numbers();
  test_independence();
  test_distributions();
  test_perturbed_determinism();
  test_grouped_sums();
  return pt_test_finish("test_rng");
}
