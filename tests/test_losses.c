/* test_losses.c: the losses of perturb/loss.h.
 *  - Perturbed Fenchel–Young: gradient entries sum to 0 for ranking (both y_ε
 *    and y lie in the permutahedron, whose points all sum to d(d−1)/2); the
 *    gradient is ŷ_ε − y for the same samples as pt_perturbed_maximizer; the
 *    value estimate is ≥ 0 up to Monte-Carlo error and its finite differences
 *    (common random numbers: F̂ is piecewise linear with gradient ŷ) give the
 *    gradient; y_ε → y*(θ) as ε → 0 and y_ε → the centre of the polytope as
 *    ε → ∞ for ranking and argmax (i.i.d. noise).
 *  - Perturbed squared loss: value ‖ŷ_ε − y‖², gradient against 2Ĵᵀ(ŷ_ε − y)
 *    from the separately tested Jacobian estimator.
 *  - Squared, blackbox (Vlastelica et al.) and cross-entropy against closed
 *    forms, hand-worked cases and finite differences.
 * Statistical checks use Z_TOL = 5 standard errors, exact where the law is
 * known, else measured by batch means (K = 50: diff/SE ~ t with 49 degrees of
 * freedom, P(|t| > 5) ≈ 8e-6); fixed seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "testlib.h"

#define Z_TOL 5.0
#define D 6
#define N_INST 8

static gsl_rng *rng;

static void gaussian_vector(size_t n, double *x, uint64_t stream) {
  const pt_rng_id id = {77, PT_PURPOSE_USER, stream, 0, 0};
  pt_rng_seek(rng, &id);
  for (size_t j = 0; j < n; j++) x[j] = gsl_ran_gaussian(rng, 1.0);
}

static void fenchel_young(pt_solver *ranking) {
  double theta[N_INST * D], y[N_INST * D], z[D];
  gaussian_vector(N_INST * D, theta, 1);
  for (int i = 0; i < N_INST; i++) { /* targets: rankings of other random scores */
    gaussian_vector(D, z, 100 + (uint64_t)i);
    CHECK_OK(pt_solver_solve(ranking, z, y + i * D));
  }
  const double eps_list[] = {0.1, 1.0, 10.0};
  for (size_t e = 0; e < 3; e++) {
    const double eps = eps_list[e];
    pt_perturbed *p = NULL;
    const size_t M = 1000;
    CHECK_OK(pt_perturbed_alloc(ranking, pt_noise_gaussian, eps, M, &p));
    pt_perturbed_set_stream(p, 3, 0);
    double loss[N_INST], grad[N_INST * D], yhat[N_INST * D], F[N_INST], F_se[N_INST];
    CHECK_OK(pt_loss_fy(p, N_INST, theta, y, NULL, loss, grad));
    CHECK_OK(pt_perturbed_maximizer(p, N_INST, theta, NULL, yhat, NULL));
    CHECK_OK(pt_perturbed_maximum(p, N_INST, theta, NULL, F, F_se));
    double worst_sum = 0.0;
    for (int i = 0; i < N_INST; i++) {
      double sum = 0.0, ty = 0.0;
      for (int j = 0; j < D; j++) {
        sum += grad[i * D + j];
        ty += theta[i * D + j] * y[i * D + j];
        /* same samples as the maximizer: the gradient is exactly ŷ − y up to rounding */
        CHECK(fabs(grad[i * D + j] - (yhat[i * D + j] - y[i * D + j])) <= 1e-12 * D,
              "FY gradient is not yhat - y at [%d][%d]", i, j);
      }
      worst_sum = fmax(worst_sum, fabs(sum));
      CHECK(fabs(sum) <= 1e-9, "eps %g: FY gradient of instance %d sums to %g, not 0", eps, i, sum);
      /* value = F̂ − ⟨θ, y⟩, which is ≥ 0 up to Monte-Carlo error (Gaussian noise has mean 0) */
      CHECK(fabs(loss[i] - (F[i] - ty)) <= 1e-9 * (1 + fabs(F[i])), "FY value is not F - <theta, y>");
      CHECK(loss[i] + Z_TOL * F_se[i] >= 0, "eps %g: FY value %g below 0 by more than 5 SE (%g)", eps, loss[i],
            F_se[i]);
    }
    printf("FY, ranking d=%d, eps %-4g: max |sum of gradient| = %.2g, values >= -5 SE\n", D, eps, worst_sum);

    /* Finite differences of the value with common random numbers: F̂ is
     * piecewise linear with gradient ŷ, so (L(θ+h e_j) − L(θ−h e_j))/2h equals
     * the gradient unless a sample's argmax changes within ±h (probability
     * O(M·h/ε); h = 1e-9 ε makes it negligible). */
    const double h = 1e-9 * eps;
    for (int j = 0; j < D; j++) {
      double tp[D], tm[D], lp, lm;
      memcpy(tp, theta, sizeof tp);
      memcpy(tm, theta, sizeof tm);
      tp[j] += h;
      tm[j] -= h;
      CHECK_OK(pt_loss_fy(p, 1, tp, y, NULL, &lp, NULL));
      CHECK_OK(pt_loss_fy(p, 1, tm, y, NULL, &lm, NULL));
      const double fd = (lp - lm) / (2 * h);
      /* the rounding error of a loss value (≲ 1e-13: terms of size ≲ 100)
       * divided by 2h bounds the FD error; gradients are of size 1 */
      CHECK(fabs(fd - grad[j]) <= 1e-13 / h, "eps %g: FD of FY value %g vs gradient %g", eps, fd, grad[j]);
    }
    pt_perturbed_free(&p);
  }

  /* ε → 0: the perturbed maximizer is the maximizer (θ has distinct entries
   * at least 0.01 apart; with ε = 1e-9 a swap needs a 1e7-sigma draw). */
  {
    double th[D] = {0.5, -1.2, 0.01, 2.0, -0.3, 0.0}, ystar[D], ye[D];
    pt_perturbed *p = NULL;
    CHECK_OK(pt_solver_solve(ranking, th, ystar));
    CHECK_OK(pt_perturbed_alloc(ranking, pt_noise_gaussian, 1e-9, 1000, &p));
    CHECK_OK(pt_perturbed_maximizer(p, 1, th, NULL, ye, NULL));
    CHECK(memcmp(ye, ystar, sizeof ye) == 0, "eps -> 0: y_eps is not y*(theta)");
    printf("FY, ranking: eps = 1e-9 gives y_eps == y*(theta) exactly\n");
    pt_perturbed_free(&p);
  }
}

