/* test_jacobian.c: derivatives of the perturbed maximizer with Gaussian noise,
 * for ranking and for both shortest-path solvers, checked against central
 * finite differences of y_ε taken with common random numbers:
 *   fd_m = (y*(θ + h e_j + εZ_m) − y*(θ − h e_j + εZ_m)) / 2h,
 * whose mean is (y_ε(θ + h e_j) − y_ε(θ − h e_j))/2h = ∂_j y_ε(θ) + O(h²).
 * The FD Jacobian gives references for J v (JVP), uᵀJ (VJP) and J itself.
 * It shows:
 *  - JVP and VJP (first-order estimator, every control variate) agree with the
 *    FD references;
 *  - the first- and second-order Jacobian estimators agree with each other
 *    and with FD;
 *  - control variates lower the measured variance without moving the mean.
 * Every tolerance is Z_TOL = 5 combined standard errors, sqrt(se₁² + se₂²),
 * with each SE measured in the test (per-sample SE for FD, batch means over
 * K = 50 independent epochs for the library's estimators: the ratio
 * diff/SE then follows a t law with 49 degrees of freedom, P(|t| > 5) ≈ 8e-6
 * per check; seeds are fixed, so every run draws the same numbers), plus the largest
 * contribution an event too rare to be seen can make: probability 3/N (rule
 * of three) times a term of size ≤ RARE_TERM (bounds stated below). h = 0.05ε
 * keeps the O(h²) bias (relative ~(h/ε)²/6 ≈ 4e-4) far below the SEs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "testlib.h"

#define Z_TOL 5.0
#define K_BATCHES 50

typedef struct problem {
  const char *name;
  pt_solver *solver;
  double eps;
  double theta[16];
} problem;

typedef struct est_ctx {
  pt_perturbed *p;
  const double *theta, *vec;
  int kind; /* 0 JVP, 1 VJP, 2 Jacobian */
  pt_jacobian_method method;
  pt_control_variate cv;
} est_ctx;

static pt_status estimate(void *vctx, uint64_t epoch, double *out) {
  est_ctx *c = vctx;
  pt_perturbed_set_stream(c->p, 99, 1000 + epoch); /* independent of the FD samples (epoch 0) */
  switch (c->kind) {
  case 0: return pt_perturbed_jvp(c->p, 1, c->theta, NULL, c->vec, c->cv, out, NULL);
  case 1: return pt_perturbed_vjp(c->p, 1, c->theta, NULL, c->vec, c->cv, out, NULL);
  default: return pt_perturbed_jacobian(c->p, c->theta, 0, c->method, c->cv, out, NULL);
  }
}

/* Finite-difference references from N samples with common random numbers:
 * mean and SE of J (d×d), of J v and of uᵀJ. */
