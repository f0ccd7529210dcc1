/* ridge.c: the closed-form ridge fit with GSL's SVD (see ridge.h). */
#include "train/ridge.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The coefficients of response column k (one row of W and b[k], or w and c)
 * into the model's parameter layout. */
static void store_column(pt_model *m, size_t k, const double *coef) {
  const size_t p = m->p;
  if (m->shape.per_label) {
    memcpy(m->params, coef, (p + 1) * sizeof *coef);
    return;
  }
  memcpy(m->params + k * p, coef, p * sizeof *coef);
  m->params[m->d * p + k] = coef[p];
}

/* (1/n) Σ_i ‖θ_i − y_i‖² with the model's own forward pass, instances in order. */
static double mean_squared_error(pt_model *m, const pt_dataset *ds, double *theta) {
  double sum = 0.0;
  for (size_t i = 0; i < ds->n; i++) {
    pt_model_forward(m, ds->X + i * pt_model_input_size(m), 0, 1, theta);
    for (size_t j = 0; j < m->d; j++) {
      const double r = theta[j] - ds->Y[i * m->d + j];
      sum += r * r;
    }
  }
  return sum / (double)ds->n;
}

pt_status pt_ridge_fit(pt_model *m, const pt_dataset *train, double l2, double *train_loss) {
  const size_t n = train->n, d = m->d, p = m->p, q = p + 1;
  const int scorer = m->shape.per_label;
  /* One row per score: the feature row of score r is X + r·p in both layouts
   * ([n × p] per instance, [n × d × p] per label), its target Y[r] (scorer)
   * or Y[r][k] for response column k (affine). */
  const size_t rows = scorer ? n * d : n, ncols = scorer ? 1 : d;
  /* GSL's SVD needs at least as many rows as columns; rows of zeros (a = 0,
   * target 0) change neither the objective nor its minimiser. */
  const size_t prows = rows < q ? q : rows;
  /* GSL reports failures through its error handler (abort by default): turn
   * it off so that they come back as status codes. */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_matrix *A = gsl_matrix_calloc(prows, q);
  gsl_vector *y = gsl_vector_calloc(prows), *c = gsl_vector_alloc(q);
  gsl_multifit_linear_workspace *work = gsl_multifit_linear_alloc(prows, q);
  double *theta = malloc(d * sizeof *theta);
  pt_status st = PT_OK;
  if (A == NULL || y == NULL || c == NULL || work == NULL || theta == NULL)
    st = pt_error(PT_ENOMEM, "ridge: out of memory for a %zu x %zu least-squares problem", prows, q);
  if (st == PT_OK) {
    for (size_t r = 0; r < rows; r++) {
      double *a = gsl_matrix_ptr(A, r, 0);
      memcpy(a, train->X + r * p, p * sizeof *a);
      a[p] = 1.0; /* the intercept's column */
    }
    const int rc = gsl_multifit_linear_svd(A, work);
    if (rc != GSL_SUCCESS)
      st = pt_error(PT_EDOM, "ridge: the SVD of the %zu x %zu design matrix failed: %s", prows, q, gsl_strerror(rc));
  }
  if (st == PT_OK && l2 == 0.0) {
    /* Without a penalty, GSL inverts every singular value above
     * GSL_DBL_EPSILON times the largest; but collinear features computed in
     * floating point (x₂ = 2x₁, a constant feature beside the intercept's
     * column) leave singular values of a few times that, whose inverses blow
     * the fit up. Zeroing those below LAPACK's usual rank threshold,
     * max(rows, columns) · ε · s₀, makes the solve drop them: the
     * minimum-norm least-squares solution of the numerical rank. */
    const double s0 = gsl_vector_get(work->S, 0), tol = (double)(prows > q ? prows : q) * DBL_EPSILON * s0;
    for (size_t j = 0; j < q; j++)
      if (gsl_vector_get(work->S, j) <= tol) gsl_vector_set(work->S, j, 0.0);
  }
  /* n·J = ‖Y − A C‖² + (n·l2/2) ‖C‖², and GSL minimises ‖y − A c‖² + λ²‖c‖² */
  const double lambda = sqrt((double)n * l2 / 2.0);
  for (size_t k = 0; k < ncols && st == PT_OK; k++) {
    for (size_t r = 0; r < rows; r++) gsl_vector_set(y, r, scorer ? train->Y[r] : train->Y[r * d + k]);
    double rnorm, snorm;
    const int rc = gsl_multifit_linear_solve(lambda, A, y, c, &rnorm, &snorm, work);
    if (rc != GSL_SUCCESS)
      st = pt_error(PT_EDOM, "ridge: the solve for label %zu failed: %s", k + 1, gsl_strerror(rc));
    else
      store_column(m, k, gsl_vector_const_ptr(c, 0));
  }
  for (size_t k = 0; k < m->nparams && st == PT_OK; k++)
    if (!isfinite(m->params[k])) st = pt_error(PT_EDOM, "ridge: the fit is not finite (parameter %zu)", k);
  if (st == PT_OK) *train_loss = mean_squared_error(m, train, theta);
  free(theta);
  gsl_multifit_linear_free(work);
  gsl_vector_free(c);
  gsl_vector_free(y);
  gsl_matrix_free(A);
  gsl_set_error_handler(old);
  return st;
}
