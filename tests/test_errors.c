/* test_errors.c: bad input returns an error status with a message, never a crash.
 *
 * What this file proves (acceptance criterion "bad input"):
 *  - every documented bad argument — ε ≤ 0 or not finite, M < 1, NaN/±Inf in
 *    θ (first, middle and last row of a batch) or in v / u / y, NULL for every
 *    required pointer, k outside 1..d, empty grids, a reversed sample range,
 *    the leave-one-out control variate with M = 1, unknown enum values,
 *    unknown noise names, negative path costs (directly and through a
 *    perturbation), failing or NaN-producing user solvers, bad cross-entropy
 *    targets, bad blackbox λ — is answered by the exact pt_status of the
 *    header, with a non-empty pt_last_error() that names the function and,
 *    where there is one, the argument;
 *  - the destructors are NULL-safe and clear the handle;
 *  - an object that saw a failure keeps working: the same correct call gives
 *    bitwise the same result as before the failures;
 *  - all of this is clean under ASan+UBSan (-DPERTURB_SANITIZE=ON).
 * Dimensions can only mismatch where the caller supplies them (solver sizes,
 * k, sample ranges): everything else takes d from the solver. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"

/* Sizes of the fixture: a batch of NB instances of dimension D, M samples. */
enum { NB = 3, D = 4, M = 8 };

/* ------------------------------------------------------------------------ */
/* Fixture: a ranking solver and a Gaussian perturbed optimizer, with valid
 * θ, targets y (one-hot rows, so they also suit the cross-entropy) and v. */
typedef struct fixture {
  pt_solver *s;
  pt_perturbed *p;
  double theta[NB * D], y[NB * D], v[NB * D];
} fixture;

static void fixture_init(fixture *fx) {
  fx->s = NULL;
  fx->p = NULL;
  CHECK_OK(pt_solver_ranking_alloc(D, &fx->s));
  CHECK_OK(pt_perturbed_alloc(fx->s, pt_noise_gaussian, 0.5, M, &fx->p));
  for (size_t k = 0; k < NB * D; k++) {
    fx->theta[k] = 0.3 * (double)(k % 5) - 0.4;
    fx->y[k] = (k % D) == (k / D) % D ? 1.0 : 0.0;
    fx->v[k] = 1.0 - 0.25 * (double)k;
  }
}

static void fixture_free(fixture *fx) {
  pt_perturbed_free(&fx->p);
  pt_solver_free(&fx->s);
}

/* The functions that take θ, called with valid arguments except θ / y / v,
 * which the caller chooses. `single` functions take one θ of D entries. */
typedef enum fn_id {
  F_SUMS, F_MAXIMIZER, F_MAXIMUM, F_JVP, F_VJP, F_JACOBIAN, F_LOSS_FY, F_LOSS_PSQ, F_LOSS_SQ, F_LOSS_BB,
  F_LOSS_CE, F_SOLVE, F_VALUE, F_COUNT
} fn_id;

static const char *const fn_names[F_COUNT] = {
  "pt_perturbed_sums", "pt_perturbed_maximizer", "pt_perturbed_maximum", "pt_perturbed_jvp",
  "pt_perturbed_vjp", "pt_perturbed_jacobian", "pt_loss_fy", "pt_loss_perturbed_squared",
  "pt_loss_squared", "pt_loss_blackbox", "pt_loss_cross_entropy", "pt_solver_solve", "pt_solver_value"};

static int fn_single(fn_id f) { return f == F_JACOBIAN || f == F_SOLVE || f == F_VALUE; }

static pt_status call_fn(fn_id f, fixture *fx, const double *theta, const double *y, const double *v) {
  double out[NB * D], se[NB * D], J[D * D], F[NB], Fse[NB];
  switch (f) {
  case F_SUMS: return pt_perturbed_sums(fx->p, NB, theta, NULL, 0, M, out, F);
  case F_MAXIMIZER: return pt_perturbed_maximizer(fx->p, NB, theta, NULL, out, se);
  case F_MAXIMUM: return pt_perturbed_maximum(fx->p, NB, theta, NULL, F, Fse);
  case F_JVP: return pt_perturbed_jvp(fx->p, NB, theta, NULL, v, PT_CV_LEAVE_ONE_OUT, out, se);
  case F_VJP: return pt_perturbed_vjp(fx->p, NB, theta, NULL, v, PT_CV_UNPERTURBED, out, se);
  case F_JACOBIAN:
    return pt_perturbed_jacobian(fx->p, theta, 0, PT_JACOBIAN_SECOND_ORDER, PT_CV_NONE, J, NULL);
  case F_LOSS_FY: return pt_loss_fy(fx->p, NB, theta, y, NULL, F, out);
  case F_LOSS_PSQ: return pt_loss_perturbed_squared(fx->p, NB, theta, y, NULL, F, out);
  case F_LOSS_SQ: return pt_loss_squared(NB, D, theta, y, F, out);
  case F_LOSS_BB: return pt_loss_blackbox(fx->s, 1.0, NB, theta, y, F, out);
  case F_LOSS_CE: return pt_loss_cross_entropy(NB, D, theta, y, F, out);
  case F_SOLVE: return pt_solver_solve(fx->s, theta, out);
  case F_VALUE: return pt_solver_value(fx->s, theta, F);
  case F_COUNT: break;
  }
  return PT_EINVAL;
}

