/* perturbed_impl.h (internal): estimator entry points with an explicit first
 * sample, for losses that need independent sample sets. */
#ifndef PERTURB_PERTURBED_IMPL_H
#define PERTURB_PERTURBED_IMPL_H

#include "perturb/perturbed.h"

/* Checks a batch call's common arguments (p, theta finite). */
pt_status pt_perturbed_check_batch(const char *fn, const pt_perturbed *p, size_t n, const double *theta);

/* pt_perturbed_vjp on samples first_sample .. first_sample+M−1, without
 * re-checking theta. */
pt_status pt_perturbed_vjp_from(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                const double *u, pt_control_variate cv, uint64_t first_sample,
                                double *uj, double *uj_se);

/* A d-sized buffer the losses may use between estimator calls. */
double *pt_perturbed_scratch(pt_perturbed *p);

#endif
