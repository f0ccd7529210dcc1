/* metrics.c: Spearman correlation (average ranks for ties), exact rankings
 * and the accuracy, summed exactly. */
#include "task/metrics.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "data/data_impl.h"
#include "solver_impl.h"


/* log2 of the scale of the Spearman sums (metrics.h) */
#define SPEARMAN_SCALE 52

/* summed as one int64 array: no padding */
_Static_assert(sizeof(pt_rank_sums) == (PT_EXACT_LIMBS + 1) * sizeof(int64_t), "pt_rank_sums must be int64 only");

double pt_spearman(size_t d, const double *theta, const double *y, size_t *order, int *exact) {
  gsl_sort_index(order, theta, 1, d);
  /* In doubled units, so that average ranks and the means are integers:
   * a2 = 2(a − ā) for the average rank a of a tie group at positions
   * [q, e) (a = (q + e − 1)/2, ā = (d − 1)/2), y2 = 2(y − ȳ). The sums are
   * of integers below 4d³, exact in double up to 2^53 (d ≤ 10^5, the
   * schema's largest label count, gives 4·10^15); beyond, rounded in a fixed
   * order, never an overflow. */
  const double c = (double)d - 1.0;
  double num = 0.0, saa = 0.0;
  int ex = 1;
  for (size_t q = 0; q < d;) {
    size_t e = q + 1;
    while (e < d && theta[order[e]] == theta[order[q]]) e++;
    const double a2 = (double)(q + e - 1) - c;
    for (size_t k = q; k < e; k++) {
      const double y2 = 2.0 * y[order[k]] - c;
      num += a2 * y2;
      saa += a2 * a2;
      ex &= a2 == y2;
    }
    q = e;
  }
  *exact = ex;
  if (saa == 0.0) return 0.0; /* constant scores */
  /* Σ y2² = d(d² − 1)/3 for a permutation; without ties saa equals it and
   * sqrt(saa·syy) = syy exactly, so ρ = num/syy. */
  const double dd = (double)d, syy = dd * (dd * dd - 1.0) / 3.0;
  return num / sqrt(saa * syy);
}

pt_status pt_rank_counts(pt_model *m, const pt_dataset *ds, size_t begin, size_t end, double *theta,
                         pt_rank_sums *sums) {
  const size_t d = m->d;
  size_t *order = malloc(d * sizeof *order);
  if (order == NULL) return pt_error(PT_ENOMEM, "out of memory for the ranking metrics of %zu labels", d);
  pt_status st = PT_OK;
  for (size_t i = begin; i < end && st == PT_OK; i++) {
    pt_model_forward(m, ds->X + i * pt_model_input_size(m), 0, 1, theta);
    int ex;
    st = pt_exact_sum_add(&sums->spearman, ldexp(pt_spearman(d, theta, ds->Y + i * d, order, &ex), SPEARMAN_SCALE));
    sums->exact += ex;
  }
  free(order);
  return st;
}

void pt_rank_sums_allreduce(pt_rank_sums *sums, size_t count, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, sums, (int)(count * (PT_EXACT_LIMBS + 1)), MPI_INT64_T, MPI_SUM, comm);
}

void pt_rank_metrics(const pt_rank_sums *sums, size_t n, double *spearman, double *exact) {
  *spearman = ldexp(pt_exact_sum_value(&sums->spearman), -SPEARMAN_SCALE) / (double)n;
  *exact = (double)sums->exact / (double)n;
}

pt_status pt_task_accuracy_hit(const pt_task *t, const double *theta, const double *y, double *scratch, int *hit) {
  *hit = 0;
  pt_status st = pt_task_decide(t, theta, scratch);
  if (st != PT_OK) return st;
  /* Entry by entry rather than memcmp: -0.0 from a user's solver equals a
   * target's 0. */
  const size_t d = pt_solver_dim(t->solver);
  size_t j = 0;
  while (j < d && scratch[j] == y[j]) j++;
  *hit = j == d;
  return PT_OK;
}

