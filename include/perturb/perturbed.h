/**
 * @file perturb/perturbed.h
 * @brief Perturbed maximum F_ε, maximizer y_ε and their derivatives (paper §2–3).
 *
 * For a solver y*(θ) = argmax_{y∈C} ⟨y,θ⟩ with value F(θ) = max_{y∈C} ⟨y,θ⟩
 * and noise Z with density ∝ exp(−ν(z)) (see perturb/noise.h):
 *
 *   F_ε(θ) = E[F(θ + εZ)],   y_ε(θ) = ∇F_ε(θ) = E[y*(θ + εZ)],
 *   J y_ε(θ) = E[y*(θ+εZ) ∇ν(Z)ᵀ] / ε                        (first order)
 *            = E[F(θ+εZ) (∇ν(Z)∇ν(Z)ᵀ − ∇²ν(Z))] / ε²          (second order)
 *
 * (Prop. 3.1). Each is estimated by a Monte-Carlo mean over M samples.
 *
 * Solvers of non-negative costs (grid_path, θ = −c ≤ 0): additive
 * perturbations are cut at zero cost, w = min(θ + εZ, 0) entry-wise, so that
 * Dijkstra sees no negative cost; the estimators are those of the function
 * θ ↦ E[y*(min(θ + εZ, 0))], whose Jacobian Stein's identity still gives as
 * E[y* ∇ν(Z)ᵀ]/ε (the cut is part of the solver's input map, not of the noise).
 *
 * Multiplicative perturbations (pt_perturbed_set_perturbation()) replace
 * θ + εZ by w = θ ⊙ exp(εZ − ε²/2) with Gaussian Z: every coordinate keeps
 * its sign (costs θ = −c stay costs, which Dijkstra needs), and the factor
 * f = exp(εZ − ε²/2) has mean 1 (the −ε²/2 is what makes it so; −ε² would
 * shrink θ by exp(−ε²/2) on average). Then
 *
 *   y_ε(θ) = E[y*(w)],   F_ε(θ) = E[F(w)],   ∇F_ε(θ) = E[f ⊙ y*(w)]  (≠ y_ε),
 *   J y_ε(θ)_ab = E[y*(w)_a Z_b] / (ε θ_b)                          (θ_b ≠ 0),
 *
 * the last because in u = log|θ| the noise is additive, εZ − ε²/2, and
 * ∂u_b/∂θ_b = 1/θ_b. F_ε is convex and F_ε(θ) ≥ max_y ⟨y, θ⟩ (as E f = 1), so
 * the Fenchel–Young loss F_ε(θ) − ⟨θ, y⟩ stays non-negative, with gradient
 * ∇F_ε(θ) − y. The second-order Jacobian estimator is for additive
 * perturbations only. That loss is positively homogeneous, L(cθ) = cL(θ) for
 * c > 0: a model free to scale its costs lowers it by shrinking them all
 * towards zero rather than by ranking them, so train it with a fixed scale
 * (or with additive noise, whose ε sets one).
 *
 * Randomness: the noise of sample m of the instance with id `ids[i]` is drawn
 * from the stream (seed, ::PT_PURPOSE_PERTURB, epoch, ids[i], m) of
 * perturb/rng.h. Results are therefore a pure function of (θ, ids, seed,
 * epoch, ε, M): repeated calls give bitwise identical numbers, and splitting
 * the samples of an instance between processes (pt_perturbed_sums()) gives
 * exactly the same sums for integer-valued solvers.
 *
 * Batches: θ is row-major [n × d], one row per instance. `ids` gives each row's
 * global instance id; NULL means 0, 1, …, n−1.
 *
 * Standard errors (`*_se` outputs, optional): the sample standard deviation
 * of the per-sample terms divided by √M. For the leave-one-out control variate
 * the terms are not independent and the figure is an approximation.
 *
 * No call allocates memory after pt_perturbed_alloc(); none is collective; an
 * object must not be used by two threads at once.
 */
