/* squared.c: ‖θ − y‖² on the scores themselves (θ regressed on the target's
 * embedding), gradient 2(θ − y). No solver, no samples. */
#include "loss/loss.h"

#include "check.h"
#include "perturb/loss.h"

pt_status pt_loss_squared_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                                   uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)cost, (void)id, (void)sb, (void)se, (void)lead;
  double value = 0.0;
  PT_TRY(pt_loss_squared(1, pt_solver_dim(c->solver), theta, y, &value, g));
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_squared = {
  .name = "squared",
  .doc = "squared distance of theta to y",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 0,
  .gradient = pt_loss_squared_gradient,
  .finish = NULL,
};
