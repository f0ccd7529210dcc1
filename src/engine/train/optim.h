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

/* One step: params −= update(grad), with the learning rate times lr_scale
 * (the schedule's factor for this step). Local. Returns NULL if the new
 * parameters and optimiser state are all finite, else what became inf or NaN
 * ("the parameters", "the SGD velocity", "Adam's first moment" or "Adam's
 * second moment", in that order of precedence): a finite gradient can still
 * overflow them, e.g. its square in Adam's second moment. Checked in the
 * same pass as the update. */
const char *pt_optim_step(pt_optim *o, double *params, const double *grad, double lr_scale);

#endif
