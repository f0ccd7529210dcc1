/**
 * @file perturb/loss.h
 * @brief Losses on θ for learning with perturbed optimizers, with their gradients.
 *
 * Every loss works on a batch: θ and y are row-major [n × d]; the outputs are
 * per instance: loss[i] (may be NULL) and grad[i·d … i·d+d−1] = ∂loss[i]/∂θ_i
 * (may be NULL). Averaging over the batch is the caller's choice.
 *
 * | loss                    | value                              | gradient in θ                        |
 * |-------------------------|------------------------------------|--------------------------------------|
 * | perturbed Fenchel–Young | F̂_ε(θ) − ⟨θ, y⟩                    | ŷ_ε(θ) − y                           |
 * | perturbed squared       | ‖ŷ_ε(θ) − y‖²                      | 2 Ĵy_ε(θ)ᵀ (ŷ_ε(θ) − y)               |
 * | squared                 | ‖θ − y‖²                           | 2 (θ − y)                            |
 * | blackbox (Vlastelica)   | ‖y*(θ) − y‖²                       | (y*(θ) − y*(θ − λ g)) / λ, g = 2(y*(θ) − y) |
 * | cross-entropy           | logsumexp(θ) − ⟨θ, y⟩ (Σy = 1)      | softmax(θ) − y                       |
 *
 * The perturbed FY loss is L_ε(θ; y) = F_ε(θ) + εΩ(y) − ⟨θ, y⟩ (paper §4);
 * its value here is that loss **up to the constant εΩ(y)**, which does not
 * depend on θ and has no closed form in general. With mean-zero noise
 * F_ε(θ) ≥ max_{y'∈C} ⟨θ, y'⟩, so the estimate is ≥ 0 up to Monte-Carlo error.
 */
#ifndef PERTURB_LOSS_H
#define PERTURB_LOSS_H

#include <stddef.h>
#include <stdint.h>
#include "perturb/error.h"
#include "perturb/perturbed.h"
#include "perturb/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Perturbed Fenchel–Young loss (value up to εΩ(y), see the file comment) and
 * its gradient ŷ_ε(θ) − y, from the M samples 0..M−1 of each instance's stream.
 */
pt_status pt_loss_fy(pt_perturbed *p, size_t n, const double *theta, const double *y,
                     const uint64_t *ids, double *loss, double *grad);

/**
 * Perturbed squared loss ‖ŷ_ε(θ) − y‖² and its gradient 2 Ĵᵀ(ŷ_ε − y). The mean
 * ŷ_ε uses samples 0..M−1 and the vector-Jacobian product uses the independent
 * samples M..2M−1 (first-order estimator, leave-one-out control variate when
 * M ≥ 2), so the gradient is an unbiased estimate of 2Jᵀ(y_ε − y).
 */
pt_status pt_loss_perturbed_squared(pt_perturbed *p, size_t n, const double *theta, const double *y,
                                    const uint64_t *ids, double *loss, double *grad);

/** Squared loss ‖θ − y‖² on θ itself (θ regressed on the embedding of y). */
pt_status pt_loss_squared(size_t n, size_t d, const double *theta, const double *y,
                          double *loss, double *grad);

/**
 * Blackbox gradient estimation (Vlastelica et al., 2020) for the loss
 * ‖y*(θ) − y‖²: with g = 2(y*(θ) − y), the gradient is (y*(θ) − y*(θ − λg))/λ
 * for the interpolation parameter @p lambda > 0 (θ is a maximisation input,
 * hence the sign). For a solver of non-negative costs (grid_path: θ = −c ≤ 0)
 * the entries of θ − λg above 0 are set to 0 (a cost of zero) instead of
 * being refused. Uses @p solver's workspace.
 */
pt_status pt_loss_blackbox(pt_solver *solver, double lambda, size_t n, const double *theta,
                           const double *y, double *loss, double *grad);

/**
 * Softmax cross-entropy: logsumexp(θ) − ⟨θ, y⟩ with gradient softmax(θ) − y,
 * for target distributions y (non-negative, summing to 1; one-hot for labels).
 */
pt_status pt_loss_cross_entropy(size_t n, size_t d, const double *theta, const double *y,
                                double *loss, double *grad);

#ifdef __cplusplus
}
#endif
#endif