/* ------------------------------------------------------------------------ */
static void test_alloc_and_epsilon(void) {
  printf("== pt_perturbed_alloc / set_epsilon: bad epsilon, M = 0, NULL arguments\n");
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_argmax_alloc(D, &s));
  /* A non-NULL sentinel shows that a failing alloc really clears *out. */
  static char sentinel;
  pt_perturbed *p = (pt_perturbed *)(void *)&sentinel;
  const double bad_eps[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY};
  for (size_t k = 0; k < sizeof bad_eps / sizeof *bad_eps; k++) {
    char what[96];
    snprintf(what, sizeof what, "pt_perturbed_alloc(s, gaussian, eps = %g, 10, &p)", bad_eps[k]);
    pt_clear_error();
    pt_test_expect_fail(pt_perturbed_alloc(s, pt_noise_gaussian, bad_eps[k], 10, &p), PT_EINVAL, "pt_perturbed_alloc",
                "epsilon", what, __FILE__, __LINE__);
    CHECK(p == NULL, "%s leaves *out = %p, not NULL", what, (void *)p);
    p = (pt_perturbed *)(void *)&sentinel;
  }
  CHECK_FAILS_MSG(pt_perturbed_alloc(s, pt_noise_gaussian, 1.0, 0, &p), PT_EINVAL, "M");
  CHECK(p == NULL, "pt_perturbed_alloc with M = 0 leaves *out non-NULL");
  /* M so large that M·d doubles cannot be addressed: rejected before malloc. */
  p = (pt_perturbed *)(void *)&sentinel;
  CHECK_FAILS(pt_perturbed_alloc(s, pt_noise_gaussian, 1.0, SIZE_MAX, &p), PT_EINVAL);
  CHECK(p == NULL, "pt_perturbed_alloc with M = SIZE_MAX leaves *out non-NULL");
  p = (pt_perturbed *)(void *)&sentinel;
  CHECK_FAILS_MSG(pt_perturbed_alloc(NULL, pt_noise_gaussian, 1.0, 10, &p), PT_EFAULT, "solver");
  CHECK(p == NULL, "pt_perturbed_alloc with NULL solver leaves *out non-NULL");
  p = (pt_perturbed *)(void *)&sentinel;
  CHECK_FAILS_MSG(pt_perturbed_alloc(s, NULL, 1.0, 10, &p), PT_EFAULT, "noise");
  CHECK(p == NULL, "pt_perturbed_alloc with NULL noise leaves *out non-NULL");
  CHECK_FAILS_MSG(pt_perturbed_alloc(s, pt_noise_gaussian, 1.0, 10, NULL), PT_EFAULT, "out");

  /* set_epsilon: a bad value is refused and the old ε is kept. */
  p = NULL;
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gumbel, 0.25, 1, &p));
  for (size_t k = 0; k < sizeof bad_eps / sizeof *bad_eps; k++) {
    char what[96];
    snprintf(what, sizeof what, "pt_perturbed_set_epsilon(p, %g)", bad_eps[k]);
    pt_clear_error();
    pt_test_expect_fail(pt_perturbed_set_epsilon(p, bad_eps[k]), PT_EINVAL, "pt_perturbed_set_epsilon", "epsilon", what,
                __FILE__, __LINE__);
    CHECK(pt_perturbed_epsilon(p) == 0.25, "%s changed epsilon to %g", what, pt_perturbed_epsilon(p));
  }
  CHECK_FAILS_MSG(pt_perturbed_set_epsilon(NULL, 1.0), PT_EFAULT, "'p'");
  CHECK_OK(pt_perturbed_set_epsilon(p, 2.0));
  CHECK(pt_perturbed_epsilon(p) == 2.0, "set_epsilon(2) after failures gives %g", pt_perturbed_epsilon(p));
  CHECK(pt_perturbed_nsamples(p) == 1 && pt_perturbed_dim(p) == D, "M = 1 and d = %d kept", (int)D);
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

