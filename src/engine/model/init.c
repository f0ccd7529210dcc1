/* init.c: the He-scaled Gaussian initialisation of the neural models from
 * the counter stream (layers.h). Apart from layers.c because GSL's
 * gsl_randist.h and OpenBLAS's cblas.h declare the same CBLAS names. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model/layers.h"
#include "perturb/rng.h"

void pt_init_gaussian(double *w, size_t n, double var, gsl_rng *r, uint64_t seed, uint64_t layer) {
  const pt_rng_id id = {seed, PT_PURPOSE_INIT, layer, 0, 0};
  pt_rng_seek(r, &id);
  const double sd = sqrt(var);
  for (size_t k = 0; k < n; k++) w[k] = gsl_ran_gaussian_ziggurat(r, sd);
}

void pt_dense_stack_init(const pt_dense_stack *s, double *params, gsl_rng *r, uint64_t seed, uint64_t layer_base) {
  for (size_t l = 0; l < s->n; l++) {
    const size_t in = s->width[l], out = s->width[l + 1];
    const double var = (l + 1 == s->n ? 1.0 : 2.0) / (double)in;
    pt_init_gaussian(params + s->offset[l], out * in, var, r, seed, layer_base + l);
    memset(params + s->offset[l] + out * in, 0, out * sizeof *params);
  }
}
