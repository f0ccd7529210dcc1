/* test_gumbel_argmax.c: with standard Gumbel noise and the argmax solver the
 * perturbed quantities have closed forms (the Gumbel-max trick, paper §2):
 *   y_ε(θ) = softmax(θ/ε),   F_ε(θ) = ε·logsumexp(θ/ε) + εγ,
 *   J y_ε(θ) = (diag(s) − s sᵀ)/ε  with s = softmax(θ/ε).
 * We check every estimator against them for θ with ties, gaps of every size
 * and ε ∈ {0.1, 1, 10}. Tolerances are Z_TOL standard errors, where the SE is
 * exact for y and F (Bernoulli(s_j) indicators; max_j(θ_j + εG_j) is Gumbel
 * with scale ε, variance ε²π²/6) and measured by batch means for the
 * Jacobians (K = 50 batches: diff/SE follows a t law with 49 degrees of
 * freedom). Z_TOL = 5 gives a false-alarm probability of about 6e-7 per check
 * with an exact SE and 8e-6 with a batch-means SE;
 * a sampled SE cannot see events rarer than ~1/N in N samples (it is then 0),
 * so the Jacobian checks add the largest contribution such an unseen event can
 * make: probability 3/N (rule of three) times a term of size |y−b|·|∇ν|/ε
 * ≤ 10/ε (|1 − e^{−z}| > 10 has probability e^{−10});
 * fixed seeds make every run draw the same numbers. A wrong scale factor (a
 * missing 1/ε, the mean of the Gumbel forgotten in F) moves the estimate by
 * many standard errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define D 4
#define Z_TOL 5.0
#define EULER_GAMMA 0.57721566490153286061
#define PI 3.14159265358979323846

static const double thetas[][D] = {
  {0.0, 0.0, 0.0, 0.0},    /* all tied */
  {1.0, 0.5, 0.5, -1.0},   /* a tie in the middle */
  {0.3, -1.2, 2.0, 0.7},   /* generic */
  {0.0, 20.0, -20.0, 1.0}, /* large gaps: one label dominates at small ε */
};
static const double epsilons[] = {0.1, 1.0, 10.0};

static void softmax(const double *theta, double eps, double *s, double *F) {
  double tmax = theta[0], z = 0.0;
  for (int j = 1; j < D; j++) tmax = fmax(tmax, theta[j]);
  for (int j = 0; j < D; j++) z += exp((theta[j] - tmax) / eps);
  for (int j = 0; j < D; j++) s[j] = exp((theta[j] - tmax) / eps) / z;
  *F = tmax + eps * log(z) + eps * EULER_GAMMA;
}

typedef struct jac_ctx {
  pt_perturbed *p;
  const double *theta;
  pt_jacobian_method method;
  pt_control_variate cv;
} jac_ctx;

static pt_status jacobian_batch(void *vctx, uint64_t epoch, double *out) {
  jac_ctx *c = vctx;
  pt_perturbed_set_stream(c->p, 1234, epoch);
  return pt_perturbed_jacobian(c->p, c->theta, 0, c->method, c->cv, out, NULL);
}