/* ------------------------------------------------------------------------ */
static void test_non_finite_theta(void) {
  printf("== NaN, +Inf, -Inf in theta (first, middle, last row) for every function taking theta\n");
  fixture fx;
  fixture_init(&fx);
  /* Reference output before any failure, to show the objects stay usable. */
  double ref[NB * D], again[NB * D];
  CHECK_OK(pt_perturbed_maximizer(fx.p, NB, fx.theta, NULL, ref, NULL));

  const double bad[] = {NAN, INFINITY, -INFINITY};
  for (int f = 0; f < F_COUNT; f++) {
    /* Positions: first entry of row 0, a middle entry of row 1, last entry of
     * the last row (for one-θ calls: first, middle and last entry). */
    const size_t rows = fn_single((fn_id)f) ? 1 : NB;
    const size_t pos[3] = {0, (rows / 2) * D + D / 2, rows * D - 1};
    for (size_t b = 0; b < 3; b++) {
      for (size_t q = 0; q < 3; q++) {
        double th[NB * D];
        memcpy(th, fx.theta, sizeof th);
        th[pos[q]] = bad[b];
        char what[128];
        snprintf(what, sizeof what, "%s with theta[%zu] (row %zu) = %g", fn_names[f], pos[q], pos[q] / D, bad[b]);
        pt_clear_error();
        pt_test_expect_fail(call_fn((fn_id)f, &fx, th, fx.y, fx.v), PT_EDOM, "theta", fn_names[f], what, __FILE__,
                    __LINE__);
      }
    }
  }

  printf("== NaN / Inf in v, u and the targets y\n");
  for (size_t b = 0; b < 3; b++) {
    for (size_t q = 0; q < 3; q++) {
      const size_t at = q == 0 ? 0 : q == 1 ? D + 1 : NB * D - 1;
      double w[NB * D];
      memcpy(w, fx.v, sizeof w);
      w[at] = bad[b];
      char what[128];
      snprintf(what, sizeof what, "pt_perturbed_jvp with v[%zu] = %g", at, bad[b]);
      pt_clear_error();
      pt_test_expect_fail(call_fn(F_JVP, &fx, fx.theta, fx.y, w), PT_EDOM, "v[", "pt_perturbed_jvp", what, __FILE__,
                  __LINE__);
      snprintf(what, sizeof what, "pt_perturbed_vjp with u[%zu] = %g", at, bad[b]);
      pt_clear_error();
      pt_test_expect_fail(call_fn(F_VJP, &fx, fx.theta, fx.y, w), PT_EDOM, "u[", "pt_perturbed_vjp", what, __FILE__,
                  __LINE__);
      memcpy(w, fx.y, sizeof w);
      w[at] = bad[b];
      const fn_id with_y[] = {F_LOSS_FY, F_LOSS_PSQ, F_LOSS_SQ, F_LOSS_BB, F_LOSS_CE};
      for (size_t k = 0; k < sizeof with_y / sizeof *with_y; k++) {
        snprintf(what, sizeof what, "%s with y[%zu] = %g", fn_names[with_y[k]], at, bad[b]);
        pt_clear_error();
        pt_test_expect_fail(call_fn(with_y[k], &fx, fx.theta, w, fx.v), PT_EDOM, "y[", fn_names[with_y[k]], what,
                    __FILE__, __LINE__);
      }
    }
  }

  /* Every function still works on the same objects, with the same numbers. */
  for (int f = 0; f < F_COUNT; f++)
    CHECK(call_fn((fn_id)f, &fx, fx.theta, fx.y, fx.v) == PT_OK, "%s fails on valid input after failures: %s",
          fn_names[f], pt_last_error());
  CHECK_OK(pt_perturbed_maximizer(fx.p, NB, fx.theta, NULL, again, NULL));
  CHECK(memcmp(ref, again, sizeof ref) == 0, "maximizer after failures differs from before");
  fixture_free(&fx);
}

