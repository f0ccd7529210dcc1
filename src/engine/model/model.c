/* model.c: linear scorer and affine models on CBLAS. */
#include "model/model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

pt_status pt_model_alloc(pt_model_kind kind, size_t d, size_t p, pt_model **out) {
  *out = NULL;
  if (d == 0 || p == 0) return pt_error(PT_EINVAL, "pt_model_alloc: a model needs d >= 1 and p >= 1");
  pt_model *m = calloc(1, sizeof *m);
  if (m == NULL) return pt_error(PT_ENOMEM, "pt_model_alloc: out of memory");
  m->kind = kind;
  m->d = d;
  m->p = p;
  m->nparams = kind == PT_MODEL_LINEAR_SCORER ? p + 1 : d * p + d;
  m->params = calloc(m->nparams, sizeof *m->params);
  if (m->params == NULL) {
    const size_t nparams = m->nparams;
    free(m);
    return pt_error(PT_ENOMEM, "pt_model_alloc: out of memory for %zu parameters", nparams);
  }
  *out = m;
  return PT_OK;
}

pt_status pt_model_reserve(pt_model *m, size_t rows) {
  if (m->kind != PT_MODEL_AFFINE || rows <= m->xbuf_rows) return PT_OK;
  double *buf = realloc(m->xbuf, rows * m->p * sizeof *buf);
  if (buf == NULL) return pt_error(PT_ENOMEM, "out of memory for a batch of %zu feature rows", rows);
  m->xbuf = buf;
  m->xbuf_rows = rows;
  return PT_OK;
}

void pt_model_free(pt_model **m) {
  if (m == NULL || *m == NULL) return;
  free((*m)->xbuf);
  free((*m)->x_mean);
  free((*m)->x_sd);
  free((*m)->params);
  free(*m);
  *m = NULL;
}

pt_status pt_model_set_standardization(pt_model *m, const double *mean, const double *sd) {
  for (size_t j = 0; j < m->p; j++)
    if (!isfinite(mean[j]) || !isfinite(sd[j]) || !(sd[j] > 0))
      return pt_error(PT_EINVAL, "feature %zu (0-based): standardisation mean %g, deviation %g (want finite, "
                      "deviation > 0)", j, mean[j], sd[j]);
  if (m->x_mean == NULL) {
    m->x_mean = malloc(m->p * sizeof *m->x_mean);
    m->x_sd = malloc(m->p * sizeof *m->x_sd);
    if (m->x_mean == NULL || m->x_sd == NULL) {
      free(m->x_mean);
      free(m->x_sd);
      m->x_mean = m->x_sd = NULL;
      return pt_error(PT_ENOMEM, "out of memory for the standardisation of %zu features", m->p);
    }
  }
  memcpy(m->x_mean, mean, m->p * sizeof *mean);
  memcpy(m->x_sd, sd, m->p * sizeof *sd);
  return PT_OK;
}

pt_status pt_model_standardize_from(pt_model *m, const pt_dataset *train, const char *origin) {
  if (train->p != m->p) return pt_error(PT_EINVAL, "%s: %zu features, the model has %zu", origin, train->p, m->p);
  double *stats = malloc(2 * m->p * sizeof *stats);
  if (stats == NULL) return pt_error(PT_ENOMEM, "out of memory for the standardisation of %zu features", m->p);
  pt_status st = pt_dataset_feature_stats(train, stats, stats + m->p, origin);
  if (st == PT_OK) st = pt_model_set_standardization(m, stats, stats + m->p);
  free(stats);
  return st;
}

pt_status pt_model_prepare_data(const pt_model *m, pt_dataset *ds, const char *origin) {
  if (m->x_mean == NULL) return PT_OK;
  if (ds->p != m->p) return pt_error(PT_EINVAL, "%s: %zu features do not fit the model's %zu", origin, ds->p, m->p);
  pt_dataset_standardize_with(ds, m->x_mean, m->x_sd);
  /* finite statistics can still take a far-out value of other data (a test
   * part) beyond the largest double */
  const size_t per = ds->per_label ? ds->d : 1, nx = ds->n * per * ds->p;
  for (size_t k = 0; k < nx; k++)
    if (!isfinite(ds->X[k]))
      return pt_error(PT_EDOM, "%s: row %zu, feature %zu (0-based): not finite once standardised with the model's "
                      "mean %g and deviation %g", origin, k / ds->p / per, k % ds->p, m->x_mean[k % ds->p],
                      m->x_sd[k % ds->p]);
  return PT_OK;
}

const char *pt_model_kind_name(pt_model_kind kind) {
  return kind == PT_MODEL_LINEAR_SCORER ? "linear_scorer" : "affine";
}

pt_status pt_model_check_data(const pt_model *m, const pt_dataset *ds, const char *origin) {
  if (ds->d != m->d || ds->p != m->p)
    return pt_error(PT_ECONFIG, "%s: %zu labels x %zu features do not fit the model's %zu x %zu", origin, ds->d, ds->p,
                    m->d, m->p);
  if ((m->kind == PT_MODEL_LINEAR_SCORER) != (ds->per_label != 0))
    return pt_error(PT_ECONFIG, "%s: model.kind = %s needs %s features, the data has %s", origin,
                    pt_model_kind_name(m->kind), m->kind == PT_MODEL_LINEAR_SCORER ? "per-label" : "per-instance",
                    ds->per_label ? "per-label" : "per-instance");
  return PT_OK;
}

void pt_model_forward(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, double *theta) {
  const int d = (int)m->d, p = (int)m->p;
  for (size_t k = 0; k < count; k++) {
    double *th = theta + k * m->d;
    if (m->kind == PT_MODEL_LINEAR_SCORER) {
      const double *X = ds->X + rows[k] * m->d * m->p; /* [d × p] */
      for (size_t j = 0; j < m->d; j++) th[j] = m->params[m->p];
      cblas_dgemv(CblasRowMajor, CblasNoTrans, d, p, 1.0, X, p, m->params, 1, 1.0, th, 1);
    } else {
      const double *x = ds->X + rows[k] * m->p, *b = m->params + m->d * m->p;
      memcpy(th, b, m->d * sizeof *th);
      cblas_dgemv(CblasRowMajor, CblasNoTrans, d, p, 1.0, m->params, p, x, 1, 1.0, th, 1);
    }
  }
}

void pt_model_backward(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, const double *g,
                       double scale, double *grad) {
  const int d = (int)m->d, p = (int)m->p;
  if (m->kind == PT_MODEL_AFFINE) {
    /* grad_W += s Gᵀ X_batch as one GEMM (BLAS 3 beats count rank-one updates),
     * grad_b += s Σ_k g_k in batch order */
    for (size_t k = 0; k < count; k++) memcpy(m->xbuf + k * m->p, ds->X + rows[k] * m->p, m->p * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, p, (int)count, scale, g, d, m->xbuf, p, 1.0, grad, p);
    for (size_t k = 0; k < count; k++) cblas_daxpy(d, scale, g + k * m->d, 1, grad + m->d * m->p, 1);
    return;
  }
  for (size_t k = 0; k < count; k++) {
    const double *gk = g + k * m->d;
    if (m->kind == PT_MODEL_LINEAR_SCORER) {
      const double *X = ds->X + rows[k] * m->d * m->p;
      cblas_dgemv(CblasRowMajor, CblasTrans, d, p, scale, X, p, gk, 1, 1.0, grad, 1); /* grad_w += s Xᵀg */
      double sum = 0.0;
      for (size_t j = 0; j < m->d; j++) sum += gk[j];
      grad[m->p] += scale * sum; /* grad_c += s Σ_j g_j */
    }
  }
}
