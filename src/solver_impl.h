/* solver_impl.h (internal): the solver type descriptor and the calls the
 * perturbed estimators make with their own workspaces. */
#ifndef PERTURB_SOLVER_IMPL_H
#define PERTURB_SOLVER_IMPL_H

#include "perturb/solver.h"

/* One kind of solver (GSL-style type descriptor). */
typedef struct pt_solver_type {
  const char *name;
  int integral; /* outputs are integer-valued */
  /* y = y*(theta) for finite theta; `work` holds work_size(s) bytes. */
  pt_status (*solve)(const pt_solver *s, const double *theta, double *y, void *work);
  /* Bytes of workspace one solve needs. */
  size_t (*work_size)(const pt_solver *s);
  /* Optional: ysum += y*(theta), and *value = F(theta) when value is not
   * NULL, for solvers that can add their output in place more cheaply than
   * writing it (the FY gradient's hot loop). */
  pt_status (*solve_add)(const pt_solver *s, const double *theta, double *ysum, double *value, void *work);
  /* 1: θ must be ≤ 0 (costs θ = −c ≥ 0: Dijkstra); the blackbox loss clips
   * its shifted θ to that range. */
  int nonpositive;
} pt_solver_type;

struct pt_solver {
  const pt_solver_type *type;
  size_t d;          /* dimension of theta and y */
  size_t k;          /* top-k: number of ones */
  size_t rows, cols; /* grid solvers */
  pt_solve_fn user_solve;
  void *user_ctx;
  void *work;      /* workspace of the convenience calls pt_solver_solve/value */
  double *scratch; /* 3·d doubles for pt_solver_value and the blackbox loss */
};

/* Allocates a solver of type T with the given sizes and its own workspace. */
pt_status pt_solver_create(const pt_solver_type *T, size_t d, const char *fn, pt_solver **out,
                           pt_solver *proto);

/* Workspace bytes for one solve of s. */
size_t pt_solver_work_size(const pt_solver *s);

/* y = y*(theta) with a caller-owned workspace; theta must be finite. */
static inline pt_status pt_solver_solve_with(const pt_solver *s, const double *theta, double *y,
                                             void *work) {
  return s->type->solve(s, theta, y, work);
}

#endif