/* ------------------------------------------------------------------------ */
static void test_null_pointers(void) {
  printf("== NULL for every required pointer argument\n");
  fixture fx;
  fixture_init(&fx);
  pt_solver *s = fx.s;
  pt_perturbed *p = fx.p;
  const double *th = fx.theta, *y = fx.y, *v = fx.v;
  double out[NB * D], J[D * D], F[NB];

  /* Optional outputs (ids, ysum/fsum, *_se, loss/grad) may be NULL: those
   * calls succeed. Required ones fail with PT_EFAULT naming the argument. */
  CHECK_FAILS_MSG(pt_perturbed_sums(NULL, NB, th, NULL, 0, M, out, F), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_perturbed_sums(p, NB, NULL, NULL, 0, M, out, F), PT_EFAULT, "'theta'");
  CHECK_OK(pt_perturbed_sums(p, NB, th, NULL, 0, M, NULL, NULL));

  CHECK_FAILS_MSG(pt_perturbed_maximizer(NULL, NB, th, NULL, out, NULL), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_perturbed_maximizer(p, NB, NULL, NULL, out, NULL), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_perturbed_maximizer(p, NB, th, NULL, NULL, NULL), PT_EFAULT, "'y'");

  CHECK_FAILS_MSG(pt_perturbed_maximum(NULL, NB, th, NULL, F, NULL), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_perturbed_maximum(p, NB, NULL, NULL, F, NULL), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_perturbed_maximum(p, NB, th, NULL, NULL, NULL), PT_EFAULT, "'F'");

  CHECK_FAILS_MSG(pt_perturbed_jvp(NULL, NB, th, NULL, v, PT_CV_NONE, out, NULL), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_perturbed_jvp(p, NB, NULL, NULL, v, PT_CV_NONE, out, NULL), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_perturbed_jvp(p, NB, th, NULL, NULL, PT_CV_NONE, out, NULL), PT_EFAULT, "'v'");
  CHECK_FAILS_MSG(pt_perturbed_jvp(p, NB, th, NULL, v, PT_CV_NONE, NULL, NULL), PT_EFAULT, "'jv'");

  CHECK_FAILS_MSG(pt_perturbed_vjp(NULL, NB, th, NULL, v, PT_CV_NONE, out, NULL), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p, NB, NULL, NULL, v, PT_CV_NONE, out, NULL), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p, NB, th, NULL, NULL, PT_CV_NONE, out, NULL), PT_EFAULT, "'u'");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p, NB, th, NULL, v, PT_CV_NONE, NULL, NULL), PT_EFAULT, "'uj'");

  CHECK_FAILS_MSG(pt_perturbed_jacobian(NULL, th, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, J, NULL), PT_EFAULT,
                  "'p'");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p, NULL, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, J, NULL), PT_EFAULT,
                  "'theta'");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p, th, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, NULL, NULL), PT_EFAULT,
                  "'J'");

  CHECK_FAILS_MSG(pt_loss_fy(NULL, NB, th, y, NULL, F, out), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_loss_fy(p, NB, NULL, y, NULL, F, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_loss_fy(p, NB, th, NULL, NULL, F, out), PT_EFAULT, "'y'");
  CHECK_OK(pt_loss_fy(p, NB, th, y, NULL, NULL, NULL));

  CHECK_FAILS_MSG(pt_loss_perturbed_squared(NULL, NB, th, y, NULL, F, out), PT_EFAULT, "'p'");
  CHECK_FAILS_MSG(pt_loss_perturbed_squared(p, NB, NULL, y, NULL, F, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_loss_perturbed_squared(p, NB, th, NULL, NULL, F, out), PT_EFAULT, "'y'");
  CHECK_OK(pt_loss_perturbed_squared(p, NB, th, y, NULL, NULL, NULL));

  CHECK_FAILS_MSG(pt_loss_squared(NB, D, NULL, y, F, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_loss_squared(NB, D, th, NULL, F, out), PT_EFAULT, "'y'");
  CHECK_OK(pt_loss_squared(NB, D, th, y, NULL, NULL));

  CHECK_FAILS_MSG(pt_loss_blackbox(NULL, 1.0, NB, th, y, F, out), PT_EFAULT, "'solver'");
  CHECK_FAILS_MSG(pt_loss_blackbox(s, 1.0, NB, NULL, y, F, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_loss_blackbox(s, 1.0, NB, th, NULL, F, out), PT_EFAULT, "'y'");
  CHECK_OK(pt_loss_blackbox(s, 1.0, NB, th, y, NULL, NULL));

  CHECK_FAILS_MSG(pt_loss_cross_entropy(NB, D, NULL, y, F, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_loss_cross_entropy(NB, D, th, NULL, F, out), PT_EFAULT, "'y'");
  CHECK_OK(pt_loss_cross_entropy(NB, D, th, y, NULL, NULL));

  CHECK_FAILS_MSG(pt_solver_solve(NULL, th, out), PT_EFAULT, "'s'");
  CHECK_FAILS_MSG(pt_solver_solve(s, NULL, out), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_solver_solve(s, th, NULL), PT_EFAULT, "'y'");
  CHECK_FAILS_MSG(pt_solver_value(NULL, th, F), PT_EFAULT, "'s'");
  CHECK_FAILS_MSG(pt_solver_value(s, NULL, F), PT_EFAULT, "'theta'");
  CHECK_FAILS_MSG(pt_solver_value(s, th, NULL), PT_EFAULT, "'value'");

  /* The allocators' `out`. */
  CHECK_FAILS_MSG(pt_solver_argmax_alloc(D, NULL), PT_EFAULT, "'out'");
  CHECK_FAILS_MSG(pt_solver_ranking_alloc(D, NULL), PT_EFAULT, "'out'");
  CHECK_FAILS_MSG(pt_solver_topk_alloc(D, 2, NULL), PT_EFAULT, "'out'");
  CHECK_FAILS_MSG(pt_solver_grid_path_alloc(3, 3, NULL), PT_EFAULT, "'out'");
  CHECK_FAILS_MSG(pt_solver_dag_path_alloc(3, 3, NULL), PT_EFAULT, "'out'");

  /* Getters and setters without a status must not crash on NULL either. */
  pt_perturbed_set_stream(NULL, 1, 2);
  CHECK(pt_solver_dim(NULL) == 0, "pt_solver_dim(NULL) = %zu", pt_solver_dim(NULL));
  CHECK(pt_solver_name(NULL) != NULL, "pt_solver_name(NULL) is NULL");
  CHECK(pt_solver_is_integral(NULL) == 0, "pt_solver_is_integral(NULL) != 0");
  CHECK(isnan(pt_perturbed_epsilon(NULL)), "pt_perturbed_epsilon(NULL) is not NaN");
  CHECK(pt_perturbed_nsamples(NULL) == 0 && pt_perturbed_dim(NULL) == 0, "NULL getters are not 0");
  fixture_free(&fx);
}

/* ------------------------------------------------------------------------ */
static void test_sizes_and_enums(void) {
  printf("== sizes: k outside 1..d, d = 0, empty grids, 1x1 DAG; ranges; enums; noise names\n");
  static char sentinel;
  pt_solver *s = (pt_solver *)(void *)&sentinel;
  /* k outside 1..d (d = 5). */
  CHECK_FAILS_MSG(pt_solver_topk_alloc(5, 0, &s), PT_EINVAL, "k");
  CHECK(s == NULL, "topk_alloc(5, 0) leaves *out non-NULL");
  s = (pt_solver *)(void *)&sentinel;
  CHECK_FAILS_MSG(pt_solver_topk_alloc(5, 6, &s), PT_EINVAL, "k");
  CHECK(s == NULL, "topk_alloc(5, 6) leaves *out non-NULL");
  CHECK_OK(pt_solver_topk_alloc(5, 5, &s)); /* k = d is the edge that is allowed */
  pt_solver_free(&s);

  /* d = 0 for every allocator (and every grid with a 0 side). */
  s = (pt_solver *)(void *)&sentinel;
  CHECK_FAILS(pt_solver_argmax_alloc(0, &s), PT_EINVAL);
  CHECK(s == NULL, "argmax_alloc(0) leaves *out non-NULL");
  s = (pt_solver *)(void *)&sentinel;
  CHECK_FAILS(pt_solver_ranking_alloc(0, &s), PT_EINVAL);
  CHECK(s == NULL, "ranking_alloc(0) leaves *out non-NULL");
  CHECK_FAILS(pt_solver_topk_alloc(0, 0, &s), PT_EINVAL);
  CHECK_FAILS(pt_solver_topk_alloc(0, 1, &s), PT_EINVAL);
  const size_t sides[][2] = {{0, 0}, {0, 3}, {3, 0}};
  for (size_t k = 0; k < 3; k++) {
    char what[96];
    s = (pt_solver *)(void *)&sentinel;
    snprintf(what, sizeof what, "pt_solver_grid_path_alloc(%zu, %zu, &s)", sides[k][0], sides[k][1]);
    pt_clear_error();
    pt_test_expect_fail(pt_solver_grid_path_alloc(sides[k][0], sides[k][1], &s), PT_EINVAL, "grid", NULL, what, __FILE__,
                __LINE__);
    CHECK(s == NULL, "%s leaves *out non-NULL", what);
    s = (pt_solver *)(void *)&sentinel;
    snprintf(what, sizeof what, "pt_solver_dag_path_alloc(%zu, %zu, &s)", sides[k][0], sides[k][1]);
    pt_clear_error();
    pt_test_expect_fail(pt_solver_dag_path_alloc(sides[k][0], sides[k][1], &s), PT_EINVAL, "grid", NULL, what, __FILE__,
                __LINE__);
    CHECK(s == NULL, "%s leaves *out non-NULL", what);
  }
  /* A 1×1 DAG has no edge (d = 0). 1×2 has one edge and is fine. */
  CHECK_FAILS(pt_solver_dag_path_alloc(1, 1, &s), PT_EINVAL);
  CHECK_OK(pt_solver_dag_path_alloc(1, 2, &s));
  CHECK(pt_solver_dim(s) == 1, "1x2 DAG has d = %zu, want 1", pt_solver_dim(s));
  pt_solver_free(&s);

  fixture fx;
  fixture_init(&fx);
  double out[NB * D], J[D * D], ref[NB * D], again[NB * D];
  CHECK_OK(pt_perturbed_sums(fx.p, NB, fx.theta, NULL, 3, 7, ref, NULL));
  /* Sample ranges: reversed fails; empty is a valid (zero) sum. */
  CHECK_FAILS_MSG(pt_perturbed_sums(fx.p, NB, fx.theta, NULL, 5, 4, out, NULL), PT_EINVAL, "reversed");
  CHECK_FAILS(pt_perturbed_sums(fx.p, NB, fx.theta, NULL, UINT64_MAX, 0, out, NULL), PT_EINVAL);
  CHECK_OK(pt_perturbed_sums(fx.p, NB, fx.theta, NULL, 4, 4, out, NULL));
  CHECK(out[0] == 0.0 && out[NB * D - 1] == 0.0, "empty sample range does not give zero sums");

  /* Unknown control variate / Jacobian method values. */
  const pt_control_variate bad_cv = (pt_control_variate)7;
  const pt_jacobian_method bad_m = (pt_jacobian_method)0;
  CHECK_FAILS_MSG(pt_perturbed_jvp(fx.p, NB, fx.theta, NULL, fx.v, bad_cv, out, NULL), PT_EINVAL, "control variate");
  CHECK_FAILS_MSG(pt_perturbed_vjp(fx.p, NB, fx.theta, NULL, fx.v, bad_cv, out, NULL), PT_EINVAL, "control variate");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(fx.p, fx.theta, 0, PT_JACOBIAN_FIRST_ORDER, bad_cv, J, NULL), PT_EINVAL,
                  "control variate");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(fx.p, fx.theta, 0, bad_m, PT_CV_NONE, J, NULL), PT_EINVAL, "method");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(fx.p, fx.theta, 0, (pt_jacobian_method)3, PT_CV_NONE, J, NULL), PT_EINVAL,
                  "method");

  /* The leave-one-out baseline needs M ≥ 2. */
  pt_perturbed *p1 = NULL;
  CHECK_OK(pt_perturbed_alloc(fx.s, pt_noise_gaussian, 0.5, 1, &p1));
  CHECK_FAILS_MSG(pt_perturbed_jvp(p1, NB, fx.theta, NULL, fx.v, PT_CV_LEAVE_ONE_OUT, out, NULL), PT_EINVAL, "M");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p1, NB, fx.theta, NULL, fx.v, PT_CV_LEAVE_ONE_OUT, out, NULL), PT_EINVAL, "M");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p1, fx.theta, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_LEAVE_ONE_OUT, J, NULL),
                  PT_EINVAL, "M");
  CHECK_FAILS_MSG(pt_perturbed_jacobian(p1, fx.theta, 0, PT_JACOBIAN_SECOND_ORDER, PT_CV_LEAVE_ONE_OUT, J, NULL),
                  PT_EINVAL, "M");
  /* ... while the other baselines work with M = 1, and the perturbed squared
   * loss falls back to no baseline. */
  CHECK_OK(pt_perturbed_jvp(p1, NB, fx.theta, NULL, fx.v, PT_CV_UNPERTURBED, out, NULL));
  CHECK_OK(pt_loss_perturbed_squared(p1, NB, fx.theta, fx.y, NULL, NULL, out));
  pt_perturbed_free(&p1);

  /* Noise names. */
  pt_clear_error();
  const pt_noise_type *nz = pt_noise_by_name("cauchy");
  CHECK(nz == NULL && strstr(pt_last_error(), "cauchy") != NULL,
        "pt_noise_by_name(\"cauchy\") -> %p, message '%s'", (const void *)nz, pt_last_error());
  pt_clear_error();
  nz = pt_noise_by_name(NULL);
  CHECK(nz == NULL && pt_last_error()[0] != '\0', "pt_noise_by_name(NULL) -> %p, message '%s'", (const void *)nz,
        pt_last_error());
  CHECK(pt_noise_by_name("gaussian") == pt_noise_gaussian && pt_noise_by_name("gumbel") == pt_noise_gumbel,
        "pt_noise_by_name fails on the valid names");

  CHECK_OK(pt_perturbed_sums(fx.p, NB, fx.theta, NULL, 3, 7, again, NULL));
  CHECK(memcmp(ref, again, sizeof ref) == 0, "sums after failures differ from before");
  fixture_free(&fx);
}