/* ε → ∞: with i.i.d. noise every vertex is equally likely, so y_ε is the
 * centre of the polytope: (d−1)/2 for ranking, 1/d for argmax. Exact SEs:
 * ranking entries are uniform on {0..d−1} (variance (d²−1)/12), argmax entries
 * Bernoulli(1/d). */
static void large_epsilon(void) {
  const double th[D] = {3.0, -1.0, 0.5, 2.0, -2.0, 1.0};
  const size_t M = 100000;
  pt_solver *solvers[2] = {NULL, NULL};
  CHECK_OK(pt_solver_ranking_alloc(D, &solvers[0]));
  CHECK_OK(pt_solver_argmax_alloc(D, &solvers[1]));
  const double centre[2] = {(D - 1) / 2.0, 1.0 / D};
  const double sd[2] = {sqrt((D * D - 1) / 12.0), sqrt((1.0 / D) * (1 - 1.0 / D))};
  const pt_noise_type *noises[2] = {pt_noise_gaussian, pt_noise_gumbel};
  for (int s = 0; s < 2; s++) {
    for (int n = 0; n < 2; n++) {
      pt_perturbed *p = NULL;
      double y[D];
      CHECK_OK(pt_perturbed_alloc(solvers[s], noises[n], 1e9, M, &p));
      CHECK_OK(pt_perturbed_maximizer(p, 1, th, NULL, y, NULL));
      double worst = 0.0;
      for (int j = 0; j < D; j++) {
        char what[96];
        snprintf(what, sizeof what, "eps -> inf, %s, %s noise: y[%d] vs centre", pt_solver_name(solvers[s]),
                 noises[n]->name, j);
        CHECK_WITHIN(what, y[j], centre[s], Z_TOL, sd[s] / sqrt((double)M), 0.0);
        worst = fmax(worst, fabs(y[j] - centre[s]) / (sd[s] / sqrt((double)M)));
      }
      printf("eps = 1e9, %-7s %-8s noise: y_eps within %.2f SE of the centre %.4g\n", pt_solver_name(solvers[s]),
             noises[n]->name, worst, centre[s]);
      pt_perturbed_free(&p);
    }
  }
  pt_solver_free(&solvers[0]);
  pt_solver_free(&solvers[1]);
}

typedef struct sq_ctx {
  pt_perturbed *p;
  const double *theta, *y;
} sq_ctx;

static pt_status squared_batch(void *vctx, uint64_t epoch, double *out) {
  sq_ctx *c = vctx;
  pt_perturbed_set_stream(c->p, 11, epoch);
  return pt_loss_perturbed_squared(c->p, 1, c->theta, c->y, NULL, NULL, out);
}

