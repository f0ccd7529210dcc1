/* fy.c: the perturbed Fenchel–Young loss (paper §4), F̂_ε(θ) − ⟨θ, y⟩ (up to
 * the constant εΩ(y)), gradient ŷ_ε(θ) − y. Its per-sample parts are sums of
 * solver outputs, integers: the samples may be split among ranks, and the sum
 * over any split is exact. The loss is added sample by sample (F(θ + εZ_m)/M
 * each) for the same reason. */
#include "loss/loss.h"

#include "check.h"

static pt_status fy_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                             uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss) {
  (void)cost;
  const size_t d = pt_perturbed_dim(c->perturbed);
  PT_TRY(pt_perturbed_sample_values(c->perturbed, theta, id, sb, se, g, c->F));
  for (size_t m = 0; m < se - sb; m++) c->F[m] /= (double)c->M;
  PT_TRY(pt_loss_add_n(loss, se - sb, c->F));
  if (lead) {
    double ty = 0.0;
    for (size_t j = 0; j < d; j++) ty += theta[j] * y[j];
    PT_TRY(pt_loss_add(loss, -ty));
  }
  return PT_OK;
}

static void fy_finish(const pt_loss_context *c, size_t d, const double *y, double *g) {
  for (size_t j = 0; j < d; j++) g[j] = g[j] / (double)c->M - y[j];
}

const pt_loss_type pt_loss_type_fy = {
  .name = "fy",
  .doc = "perturbed Fenchel-Young loss, gradient y_eps(theta) - y",
  .samples = 1,
  .split_samples = 1,
  .closed_form = 0,
  .gradient = fy_gradient,
  .finish = fy_finish,
};
