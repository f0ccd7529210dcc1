/* metrics.c: Spearman correlation and exact rankings from integer counts. */
#include "metrics.h"

#include "check.h"

pt_status pt_rank_counts(const pt_model *m, const pt_dataset *ds, size_t begin, size_t end, pt_solver *ranking,
                         double *theta, double *yhat, int64_t counts[2]) {
  const size_t d = m->d;
  for (size_t i = begin; i < end; i++) {
    pt_model_forward(m, ds, &i, 1, theta);
    PT_TRY(pt_solver_solve(ranking, theta, yhat));
    int64_t sq = 0; /* y = d − rank, so ŷ − y is a difference of ranks */
    for (size_t j = 0; j < d; j++) {
      const int64_t diff = (int64_t)yhat[j] - (int64_t)ds->Y[i * d + j];
      sq += diff * diff;
    }
    counts[0] += sq;
    counts[1] += sq == 0;
  }
  return PT_OK;
}

void pt_rank_metrics(const int64_t counts[2], size_t n, size_t d, double *spearman, double *exact) {
  const double dd = (double)d;
  *spearman = 1.0 - 6.0 * (double)counts[0] / (dd * (dd * dd - 1.0) * (double)n);
  *exact = (double)counts[1] / (double)n;
}
