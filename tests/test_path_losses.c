/* test_path_losses.c: the losses of the shortest-path task on the true
 * costs (src/engine/loss/spo_plus.c, cost_squared.c) and the blackbox loss's
 * clipping for grid_path.
 *  - SPO+ is 0 at θ = −c and ≥ 0 at random θ; its gradient equals central
 *    differences of its value (h = 1e-3: the loss is piecewise linear in θ,
 *    so away from a change of path the difference quotient is exact to
 *    rounding; a point where a path changes within ±h is skipped and counted,
 *    and must be rare);
 *  - the two-stage loss ‖θ + c‖² and its gradient 2(θ + c), exactly;
 *  - the blackbox loss on grid_path with θ close to 0, where θ − λg has
 *    positive entries: a gradient, not an error (they become zero costs);
 *  - SPO+ on grid_path, where 2θ + c is a negative cost: one line naming
 *    SPO+ and dag_path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "check.h"
#include "loss/loss.h"
#include "perturb/loss.h"
#include "testlib.h"

static pt_status value_of(const pt_loss_type *L, const pt_loss_context *c, const double *theta, const double *y,
                          const double *cost, double *g, double *value) {
  pt_exact_sum s = {{0}};
  PT_TRY(L->gradient(c, theta, y, cost, 0, 0, 1, 1, g, &s));
  *value = pt_exact_sum_value(&s);
  return PT_OK;
}

static void spo_plus(void) {
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_dag_path_alloc(5, 5, &s));
  const size_t d = pt_solver_dim(s);
  double *work = malloc(3 * d * sizeof *work), *c = malloc(d * sizeof *c), *th = malloc(d * sizeof *th);
  double *g = malloc(d * sizeof *g), *g2 = malloc(d * sizeof *g2), *y = malloc(d * sizeof *y);
  const pt_loss_context ctx = {.solver = s, .M = 1, .work = work};
  const pt_loss_type *L = &pt_loss_type_spo_plus;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 3);
  int skipped = 0, bad = 0, negative = 0;
  for (int trial = 0; trial < 50; trial++) {
    for (size_t j = 0; j < d; j++) c[j] = 0.2 + 2.0 * gsl_rng_uniform(r);
    for (size_t j = 0; j < d; j++) th[j] = -c[j];
    double v = NAN;
    CHECK_OK(value_of(L, &ctx, th, y, c, g, &v));
    if (trial == 0) CHECK(fabs(v) < 1e-12, "SPO+ is 0 at theta = -c (got %g)", v);
    for (size_t j = 0; j < d; j++) th[j] = gsl_rng_uniform(r) * 4.0 - 3.0;
    CHECK_OK(value_of(L, &ctx, th, y, c, g, &v));
    negative += v < -1e-12;
    for (size_t j = 0; j < d; j++) {
      const double h = 1e-3, keep = th[j];
      double vp = NAN, vm = NAN;
      th[j] = keep + h;
      CHECK_OK(value_of(L, &ctx, th, y, c, g2, &vp));
      th[j] = keep - h;
      CHECK_OK(value_of(L, &ctx, th, y, c, g2, &vm));
      th[j] = keep;
      /* a path change inside ±h shows as unequal one-sided slopes */
      if (fabs((vp - v) - (v - vm)) > 1e-8) {
        skipped++;
        continue;
      }
      bad += fabs((vp - vm) / (2 * h) - g[j]) > 1e-5;
    }
  }
  CHECK(negative == 0, "SPO+ >= 0 at 50 random theta (%d negative)", negative);
  CHECK(bad == 0, "SPO+ gradient = central differences of its value (%d of %zu entries differ)", bad, 50 * d);
  CHECK(skipped < 20, "few points at a change of path (%d of %zu)", skipped, 50 * d);
  /* the two-stage loss */
  const pt_loss_type *Q = &pt_loss_type_cost_squared;
  double v = NAN, want = 0.0;
  for (size_t j = 0; j < d; j++) want += (th[j] + c[j]) * (th[j] + c[j]);
  CHECK_OK(value_of(Q, &ctx, th, y, c, g, &v));
  int exact = fabs(v - want) <= 1e-9 * want;
  for (size_t j = 0; j < d; j++) exact &= g[j] == 2.0 * (th[j] + c[j]);
  CHECK(exact, "cost_squared: ||theta + c||^2 = %g (want %g) and gradient 2(theta + c)", v, want);
  CHECK(L->needs_costs && Q->needs_costs, "both need the true costs");
  gsl_rng_free(r);
  pt_solver_free(&s);
  /* grid_path: blackbox clips, SPO+ refuses with one line */
  CHECK_OK(pt_solver_grid_path_alloc(4, 4, &s));
  const size_t V = 16;
  double tg[16], yv[16], cg[16], gg[16], loss;
  for (size_t k = 0; k < V; k++) tg[k] = -0.01, cg[k] = 1.0, yv[k] = k % 5 == 0; /* the diagonal */
  tg[1] = -0.001; /* the predicted path leaves the diagonal */
  CHECK_OK(pt_loss_blackbox(s, 10.0, 1, tg, yv, &loss, gg));
  const pt_loss_context gctx = {.solver = s, .M = 1, .work = work};
  for (size_t k = 0; k < V; k++) tg[k] = -0.1;
  pt_exact_sum sum = {{0}};
  CHECK_FAILS_MSG(L->gradient(&gctx, tg, yv, cg, 0, 0, 1, 1, gg, &sum), PT_EDOM, "SPO+ needs a solver that takes");
  pt_solver_free(&s);
  free(work), free(c), free(th), free(g), free(g2), free(y);
}

int main(void) {
  spo_plus();
  return pt_test_finish("test_path_losses");
}
