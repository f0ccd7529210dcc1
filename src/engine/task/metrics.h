/* metrics.h (internal): ranking metrics and the accuracy of a model on a
 * dataset, summed exactly (integers and pt_exact_sum) so that sums over
 * ranks are the same bits whatever their number. */
#ifndef PERTURB_METRICS_H
#define PERTURB_METRICS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "model/model.h"
#include "perturb/data.h"
#include "task/task.h"

/* The sums behind the metrics of some instances: plain int64_t fields, so
 * that an array of them is summed over ranks as one int64 array. */
typedef struct pt_rank_sums {
  pt_exact_sum spearman; /* 2^52 Σ_i ρ_i, ρ_i the per-instance Spearman correlations: scaled
                          * by 2^52 (exactly) so that the sum's 2^-32 resolution is
                          * 2^-84 on each ρ_i, finer than its double; 2^43 instances fit */
  int64_t exact;         /* #{i : ranked exactly} */
} pt_rank_sums;

/*
 * The Spearman correlation of the scores theta[0..d) with the true ranking y
 * (y = d − rank, a permutation of 0..d−1): the Pearson correlation of their
 * ranks, tied scores taking the average of the ranks they span (the usual
 * definition with ties). Without ties this is 1 − 6 Σ(ŷ − y)² / (d(d² − 1)).
 * A constant theta has no variance: its correlation is defined as 0.
 * *exact = 1 if theta ranks every label as y does with no tie (a tie is not
 * an exact ranking), else 0. `order` is scratch of d entries. Local.
 */
double pt_spearman(size_t d, const double *theta, const double *y, size_t *order, int *exact);

/* Over rows [begin, end) of ds, with θ_i the model's scores (no noise):
 * sums->spearman += ρ_i (pt_spearman), sums->exact += 1 for each exact
 * ranking. `theta` is scratch of d doubles. Local; allocates d indices once
 * per call (PT_ENOMEM). */
pt_status pt_rank_counts(pt_model *m, const pt_dataset *ds, size_t begin, size_t end, double *theta,
                         pt_rank_sums *sums);

/* Sums sums[0..count) over the ranks of comm, in place: one MPI_Allreduce.
 * Collective. */
void pt_rank_sums_allreduce(pt_rank_sums *sums, size_t count, MPI_Comm comm);

/* Mean Spearman correlation over n instances and the share ranked exactly,
 * from the summed sums. */
void pt_rank_metrics(const pt_rank_sums *sums, size_t n, double *spearman, double *exact);

/*
 * *hit = 1 if the task's solution for the scores theta[0..d) equals the
 * target y[0..d) in every entry (y*(θ) == y, exactly: solutions are
 * vertices), else 0 — for classification, a correct prediction (argmax,
 * ties to the smallest class). `scratch` holds d doubles and receives
 * y*(θ); d is the task's solver dimension. Uses the solver's workspace, so
 * one task must not be used by two threads at once. Fails as
 * pt_solver_solve does (PT_EDOM for a non-finite θ, PT_ESOLVER for a
 * plugin's failure), *hit = 0 then. Local.
 */
pt_status pt_task_accuracy_hit(const pt_task *t, const double *theta, const double *y, double *scratch, int *hit);

/* Over rows [begin, end) of ds, with θ_i the model's scores (no noise):
 * *hits += 1 for each instance whose solution equals its target
 * (pt_task_accuracy_hit). `theta` and `scratch` hold d doubles each. The
 * counts of the ranks' shares add up exactly (one int64 MPI_SUM). Local. */
pt_status pt_accuracy_counts(pt_model *m, const pt_task *t, const pt_dataset *ds, size_t begin, size_t end,
                             double *theta, double *scratch, int64_t *hits);

/* The sums behind the path metrics (PT_METRIC_PATH) of some instances. */
typedef struct pt_path_sums {
  int64_t optimal;     /* #{i : the predicted path's true cost is the optimum, to 1e-9 relative} */
  pt_exact_sum ratio;  /* Σ_i cost(ŷ_i) / opt_i */
  pt_exact_sum excess; /* Σ_i cost(ŷ_i) − opt_i */
  pt_exact_sum opt;    /* Σ_i opt_i */
} pt_path_sums;

/* Adds one instance to the path sums: the decision ŷ for θ (pt_task_decide:
 * the path y*(θ), no noise) and the optimal path y*(−c) for the true costs
 * c[0..d), cost(y) = ⟨c, y⟩. A thresholded decision counts as optimal only
 * if it is a path of the graph, and adds nothing to the ratio and regret
 * sums (pt_eval_metrics reports them as NaN). Uses the task's solver and its
 * workspace t->work (3d doubles, then the path check's scratch). PT_EDOM for
 * an optimum of cost 0 (a ratio without meaning) or a solver's failure. Local. */
pt_status pt_path_add(const pt_task *t, const double *theta, const double *cost, pt_path_sums *sums);

/* The sums behind all the metrics of some instances: plain int64_t fields,
 * so that an array of them is summed over ranks as one int64 array, exactly. */
typedef struct pt_eval_sums {
  pt_rank_sums rank;  /* PT_METRIC_RANKING */
  int64_t hits;       /* PT_METRIC_ACCURACY: instances whose solution equals the target */
  pt_path_sums path;  /* PT_METRIC_PATH */
  pt_exact_sum loss;  /* the loss, when the caller adds it */
} pt_eval_sums;

/* The metrics of some instances (NaN for those the task does not report). */
typedef struct pt_eval_values {
  double spearman, exact;            /* PT_METRIC_RANKING */
  double accuracy;                   /* PT_METRIC_ACCURACY */
  double optimal, cost_ratio, regret; /* PT_METRIC_PATH */
} pt_eval_values;

/* Adds the task's metrics of one instance with scores theta[0..d), target
 * y and true costs `cost` (NULL when the data have none) to *sums. `order`
 * (d indices) and `scratch` (d doubles) are scratch. Local; fails as
 * pt_task_accuracy_hit and pt_path_add do. */
pt_status pt_eval_add(const pt_task *t, size_t d, const double *theta, const double *y, const double *cost,
                      size_t *order, double *scratch, pt_eval_sums *sums);

/* Sums sums[0..count) over the ranks of comm, in place: one MPI_Allreduce.
 * Collective. */
void pt_eval_sums_allreduce(pt_eval_sums *sums, size_t count, MPI_Comm comm);

/* The metrics of n instances from their summed sums (the cost ratio and
 * regret are NaN for thresholded decisions: pt_path_add). Local. */
pt_eval_values pt_eval_metrics(const pt_task *t, const pt_eval_sums *sums, size_t n);

#endif
