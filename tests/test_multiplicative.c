/* test_multiplicative.c: multiplicative perturbations w = θ ⊙ exp(εZ − ε²/2)
 * (perturb/perturbed.h) against closed forms, and the gradient of F_ε
 * against central finite differences with common random numbers.
 *
 * Closed forms, for the argmax over d = 2 with θ = (a, b) of one sign and
 * σ = ε√2 (log a + εZ₁ − log b − εZ₂ ~ N(log(a/b), σ²)):
 *   θ > 0: y_ε,1 = Φ(ln(a/b)/σ);  θ < 0: y_ε,1 = Φ(ln(|b|/|a|)/σ);
 *   θ > 0: F_ε = a Φ(d₁) + b Φ(d₂), d₁ = (ln(a/b) + σ²/2)/σ,
 *          d₂ = (ln(b/a) + σ²/2)/σ (the exchange-option formula), and
 *          ∂F_ε/∂a = Φ(d₁), ∂F_ε/∂b = Φ(d₂);
 *   J: the derivatives of the Φ above.
 * And for d = 1 (y* = 1 always): F_ε(θ) = θ E[f] = θ and ∇F_ε = E[f] = 1
 * exactly — the check that catches exp(εZ − ε²) (mean exp(−ε²/2)).
 *
 * Tolerances: Z_TOL = 5 standard errors of the estimate, each SE the one the
 * library reports (sample standard deviation of the M i.i.d. per-sample terms
 * over √M: no control variate is used, so the terms are independent), plus
 * 1e-12 for rounding; seeds are fixed, so every run draws the same numbers
 * and a pass is not luck of the day. P(|N(0,1)| > 5) ≈ 6e-7 per check. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "perturb/loss.h"
#include "testlib.h"

#define Z_TOL 5.0
#define M_BIG 40000

static pt_perturbed *make(pt_solver *s, double eps, size_t M) {
  pt_perturbed *p = NULL;
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gaussian, eps, M, &p));
  CHECK_OK(pt_perturbed_set_perturbation(p, PT_PERTURB_MULTIPLICATIVE));
  pt_perturbed_set_stream(p, 11, 0);
  return p;
}

/* d = 1: the factor's mean is 1. */
static void mean_factor(void) {
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_argmax_alloc(1, &s));
  const double eps = 1.0, theta = 2.5;
  pt_perturbed *p = make(s, eps, M_BIG);
  double F, Fse, g, gse;
  CHECK_OK(pt_perturbed_maximum(p, 1, &theta, NULL, &F, &Fse));
  CHECK_OK(pt_perturbed_maximum_gradient(p, 1, &theta, NULL, &g, &gse));
  CHECK_WITHIN("d = 1: F_eps(theta) = theta", F, theta, Z_TOL, Fse, 1e-12);
  CHECK_WITHIN("d = 1: grad F_eps = E[f] = 1", g, 1.0, Z_TOL, gse, 1e-12);
  /* the wrong normaliser would be 5 SEs away many times over */
  CHECK(fabs(F - theta * exp(-0.5 * eps * eps)) > 50 * Fse, "F = %g is far from theta exp(-eps^2/2)", F);
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

/* d = 2 argmax, θ of one sign: y_ε, F_ε, ∇F_ε and J against the closed forms. */
static void two_way(double a, double b, double eps) {
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_argmax_alloc(2, &s));
  pt_perturbed *p = make(s, eps, M_BIG);
  const double theta[2] = {a, b}, sigma = eps * sqrt(2.0);
  const double u = (a > 0 ? log(a / b) : log(b / a)) / sigma; /* y_ε,1 = Φ(u) */
  double y[2], yse[2], J[4], Jse[4];
  CHECK_OK(pt_perturbed_maximizer(p, 1, theta, NULL, y, yse));
  CHECK_WITHIN("y_eps,1 = Phi(u)", y[0], gsl_cdf_ugaussian_P(u), Z_TOL, yse[0], 1e-12);
  CHECK_WITHIN("y_eps,2 = 1 - Phi(u)", y[1], gsl_cdf_ugaussian_Q(u), Z_TOL, yse[1], 1e-12);
  /* ∂u/∂a = ±1/(σ a): + for θ > 0 (u grows with ln a), − for θ < 0 */
  const double sgn = a > 0 ? 1.0 : -1.0, phi = gsl_ran_ugaussian_pdf(u);
  const double dy1_da = sgn * phi / (sigma * a), dy1_db = -sgn * phi / (sigma * b);
  const double want[4] = {dy1_da, dy1_db, -dy1_da, -dy1_db};
  CHECK_OK(pt_perturbed_jacobian(p, theta, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, J, Jse));
  for (int k = 0; k < 4; k++) CHECK_WITHIN("J y_eps entry", J[k], want[k], Z_TOL, Jse[k], 1e-12);
  if (a > 0) {
    const double d1 = (log(a / b) + 0.5 * sigma * sigma) / sigma, d2 = (log(b / a) + 0.5 * sigma * sigma) / sigma;
    double F, Fse, g[2], gse[2];
    CHECK_OK(pt_perturbed_maximum(p, 1, theta, NULL, &F, &Fse));
    CHECK_WITHIN("F_eps = a Phi(d1) + b Phi(d2)", F, a * gsl_cdf_ugaussian_P(d1) + b * gsl_cdf_ugaussian_P(d2),
                 Z_TOL, Fse, 1e-12);
    CHECK_OK(pt_perturbed_maximum_gradient(p, 1, theta, NULL, g, gse));
    CHECK_WITHIN("dF_eps/da = Phi(d1)", g[0], gsl_cdf_ugaussian_P(d1), Z_TOL, gse[0], 1e-12);
    CHECK_WITHIN("dF_eps/db = Phi(d2)", g[1], gsl_cdf_ugaussian_P(d2), Z_TOL, gse[1], 1e-12);
    /* the library's FY loss follows: gradient ∇F̂_ε − y, value F̂_ε − ⟨θ, y⟩ */
    const double target[2] = {0.0, 1.0};
    double fl, fg[2];
    CHECK_OK(pt_loss_fy(p, 1, theta, target, NULL, &fl, fg));
    CHECK(fabs(fg[0] - g[0]) < 1e-12 && fabs(fg[1] - (g[1] - 1.0)) < 1e-12 && fabs(fl - (F - b)) < 1e-9 * fabs(F),
          "pt_loss_fy under multiplicative noise: gradient grad F - y, value F - <theta, y>");
  }
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

