/* optim.c: SGD with (heavy-ball) momentum and Adam (Kingma & Ba 2015). */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>

pt_status pt_optim_alloc(pt_optim_kind kind, size_t n, double lr, double momentum, double beta1, double beta2,
                         double eps, pt_optim **out) {
  *out = NULL;
  pt_optim *o = calloc(1, sizeof *o);
  if (o == NULL) return pt_error(PT_ENOMEM, "pt_optim_alloc: out of memory");
  *o = (pt_optim){kind, lr, momentum, beta1, beta2, eps, n, 0, NULL, NULL};
  o->m = calloc(n, sizeof *o->m);
  o->v = calloc(n, sizeof *o->v);
  if (o->m == NULL || o->v == NULL) {
    pt_optim_free(&o);
    return pt_error(PT_ENOMEM, "pt_optim_alloc: out of memory for %zu parameters", n);
  }
  *out = o;
  return PT_OK;
}

void pt_optim_free(pt_optim **o) {
  if (o == NULL || *o == NULL) return;
  free((*o)->m);
  free((*o)->v);
  free(*o);
  *o = NULL;
}

const char *pt_optim_step(pt_optim *o, double *params, const double *grad, double lr_scale) {
  o->t++;
  const double lr = o->lr * lr_scale;
  int finite_p = 1, finite_m = 1, finite_v = 1;
  if (o->kind == PT_OPTIM_SGD) {
    for (size_t k = 0; k < o->n; k++) {
      o->m[k] = o->momentum * o->m[k] + grad[k];
      params[k] -= lr * o->m[k];
      finite_m &= isfinite(o->m[k]) != 0;
      finite_p &= isfinite(params[k]) != 0;
    }
    return !finite_p ? "the parameters" : !finite_m ? "the SGD velocity" : NULL;
  }
  /* Adam with bias correction folded into the step size */
  const double c1 = 1.0 - pow(o->beta1, (double)o->t), c2 = 1.0 - pow(o->beta2, (double)o->t);
  const double step = lr * sqrt(c2) / c1;
  for (size_t k = 0; k < o->n; k++) {
    o->m[k] = o->beta1 * o->m[k] + (1.0 - o->beta1) * grad[k];
    o->v[k] = o->beta2 * o->v[k] + (1.0 - o->beta2) * grad[k] * grad[k];
    params[k] -= step * o->m[k] / (sqrt(o->v[k]) + o->eps);
    finite_m &= isfinite(o->m[k]) != 0;
    finite_v &= isfinite(o->v[k]) != 0;
    finite_p &= isfinite(params[k]) != 0;
  }
  return !finite_p ? "the parameters" : !finite_m ? "Adam's first moment" : !finite_v ? "Adam's second moment" : NULL;
}
