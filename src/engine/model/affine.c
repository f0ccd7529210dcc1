/* affine.c: θ = W x + b on one feature vector per instance (the real
 * label-ranking datasets). Parameters W [d × p] row-major, then b [d]; zero
 * at the start. The backward pass of a batch is one GEMM. */
#include <cblas.h>
#include <string.h>

#include "model/model.h"

static pt_status affine_setup(pt_model *m, const char *origin) {
  (void)origin;
  m->nparams = m->d * m->p + m->d;
  return PT_OK;
}

static void affine_init(pt_model *m, gsl_rng *r, uint64_t seed) {
  (void)r, (void)seed;
  memset(m->params, 0, m->nparams * sizeof *m->params);
}

static void affine_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta) {
  const int d = (int)m->d, p = (int)m->p;
  const double *b = m->params + m->d * m->p;
  for (size_t k = first; k < first + count; k++) {
    double *th = theta + k * m->d;
    memcpy(th, b, m->d * sizeof *th);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, d, p, 1.0, m->params, p, X + k * m->p, 1, 1.0, th, 1);
  }
}

/* grad_W += s Gᵀ X as one GEMM (BLAS 3 beats count rank-one updates),
 * grad_b += s Σ_k g_k in row order */
static void affine_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                            double *grad) {
  const int d = (int)m->d, p = (int)m->p;
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, p, (int)count, scale, g + first * m->d, d,
              X + first * m->p, p, 1.0, grad, p);
  for (size_t k = first; k < first + count; k++) cblas_daxpy(d, scale, g + k * m->d, 1, grad + m->d * m->p, 1);
}

static void affine_mark_biases(const pt_model *m, unsigned char *is_bias) {
  for (size_t j = 0; j < m->d; j++) is_bias[m->d * m->p + j] = 1; /* b, after W */
}

const pt_model_type pt_model_affine = {
  .name = "affine",
  .doc = "theta = W x + b on one feature vector per instance",
  .replicated = 1,
  .per_label = 0,
  .setup = affine_setup,
  .init = affine_init,
  .reserve = NULL,
  .forward = affine_forward,
  .backward = affine_backward,
  .mark_biases = affine_mark_biases,
  .release = NULL,
};