#ifndef PERTURB_PERTURBED_H
#define PERTURB_PERTURBED_H

#include <stddef.h>
#include <stdint.h>
#include "perturb/error.h"
#include "perturb/noise.h"
#include "perturb/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque handle: a solver, a noise, ε, M, the random stream and workspaces. */
typedef struct pt_perturbed pt_perturbed;

/**
 * Control variates for the first- and second-order Jacobian estimators. Each
 * subtracts a baseline b from the solver's output (first order) or value
 * (second order); since E[∇ν(Z)] = 0 and E[∇ν∇νᵀ − ∇²ν] = 0, the mean is
 * unchanged and the variance usually drops.
 */
typedef enum pt_control_variate {
  PT_CV_NONE = 0,          /**< no baseline */
  PT_CV_UNPERTURBED = 1,   /**< b = y*(θ) (first order) or F(θ) (second order) */
  PT_CV_LEAVE_ONE_OUT = 2  /**< b = mean of the other M−1 samples (needs M ≥ 2) */
} pt_control_variate;

/** Which expression of Prop. 3.1 estimates the Jacobian. */
typedef enum pt_jacobian_method {
  PT_JACOBIAN_FIRST_ORDER = 1,  /**< E[y*(θ+εZ) ∇ν(Z)ᵀ]/ε */
  PT_JACOBIAN_SECOND_ORDER = 2  /**< E[F(θ+εZ)(∇ν∇νᵀ − ∇²ν)]/ε² */
} pt_jacobian_method;

/**
 * Creates a perturbed optimizer for @p solver (borrowed: it must outlive the
 * result) with noise @p noise, temperature @p epsilon (finite, > 0) and
 * @p nsamples = M ≥ 1 samples per estimate. The stream starts at seed 0,
 * epoch 0. Workspaces for M samples of dimension d are allocated here.
 */
pt_status pt_perturbed_alloc(pt_solver *solver, const pt_noise_type *noise, double epsilon,
                             size_t nsamples, pt_perturbed **out);

/** Frees @p *p (NULL-safe) and sets @p *p to NULL. The solver is not freed. */
void pt_perturbed_free(pt_perturbed **p);

/** Sets the seed and epoch of the random stream (see the file comment). */
void pt_perturbed_set_stream(pt_perturbed *p, uint64_t seed, uint64_t epoch);

/** Changes ε (finite, > 0). */
pt_status pt_perturbed_set_epsilon(pt_perturbed *p, double epsilon);

/** ε. */
double pt_perturbed_epsilon(const pt_perturbed *p);
/** M, the number of samples per estimate. */
size_t pt_perturbed_nsamples(const pt_perturbed *p);
/** Dimension d of the solver. */
size_t pt_perturbed_dim(const pt_perturbed *p);
/** How the noise enters: additive θ + εZ (the default) or multiplicative θ ⊙ exp(εZ − ε²/2). */
typedef enum pt_perturbation {
  PT_PERTURB_ADDITIVE = 0,      /**< w = θ + εZ, any noise */
  PT_PERTURB_MULTIPLICATIVE = 1 /**< w = θ ⊙ exp(εZ − ε²/2), Gaussian noise only; signs are kept */
} pt_perturbation;
/**
 * Chooses additive or multiplicative perturbations (file comment) for every
 * later call. #PT_EINVAL for an unknown kind, or multiplicative with a noise
 * other than Gaussian. Results of additive perturbations are the same bits as
 * before this call existed.
 */
pt_status pt_perturbed_set_perturbation(pt_perturbed *p, pt_perturbation kind);
/** The perturbation kind (#PT_PERTURB_ADDITIVE for NULL). */
pt_perturbation pt_perturbed_perturbation(const pt_perturbed *p);

