/* test_sort.c: the packed-key sort orders exactly, with deterministic ties,
 * including values that differ only in the bits the index displaces; the
 * positions of small d (pt_sort_positions) are its inverse on every path. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perturb/rng.h"
#include "perturb/simd.h"
#include "sort.h"
#include "testlib.h"
#include <gsl/gsl_randist.h>

/* Reference: is order[] ascending in (value, −index)? And a permutation? */
static int order_ok(size_t d, const double *x, const uint32_t *order) {
  char *seen = calloc(d, 1);
  int ok = 1;
  for (size_t k = 0; k < d; k++) {
    if (order[k] >= d || seen[order[k]]) ok = 0;
    else seen[order[k]] = 1;
  }
  for (size_t k = 1; ok && k < d; k++) {
    const double a = x[order[k - 1]], b = x[order[k]];
    if (a > b || (a == b && order[k - 1] < order[k])) ok = 0;
  }
  free(seen);
  return ok;
}

/* The draws of test trial `trial` (kinds 0..6 as in main) into x[0..d). */
static void trial_values(gsl_rng *r, size_t d, int trial, double *x) {
  const pt_rng_id id = {11, PT_PURPOSE_USER, (uint64_t)trial, d, 0};
  pt_rng_seek(r, &id);
  for (size_t j = 0; j < d; j++) {
    switch (trial % 7) {
    case 0: x[j] = gsl_ran_gaussian(r, 1.0); break;
    case 1: x[j] = (double)gsl_rng_uniform_int(r, 4); break;
    case 2: x[j] = 1.0 + gsl_rng_uniform_int(r, 8) * 0x1p-50; break;
    case 3: x[j] = (double)j; break;
    case 4: x[j] = (j % 2 ? -0.0 : 0.0) - gsl_rng_uniform(r) * 1e300; break;
    case 5: x[j] = j % 4 == 0 ? -INFINITY : gsl_ran_gaussian(r, 1.0); break;
    default: x[j] = (j % 3 ? 1e308 : -1e308) * gsl_rng_uniform(r); break;
    }
  }
}

/* pt_sort_positions is the inverse of pt_sort_order on every path this CPU
 * runs, for d = 1 … 16 and the seven kinds of values (ties, ±0, ±∞, low-bit
 * differences). */
static void test_positions(gsl_rng *r) {
  static const char *paths[] = {"portable", "avx2", "avx512"};
  static uint64_t work[512];
  for (int l = 0; l <= (int)pt_simd_supported(); l++) {
    CHECK_OK(pt_simd_select(paths[l]));
    int ok = 1;
    for (size_t d = 1; d <= PT_SORT_POSITIONS_MAX; d++)
      for (int trial = 0; trial < 70; trial++) {
        double x[PT_SORT_POSITIONS_MAX];
        uint32_t order[PT_SORT_POSITIONS_MAX], pos[PT_SORT_POSITIONS_MAX];
        trial_values(r, d, trial, x);
        pt_sort_order(d, x, work, order);
        pt_sort_positions(d, x, work, pos);
        for (size_t k = 0; k < d; k++) ok &= pos[order[k]] == k;
      }
    CHECK(ok, "%s: pt_sort_positions is not the inverse of pt_sort_order", paths[l]);
    printf("  positions, d = 1..%d: %s path checked\n", PT_SORT_POSITIONS_MAX, paths[l]);
  }
  CHECK_OK(pt_simd_select("auto"));
}

int main(void) {
  gsl_rng *r = pt_rng_alloc();
  test_positions(r);
  const size_t sizes[] = {1, 2, 3, 7, 24, 25, 32, 33, 64, 100, 1000, 4097};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    const size_t d = sizes[s];
    double *x = malloc(d * sizeof *x);
    void *keys = malloc(pt_sort_work_size(d));
    uint32_t *order = malloc(d * sizeof *order);
    for (int trial = 0; trial < 70; trial++) {
      const pt_rng_id id = {11, PT_PURPOSE_USER, (uint64_t)trial, d, 0};
      pt_rng_seek(r, &id);
      for (size_t j = 0; j < d; j++) {
        switch (trial % 7) {
        case 0: x[j] = gsl_ran_gaussian(r, 1.0); break;                 /* continuous */
        case 1: x[j] = (double)gsl_rng_uniform_int(r, 4); break;         /* many ties */
        case 2: x[j] = 1.0 + gsl_rng_uniform_int(r, 8) * 0x1p-50; break; /* differ in low bits only */
        case 3: x[j] = (double)j; break;                                 /* sorted (adversarial pivots) */
        case 4: x[j] = (j % 2 ? -0.0 : 0.0) - gsl_rng_uniform(r) * 1e300; break; /* signs, zeros, huge */
        case 5: x[j] = j == 0 ? 1e6 : gsl_ran_gaussian(r, 1.0); break;  /* an outlier crowds the buckets */
        default: x[j] = (j % 3 ? 1e308 : -1e308) * gsl_rng_uniform(r); break; /* span beyond double */
        }
      }
      pt_sort_order(d, x, keys, order);
      CHECK(order_ok(d, x, order), "sort order wrong: d = %zu, trial %d", d, trial);
    }
    free(x);
    free(keys);
    free(order);
  }
  /* −0.0 and +0.0 are equal values: the larger index sorts first. */
  {
    const double x[3] = {0.0, -0.0, 0.0};
    uint64_t keys[16];
    uint32_t order[3];
    pt_sort_order(3, x, keys, order);
    CHECK(order[0] == 2 && order[1] == 1 && order[2] == 0, "signed zeros tie by index: %u %u %u", order[0],
          order[1], order[2]);
  }
  gsl_rng_free(r);
  return pt_test_finish("test_sort");
}