/* ------------------------------------------------------------------------ */
static void test_path_costs(void) {
  printf("== negative path costs: grid path refuses them (directly and after perturbation), DAG accepts\n");
  enum { R = 3, C = 4, V = R * C };
  pt_solver *g = NULL;
  CHECK_OK(pt_solver_grid_path_alloc(R, C, &g));
  double th[V], y[V] = {0}, val;
  for (size_t k = 0; k < V; k++) th[k] = -1.0;
  th[1 * C + 2] = 0.5; /* vertex (1,2) has cost −0.5 */
  CHECK_FAILS_MSG(pt_solver_solve(g, th, y), PT_EDOM, "(1,2)");
  CHECK_FAILS_MSG(pt_solver_value(g, th, &val), PT_EDOM, "vertex");
  th[1 * C + 2] = -1.0;
  th[V - 1] = 1e-300; /* the target vertex itself, barely negative cost */
  CHECK_FAILS_MSG(pt_solver_solve(g, th, y), PT_EDOM, "(2,3)");
  CHECK_FAILS(pt_loss_blackbox(g, 1.0, 1, th, y, NULL, NULL), PT_EDOM);
  th[V - 1] = -0.0; /* zero cost is allowed */
  CHECK_OK(pt_solver_solve(g, th, y));

  /* θ = −0.01 with ε = 10: the perturbed costs −θ − εZ are negative for
   * about half the entries; grid_path takes them as zero costs
   * (perturb/perturbed.h), so every call succeeds and every output is a
   * mean of paths, in [0, 1], with both corners always on the path. */
  pt_perturbed *p = NULL;
  CHECK_OK(pt_perturbed_alloc(g, pt_noise_gaussian, 10.0, 16, &p));
  for (size_t k = 0; k < V; k++) th[k] = -0.01;
  double out[V] = {0}, J[V * V], F;
  CHECK_OK(pt_perturbed_maximizer(p, 1, th, NULL, out, NULL));
  int in_range = out[0] == 1.0 && out[V - 1] == 1.0;
  for (size_t k = 0; k < V; k++) in_range &= out[k] >= 0.0 && out[k] <= 1.0;
  CHECK(in_range, "negative perturbed costs cut at zero: y_eps is a mean of paths");
  CHECK_OK(pt_perturbed_maximum(p, 1, th, NULL, &F, NULL));
  CHECK_OK(pt_loss_fy(p, 1, th, out, NULL, &F, y));
  CHECK_OK(pt_perturbed_jacobian(p, th, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_NONE, J, NULL));
  /* The same objects with θ far below zero (no sample comes near a negative
   * cost: |εZ| < 100 for the 16·12 draws) work. */
  for (size_t k = 0; k < V; k++) th[k] = -1000.0;
  CHECK_OK(pt_perturbed_maximizer(p, 1, th, NULL, out, NULL));
  CHECK(out[0] == 1.0 && out[V - 1] == 1.0, "every path visits both ends (got %g, %g)", out[0], out[V - 1]);
  pt_perturbed_free(&p);
  pt_solver_free(&g);

  /* DAG path: edge costs of any sign are fine, also after perturbation. */
  pt_solver *dag = NULL;
  CHECK_OK(pt_solver_dag_path_alloc(R, C, &dag));
  const size_t d = pt_solver_dim(dag);
  CHECK(d == R * (C - 1) + (R - 1) * C, "DAG d = %zu", d);
  double dth[R * (C - 1) + (R - 1) * C], dy[R * (C - 1) + (R - 1) * C];
  for (size_t k = 0; k < d; k++) dth[k] = (k % 2) ? 2.5 : -1.5; /* costs −2.5 and +1.5 */
  CHECK_OK(pt_solver_solve(dag, dth, dy));
  double nedges = 0;
  for (size_t k = 0; k < d; k++) nedges += dy[k];
  CHECK(nedges == (R - 1) + (C - 1), "a right/down path has %d edges, got %g", (R - 1) + (C - 1), nedges);
  CHECK_OK(pt_perturbed_alloc(dag, pt_noise_gaussian, 10.0, 16, &p));
  for (size_t k = 0; k < d; k++) dth[k] = -0.01;
  CHECK_OK(pt_perturbed_maximizer(p, 1, dth, NULL, dy, NULL));
  pt_perturbed_free(&p);
  pt_solver_free(&dag);
}

