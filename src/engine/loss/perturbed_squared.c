/* perturbed_squared.c: ‖ŷ_ε(θ) − y‖² with the gradient 2 Ĵᵀ(ŷ_ε − y)
 * (pt_loss_perturbed_squared, perturb/loss.h). Not an integer sum over
 * samples: the samples of an instance stay on one rank. */
#include "loss/loss.h"

#include "check.h"
#include "perturb/loss.h"

static pt_status psq_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                              uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)cost, (void)sb, (void)se, (void)lead;
  double value = 0.0;
  PT_TRY(pt_loss_perturbed_squared(c->perturbed, 1, theta, y, &id, &value, g));
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_perturbed_squared = {
  .name = "perturbed_squared",
  .doc = "squared distance of the perturbed maximizer to y, gradient through the perturbed Jacobian",
  .samples = 1,
  .split_samples = 0,
  .closed_form = 0,
  .gradient = psq_gradient,
  .finish = NULL,
};
