/* solver_argmax.c: argmax over the unit simplex. */
#include <string.h>

#include "check.h"
#include "solver_impl.h"

static pt_status argmax_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  (void)work;
  size_t best = 0;
  for (size_t j = 1; j < s->d; j++)
    if (theta[j] > theta[best]) best = j; /* strict: ties keep the smallest index */
  memset(y, 0, s->d * sizeof *y);
  y[best] = 1.0;
  return PT_OK;
}

static const pt_solver_type argmax_type = {"argmax", 1, argmax_solve, NULL, NULL, 0};

pt_status pt_solver_argmax_alloc(size_t d, pt_solver **out) {
  pt_solver proto = {0};
  return pt_solver_create(&argmax_type, d, "pt_solver_argmax_alloc", out, &proto);
}
