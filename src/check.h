/* check.h (internal): argument checks shared by the modules. Each returns
 * PT_OK or records a message naming the calling function and fails. */
#ifndef PERTURB_CHECK_H
#define PERTURB_CHECK_H

#include <math.h>
#include <stddef.h>
#include "perturb/error.h"

/* Propagate a failing status. */
#define PT_TRY(expr)                                                                          \
  do {                                                                                        \
    pt_status pt_try_status_ = (expr);                                                        \
    if (pt_try_status_ != PT_OK) return pt_try_status_;                                       \
  } while (0)

/* Fail with PT_EFAULT if pointer argument `ptr` is NULL. */
#define PT_CHECK_PTR(fn, ptr)                                                                 \
  do {                                                                                        \
    if ((ptr) == NULL) return pt_error(PT_EFAULT, "%s: argument '%s' is NULL", (fn), #ptr);  \
  } while (0)

/* PT_OK if all n entries of x are finite; else PT_EDOM naming `what` and the entry. */
static inline pt_status pt_check_finite(const char *fn, const char *what, size_t n, const double *x) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return pt_error(PT_EDOM, "%s: %s[%zu] is not finite (%g)", fn, what, i, x[i]);
  return PT_OK;
}

/* PT_OK if epsilon is finite and > 0. */
static inline pt_status pt_check_epsilon(const char *fn, double epsilon) {
  if (!(isfinite(epsilon) && epsilon > 0))
    return pt_error(PT_EINVAL, "%s: epsilon must be finite and > 0 (got %g)", fn, epsilon);
  return PT_OK;
}

#endif
