/* test_quantile.c: the quantile transform of a model's inputs
 * (model/quantile.c, data.quantile):
 *  - with as many knots as training rows, a training value of rank r scores
 *    the normal score Φ⁻¹((r − ½) / n), bit for bit with GSL's Φ⁻¹;
 *  - tied values share their average rank, values between two training
 *    values are linear in the knot index, values outside the training range
 *    take the end scores;
 *  - with more rows than knots, the knots are the type-7 quantiles (checked
 *    on data whose quantiles are known in closed form) and the scores are
 *    non-decreasing in x;
 *  - the knots do not depend on the order of the rows;
 *  - through a model: the standardisation's statistics are those of the
 *    scores, pt_model_prepare_data is the transform followed by the
 *    standardisation, and bad knots or too few rows are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "model/model.h"
#include "model/quantile.h"
#include "perturb/data.h"
#include "testlib.h"

/* ranks: a permutation of 0..n−1 (a stride coprime with n) */
static size_t scrambled(size_t i, size_t n) { return (i * 37 + 11) % n; }

static void test_normal_scores(void) {
  enum { n = 50 };
  double X[n], knots[n];
  for (size_t i = 0; i < n; i++) X[i] = 3.0 * (double)scrambled(i, n) - 20.0;
  CHECK(pt_quantile_knot_count(n) == n, "K = n for n = %d rows", n);
  CHECK_OK(pt_quantile_fit(X, n, 1, n, knots, "test"));
  int exact = 1;
  for (size_t i = 0; i < n; i++) {
    const double r = (double)scrambled(i, n) + 1.0; /* 1-based rank */
    exact &= pt_quantile_score(knots, n, X[i]) == gsl_cdf_ugaussian_Pinv((r - 0.5) / n);
  }
  CHECK(exact, "a training value of rank r scores Phi^-1((r - 1/2)/n) exactly");
  /* halfway between the values of ranks 1 and 2: knot index 0.5 */
  CHECK(pt_quantile_score(knots, n, -18.5) == gsl_cdf_ugaussian_Pinv(1.0 / n), "linear between knots");
  CHECK(pt_quantile_score(knots, n, -1e300) == gsl_cdf_ugaussian_Pinv(0.5 / n) &&
            pt_quantile_score(knots, n, -INFINITY) == gsl_cdf_ugaussian_Pinv(0.5 / n),
        "below the training range: the lowest score");
  CHECK(pt_quantile_score(knots, n, 1e300) == gsl_cdf_ugaussian_Pinv((n - 0.5) / n) &&
            pt_quantile_score(knots, n, INFINITY) == gsl_cdf_ugaussian_Pinv((n - 0.5) / n),
        "above the training range: the highest score");
  /* knots a full double range apart: no overflow */
  const double wide[2] = {-1.5e308, 1.5e308};
  CHECK(pt_quantile_score(wide, 2, 0.0) == gsl_cdf_ugaussian_Pinv(0.5), "knots 3e308 apart: the middle scores 0");
}

static void test_ties(void) {
  const double X[5] = {2.0, 1.0, 3.0, 1.0, 1.0};
  double knots[5];
  CHECK_OK(pt_quantile_fit(X, 5, 1, 5, knots, "test"));
  /* 1 holds ranks 1..3 (average 2: index 1), 2 rank 4, 3 rank 5 */
  CHECK(pt_quantile_score(knots, 5, 1.0) == gsl_cdf_ugaussian_Pinv(1.5 / 5), "tied values: their average rank");
  CHECK(pt_quantile_score(knots, 5, 2.0) == gsl_cdf_ugaussian_Pinv(3.5 / 5), "the value after the ties: its rank");
  /* between the tie and the next value: from index 2 (the tie's last) to 3 */
  CHECK(pt_quantile_score(knots, 5, 1.5) == gsl_cdf_ugaussian_Pinv(3.0 / 5), "between a tie and the next value");
  const double flat[3] = {4.0, 4.0, 4.0};
  double fk[3];
  CHECK_OK(pt_quantile_fit(flat, 3, 1, 3, fk, "test"));
  CHECK(pt_quantile_score(fk, 3, 4.0) == 0.0 && pt_quantile_score(fk, 3, 5.0) > 0.0,
        "a constant feature scores 0 (the middle), a larger value above");
}