/* ------------------------------------------------------------------------ */
/* A user's callback solver whose behaviour the test switches through ctx. */
typedef enum cb_mode { CB_GOOD, CB_RETURN_3, CB_OWN_MESSAGE, CB_NAN, CB_INF, CB_FAIL_AT_CALL } cb_mode;
typedef struct cb_ctx {
  cb_mode mode;
  int calls, fail_at;
} cb_ctx;

/* The argmax, or a failure of the chosen kind. */
static int user_solve(void *vctx, size_t d, const double *theta, double *y) {
  cb_ctx *ctx = vctx;
  ctx->calls++;
  size_t best = 0;
  for (size_t j = 0; j < d; j++) {
    y[j] = 0.0;
    if (theta[j] > theta[best]) best = j;
  }
  y[best] = 1.0;
  switch (ctx->mode) {
  case CB_GOOD: return 0;
  case CB_RETURN_3: return 3;
  case CB_OWN_MESSAGE: pt_error(PT_ESOLVER, "my own message"); return -1;
  case CB_NAN: y[d - 1] = NAN; return 0;
  case CB_INF: y[0] = -INFINITY; return 0;
  case CB_FAIL_AT_CALL: return ctx->calls == ctx->fail_at ? 1 : 0;
  }
  return 0;
}

