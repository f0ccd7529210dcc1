/* cost_squared.c: the two-stage approach of predict-then-optimise, a
 * regression of the predicted costs −θ on the true costs c of the instance,
 * ‖θ + c‖², gradient 2(θ + c); the decision is then the solver's on the
 * predicted costs. No solver in training, no samples. */
#include "loss/loss.h"

#include "check.h"

static pt_status cost_squared_gradient(const pt_loss_context *c, const double *theta, const double *y,
                                       const double *cost, uint64_t id, size_t sb, size_t se, int lead, double *g,
                                       pt_exact_sum *loss) {
  (void)y, (void)id, (void)sb, (void)se, (void)lead;
  const size_t d = pt_solver_dim(c->solver);
  double value = 0.0;
  for (size_t j = 0; j < d; j++) {
    const double r = theta[j] + cost[j];
    value += r * r;
    g[j] = 2.0 * r;
  }
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_cost_squared = {
  .name = "cost_squared",
  .doc = "two-stage: squared distance of the predicted costs -theta to the true costs (needs /costs)",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 0,
  .needs_costs = 1,
  .gradient = cost_squared_gradient,
  .finish = NULL,
};
