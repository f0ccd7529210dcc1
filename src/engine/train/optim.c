/* optim.c: SGD with (heavy-ball) momentum and Adam (Kingma & Ba 2015). */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The bits of x − x: all zero (+0) if x is finite, a NaN's if not. ORed over
 * an array they say whether any entry is inf or NaN, in a loop that
 * vectorises on any x86-64 (a comparison's mask would need 64-bit integer
 * compares, which SSE2 lacks, and kept the loops scalar). */
static inline uint64_t nonfinite_bits(double x) {
  const double z = x - x;
  uint64_t u;
  memcpy(&u, &z, sizeof u);
  return u;
}

int pt_optim_add_l2(size_t n, double l2, const double *restrict weight, const double *restrict params,
                    double *restrict grad) {
  uint64_t bad = 0;
  if (weight == NULL) {
    for (size_t k = 0; k < n; k++) {
      grad[k] += l2 * params[k];
      bad |= nonfinite_bits(grad[k]);
    }
  } else {
    for (size_t k = 0; k < n; k++) {
      grad[k] += l2 * weight[k] * params[k];
      bad |= nonfinite_bits(grad[k]);
    }
  }
  return bad == 0;
}

/* The loops read the settings and arrays through locals: through `o`, every
 * store to a moment could alias them, which kept the loops scalar. Each
 * entry's arithmetic is the same whether or not it is vectorised (no
 * reduction but the flags' ORs), so the bits are too. */
const char *pt_optim_step(pt_optim *o, double *restrict params, const double *restrict grad, double lr_scale) {
  o->t++;
  const double lr = o->lr * lr_scale;
  const size_t n = o->n;
  double *restrict m = o->m, *restrict v = o->v;
  uint64_t bad_p = 0, bad_m = 0, bad_v = 0;
  if (o->kind == PT_OPTIM_SGD) {
    const double momentum = o->momentum;
    for (size_t k = 0; k < n; k++) {
      m[k] = momentum * m[k] + grad[k];
      params[k] -= lr * m[k];
      bad_m |= nonfinite_bits(m[k]);
      bad_p |= nonfinite_bits(params[k]);
    }
    return bad_p ? "the parameters" : bad_m ? "the SGD velocity" : NULL;
  }
  /* Adam with bias correction folded into the step size */
  const double beta1 = o->beta1, beta2 = o->beta2, eps = o->eps;
  const double c1 = 1.0 - pow(beta1, (double)o->t), c2 = 1.0 - pow(beta2, (double)o->t);
  const double step = lr * sqrt(c2) / c1;
  for (size_t k = 0; k < n; k++) {
    m[k] = beta1 * m[k] + (1.0 - beta1) * grad[k];
    v[k] = beta2 * v[k] + (1.0 - beta2) * grad[k] * grad[k];
    params[k] -= step * m[k] / (sqrt(v[k]) + eps);
    bad_m |= nonfinite_bits(m[k]);
    bad_v |= nonfinite_bits(v[k]);
    bad_p |= nonfinite_bits(params[k]);
  }
  return bad_p ? "the parameters" : bad_m ? "Adam's first moment" : bad_v ? "Adam's second moment" : NULL;
}