static void test_callback(void) {
  printf("== user callback solver: failure codes, own messages, NaN output, NULL function\n");
  cb_ctx ctx = {CB_GOOD, 0, 0};
  static char sentinel;
  pt_solver *s = (pt_solver *)(void *)&sentinel;
  CHECK_FAILS_MSG(pt_solver_callback_alloc(D, NULL, &ctx, &s), PT_EFAULT, "'solve'");
  /* The other allocators clear *out on failure; so should this one. */
  CHECK(s == NULL, "pt_solver_callback_alloc(D, NULL, ctx, &s) leaves *out = %p (not NULL) on failure",
        (void *)s);
  s = (pt_solver *)(void *)&sentinel;
  CHECK_FAILS(pt_solver_callback_alloc(0, user_solve, &ctx, &s), PT_EINVAL);
  CHECK(s == NULL, "pt_solver_callback_alloc(0, ...) leaves *out non-NULL");
  CHECK_FAILS_MSG(pt_solver_callback_alloc(D, user_solve, &ctx, NULL), PT_EFAULT, "'out'");
  s = NULL;
  CHECK_OK(pt_solver_callback_alloc(D, user_solve, &ctx, &s));
  pt_perturbed *p = NULL;
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gumbel, 0.5, M, &p));

  const double th[NB * D] = {0.1, 0.4, -0.2, 0.3, 1, 2, 3, 4, -1, -2, -3, -4};
  const double tgt[NB * D] = {0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0};
  double y[NB * D], ref[NB * D], again[NB * D], J[D * D], val, loss[NB];
  CHECK_OK(pt_perturbed_maximizer(p, NB, th, NULL, ref, NULL));

  ctx.mode = CB_RETURN_3;
  CHECK_FAILS_MSG(pt_solver_solve(s, th, y), PT_ESOLVER, "3");
  CHECK_FAILS_MSG(pt_solver_value(s, th, &val), PT_ESOLVER, "3");
  CHECK_FAILS_MSG(pt_perturbed_maximizer(p, NB, th, NULL, y, NULL), PT_ESOLVER, "3");
  CHECK_FAILS(pt_loss_fy(p, NB, th, tgt, NULL, loss, y), PT_ESOLVER);
  CHECK_FAILS(pt_loss_blackbox(s, 1.0, NB, th, tgt, loss, y), PT_ESOLVER);

  /* The user's own message must reach the caller unchanged. */
  ctx.mode = CB_OWN_MESSAGE;
  pt_clear_error();
  pt_status st = pt_solver_solve(s, th, y);
  CHECK(st == PT_ESOLVER && strcmp(pt_last_error(), "my own message") == 0,
        "solve with own message -> %s, message '%s' (want PT_ESOLVER, 'my own message')", pt_strerror(st),
        pt_last_error());
  pt_clear_error();
  st = pt_perturbed_jacobian(p, th, 0, PT_JACOBIAN_FIRST_ORDER, PT_CV_UNPERTURBED, J, NULL);
  CHECK(st == PT_ESOLVER && strcmp(pt_last_error(), "my own message") == 0,
        "jacobian with own message -> %s, message '%s'", pt_strerror(st), pt_last_error());
  pt_clear_error();
  st = pt_perturbed_maximizer(p, NB, th, NULL, y, NULL);
  CHECK(st == PT_ESOLVER && strcmp(pt_last_error(), "my own message") == 0,
        "maximizer with own message -> %s, message '%s'", pt_strerror(st), pt_last_error());

  /* Non-finite outputs must not flow into averages. */
  ctx.mode = CB_NAN;
  CHECK_FAILS_MSG(pt_solver_solve(s, th, y), PT_ESOLVER, "callback");
  CHECK_FAILS_MSG(pt_perturbed_maximum(p, NB, th, NULL, loss, NULL), PT_ESOLVER, "callback");
  CHECK_FAILS_MSG(pt_loss_perturbed_squared(p, NB, th, tgt, NULL, loss, y), PT_ESOLVER, "callback");
  ctx.mode = CB_INF;
  CHECK_FAILS_MSG(pt_solver_value(s, th, &val), PT_ESOLVER, "callback");
  CHECK_FAILS_MSG(pt_perturbed_vjp(p, NB, th, NULL, tgt, PT_CV_LEAVE_ONE_OUT, y, NULL), PT_ESOLVER, "callback");

  /* A failure in the middle of a batch (the 13th solve: row 1, sample 4). */
  ctx.mode = CB_FAIL_AT_CALL;
  ctx.calls = 0;
  ctx.fail_at = 13;
  CHECK_FAILS(pt_perturbed_sums(p, NB, th, NULL, 0, M, y, loss), PT_ESOLVER);
  CHECK(ctx.calls == 13, "the batch stops at the failing solve (calls = %d)", ctx.calls);

  /* Back to a working solver: same object, same numbers as before. */
  ctx.mode = CB_GOOD;
  CHECK_OK(pt_solver_solve(s, th, y));
  CHECK(y[1] == 1.0, "callback argmax after failures: y[1] = %g", y[1]);
  CHECK_OK(pt_perturbed_maximizer(p, NB, th, NULL, again, NULL));
  CHECK(memcmp(ref, again, sizeof ref) == 0, "callback maximizer after failures differs from before");
  pt_perturbed_free(&p);
  pt_solver_free(&s);
}

