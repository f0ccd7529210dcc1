/* quantile.h (internal): the quantile transform of a model's inputs
 * (data.quantile), each feature mapped to the normal score of where it falls
 * among the training part's values.
 *
 * A feature's transform is its K knots q_0 ≤ … ≤ q_{K−1}, the quantiles of
 * the training values at the levels k / (K − 1) (K = min(PT_QUANTILE_KNOTS,
 * training rows); linear between order statistics, numpy's and R's default).
 * A value x is given its fractional knot index u ∈ [0, K − 1]: linear
 * between the two knots around it; the middle of the run of knots it equals
 * (tied training values share their average rank); 0 below q_0 and K − 1
 * above q_{K−1}. Its score is Φ⁻¹((u + ½) / K). With K = the training rows,
 * a training value of rank r (1-based, no ties) scores Φ⁻¹((r − ½) / n),
 * the classical normal score, within ±Φ⁻¹(1 − 1/(2K)) (±3.29 at K = 1000).
 *
 * Why: a random forest does not care how a feature is scaled, an mlp on
 * standardised features does; heavy tails (populations, incomes, expression
 * levels) leave most rows in a sliver of the input range (docs/label_ranking.md
 * measures what it changes). */
#ifndef PERTURB_MODEL_QUANTILE_H
#define PERTURB_MODEL_QUANTILE_H

#include <stddef.h>

#include "perturb/error.h"

/* Knots per feature at most: enough for the score to move by under 0.01
 * between neighbouring knots in the middle of the distribution. */
#define PT_QUANTILE_KNOTS 1000

/* The knot count for `rows` training rows: min(PT_QUANTILE_KNOTS, rows). */
size_t pt_quantile_knot_count(size_t rows);

/* The K knots of each of the p features of X (rows × p, row-major) into
 * knots (p × K, feature-major). 2 ≤ K ≤ rows; the values must be finite
 * (the data readers check). PT_ENOMEM naming `origin` if the column buffer
 * cannot be had. Not collective. */
pt_status pt_quantile_fit(const double *X, size_t rows, size_t p, size_t K, double *knots, const char *origin);

/* The normal score of x against one feature's K knots (see the file comment). */
double pt_quantile_score(const double *knots, size_t K, double x);

/* Replaces each of the rows × p values of X by its score against its
 * feature's knots. */
void pt_quantile_apply(const double *knots, size_t K, double *X, size_t rows, size_t p);

#endif
