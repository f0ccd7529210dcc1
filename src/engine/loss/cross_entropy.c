/* cross_entropy.c: softmax cross-entropy logsumexp(θ) − ⟨θ, y⟩, gradient
 * softmax(θ) − y (pt_loss_cross_entropy, perturb/loss.h): the usual
 * classification baseline, for targets that are distributions (one-hot
 * labels). No solver call, no samples; loss.epsilon plays no part (with
 * Gumbel noise on the argmax, the FY gradient's expectation is this gradient
 * at θ/ε). */
#include "loss/loss.h"

#include "check.h"
#include "perturb/loss.h"

static pt_status ce_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                             uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)cost, (void)id, (void)sb, (void)se, (void)lead;
  double value = 0.0;
  PT_TRY(pt_loss_cross_entropy(1, pt_solver_dim(c->solver), theta, y, &value, g));
  return pt_loss_add(loss, value);
}

const pt_loss_type pt_loss_type_cross_entropy = {
  .name = "cross_entropy",
  .doc = "softmax cross-entropy, gradient softmax(theta) - y (targets: distributions, e.g. one-hot labels)",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 0,
  .gradient = ce_gradient,
  .finish = NULL,
};
