/* loss.c: perturbed Fenchel–Young, perturbed squared, squared, blackbox and
 * cross-entropy losses on θ. */
#include "perturb/loss.h"

#include <math.h>
#include <string.h>

#include "check.h"
#include "perturbed_impl.h"
#include "solver_impl.h"

static inline double dot(size_t d, const double *a, const double *b) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) s += a[j] * b[j];
  return s;
}

/* Common checks of (n, d, theta, y) for the losses. */
static pt_status check_targets(const char *fn, size_t n, size_t d, const double *y) {
  PT_CHECK_PTR(fn, y);
  return pt_check_finite(fn, "y", n * d, y);
}

pt_status pt_loss_fy(pt_perturbed *p, size_t n, const double *theta, const double *y,
                     const uint64_t *ids, double *loss, double *grad) {
  static const char fn[] = "pt_loss_fy";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  const size_t d = pt_perturbed_dim(p), M = pt_perturbed_nsamples(p);
  PT_TRY(check_targets(fn, n, d, y));
  if (pt_perturbed_perturbation(p) == PT_PERTURB_MULTIPLICATIVE) {
    /* ∇F_ε = E[f ⊙ y*], not E[y*] (perturb/perturbed.h): means, scaled back to sums */
    if (grad) PT_TRY(pt_perturbed_maximum_gradient(p, n, theta, ids, grad, NULL));
    if (loss) PT_TRY(pt_perturbed_maximum(p, n, theta, ids, loss, NULL));
    for (size_t k = 0; grad && k < n * d; k++) grad[k] *= (double)M;
    for (size_t i = 0; loss && i < n; i++) loss[i] *= (double)M;
  } else {
    /* Sums of y* go straight into grad and sums of F into loss. */
    PT_TRY(pt_perturbed_sums(p, n, theta, ids, 0, M, grad, loss));
  }
  for (size_t i = 0; i < n; i++) {
    const double *yi = y + i * d;
    if (grad)
      for (size_t j = 0; j < d; j++) grad[i * d + j] = grad[i * d + j] / (double)M - yi[j];
    if (loss) loss[i] = loss[i] / (double)M - dot(d, theta + i * d, yi);
  }
  return PT_OK;
}

pt_status pt_loss_perturbed_squared(pt_perturbed *p, size_t n, const double *theta, const double *y,
                                    const uint64_t *ids, double *loss, double *grad) {
  static const char fn[] = "pt_loss_perturbed_squared";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  const size_t d = pt_perturbed_dim(p), M = pt_perturbed_nsamples(p);
  PT_TRY(check_targets(fn, n, d, y));
  const pt_control_variate cv = M >= 2 ? PT_CV_LEAVE_ONE_OUT : PT_CV_NONE;
  double *u = pt_perturbed_scratch(p);
  for (size_t i = 0; i < n; i++) {
    const uint64_t id = ids ? ids[i] : (uint64_t)i;
    const double *th = theta + i * d, *yi = y + i * d;
    /* u = 2(ŷ_ε − y) from samples 0..M−1 */
    PT_TRY(pt_perturbed_sums(p, 1, th, &id, 0, M, u, NULL));
    double l = 0.0;
    for (size_t j = 0; j < d; j++) {
      const double r = u[j] / (double)M - yi[j];
      l += r * r;
      u[j] = 2.0 * r;
    }
    if (loss) loss[i] = l;
    /* grad = Ĵᵀu from the independent samples M..2M−1 */
    if (grad) PT_TRY(pt_perturbed_vjp_from(p, 1, th, &id, u, cv, M, grad + i * d, NULL));
  }
  return PT_OK;
}

pt_status pt_loss_squared(size_t n, size_t d, const double *theta, const double *y, double *loss, double *grad) {
  static const char fn[] = "pt_loss_squared";
  PT_CHECK_PTR(fn, theta);
  PT_TRY(pt_check_finite(fn, "theta", n * d, theta));
  PT_TRY(check_targets(fn, n, d, y));
  for (size_t i = 0; i < n; i++) {
    double l = 0.0;
    for (size_t j = 0; j < d; j++) {
      const double r = theta[i * d + j] - y[i * d + j];
      l += r * r;
      if (grad) grad[i * d + j] = 2.0 * r;
    }
    if (loss) loss[i] = l;
  }
  return PT_OK;
}

pt_status pt_loss_blackbox(pt_solver *solver, double lambda, size_t n, const double *theta,
                           const double *y, double *loss, double *grad) {
  static const char fn[] = "pt_loss_blackbox";
  PT_CHECK_PTR(fn, solver);
  PT_CHECK_PTR(fn, theta);
  if (!(isfinite(lambda) && lambda > 0))
    return pt_error(PT_EINVAL, "%s: lambda must be finite and > 0 (got %g)", fn, lambda);
  const size_t d = solver->d;
  PT_TRY(pt_check_finite(fn, "theta", n * d, theta));
  PT_TRY(check_targets(fn, n, d, y));
  double *yhat = solver->scratch, *shifted = yhat + d, *ylam = shifted + d;
  for (size_t i = 0; i < n; i++) {
    const double *th = theta + i * d, *yi = y + i * d;
    PT_TRY(pt_solver_solve_with(solver, th, yhat, solver->work));
    double l = 0.0;
    for (size_t j = 0; j < d; j++) {
      const double r = yhat[j] - yi[j];
      l += r * r;
      shifted[j] = th[j] - lambda * 2.0 * r; /* θ − λ g with g = ∇_y ‖y − y_i‖² */
      /* a solver of costs (θ ≤ 0) would refuse a negative cost the shift
       * makes: it becomes a zero cost */
      if (solver->type->nonpositive && shifted[j] > 0) shifted[j] = 0.0;
    }
    if (loss) loss[i] = l;
    if (grad) {
      PT_TRY(pt_check_finite(fn, "theta - lambda * g", d, shifted));
      PT_TRY(pt_solver_solve_with(solver, shifted, ylam, solver->work));
      for (size_t j = 0; j < d; j++) grad[i * d + j] = (yhat[j] - ylam[j]) / lambda;
    }
  }
  return PT_OK;
}

pt_status pt_loss_cross_entropy(size_t n, size_t d, const double *theta, const double *y, double *loss,
                                double *grad) {
  static const char fn[] = "pt_loss_cross_entropy";
  PT_CHECK_PTR(fn, theta);
  if (d == 0) return pt_error(PT_EINVAL, "%s: dimension must be >= 1", fn);
  PT_TRY(pt_check_finite(fn, "theta", n * d, theta));
  PT_TRY(check_targets(fn, n, d, y));
  for (size_t i = 0; i < n; i++) {
    const double *th = theta + i * d, *yi = y + i * d;
    double total = 0.0, tmax = th[0];
    for (size_t j = 0; j < d; j++) {
      if (yi[j] < 0) return pt_error(PT_EDOM, "%s: target y[%zu][%zu] = %g is negative", fn, i, j, yi[j]);
      total += yi[j];
      if (th[j] > tmax) tmax = th[j];
    }
    if (fabs(total - 1.0) > 1e-9 * (double)d)
      return pt_error(PT_EDOM, "%s: targets of instance %zu sum to %.17g, not 1", fn, i, total);
    double z = 0.0;
    for (size_t j = 0; j < d; j++) z += exp(th[j] - tmax);
    const double lse = tmax + log(z);
    if (loss) loss[i] = lse - dot(d, th, yi);
    if (grad)
      for (size_t j = 0; j < d; j++) grad[i * d + j] = exp(th[j] - lse) - yi[j];
  }
  return PT_OK;
}
