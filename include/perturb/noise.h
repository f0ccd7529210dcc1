/**
 * @file perturb/noise.h
 * @brief Noise distributions for perturbations: dμ(z) ∝ exp(−ν(z)) dz.
 *
 * A noise is described by a ::pt_noise_type (GSL style: a struct of function
 * pointers). perturb's noises are i.i.d. across coordinates, ν(z) = Σ_j ν₁(z_j),
 * so ∇²ν(z) is diagonal and is given by its diagonal.
 *
 * | noise    | ν₁(z)          | ∇ν(z)_j        | ∇²ν(z)_jj  | E[Z_j] |
 * |----------|----------------|----------------|------------|--------|
 * | gaussian | z²/2           | z_j            | 1          | 0      |
 * | gumbel   | z + e^{−z}     | 1 − e^{−z_j}   | e^{−z_j}   | γ ≈ 0.5772 |
 *
 * The Gumbel noise is the standard one (location 0, scale 1), not centred, so
 * that with the argmax solver F_ε(θ) = ε·logsumexp(θ/ε) + εγ exactly.
 */
#ifndef PERTURB_NOISE_H
#define PERTURB_NOISE_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A noise distribution with i.i.d. coordinates. */
typedef struct pt_noise_type {
  /** Name used in configs: "gaussian", "gumbel". */
  const char *name;
  /** Mean of one coordinate, E[Z_j]. */
  double mean;
  /** Variance of one coordinate, Var[Z_j]. */
  double variance;
  /** Draws @p n coordinates into @p z from @p r, a stream made by pt_rng_alloc(). */
  void (*sample)(gsl_rng *r, size_t n, double *z);
  /** g = ∇ν(z), coordinate-wise; @p g may alias @p z. */
  void (*grad_nu)(size_t n, const double *z, double *g);
  /** h = diag ∇²ν(z), coordinate-wise; @p h may alias @p z. */
  void (*hess_nu_diag)(size_t n, const double *z, double *h);
} pt_noise_type;

/** Standard Gaussian noise, N(0, I), by the ziggurat method (GSL's layout: 128 layers, 24-bit positions). */
extern const pt_noise_type *const pt_noise_gaussian;
/** Standard Gumbel noise (location 0, scale 1), i.i.d. coordinates. */
extern const pt_noise_type *const pt_noise_gumbel;

/**
 * Looks a noise up by name ("gaussian" or "gumbel"). Returns NULL and sets
 * pt_last_error() if the name is unknown or NULL.
 */
const pt_noise_type *pt_noise_by_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
