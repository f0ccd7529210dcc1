/* blackbox.c: the blackbox differentiation of ‖y*(θ) − y‖² (Vlastelica et
 * al., 2020) with interpolation step loss.lambda (pt_loss_blackbox,
 * perturb/loss.h). Two solves per instance, no samples. */
#include "loss/loss.h"

#include "check.h"
#include "perturb/loss.h"

static pt_status blackbox_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                                   uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)cost, (void)id, (void)sb, (void)se, (void)lead;
  double value = 0.0;
  PT_TRY(pt_loss_blackbox(c->solver, c->lambda, 1, theta, y, &value, g));
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_blackbox = {
  .name = "blackbox",
  .doc = "blackbox gradient of the solver's squared error, step loss.lambda",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 0,
  .gradient = blackbox_gradient,
  .finish = NULL,
};
