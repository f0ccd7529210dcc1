/* quantile.c: the quantile transform of a model's inputs (quantile.h). */
#include "model/quantile.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

size_t pt_quantile_knot_count(size_t rows) { return rows < PT_QUANTILE_KNOTS ? rows : PT_QUANTILE_KNOTS; }

pt_status pt_quantile_fit(const double *X, size_t rows, size_t p, size_t K, double *knots, const char *origin) {
  double *col = malloc(rows * sizeof *col);
  if (col == NULL) return pt_error(PT_ENOMEM, "%s: out of memory for the quantiles of %zu rows", origin, rows);
  for (size_t j = 0; j < p; j++) {
    for (size_t r = 0; r < rows; r++) col[r] = X[r * p + j];
    gsl_sort(col, 1, rows);
    /* Level k / (K − 1) sits at index k (rows − 1) / (K − 1) of the sorted
     * column. Splitting it into an integer and a remainder in integers
     * (rather than gsl_stats_quantile_from_sorted_data's floating index)
     * makes the knots the order statistics themselves when K = rows. */
    for (size_t k = 0; k < K; k++) {
      const size_t num = k * (rows - 1), lo = num / (K - 1), rem = num % (K - 1);
      knots[j * K + k] = rem == 0 ? col[lo] : col[lo] + (col[lo + 1] - col[lo]) * ((double)rem / (double)(K - 1));
    }
  }
  free(col);
  return PT_OK;
}

double pt_quantile_score(const double *q, size_t K, double x) {
  /* lo: the first knot ≥ x; hi + 1: the first knot > x */
  size_t a = 0, b = K;
  while (a < b) {
    const size_t mid = a + (b - a) / 2;
    if (q[mid] < x) a = mid + 1; else b = mid;
  }
  const size_t lo = a;
  b = K;
  while (a < b) {
    const size_t mid = a + (b - a) / 2;
    if (q[mid] <= x) a = mid + 1; else b = mid;
  }
  double u;
  if (a > lo) u = 0.5 * (double)(lo + a - 1);           /* x equals knots lo..a−1 */
  else if (lo == 0) u = 0.0;                           /* below every knot */
  else if (lo == K) u = (double)(K - 1);               /* above every knot */
  /* halved (exactly) so that knots a full double range apart do not overflow */
  else u = (double)(lo - 1) + (0.5 * x - 0.5 * q[lo - 1]) / (0.5 * q[lo] - 0.5 * q[lo - 1]);
  return gsl_cdf_ugaussian_Pinv((u + 0.5) / (double)K);
}

void pt_quantile_apply(const double *knots, size_t K, double *X, size_t rows, size_t p) {
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < p; j++) X[r * p + j] = pt_quantile_score(knots + j * K, K, X[r * p + j]);
}
