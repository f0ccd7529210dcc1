/* optim.h (internal): SGD with momentum and Adam. Their state (moments and
 * step count) is part of every checkpoint. */
#ifndef PERTURB_OPTIM_H
#define PERTURB_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "perturb/error.h"

typedef enum pt_optim_kind { PT_OPTIM_SGD = 0, PT_OPTIM_ADAM = 1 } pt_optim_kind;

typedef struct pt_optim {
  pt_optim_kind kind;
  double lr, momentum, beta1, beta2, eps;
  size_t n;      /* number of parameters */
  uint64_t t;    /* steps taken */
  double *m;     /* SGD: velocity; Adam: first moment */
  double *v;     /* Adam: second moment (unused by SGD, kept zero) */
} pt_optim;

pt_status pt_optim_alloc(pt_optim_kind kind, size_t n, double lr, double momentum, double beta1, double beta2,
                         double eps, pt_optim **out);
void pt_optim_free(pt_optim **o);

/* grad[k] += l2 · params[k] for k < n (the L2 penalty's gradient, model.l2),
 * or grad[k] += l2 · weight[k] · params[k] with a weight per parameter (1 or
 * 0: model.l2_biases = false gives the biases 0); weight NULL: all 1.
 * Returns 1 if every entry of the result is finite, 0 if not. Local. */
int pt_optim_add_l2(size_t n, double l2, const double *restrict weight, const double *restrict params,
                    double *restrict grad);

/* One step: params −= update(grad), with the learning rate times lr_scale
 * (the schedule's factor for this step). Local. Returns NULL if the new
 * parameters and optimiser state are all finite, else what became inf or NaN
 * ("the parameters", "the SGD velocity", "Adam's first moment" or "Adam's
 * second moment", in that order of precedence): a finite gradient can still
 * overflow them, e.g. its square in Adam's second moment. Checked in the
 * same pass as the update. */
const char *pt_optim_step(pt_optim *o, double *restrict params, const double *restrict grad, double lr_scale);

#endif
