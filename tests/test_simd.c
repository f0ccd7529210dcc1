/* test_simd.c: every code path of the kernels (perturb/simd.h) gives the same
 * bits as the portable one. Each path this CPU runs is forced in turn with
 * pt_simd_select and compared with the portable path on
 *  - the sort order of the ranking solver (d = 1 … 40: the rank count below
 *    33, the other sorts above), on continuous values, ties and values that
 *    differ in their last bits only;
 *  - the perturbed ranking y_ε and F_ε (Gaussian noise, M = 100, B = 8), and
 *    the sums of the FY gradient's hot loop (pt_perturbed_sums, the solver
 *    adding in place), the estimators the kernels serve, compared with
 *    memcmp; on the portable path the sums over M must be y_ε exactly (integer
 *    ranks).
 * A path the CPU lacks is reported as not tested, and selecting it must fail
 * with one line; so must an unknown name. */
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "perturb/perturb.h"
#include "sort.h"
#include "testlib.h"

enum { MAXD = 40, B = 8, M = 100 };

/* The orders of 7 inputs of each d in 1..MAXD into out[d][trial][...]. */
static void orders(gsl_rng *r, uint32_t out[MAXD + 1][7][MAXD]) {
  static uint64_t work[4 * MAXD + 8];
  double x[MAXD];
  for (size_t d = 1; d <= MAXD; d++)
    for (int trial = 0; trial < 7; trial++) {
      const pt_rng_id id = {5, PT_PURPOSE_USER, (uint64_t)trial, d, 0};
      pt_rng_seek(r, &id);
      for (size_t j = 0; j < d; j++) {
        switch (trial % 3) {
        case 0: x[j] = gsl_ran_gaussian(r, 1.0); break;
        case 1: x[j] = (double)gsl_rng_uniform_int(r, 3); break;
        default: x[j] = 1.0 + (double)gsl_rng_uniform_int(r, 5) * 0x1p-51; break;
        }
      }
      pt_sort_order(d, x, work, out[d][trial]);
    }
}

/* y_ε [B × d], F_ε [B] and the sums of pt_perturbed_sums [B × d] of the
 * perturbed ranking at d ≤ 100 labels. */
static void estimates(size_t d, double *y, double *F, double *ysum) {
  pt_solver *s = NULL;
  pt_perturbed *p = NULL;
  CHECK_OK(pt_solver_ranking_alloc(d, &s));
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gaussian, 0.5, M, &p));
  static double theta[B * 100];
  uint64_t ids[B];
  for (size_t i = 0; i < B; i++) {
    ids[i] = i;
    for (size_t j = 0; j < d; j++) theta[i * d + j] = (double)((i * 7 + j * 3) % 5) * 0.25;
  }
  if (p) {
    pt_perturbed_set_stream(p, 9, 0);
    CHECK_OK(pt_perturbed_maximizer(p, B, theta, ids, y, NULL));
    CHECK_OK(pt_perturbed_maximum(p, B, theta, ids, F, NULL));
    CHECK_OK(pt_perturbed_sums(p, B, theta, ids, 0, M, ysum, NULL));
  }
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

int main(void) {
  gsl_rng *r = pt_rng_alloc();
  static uint32_t base[MAXD + 1][7][MAXD], other[MAXD + 1][7][MAXD];
  const size_t dims[] = {3, 8, 9, 10, 16, 32, 33, 100};
  enum { NDIMS = sizeof dims / sizeof dims[0] };
  static double ybase[NDIMS][B * 100], Fbase[NDIMS][B], sbase[NDIMS][B * 100], y[B * 100], F[B], ysum[B * 100];
  CHECK_OK(pt_simd_select("portable"));
  CHECK(pt_simd_active() == PT_SIMD_PORTABLE, "portable selected");
  memset(base, 0xff, sizeof base); /* entries beyond d stay so in both */
  orders(r, base);
  for (size_t k = 0; k < NDIMS; k++) {
    estimates(dims[k], ybase[k], Fbase[k], sbase[k]);
    int exact = 1;
    for (size_t j = 0; j < B * dims[k]; j++) exact &= sbase[k][j] / (double)M == ybase[k][j];
    CHECK(exact, "portable: the sums of the FY loop at d = %zu, over M, are y_eps exactly", dims[k]);
  }
  const pt_simd_level top = pt_simd_supported();
  for (int l = PT_SIMD_AVX2; l <= PT_SIMD_AVX512; l++) {
    const char *name = pt_simd_name((pt_simd_level)l);
    if (l > (int)top) {
      CHECK_FAILS_MSG(pt_simd_select(name), PT_EINVAL, "does not run here");
      printf("  %s: not tested, this CPU runs up to %s\n", name, pt_simd_name(top));
      continue;
    }
    CHECK_OK(pt_simd_select(name));
    CHECK(pt_simd_active() == (pt_simd_level)l, "%s selected", name);
    memset(other, 0xff, sizeof other);
    orders(r, other);
    CHECK(memcmp(base, other, sizeof base) == 0, "%s: the sort orders of d = 1..%d are the portable ones", name,
          MAXD);
    for (size_t k = 0; k < NDIMS; k++) {
      estimates(dims[k], y, F, ysum);
      CHECK(memcmp(y, ybase[k], B * dims[k] * sizeof *y) == 0 && memcmp(F, Fbase[k], sizeof F) == 0 &&
                memcmp(ysum, sbase[k], B * dims[k] * sizeof *ysum) == 0,
            "%s: y_eps, F_eps and the FY sums of the perturbed ranking at d = %zu are the portable bits", name,
            dims[k]);
    }
  }
  CHECK_FAILS_MSG(pt_simd_select("sse9"), PT_EINVAL,
                  "SIMD path 'sse9' is not one of portable, avx2, avx512, auto");
  CHECK_OK(pt_simd_select("auto"));
  CHECK(pt_simd_active() == top, "auto is the widest supported path (%s)", pt_simd_name(top));
  gsl_rng_free(r);
  return pt_test_finish("test_simd");
}