/* ------------------------------------------------------------------------ */
static void test_loss_arguments(void) {
  printf("== cross-entropy targets and blackbox lambda\n");
  const double th[2 * D] = {0.5, -0.5, 1.5, 0.0, 2.0, 1.0, 0.0, -1.0};
  double loss[2], grad[2 * D];
  double y[2 * D] = {0, 0, 1, 0, 0.25, 0.25, 0.25, 0.25};
  CHECK_OK(pt_loss_cross_entropy(2, D, th, y, loss, grad));
  const double ref0 = loss[0], ref1 = loss[1];
  y[5] = -0.25; /* second row: {0.25, −0.25, 0.25, 0.25} is negative and sums to 0.5 */
  y[6] = 0.75;  /* now sums to 1 with a negative entry */
  CHECK_FAILS_MSG(pt_loss_cross_entropy(2, D, th, y, loss, grad), PT_EDOM, "negative");
  y[5] = 0.25;
  y[6] = 0.35; /* sums to 1.1 */
  CHECK_FAILS_MSG(pt_loss_cross_entropy(2, D, th, y, loss, grad), PT_EDOM, "sum");
  y[6] = 0.0; /* sums to 0.75 */
  CHECK_FAILS_MSG(pt_loss_cross_entropy(2, D, th, y, loss, grad), PT_EDOM, "sum");
  y[6] = 0.25;
  CHECK_FAILS(pt_loss_cross_entropy(2, 0, th, y, loss, grad), PT_EINVAL);
  CHECK_OK(pt_loss_cross_entropy(2, D, th, y, loss, grad));
  CHECK(loss[0] == ref0 && loss[1] == ref1, "cross-entropy after failures changed");

  pt_solver *s = NULL;
  CHECK_OK(pt_solver_topk_alloc(D, 2, &s));
  const double yt[2 * D] = {1, 0, 1, 0, 0, 1, 1, 0};
  const double bad_lambda[] = {0.0, -1.0, NAN, INFINITY, -INFINITY};
  for (size_t k = 0; k < sizeof bad_lambda / sizeof *bad_lambda; k++) {
    char what[96];
    snprintf(what, sizeof what, "pt_loss_blackbox(s, lambda = %g, ...)", bad_lambda[k]);
    pt_clear_error();
    pt_test_expect_fail(pt_loss_blackbox(s, bad_lambda[k], 2, th, yt, loss, grad), PT_EINVAL, "lambda", NULL, what,
                __FILE__, __LINE__);
  }
  CHECK_OK(pt_loss_blackbox(s, 0.5, 2, th, yt, loss, grad));
  pt_solver_free(&s);
}

/* ------------------------------------------------------------------------ */
static void test_strerror_and_free(void) {
  printf("== pt_strerror, last-error bookkeeping, NULL-safe destructors\n");
  for (int c = PT_OK; c <= PT_EINTR; c++) {
    const char *str = pt_strerror((pt_status)c);
    CHECK(str != NULL && str[0] != '\0' && strcmp(str, "unknown error") != 0, "pt_strerror(%d) = '%s'", c,
          str ? str : "(null)");
    for (int c2 = PT_OK; c2 < c; c2++)
      CHECK(strcmp(str, pt_strerror((pt_status)c2)) != 0, "pt_strerror(%d) == pt_strerror(%d)", c, c2);
  }
  const int unknown[] = {-1, PT_EINTR + 1, 1000};
  for (size_t k = 0; k < 3; k++)
    CHECK(strcmp(pt_strerror((pt_status)unknown[k]), "unknown error") == 0, "pt_strerror(%d) = '%s'", unknown[k],
          pt_strerror((pt_status)unknown[k]));

  /* pt_error records and returns; long messages are truncated, not overrun. */
  char longmsg[3000];
  memset(longmsg, 'x', sizeof longmsg - 1);
  longmsg[sizeof longmsg - 1] = '\0';
  CHECK(pt_error(PT_EIO, "%s", longmsg) == PT_EIO, "pt_error does not return its status");
  CHECK(strlen(pt_last_error()) == 1023, "a long message is kept at 1023 bytes (got %zu)", strlen(pt_last_error()));
  pt_clear_error();
  CHECK(pt_last_error()[0] == '\0', "pt_clear_error leaves '%s'", pt_last_error());

  pt_solver_free(NULL);
  pt_solver *ns = NULL;
  pt_solver_free(&ns);
  CHECK(ns == NULL, "pt_solver_free(&NULL) changed the handle");
  pt_perturbed_free(NULL);
  pt_perturbed *np = NULL;
  pt_perturbed_free(&np);
  CHECK(np == NULL, "pt_perturbed_free(&NULL) changed the handle");
  /* Freeing twice through the handle is harmless: the first call clears it. */
  pt_solver *s = NULL;
  pt_perturbed *p = NULL;
  CHECK_OK(pt_solver_argmax_alloc(3, &s));
  CHECK_OK(pt_perturbed_alloc(s, pt_noise_gaussian, 1.0, 2, &p));
  pt_perturbed_free(&p);
  CHECK(p == NULL, "pt_perturbed_free does not clear the handle");
  pt_perturbed_free(&p);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free does not clear the handle");
  pt_solver_free(&s);
}

int main(void) {
  test_alloc_and_epsilon();
  test_non_finite_theta();
  test_null_pointers();
  test_sizes_and_enums();
  test_path_costs();
  test_callback();
  test_loss_arguments();
  test_strerror_and_free();
  return pt_test_finish("test_errors");
}
