/* ridge.h (internal): loss.kind = ridge, the closed-form baseline.
 *
 * The exact minimiser of the objective that loss.kind = squared trains by
 * SGD (train_step: the mean of ‖θ − y‖² over the instances plus l2 · params
 * in the gradient, intercepts included):
 *     J(params) = (1/n) Σ_i ‖θ_i − y_i‖² + (l2/2) ‖params‖².
 * With one row a = [x, 1] per score (affine: per instance, d responses; linear
 * scorer: per instance and label, one response) and the coefficients C,
 * n · J = ‖Y − A C‖² + (n · l2/2) ‖C‖², a Tikhonov problem with GSL's
 * λ = sqrt(n · l2/2): one SVD of A, then one solve per response column. With
 * l2 = 0 and A rank-deficient (collinear features), the singular values below
 * max(rows, columns) · ε times the largest are dropped, which gives the
 * minimum-norm least-squares solution (θ on the training data is the same for
 * every least-squares one). */
#ifndef PERTURB_RIDGE_H
#define PERTURB_RIDGE_H

#include "model/model.h"
#include "perturb/data.h"
#include "perturb/error.h"

/*
 * Sets m->params to the minimiser of J on all of `train` (its shape must fit
 * the model) and *train_loss to J's data term (1/n) Σ_i ‖θ_i − y_i‖² there.
 * Not collective, and deterministic: the same inputs give the same bits, so
 * ranks that each call it on the whole training part agree exactly. Fails
 * with PT_ENOMEM, or PT_EDOM if GSL fails or the fit is not finite.
 */
pt_status pt_ridge_fit(pt_model *m, const pt_dataset *train, double l2, double *train_loss);

#endif
