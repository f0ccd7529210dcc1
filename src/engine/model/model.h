/* model.h (internal): the models θ = g_w(x) the engine trains.
 *
 *  - linear scorer (features per label, the synthetic task): θ_ij = ⟨x_ij, w⟩ + c,
 *    parameters w ∈ R^p then the shared intercept c. The intercept changes no
 *    ranking and no FY gradient (Σ_j (ŷ_j − y_j) = 0 on the permutahedron), but
 *    lets the squared loss match the embedding's mean (d − 1)/2;
 *  - affine (one feature vector per instance, the real datasets):
 *    θ_i = W x_i + b, parameters W ∈ R^{d×p} (row-major) then b ∈ R^d.
 * Both run on CBLAS. Parameters start at zero (the losses are convex in them
 * and the perturbation breaks the ties of θ = 0).
 *
 * A model trained on standardised features (data.standardize) owns the
 * statistics: the per-feature mean and deviation of its training part. They
 * are stored with its parameters, and every path that predicts (training's
 * evaluation, `perturb eval`) brings its data to the model's scale with
 * pt_model_prepare_data — the same arithmetic everywhere, so a prediction is
 * bitwise the same wherever it is made. */
#ifndef PERTURB_MODEL_H
#define PERTURB_MODEL_H

#include <stddef.h>

#include "perturb/data.h"
#include "perturb/error.h"

typedef enum pt_model_kind { PT_MODEL_LINEAR_SCORER = 0, PT_MODEL_AFFINE = 1 } pt_model_kind;

typedef struct pt_model {
  pt_model_kind kind;
  size_t d, p;     /* labels, features */
  size_t nparams;  /* p + 1, or d·p + d */
  double *params;
  double *x_mean;  /* [p] features are standardised as (x − x_mean) / x_sd; NULL: not standardised */
  double *x_sd;    /* [p] (NULL with x_mean) */
  double *xbuf;    /* affine: a batch's feature rows gathered for one GEMM */
  size_t xbuf_rows;
} pt_model;

/* A zero model of the given kind and shape. */
pt_status pt_model_alloc(pt_model_kind kind, size_t d, size_t p, pt_model **out);
void pt_model_free(pt_model **m);

/* "linear_scorer" or "affine". */
const char *pt_model_kind_name(pt_model_kind kind);

/* PT_ECONFIG if the model's shape does not fit the dataset's. */
pt_status pt_model_check_data(const pt_model *m, const pt_dataset *ds, const char *origin);

/* Gives the model the standardisation x → (x − mean) / sd (copies of the p
 * values each; sd > 0 and both finite). Not collective. */
pt_status pt_model_set_standardization(pt_model *m, const double *mean, const double *sd);

/* Computes the standardisation of `train` (pt_dataset_feature_stats) and gives
 * it to the model. PT_EDOM naming `origin` and the feature if a statistic is
 * not finite. Not collective. */
pt_status pt_model_standardize_from(pt_model *m, const pt_dataset *train, const char *origin);

/* Brings the features of `ds` to the model's scale in place: its
 * standardisation if it has one, else nothing. Every predicting path calls it
 * on raw data before pt_model_forward. PT_EDOM naming `origin`, the row and
 * the feature if a standardised value is not finite. Not collective. */
pt_status pt_model_prepare_data(const pt_model *m, pt_dataset *ds, const char *origin);

/* Workspace for backward passes over batches of up to `rows` instances (call
 * once, before training: backward passes allocate nothing). */
pt_status pt_model_reserve(pt_model *m, size_t rows);

/* theta[k·d …] = θ of row rows[k] of ds, k = 0 … count−1. */
void pt_model_forward(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, double *theta);

/* grad += scale · Σ_k (∂θ_k/∂w)ᵀ g_k. The arithmetic depends only on the
 * batch (its rows in order and count), never on the process: the affine model
 * gathers the rows and makes one GEMM call (count ≤ the reserved rows). */
void pt_model_backward(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, const double *g,
                       double scale, double *grad);

#endif