static void test_many_rows(void) {
  enum { n = 5000, p = 2 };
  const size_t K = pt_quantile_knot_count(n);
  CHECK(K == PT_QUANTILE_KNOTS, "K = %d for %d rows", PT_QUANTILE_KNOTS, n);
  double *X = malloc(n * p * sizeof *X), *Y = malloc(n * p * sizeof *Y);
  double *kx = malloc(p * K * sizeof *kx), *ky = malloc(p * K * sizeof *ky);
  if (!X || !Y || !kx || !ky) goto done;
  /* feature 0: the values 0..n−1, whose level-f quantile is f (n − 1);
   * feature 1: their cubes, heavy tails (the same ranks) */
  for (size_t i = 0; i < n; i++) {
    const double v = (double)scrambled(i, n);
    X[i * p] = v;
    X[i * p + 1] = v * v * v;
  }
  CHECK_OK(pt_quantile_fit(X, n, p, K, kx, "test"));
  double worst = 0.0;
  for (size_t k = 0; k < K; k++) worst = fmax(worst, fabs(kx[k] - (double)k * (n - 1) / (double)(K - 1)));
  CHECK(worst <= 1e-9, "knots = the type-7 quantiles k (n - 1)/(K - 1) (worst %.2g)", worst);
  CHECK(kx[0] == 0.0 && kx[K - 1] == n - 1.0, "the end knots are the minimum and the maximum");
  int monotone = 1, same_ranks = 1;
  double last = -INFINITY;
  for (double x = -10.0; x < n + 10.0; x += 0.37) {
    const double z = pt_quantile_score(kx, K, x);
    monotone &= z >= last;
    last = z;
  }
  /* a monotone map of a feature leaves its ranks, hence its scores at the
   * training values, nearly alone (the knots interpolate differently) */
  for (size_t i = 0; i < n; i += 7) {
    const double a = pt_quantile_score(kx, K, X[i * p]), b = pt_quantile_score(kx + K, K, X[i * p + 1]);
    same_ranks &= fabs(a - b) < 0.05;
  }
  CHECK(monotone, "scores are non-decreasing in x");
  CHECK(same_ranks, "a feature and its cube score within 0.05 of each other");
  /* rows in another order: the same knots */
  for (size_t i = 0; i < n; i++) memcpy(Y + i * p, X + (n - 1 - i) * p, p * sizeof *Y);
  CHECK_OK(pt_quantile_fit(Y, n, p, K, ky, "test"));
  CHECK(memcmp(kx, ky, p * K * sizeof *kx) == 0, "the knots do not depend on the order of the rows");
done:
  free(X);
  free(Y);
  free(kx);
  free(ky);
}

static void test_model(void) {
  enum { n = 40, p = 2 };
  pt_model *m = NULL;
  pt_dataset *ds = NULL, *copy = NULL;
  const pt_model_shape shape = {.d = 3, .p = p};
  const pt_model_settings settings = {0};
  CHECK_OK(pt_model_alloc(&pt_model_affine, &shape, &settings, "test", &m));
  CHECK_OK(pt_dataset_alloc(n, 3, p, 0, 0, &ds));
  if (m == NULL || ds == NULL) goto done;
  for (size_t i = 0; i < n; i++) {
    ds->X[i * p] = exp(0.3 * (double)scrambled(i, n)); /* heavy-tailed */
    ds->X[i * p + 1] = (double)(i % 4);                 /* ties */
  }
  CHECK_OK(pt_dataset_subset(ds, (const size_t[]){3, 0, 17}, 3, &copy));
  CHECK_OK(pt_model_quantile_from(m, ds, "test"));
  CHECK_OK(pt_model_standardize_from(m, ds, "test"));
  if (m->x_quantiles == NULL || m->x_mean == NULL || copy == NULL) goto done;
  CHECK(m->n_quantiles == n, "K = n for %d rows", n);
  /* the scores of distinct ranks are symmetric about 0: mean 0, and the
   * statistics are theirs, not the raw values' (mean e^{0.3 r} is large) */
  CHECK(fabs(m->x_mean[0]) < 1e-12 && m->x_sd[0] < 1.5, "standardisation of the scores: mean %.3g, sd %.3g",
        m->x_mean[0], m->x_sd[0]);
  double want[3 * p];
  for (size_t r = 0; r < 3; r++)
    for (size_t j = 0; j < p; j++)
      want[r * p + j] =
          (pt_quantile_score(m->x_quantiles + j * n, n, copy->X[r * p + j]) - m->x_mean[j]) / m->x_sd[j];
  CHECK_OK(pt_model_prepare_data(m, copy, "copy"));
  CHECK(memcmp(copy->X, want, sizeof want) == 0, "pt_model_prepare_data = scores, then standardised");
  /* refusals */
  double bad[2 * 3] = {0.0, 2.0, 1.0, 0.0, 1.0, 2.0};
  CHECK_FAILS_MSG(pt_model_set_quantiles(m, bad, 3), PT_EINVAL, "feature 0 (0-based): quantile knot 2 is 1");
  bad[2] = NAN;
  CHECK_FAILS_MSG(pt_model_set_quantiles(m, bad, 3), PT_EINVAL, "want finite");
  CHECK_FAILS_MSG(pt_model_set_quantiles(m, bad, 1), PT_EINVAL, "at least 2");
  pt_dataset *one = NULL;
  CHECK_OK(pt_dataset_subset(ds, (const size_t[]){5}, 1, &one));
  if (one) CHECK_FAILS_MSG(pt_model_quantile_from(m, one, "one row"), PT_ECONFIG, "at least 2 training rows");
  pt_dataset_free(&one);
done:
  pt_dataset_free(&ds);
  pt_dataset_free(&copy);
  pt_model_free(&m);
}

int main(void) {
  test_normal_scores();
  test_ties();
  test_many_rows();
  test_model();
  return pt_test_finish("test_quantile");
}
