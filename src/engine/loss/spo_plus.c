/* spo_plus.c: the SPO+ loss of Elmachtoub and Grigas ("Smart
 * predict-then-optimize", 2022), on the true costs c of the instance. In
 * their minimisation form, with predicted costs ĉ and z*(c) the optimal cost,
 *   ℓ(ĉ, c) = max_y ⟨c − 2ĉ, y⟩ + 2⟨ĉ, y*(c)⟩ − z*(c),
 * subgradient 2(y*(c) − y*(2ĉ − c)). Here θ = −ĉ and the solver maximises, so
 * with y_c = y*(−c), the optimal path for the true costs:
 *   ℓ(θ) = F(2θ + c) − 2⟨θ, y_c⟩ − ⟨c, y_c⟩ ≥ 0 (= 0 at θ = −c),
 *   ∇ℓ(θ) = 2(y*(2θ + c) − y_c).
 * Two solves per instance, no samples. Dijkstra (grid_path) refuses the
 * negative costs 2ĉ − c can have: SPO+ suits solvers that take any sign
 * (dag_path). */
#include "loss/loss.h"

#include <stdio.h>

#include "check.h"

static pt_status spo_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                              uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)y, (void)id, (void)sb, (void)se, (void)lead;
  const size_t d = pt_solver_dim(c->solver);
  double *w = c->work, *yc = w + d;
  for (size_t j = 0; j < d; j++) w[j] = -cost[j];
  PT_TRY(pt_solver_solve(c->solver, w, yc));
  for (size_t j = 0; j < d; j++) w[j] = 2.0 * theta[j] + cost[j];
  pt_status st = pt_solver_solve(c->solver, w, g);
  if (st == PT_EDOM) {
    char why[512];
    snprintf(why, sizeof why, "%s", pt_last_error());
    return pt_error(PT_EDOM, "spo_plus: the solver refuses 2 theta + c (%s): SPO+ needs a solver that takes costs of "
                             "any sign, such as dag_path", why);
  }
  PT_TRY(st);
  double value = 0.0;
  for (size_t j = 0; j < d; j++) value += g[j] * w[j] - (2.0 * theta[j] + cost[j]) * yc[j];
  for (size_t j = 0; j < d; j++) g[j] = 2.0 * (g[j] - yc[j]);
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_spo_plus = {
  .name = "spo_plus",
  .doc = "SPO+ on the true costs c (needs /costs), gradient 2(y*(2 theta + c) - y*(-c))",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 0,
  .needs_costs = 1,
  .gradient = spo_gradient,
  .finish = NULL,
};