static void fd_reference(const problem *pb, size_t N, const double *v, const double *u, double *J, double *J_se,
                         double *Jv, double *Jv_se, double *uJ, double *uJ_se) {
  const size_t d = pt_solver_dim(pb->solver);
  const double h = 0.05 * pb->eps;
  pt_perturbed *p = NULL;
  CHECK_OK(pt_perturbed_alloc(pb->solver, pt_noise_gaussian, pb->eps, 1, &p));
  pt_perturbed_set_stream(p, 99, 0);
  double *sJ = calloc(d * d, sizeof *sJ), *qJ = calloc(d * d, sizeof *qJ);
  double *sJv = calloc(d, sizeof *sJv), *qJv = calloc(d, sizeof *qJv);
  double *suJ = calloc(d, sizeof *suJ), *quJ = calloc(d, sizeof *quJ);
  double *col = malloc(d * d * sizeof *col), *tp = malloc(d * sizeof *tp), *tm = malloc(d * sizeof *tm);
  double *yp = malloc(d * sizeof *yp), *ym = malloc(d * sizeof *ym);
  pt_status st = PT_OK;
  for (size_t m = 0; m < N && st == PT_OK; m++) {
    for (size_t j = 0; j < d; j++) {
      memcpy(tp, pb->theta, d * sizeof *tp);
      memcpy(tm, pb->theta, d * sizeof *tm);
      tp[j] += h;
      tm[j] -= h;
      st = pt_perturbed_sums(p, 1, tp, NULL, m, m + 1, yp, NULL);
      if (st == PT_OK) st = pt_perturbed_sums(p, 1, tm, NULL, m, m + 1, ym, NULL);
      for (size_t a = 0; a < d; a++) col[a * d + j] = (yp[a] - ym[a]) / (2 * h);
    }
    for (size_t k = 0; k < d * d; k++) {
      sJ[k] += col[k];
      qJ[k] += col[k] * col[k];
    }
    for (size_t a = 0; a < d; a++) {
      double jv = 0.0, uj = 0.0;
      for (size_t b = 0; b < d; b++) {
        jv += col[a * d + b] * v[b];
        uj += u[b] * col[b * d + a];
      }
      sJv[a] += jv;
      qJv[a] += jv * jv;
      suJ[a] += uj;
      quJ[a] += uj * uj;
    }
  }
  CHECK(st == PT_OK, "finite differences: %s", pt_last_error());
  const double n = (double)N;
#define MEAN_SE(s, q, mean, se, len)                                                    \
  for (size_t k = 0; k < (len); k++) {                                                  \
    mean[k] = s[k] / n;                                                                 \
    se[k] = sqrt(fmax(0.0, (q[k] - s[k] * s[k] / n) / (n - 1)) / n);                    \
  }
  MEAN_SE(sJ, qJ, J, J_se, d * d)
  MEAN_SE(sJv, qJv, Jv, Jv_se, d)
  MEAN_SE(suJ, quJ, uJ, uJ_se, d)
#undef MEAN_SE
  free(sJ), free(qJ), free(sJv), free(qJv), free(suJ), free(quJ);
  free(col), free(tp), free(tm), free(yp), free(ym);
  pt_perturbed_free(&p);
}

/* Compares len estimates with a reference; returns the number of misses. */
static int compare(const char *label, size_t len, const double *got, const double *got_se, const double *ref,
                   const double *ref_se, double slack) {
  int bad = 0;
  double worst = 0.0;
  for (size_t k = 0; k < len; k++) {
    char what[128];
    snprintf(what, sizeof what, "%s [%zu]", label, k);
    const double se = sqrt(got_se[k] * got_se[k] + ref_se[k] * ref_se[k]);
    bad += !CHECK_WITHIN(what, got[k], ref[k], Z_TOL, se, slack);
    if (se > 0) worst = fmax(worst, fabs(got[k] - ref[k]) / se);
  }
  printf("  %-46s max |diff|/SE = %.2f%s\n", label, worst, bad ? "  FAIL" : "");
  return bad;
}

static double total_variance(size_t len, const double *se) {
  double s = 0.0;
  for (size_t k = 0; k < len; k++) s += se[k] * se[k];
  return s;
}