/**
 * Partial sums over the samples m ∈ [@p sample_begin, @p sample_end) (any
 * range, not limited by M): ysum[i] = Σ_m y*(θ_i + εZ_im) and
 * fsum[i] = Σ_m F(θ_i + εZ_im). Either output may be NULL. Outputs are
 * overwritten, not accumulated. This is the building block for splitting
 * samples across processes: the sums over a split range add up to the sum
 * over the whole range, exactly for integer-valued solvers.
 */
pt_status pt_perturbed_sums(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                            uint64_t sample_begin, uint64_t sample_end, double *ysum, double *fsum);

/**
 * For one instance (θ of dimension d, instance id @p id): ysum = Σ_m ∇_θ F(w_m),
 * the per-sample gradients of F_ε, over m ∈ [@p sample_begin, @p sample_end)
 * — for additive perturbations the outputs y*(θ + εZ_m) themselves, for
 * multiplicative ones f_m ⊙ y*(w_m) — and F[m − sample_begin] = F(w_m) for
 * every sample, so that a caller can add the values its own
 * way — the engine sums them in fixed point, which makes the total independent
 * of how the samples are split between processes. (The values may differ in
 * their last bits from the terms of pt_perturbed_maximum, which sums ⟨y*, θ⟩
 * in another order; each is deterministic.)
 */
pt_status pt_perturbed_sample_values(pt_perturbed *p, const double *theta, uint64_t id, uint64_t sample_begin,
                                     uint64_t sample_end, double *ysum, double *F);

/** y[i] = ŷ_ε(θ_i), the mean of y*(θ_i + εZ) over samples 0..M−1; @p y_se may be NULL. */
pt_status pt_perturbed_maximizer(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                 double *y, double *y_se);

/** F[i] = F̂_ε(θ_i), the mean of F(θ_i + εZ) over samples 0..M−1; @p F_se may be NULL. */
pt_status pt_perturbed_maximum(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                               double *F, double *F_se);
/**
 * g[i] = ∇F̂_ε(θ_i), the mean over samples 0..M−1 of ∇_θ F(w): the same as
 * pt_perturbed_maximizer() for additive perturbations, E[f ⊙ y*(θ ⊙ f)] for
 * multiplicative ones (file comment); @p g_se may be NULL.
 */
pt_status pt_perturbed_maximum_gradient(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                        double *g, double *g_se);

/**
 * Jacobian-vector product with the first-order estimator:
 * jv[i] = J y_ε(θ_i) v[i] ≈ mean_m (y*(θ_i+εZ_m) − b) ⟨∇ν(Z_m), v[i]⟩ / ε,
 * with baseline b chosen by @p cv. @p v and @p jv are [n × d]; @p jv_se may be NULL.
 */
pt_status pt_perturbed_jvp(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                           const double *v, pt_control_variate cv, double *jv, double *jv_se);

/**
 * Vector-Jacobian product with the first-order estimator:
 * uj[i] = J y_ε(θ_i)ᵀ u[i] ≈ mean_m ⟨u[i], y*(θ_i+εZ_m) − b⟩ ∇ν(Z_m) / ε.
 * @p u and @p uj are [n × d]; @p uj_se may be NULL.
 */
pt_status pt_perturbed_vjp(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                           const double *u, pt_control_variate cv, double *uj, double *uj_se);

/* Multiplicative perturbations: ∇ν(Z_m) becomes Z_m / θ entry-wise in both
 * products above and in pt_perturbed_jacobian() (file comment), and every θ
 * entry must be non-zero (#PT_EDOM otherwise). */
/**
 * Full Jacobian of y_ε at one θ (instance id @p id), row-major d × d with
 * J[a·d + b] = ∂y_ε,a / ∂θ_b, by @p method with control variate @p cv.
 * @p J_se may be NULL. Costs O(M d²) on top of the M solves.
 */
pt_status pt_perturbed_jacobian(pt_perturbed *p, const double *theta, uint64_t id,
                                pt_jacobian_method method, pt_control_variate cv,
                                double *J, double *J_se);

#ifdef __cplusplus
}
#endif
#endif
