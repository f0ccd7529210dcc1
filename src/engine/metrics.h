/* metrics.h (internal): ranking metrics of a model on a dataset, counted in
 * integers so that sums over ranks are exact whatever their number. */
#ifndef PERTURB_METRICS_H
#define PERTURB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "perturb/data.h"
#include "perturb/solver.h"

/* Over rows [begin, end) of ds, with ŷ_i the ranking of θ_i (no noise):
 * counts[0] += Σ_i Σ_j (ŷ_ij − y_ij)² and counts[1] += #{i : ŷ_i = y_i}.
 * `theta` and `yhat` are scratch of d doubles; `ranking` is a ranking solver
 * of dimension d. */
pt_status pt_rank_counts(const pt_model *m, const pt_dataset *ds, size_t begin, size_t end, pt_solver *ranking,
                         double *theta, double *yhat, int64_t counts[2]);

/* Mean Spearman correlation, 1 − 6 Σ(ŷ − y)² / (d(d² − 1)) averaged over n
 * instances, and the share ranked exactly, from the summed counts. */
void pt_rank_metrics(const int64_t counts[2], size_t n, size_t d, double *spearman, double *exact);

#endif
