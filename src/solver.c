/* solver.c: the generic solver object and the user-callback solver. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "solver_impl.h"

pt_status pt_solver_create(const pt_solver_type *T, size_t d, const char *fn, pt_solver **out,
                           pt_solver *proto) {
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  if (d == 0) return pt_error(PT_EINVAL, "%s: dimension must be >= 1", fn);
  if (d >= (size_t)1 << 31) return pt_error(PT_EINVAL, "%s: dimension %zu is too large (limit 2^31)", fn, d);
  pt_solver *s = malloc(sizeof *s);
  if (s == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  *s = *proto;
  s->type = T;
  s->d = d;
  size_t bytes = pt_solver_work_size(s);
  s->work = malloc(bytes > 0 ? bytes : 1);
  s->scratch = malloc(3 * d * sizeof(double));
  if (s->work == NULL || s->scratch == NULL) {
    free(s->work);
    free(s->scratch);
    free(s);
    return pt_error(PT_ENOMEM, "%s: out of memory for a %zu-byte workspace", fn, bytes);
  }
  *out = s;
  return PT_OK;
}

size_t pt_solver_work_size(const pt_solver *s) {
  return s->type->work_size ? s->type->work_size(s) : 0;
}

void pt_solver_free(pt_solver **s) {
  if (s == NULL || *s == NULL) return;
  free((*s)->work);
  free((*s)->scratch);
  free(*s);
  *s = NULL;
}

size_t pt_solver_dim(const pt_solver *s) { return s ? s->d : 0; }

const char *pt_solver_name(const pt_solver *s) { return s ? s->type->name : "(null)"; }

int pt_solver_is_integral(const pt_solver *s) { return s ? s->type->integral : 0; }

pt_status pt_solver_solve(pt_solver *s, const double *theta, double *y) {
  PT_CHECK_PTR("pt_solver_solve", s);
  PT_CHECK_PTR("pt_solver_solve", theta);
  PT_CHECK_PTR("pt_solver_solve", y);
  PT_TRY(pt_check_finite("pt_solver_solve", "theta", s->d, theta));
  return pt_solver_solve_with(s, theta, y, s->work);
}

pt_status pt_solver_value(pt_solver *s, const double *theta, double *value) {
  PT_CHECK_PTR("pt_solver_value", s);
  PT_CHECK_PTR("pt_solver_value", theta);
  PT_CHECK_PTR("pt_solver_value", value);
  PT_TRY(pt_check_finite("pt_solver_value", "theta", s->d, theta));
  double *y = s->scratch;
  PT_TRY(pt_solver_solve_with(s, theta, y, s->work));
  double v = 0.0;
  for (size_t j = 0; j < s->d; j++) v += y[j] * theta[j];
  *value = v;
  return PT_OK;
}

/* ---- user callback ------------------------------------------------------ */

static pt_status callback_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  (void)work;
  pt_clear_error();
  int rc = s->user_solve(s->user_ctx, s->d, theta, y);
  if (rc != 0) {
    if (pt_last_error()[0] != '\0') return PT_ESOLVER; /* the user's own message stands */
    return pt_error(PT_ESOLVER, "callback solver: the user's solve function returned %d", rc);
  }
  /* A user's NaN must not flow silently into averages. */
  for (size_t j = 0; j < s->d; j++)
    if (!isfinite(y[j]))
      return pt_error(PT_ESOLVER, "callback solver: the user's solve function returned y[%zu] = %g", j, y[j]);
  return PT_OK;
}

static const pt_solver_type callback_type = {"callback", 0, callback_solve, NULL, NULL, 0};

pt_status pt_solver_callback_alloc(size_t d, pt_solve_fn solve, void *ctx, pt_solver **out) {
  PT_CHECK_PTR("pt_solver_callback_alloc", out);
  *out = NULL;
  PT_CHECK_PTR("pt_solver_callback_alloc", solve);
  pt_solver proto = {0};
  proto.user_solve = solve;
  proto.user_ctx = ctx;
  return pt_solver_create(&callback_type, d, "pt_solver_callback_alloc", out, &proto);
}