int main(void) {
  pt_solver *argmax = NULL;
  CHECK_OK(pt_solver_argmax_alloc(D, &argmax));
  const size_t M = 200000;     /* samples for y and F */
  const size_t K = 50, MB = 2000; /* batches × samples for the Jacobians */

  for (size_t t = 0; t < sizeof thetas / sizeof *thetas; t++) {
    for (size_t e = 0; e < sizeof epsilons / sizeof *epsilons; e++) {
      const double *theta = thetas[t], eps = epsilons[e];
      double s[D], F_exact;
      softmax(theta, eps, s, &F_exact);

      /* y_ε and F_ε against softmax and ε·lse + εγ, with exact SEs */
      pt_perturbed *p = NULL;
      CHECK_OK(pt_perturbed_alloc(argmax, pt_noise_gumbel, eps, M, &p));
      pt_perturbed_set_stream(p, 2020 + t, e);
      double y[D], y_se[D], F, F_se;
      CHECK_OK(pt_perturbed_maximizer(p, 1, theta, NULL, y, y_se));
      CHECK_OK(pt_perturbed_maximum(p, 1, theta, NULL, &F, &F_se));
      for (int j = 0; j < D; j++) {
        const double se = sqrt(s[j] * (1 - s[j]) / (double)M);
        char what[96];
        snprintf(what, sizeof what, "theta #%zu eps %g: y_eps[%d] vs softmax", t, eps, j);
        CHECK_WITHIN(what, y[j], s[j], Z_TOL, se, 1e-12);
        /* the library's own SE agrees with the exact one (its SE has ~1/sqrt(2M) relative error) */
        if (s[j] * (1 - s[j]) > 1e-3)
          CHECK(fabs(y_se[j] / se - 1) < 0.05, "reported SE of y[%d] %g vs exact %g", j, y_se[j], se);
      }
      const double F_se_exact = eps * PI / sqrt(6.0) / sqrt((double)M);
      char what[96];
      snprintf(what, sizeof what, "theta #%zu eps %g: F_eps vs eps*lse + eps*gamma", t, eps);
      CHECK_WITHIN(what, F, F_exact, Z_TOL, F_se_exact, 1e-12);
      CHECK(fabs(F_se / F_se_exact - 1) < 0.05, "reported SE of F %g vs exact %g", F_se, F_se_exact);
      /* the FY gradient ŷ_ε(θ) − y (pt_loss_fy) against softmax(θ/ε) − y, the
       * cross-entropy gradient at θ/ε (pt_loss_cross_entropy), for a one-hot
       * y: the same M samples, so the SE of y_ε[j] above */
      const double onehot[D] = {0.0, 1.0, 0.0, 0.0};
      double g_fy[D], g_ce[D], th_eps[D], l_fy, l_ce;
      for (int j = 0; j < D; j++) th_eps[j] = theta[j] / eps;
      CHECK_OK(pt_loss_fy(p, 1, theta, onehot, NULL, &l_fy, g_fy));
      CHECK_OK(pt_loss_cross_entropy(1, D, th_eps, onehot, &l_ce, g_ce));
      for (int j = 0; j < D; j++) {
        snprintf(what, sizeof what, "theta #%zu eps %g: FY gradient[%d] vs softmax(theta/eps) - y", t, eps, j);
        CHECK_WITHIN(what, g_fy[j], g_ce[j], Z_TOL, sqrt(s[j] * (1 - s[j]) / (double)M), 1e-12);
      }
      pt_perturbed_free(&p);

      /* Jacobian estimators against (diag(s) − s sᵀ)/ε */
      double J_exact[D * D];
      for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++) J_exact[a * D + b] = ((a == b ? s[a] : 0.0) - s[a] * s[b]) / eps;
      struct {
        pt_jacobian_method method;
        pt_control_variate cv;
        const char *name;
      } const variants[] = {
        {PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, "first order"},
        {PT_JACOBIAN_FIRST_ORDER, PT_CV_UNPERTURBED, "first order, cv y*(theta)"},
        {PT_JACOBIAN_FIRST_ORDER, PT_CV_LEAVE_ONE_OUT, "first order, cv leave-one-out"},
        {PT_JACOBIAN_SECOND_ORDER, PT_CV_UNPERTURBED, "second order, cv F(theta)"},
        {PT_JACOBIAN_SECOND_ORDER, PT_CV_LEAVE_ONE_OUT, "second order, cv leave-one-out"},
      };
      CHECK_OK(pt_perturbed_alloc(argmax, pt_noise_gumbel, eps, MB, &p));
      for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        jac_ctx ctx = {p, theta, variants[v].method, variants[v].cv};
        double J[D * D], J_se[D * D];
        CHECK_OK(pt_test_batch_means(K, D * D, jacobian_batch, &ctx, J, J_se));
        int bad = 0;
        for (int k = 0; k < D * D; k++) {
          snprintf(what, sizeof what, "theta #%zu eps %g %s: J[%d][%d]", t, eps, variants[v].name, k / D, k % D);
          bad += !CHECK_WITHIN(what, J[k], J_exact[k], Z_TOL, J_se[k], 30.0 / ((double)(K * MB) * eps));
        }
        double worst = 0.0, worst_se = 0.0;
        for (int k = 0; k < D * D; k++) {
          worst = fmax(worst, fabs(J[k] - J_exact[k]));
          worst_se = fmax(worst_se, J_se[k]);
        }
        printf("theta #%zu eps %-4g %-32s max|J - exact| = %.3g  (max SE %.3g)%s\n", t, eps, variants[v].name,
               worst, worst_se, bad ? "  FAIL" : "");
      }
      pt_perturbed_free(&p);
    }
  }
  pt_solver_free(&argmax);
  return pt_test_finish("test_gumbel_argmax");
}