/* ∇F̂_ε against central differences of F̂_ε with common random numbers, on
 * both shortest-path solvers with positive costs (θ = −c): every sample's
 * F(θ ⊙ f) is piecewise linear in θ with slope f ⊙ y*, so with the same
 * draws the difference quotient is the estimator's own mean unless a sample
 * changes its path within ±h (h = 1e-7 |θ_j|: rare), which the tolerance of
 * 1e-6 relative would show. */
static void finite_differences(pt_solver *s, const char *name) {
  const size_t d = pt_solver_dim(s), M = 500;
  pt_perturbed *p = make(s, 0.5, M);
  double *theta = malloc(d * sizeof *theta), *g = malloc(d * sizeof *g), *t = malloc(d * sizeof *t);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  for (size_t j = 0; j < d; j++) theta[j] = -(0.5 + 4.5 * gsl_rng_uniform(r));
  CHECK_OK(pt_perturbed_maximum_gradient(p, 1, theta, NULL, g, NULL));
  int bad = 0;
  for (size_t j = 0; j < d; j++) {
    const double h = 1e-7 * fabs(theta[j]);
    double Fp, Fm;
    memcpy(t, theta, d * sizeof *t);
    t[j] = theta[j] + h;
    CHECK_OK(pt_perturbed_maximum(p, 1, t, NULL, &Fp, NULL));
    t[j] = theta[j] - h;
    CHECK_OK(pt_perturbed_maximum(p, 1, t, NULL, &Fm, NULL));
    const double fd = (Fp - Fm) / (2 * h);
    if (fabs(fd - g[j]) > 1e-6 * (1 + fabs(g[j]))) {
      bad++;
      printf("  %s: entry %zu: FD %.10g, estimator %.10g\n", name, j, fd, g[j]);
    }
  }
  CHECK(bad == 0, "%s: grad F_eps equals the CRN central differences of F_eps (%d of %zu entries differ)", name, bad,
        d);
  gsl_rng_free(r);
  free(theta), free(g), free(t);
  pt_perturbed_free(&p);
}

static void errors(void) {
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_argmax_alloc(2, &s));
  pt_perturbed *p = NULL;
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gumbel, 1.0, 10, &p));
  CHECK_FAILS_MSG(pt_perturbed_set_perturbation(p, PT_PERTURB_MULTIPLICATIVE), PT_EINVAL, "Gaussian");
  CHECK(pt_perturbed_perturbation(p) == PT_PERTURB_ADDITIVE, "a refused change leaves the perturbation additive");
  pt_perturbed_free(&p);
  p = make(s, 1.0, 10);
  const double zero[2] = {0.0, 1.0}, theta[2] = {1.0, 2.0};
  double J[4], v[2] = {1, 0}, out[2];
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p, zero, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, J, NULL), PT_EDOM,
                  "undefined");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p, 1, zero, NULL, v, PT_CV_NONE, out, NULL), PT_EDOM, "undefined");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p, theta, 0, PT_JACOBIAN_SECOND_ORDER, PT_CV_NONE, J, NULL), PT_EINVAL,
                  "additive");
  /* θ near the largest double: a factor above 1.06 overflows (Z > 0.56 at
   * ε = 1, drawn by some of the 20 coordinates): one clear error, not inf */
  const double huge[2] = {1.7e308, 1.7e308};
  CHECK_FAILS_MSG(pt_perturbed_maximizer(p, 1, huge, NULL, out, NULL), PT_EDOM, "not finite");
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

int main(void) {
  mean_factor();
  two_way(2.0, 1.0, 0.7);
  two_way(1.0, 3.0, 0.3);
  two_way(-2.0, -1.0, 0.7);
  two_way(-0.5, -2.5, 1.0);
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_dag_path_alloc(4, 4, &s));
  finite_differences(s, "dag_path 4x4");
  pt_solver_free(&s);
  CHECK_OK(pt_solver_grid_path_alloc(4, 4, &s));
  finite_differences(s, "grid_path 4x4");
  pt_solver_free(&s);
  errors();
  return pt_test_finish("test_multiplicative");
}