int main(void) {
  problem pbs[3];
  memset(pbs, 0, sizeof pbs);
  pbs[0].name = "ranking d=5";
  pbs[0].eps = 0.5;
  CHECK_OK(pt_solver_ranking_alloc(5, &pbs[0].solver));
  const double th0[5] = {0.3, -0.2, 0.5, 0.1, -0.4};
  memcpy(pbs[0].theta, th0, sizeof th0);

  /* Costs drawn once from a fixed stream: DAG edges in [1, 2); grid vertices in
   * [3.5, 5.5) on a 3×5 grid, where many 5-vertex paths compete (with ε = 0.5
   * a cost turns negative only if a Gaussian falls below −7: p ≈ 1e-12). */
  gsl_rng *r = pt_rng_alloc();
  const pt_rng_id id = {5, PT_PURPOSE_USER, 0, 0, 0};
  pt_rng_seek(r, &id);
  pbs[1].name = "DAG path 3x3 (d=12)";
  pbs[1].eps = 0.5;
  CHECK_OK(pt_solver_dag_path_alloc(3, 3, &pbs[1].solver));
  for (int j = 0; j < 12; j++) pbs[1].theta[j] = -(1.0 + gsl_rng_uniform(r));
  pbs[2].name = "grid path 3x5 (d=15)";
  pbs[2].eps = 0.5;
  CHECK_OK(pt_solver_grid_path_alloc(3, 5, &pbs[2].solver));
  for (int j = 0; j < 15; j++) pbs[2].theta[j] = -(3.5 + 2.0 * gsl_rng_uniform(r));

  const size_t N_FD = 100000, MB = 4000;
  for (int b = 0; b < 3; b++) {
    const problem *pb = &pbs[b];
    const size_t d = pt_solver_dim(pb->solver);
    printf("%s, eps = %g\n", pb->name, pb->eps);
    double v[16], u[16];
    for (size_t j = 0; j < d; j++) {
      v[j] = gsl_ran_gaussian(r, 1.0);
      u[j] = gsl_ran_gaussian(r, 1.0);
    }
    double *Jf = malloc(d * d * sizeof *Jf), *Jf_se = malloc(d * d * sizeof *Jf_se);
    double Jv[16], Jv_se[16], uJ[16], uJ_se[16];
    fd_reference(pb, N_FD, v, u, Jf, Jf_se, Jv, Jv_se, uJ, uJ_se);

    /* Rare-event allowance: 3/N times a term bound. An FD term is at most
     * max|y|/h; a first-order term at most max|y|·|⟨z, v⟩|/ε with |⟨z, v⟩| ≤ 6‖v‖
     * outside probability 2e-9; path and ranking outputs are ≤ d. */
    double vnorm = 0.0, unorm = 0.0;
    for (size_t j = 0; j < d; j++) vnorm += v[j] * v[j], unorm += u[j] * u[j];
    vnorm = sqrt(vnorm), unorm = sqrt(unorm);
    const double N_all = (double)(K_BATCHES * MB);
    const double slack_fd = 3.0 / (double)N_FD * (double)d / (0.05 * pb->eps);
    const double slack1 = slack_fd + 3.0 / N_all * (double)d * 6.0 * fmax(vnorm, unorm) * (double)d / pb->eps;

    pt_perturbed *p = NULL;
    CHECK_OK(pt_perturbed_alloc(pb->solver, pt_noise_gaussian, pb->eps, MB, &p));
    const pt_control_variate cvs[3] = {PT_CV_NONE, PT_CV_UNPERTURBED, PT_CV_LEAVE_ONE_OUT};
    const char *cv_names[3] = {"no cv", "cv y*(theta)", "cv leave-one-out"};
    double var_jvp[3], var_vjp[3];
    for (int c = 0; c < 3; c++) {
      char label[96];
      double got[16], got_se[16];
      est_ctx jctx = {p, pb->theta, v, 0, PT_JACOBIAN_FIRST_ORDER, cvs[c]};
      CHECK_OK(pt_test_batch_means(K_BATCHES, d, estimate, &jctx, got, got_se));
      snprintf(label, sizeof label, "JVP, %s, vs FD", cv_names[c]);
      compare(label, d, got, got_se, Jv, Jv_se, slack1);
      var_jvp[c] = total_variance(d, got_se);
      est_ctx vctx = {p, pb->theta, u, 1, PT_JACOBIAN_FIRST_ORDER, cvs[c]};
      CHECK_OK(pt_test_batch_means(K_BATCHES, d, estimate, &vctx, got, got_se));
      snprintf(label, sizeof label, "VJP, %s, vs FD", cv_names[c]);
      compare(label, d, got, got_se, uJ, uJ_se, slack1);
      var_vjp[c] = total_variance(d, got_se);
    }
    /* Control variates: the measured variance (sum over entries of SE²). The
     * leave-one-out mean is close to the best constant baseline, E[y], and must
     * lower it. y*(θ) is the mode, not the mean: for an entry whose mean is far
     * from y*(θ) it can raise the variance of a projection (seen here for the
     * DAG's VJP), so for it we only report the figure. */
    for (int c = 1; c < 3; c++)
      printf("  variance with %-16s JVP %.3g (no cv %.3g), VJP %.3g (no cv %.3g)\n", cv_names[c], var_jvp[c],
             var_jvp[0], var_vjp[c], var_vjp[0]);
    CHECK(var_jvp[2] < var_jvp[0], "leave-one-out: JVP variance %g not below %g without cv", var_jvp[2], var_jvp[0]);
    CHECK(var_vjp[2] < var_vjp[0], "leave-one-out: VJP variance %g not below %g without cv", var_vjp[2], var_vjp[0]);

    /* Full Jacobians: first order (leave-one-out) and second order (both baselines). */
    double *J1 = malloc(d * d * sizeof *J1), *J1_se = malloc(d * d * sizeof *J1_se);
    double *J2 = malloc(d * d * sizeof *J2), *J2_se = malloc(d * d * sizeof *J2_se);
    double *J2n = malloc(d * d * sizeof *J2n), *J2n_se = malloc(d * d * sizeof *J2n_se);
    double *Jn = malloc(d * d * sizeof *Jn), *Jn_se = malloc(d * d * sizeof *Jn_se);
    double *Ju = malloc(d * d * sizeof *Ju), *Ju_se = malloc(d * d * sizeof *Ju_se);
    est_ctx c1 = {p, pb->theta, NULL, 2, PT_JACOBIAN_FIRST_ORDER, PT_CV_LEAVE_ONE_OUT};
    est_ctx c1n = {p, pb->theta, NULL, 2, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE};
    est_ctx c1u = {p, pb->theta, NULL, 2, PT_JACOBIAN_FIRST_ORDER, PT_CV_UNPERTURBED};
    CHECK_OK(pt_test_batch_means(K_BATCHES, d * d, estimate, &c1n, Jn, Jn_se));
    CHECK_OK(pt_test_batch_means(K_BATCHES, d * d, estimate, &c1u, Ju, Ju_se));
    est_ctx c2 = {p, pb->theta, NULL, 2, PT_JACOBIAN_SECOND_ORDER, PT_CV_UNPERTURBED};
    est_ctx c2n = {p, pb->theta, NULL, 2, PT_JACOBIAN_SECOND_ORDER, PT_CV_NONE};
    CHECK_OK(pt_test_batch_means(K_BATCHES, d * d, estimate, &c1, J1, J1_se));
    CHECK_OK(pt_test_batch_means(K_BATCHES, d * d, estimate, &c2, J2, J2_se));
    CHECK_OK(pt_test_batch_means(K_BATCHES, d * d, estimate, &c2n, J2n, J2n_se));
    /* second-order terms: |F − F(θ)|·|zzᵀ − I|/ε² with |F − F(θ)| ≤ ε·d·max|z|·max|y| */
    const double slack2 = slack1 + 3.0 / N_all * (double)(d * d) * 6.0 * 37.0 / pb->eps;
    compare("Jacobian, first order vs FD", d * d, J1, J1_se, Jf, Jf_se, slack1);
    compare("Jacobian, first order without cv vs FD", d * d, Jn, Jn_se, Jf, Jf_se, slack1);
    compare("Jacobian, first order, cv y*(theta), vs FD", d * d, Ju, Ju_se, Jf, Jf_se, slack1);
    printf("  variance of the first-order Jacobian: %.3g without cv, %.3g with y*(theta), %.3g leave-one-out\n",
           total_variance(d * d, Jn_se), total_variance(d * d, Ju_se), total_variance(d * d, J1_se));
    CHECK(total_variance(d * d, J1_se) < total_variance(d * d, Jn_se),
          "first order: the leave-one-out control variate did not lower the variance");
    compare("Jacobian, second order (cv F(theta)) vs FD", d * d, J2, J2_se, Jf, Jf_se, slack2);
    compare("Jacobian, second order vs first order", d * d, J2, J2_se, J1, J1_se, slack2);
    compare("Jacobian, second order without cv vs first", d * d, J2n, J2n_se, J1, J1_se, slack2);
    printf("  variance of the second-order estimator: %.3g with cv F(theta), %.3g without\n",
           total_variance(d * d, J2_se), total_variance(d * d, J2n_se));
    CHECK(total_variance(d * d, J2_se) < total_variance(d * d, J2n_se),
          "second order: the control variate did not lower the variance");
    pt_perturbed_free(&p);
    free(Jn), free(Jn_se), free(Ju), free(Ju_se);
    free(Jf), free(Jf_se), free(J1), free(J1_se), free(J2), free(J2_se), free(J2n), free(J2n_se);
  }
  for (int b = 0; b < 3; b++) pt_solver_free(&pbs[b].solver);
  gsl_rng_free(r);
  return pt_test_finish("test_jacobian");
}