pt_status pt_accuracy_counts(pt_model *m, const pt_task *t, const pt_dataset *ds, size_t begin, size_t end,
                             double *theta, double *scratch, int64_t *hits) {
  const size_t d = m->d;
  for (size_t i = begin; i < end; i++) {
    pt_model_forward(m, ds->X + i * pt_model_input_size(m), 0, 1, theta);
    int hit;
    PT_TRY(pt_task_accuracy_hit(t, theta, ds->Y + i * d, scratch, &hit));
    *hits += hit;
  }
  return PT_OK;
}

pt_status pt_path_add(const pt_task *t, const double *theta, const double *cost, pt_path_sums *sums) {
  if (cost == NULL) return pt_error(PT_EINVAL, "pt_path_add: the path metrics need the true costs of the instance");
  const size_t d = pt_solver_dim(t->solver);
  double *yhat = t->work, *neg = yhat + d, *yopt = neg + d;
  PT_TRY(pt_task_decide(t, theta, yhat));
  for (size_t j = 0; j < d; j++) neg[j] = -cost[j];
  PT_TRY(pt_solver_solve(t->solver, neg, yopt));
  double pred = 0.0, opt = 0.0;
  for (size_t j = 0; j < d; j++) {
    pred += cost[j] * yhat[j];
    opt += cost[j] * yopt[j];
  }
  if (!(opt > 0))
    return pt_error(PT_EDOM, "the optimal path costs %g: cost ratios and regret need positive optima", opt);
  if (t->decision == PT_DECISION_THRESHOLD) {
    /* a thresholded decision is optimal only if it is also a path; with
     * decisions that are not paths, cost ratios and regret mean nothing */
    sums->optimal += fabs(pred - opt) <= 1e-9 * opt &&
                     pt_paths_is_path(t->solver->type->name, t->solver->rows, t->solver->cols, yhat, yopt + d);
    return PT_OK;
  }
  sums->optimal += fabs(pred - opt) <= 1e-9 * opt;
  PT_TRY(pt_exact_sum_add(&sums->ratio, pred / opt));
  PT_TRY(pt_exact_sum_add(&sums->excess, pred - opt));
  return pt_exact_sum_add(&sums->opt, opt);
}

pt_status pt_eval_add(const pt_task *t, size_t d, const double *theta, const double *y, const double *cost,
                      size_t *order, double *scratch, pt_eval_sums *sums) {
  if (t->metrics & PT_METRIC_RANKING) {
    int ex;
    PT_TRY(pt_exact_sum_add(&sums->rank.spearman, ldexp(pt_spearman(d, theta, y, order, &ex), SPEARMAN_SCALE)));
    sums->rank.exact += ex;
  }
  if (t->metrics & PT_METRIC_ACCURACY) {
    int hit;
    PT_TRY(pt_task_accuracy_hit(t, theta, y, scratch, &hit));
    sums->hits += hit;
  }
  if (t->metrics & PT_METRIC_PATH) PT_TRY(pt_path_add(t, theta, cost, &sums->path));
  return PT_OK;
}

void pt_eval_sums_allreduce(pt_eval_sums *sums, size_t count, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, sums, (int)(count * sizeof *sums / sizeof(int64_t)), MPI_INT64_T, MPI_SUM, comm);
}

pt_eval_values pt_eval_metrics(const pt_task *t, const pt_eval_sums *sums, size_t n) {
  pt_eval_values v = {NAN, NAN, NAN, NAN, NAN, NAN};
  if (t->metrics & PT_METRIC_RANKING) pt_rank_metrics(&sums->rank, n, &v.spearman, &v.exact);
  if (t->metrics & PT_METRIC_ACCURACY) v.accuracy = (double)sums->hits / (double)n;
  if (t->metrics & PT_METRIC_PATH) v.optimal = (double)sums->path.optimal / (double)n;
  if ((t->metrics & PT_METRIC_PATH) && t->decision == PT_DECISION_SOLVER) {
    v.cost_ratio = pt_exact_sum_value(&sums->path.ratio) / (double)n;
    v.regret = pt_exact_sum_value(&sums->path.excess) / pt_exact_sum_value(&sums->path.opt);
  }
  return v;
}