/* The perturbed squared loss: its value uses the same ŷ as the maximizer, and
 * its gradient matches 2Ĵᵀ(ŷ − y) built from a large-sample maximizer and
 * Jacobian (both validated elsewhere). */
static void perturbed_squared(pt_solver *ranking) {
  double th[D], y[D], z[D];
  gaussian_vector(D, th, 7);
  gaussian_vector(D, z, 8);
  CHECK_OK(pt_solver_solve(ranking, z, y));
  const double eps = 1.0;
  pt_perturbed *p = NULL;
  double loss, yhat[D];
  CHECK_OK(pt_perturbed_alloc(ranking, pt_noise_gaussian, eps, 2000, &p));
  pt_perturbed_set_stream(p, 11, 0);
  CHECK_OK(pt_loss_perturbed_squared(p, 1, th, y, NULL, &loss, NULL));
  CHECK_OK(pt_perturbed_maximizer(p, 1, th, NULL, yhat, NULL));
  double want = 0.0;
  for (int j = 0; j < D; j++) want += (yhat[j] - y[j]) * (yhat[j] - y[j]);
  CHECK(fabs(loss - want) <= 1e-9 * (1 + want), "perturbed squared value %g vs ||yhat - y||^2 %g", loss, want);

  /* reference 2Jᵀ(y_ε − y) from 10^6 samples; its own error is ~20x below the batch SE */
  pt_perturbed *big = NULL;
  double yref[D], J[D * D], ref[D];
  CHECK_OK(pt_perturbed_alloc(ranking, pt_noise_gaussian, eps, 1000000, &big));
  pt_perturbed_set_stream(big, 12, 0);
  CHECK_OK(pt_perturbed_maximizer(big, 1, th, NULL, yref, NULL));
  CHECK_OK(pt_perturbed_jacobian(big, th, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_LEAVE_ONE_OUT, J, NULL));
  for (int b = 0; b < D; b++) {
    ref[b] = 0.0;
    for (int a = 0; a < D; a++) ref[b] += 2.0 * J[a * D + b] * (yref[a] - y[a]);
  }
  double g[D], g_se[D];
  sq_ctx ctx = {p, th, y};
  CHECK_OK(pt_test_batch_means(50, D, squared_batch, &ctx, g, g_se));
  double worst = 0.0;
  for (int j = 0; j < D; j++) {
    char what[64];
    snprintf(what, sizeof what, "perturbed squared gradient[%d]", j);
    CHECK_WITHIN(what, g[j], ref[j], Z_TOL, g_se[j], 0.0);
    worst = fmax(worst, fabs(g[j] - ref[j]) / g_se[j]);
  }
  printf("perturbed squared loss: gradient within %.2f SE of 2 J^T (y_eps - y)\n", worst);
  pt_perturbed_free(&p);
  pt_perturbed_free(&big);
}

