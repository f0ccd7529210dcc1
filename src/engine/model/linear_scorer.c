/* linear_scorer.c: θ_ij = ⟨x_ij, w⟩ + c on features per label (the
 * synthetic ranking task). Parameters w [p], then the shared intercept c;
 * zero at the start. The intercept changes no ranking and no FY gradient
 * (Σ_j (ŷ_j − y_j) = 0 on the permutahedron), but lets the squared loss match
 * the embedding's mean (d − 1)/2. */
#include <cblas.h>
#include <string.h>

#include "model/model.h"

static pt_status scorer_setup(pt_model *m, const char *origin) {
  (void)origin;
  m->nparams = m->p + 1;
  return PT_OK;
}

static void scorer_init(pt_model *m, gsl_rng *r, uint64_t seed) {
  (void)r, (void)seed;
  memset(m->params, 0, m->nparams * sizeof *m->params);
}

static void scorer_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta) {
  const int d = (int)m->d, p = (int)m->p;
  for (size_t k = first; k < first + count; k++) {
    double *th = theta + k * m->d;
    for (size_t j = 0; j < m->d; j++) th[j] = m->params[m->p];
    cblas_dgemv(CblasRowMajor, CblasNoTrans, d, p, 1.0, X + k * m->d * m->p, p, m->params, 1, 1.0, th, 1);
  }
}

static void scorer_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                            double *grad) {
  const int d = (int)m->d, p = (int)m->p;
  for (size_t k = first; k < first + count; k++) {
    const double *gk = g + k * m->d;
    cblas_dgemv(CblasRowMajor, CblasTrans, d, p, scale, X + k * m->d * m->p, p, gk, 1, 1.0, grad, 1); /* w += s Xᵀg */
    double sum = 0.0;
    for (size_t j = 0; j < m->d; j++) sum += gk[j];
    grad[m->p] += scale * sum; /* c += s Σ_j g_j */
  }
}

static void scorer_mark_biases(const pt_model *m, unsigned char *is_bias) { is_bias[m->p] = 1; /* c, after w */ }

const pt_model_type pt_model_linear_scorer = {
  .name = "linear_scorer",
  .doc = "theta_ij = <x_ij, w> + c on one feature vector per label",
  .replicated = 1,
  .per_label = 1,
  .setup = scorer_setup,
  .init = scorer_init,
  .reserve = NULL,
  .forward = scorer_forward,
  .backward = scorer_backward,
  .mark_biases = scorer_mark_biases,
  .release = NULL,
};
