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
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "perturb/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A noise distribution with i.i.d. coordinates. */
typedef struct pt_noise_type {
  /** Name used in configs: "gaussian", "gaussian-ziggurat", "gumbel". */
  const char *name;
  /** Mean of one coordinate, E[Z_j]. */
  double mean;
  /** Variance of one coordinate, Var[Z_j]. */
  double variance;
  /** Draws @p n coordinates into @p z from @p r, a stream made by pt_rng_alloc(). */
  void (*sample)(gsl_rng *r, size_t n, double *z);
  /**
   * Optional (NULL if the noise has none): the noise of samples @p first …
   * @p first + @p count − 1 of the instance stream @p id (its `sample`
   * field is not used), @p n coordinates each, one sample after the other
   * into @p z. Each sample's coordinates must be a pure function of @p id,
   * its index and @p n, whatever @p first and @p count. The perturbed
   * estimators draw through it when it is there (many samples at once in
   * their hot loops) and through pt_rng_seek() and `sample` otherwise.
   */
  void (*sample_many)(const pt_rng_id *id, uint64_t first, size_t count, size_t n, double *z);
  /** g = ∇ν(z), coordinate-wise; @p g may alias @p z. */
  void (*grad_nu)(size_t n, const double *z, double *g);
  /** h = diag ∇²ν(z), coordinate-wise; @p h may alias @p z. */
  void (*hess_nu_diag)(size_t n, const double *z, double *h);
} pt_noise_type;

/**
 * Standard Gaussian noise, N(0, I), the default: Philox4x32-10 and
 * Box–Muller in SIMD (the same bits on every instruction set; src/normal.h).
 * Its `sample_many` draws sample m's coordinate j at position m·n + j of the
 * instance's stream; `sample` draws from a stream of the whole id, the
 * positions counted from pt_rng_seek().
 */
extern const pt_noise_type *const pt_noise_gaussian;
/**
 * The same law by the ziggurat method (GSL's layout: 128 layers, 24-bit
 * positions) through `sample` alone: the noise of perturb 0.1 before the
 * SIMD sampler ("gaussian-ziggurat" in configs), kept to reproduce earlier
 * results, and the generator of the synthetic datasets.
 */
extern const pt_noise_type *const pt_noise_gaussian_ziggurat;
/** Standard Gumbel noise (location 0, scale 1), i.i.d. coordinates. */
extern const pt_noise_type *const pt_noise_gumbel;

/** 1 if @p noise is one of the two standard Gaussians (same law, two samplers), else 0. */
int pt_noise_is_gaussian(const pt_noise_type *noise);

/**
 * Looks a noise up by name ("gaussian", "gaussian-ziggurat" or "gumbel"). Returns NULL and sets
 * pt_last_error() if the name is unknown or NULL.
 */
const pt_noise_type *pt_noise_by_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