static void plain_losses(pt_solver *ranking) {
  /* squared: closed form */
  const double th[3] = {1.0, -2.0, 0.5}, y[3] = {0.0, 1.0, 2.0};
  double loss, grad[3];
  CHECK_OK(pt_loss_squared(1, 3, th, y, &loss, grad));
  CHECK(loss == 1.0 + 9.0 + 2.25, "squared loss %g", loss);
  CHECK(grad[0] == 2.0 && grad[1] == -6.0 && grad[2] == -3.0, "squared gradient %g %g %g", grad[0], grad[1], grad[2]);

  /* blackbox, worked by hand on the argmax in d = 2: θ = (0, 1), y = (1, 0):
   * ŷ = (0, 1), g = 2(ŷ − y) = (−2, 2), θ − λg = (2λ, 1 − 2λ).
   * λ = 1: the shifted argmax is (1, 0), gradient (ŷ − y_λ)/λ = (−1, 1): a
   * descent step raises θ₀ and lowers θ₁, towards the target.
   * λ = 0.1: the shifted argmax is still (0, 1), so the gradient is 0. */
  pt_solver *argmax = NULL;
  CHECK_OK(pt_solver_argmax_alloc(2, &argmax));
  const double th2[2] = {0.0, 1.0}, y2[2] = {1.0, 0.0};
  double g2[2], l2;
  CHECK_OK(pt_loss_blackbox(argmax, 1.0, 1, th2, y2, &l2, g2));
  CHECK(l2 == 2.0 && g2[0] == -1.0 && g2[1] == 1.0, "blackbox lambda 1: loss %g grad (%g, %g)", l2, g2[0], g2[1]);
  CHECK_OK(pt_loss_blackbox(argmax, 0.1, 1, th2, y2, &l2, g2));
  CHECK(g2[0] == 0.0 && g2[1] == 0.0, "blackbox lambda 0.1: grad (%g, %g)", g2[0], g2[1]);
  pt_solver_free(&argmax);
  /* blackbox on rankings, for several λ: the gradient is (ŷ − y*(θ − λg))/λ
   * with g = 2(ŷ − y), recomputed here from the solver; and it never points
   * against g: y_λ maximises ⟨·, θ − λg⟩, so λ⟨ŷ − y_λ, g⟩ ≥ ⟨ŷ − y_λ, θ⟩ ≥ 0
   * (ŷ maximises ⟨·, θ⟩), i.e. ⟨grad, g⟩ ≥ 0. */
  const double lambdas[3] = {0.1, 1.0, 100.0};
  int cases = 0;
  for (uint64_t t = 0; t < 300; t++) {
    const double lam = lambdas[t % 3];
    double tt[D], yy[D], z[D], g[D], ys[D], shifted[D], ylam[D], l0;
    gaussian_vector(D, tt, 1000 + t);
    gaussian_vector(D, z, 5000 + t);
    CHECK_OK(pt_solver_solve(ranking, z, yy));
    CHECK_OK(pt_loss_blackbox(ranking, lam, 1, tt, yy, &l0, g));
    CHECK_OK(pt_solver_solve(ranking, tt, ys));
    double l_want = 0.0, inner = 0.0;
    for (int j = 0; j < D; j++) {
      shifted[j] = tt[j] - lam * 2.0 * (ys[j] - yy[j]);
      l_want += (ys[j] - yy[j]) * (ys[j] - yy[j]);
    }
    CHECK_OK(pt_solver_solve(ranking, shifted, ylam));
    for (int j = 0; j < D; j++) {
      CHECK(fabs(g[j] - (ys[j] - ylam[j]) / lam) < 1e-12, "blackbox gradient [%d] %g vs %g", j, g[j],
            (ys[j] - ylam[j]) / lam);
      inner += g[j] * 2.0 * (ys[j] - yy[j]);
    }
    CHECK(l0 == l_want, "blackbox value %g vs %g", l0, l_want);
    CHECK(inner >= -1e-12, "blackbox gradient points against g: <grad, g> = %g", inner);
    cases++;
  }
  printf("blackbox: hand-worked argmax cases ok; %d ranking cases match (y* - y_lambda)/lambda with <grad, g> >= 0\n",
         cases);

  /* cross-entropy: closed form and finite differences */
  const double th3[3] = {0.2, -1.0, 3.0}, y3[3] = {0.0, 0.0, 1.0};
  double l3, g3[3];
  CHECK_OK(pt_loss_cross_entropy(1, 3, th3, y3, &l3, g3));
  const double lse = log(exp(0.2) + exp(-1.0) + exp(3.0));
  CHECK(fabs(l3 - (lse - 3.0)) < 1e-14, "cross-entropy value %g vs %g", l3, lse - 3.0);
  for (int j = 0; j < 3; j++) {
    double tp[3], tm[3], lp, lm;
    memcpy(tp, th3, sizeof tp);
    memcpy(tm, th3, sizeof tm);
    tp[j] += 1e-6;
    tm[j] -= 1e-6;
    CHECK_OK(pt_loss_cross_entropy(1, 3, tp, y3, &lp, NULL));
    CHECK_OK(pt_loss_cross_entropy(1, 3, tm, y3, &lm, NULL));
    /* central differences: error O(h²) ≈ 1e-12 plus rounding 1e-16/1e-6 */
    CHECK(fabs((lp - lm) / 2e-6 - g3[j]) < 1e-8, "cross-entropy FD %g vs gradient %g", (lp - lm) / 2e-6, g3[j]);
  }
  /* large logits do not overflow */
  const double big[2] = {1000.0, -1000.0}, yb[2] = {1.0, 0.0};
  CHECK_OK(pt_loss_cross_entropy(1, 2, big, yb, &l3, g3));
  CHECK(isfinite(l3) && fabs(l3) < 1e-12 && fabs(g3[0]) < 1e-12, "cross-entropy with large logits: %g", l3);
  printf("squared, blackbox and cross-entropy: closed forms and finite differences ok\n");
}

int main(void) {
  rng = pt_rng_alloc();
  pt_solver *ranking = NULL;
  CHECK_OK(pt_solver_ranking_alloc(D, &ranking));
  fenchel_young(ranking);
  large_epsilon();
  perturbed_squared(ranking);
  plain_losses(ranking);
  pt_solver_free(&ranking);
  gsl_rng_free(rng);
  return pt_test_finish("test_losses");
}
