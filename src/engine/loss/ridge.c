/* ridge.c: the squared loss fitted in closed form (train/ridge.h) with the
 * penalty model.l2, for the linear models: no steps. Its gradient is the
 * squared loss's, used only to report the loss of other parts. */
#include "loss/loss.h"

const pt_loss_type pt_loss_type_ridge = {
  .name = "ridge",
  .doc = "closed-form ridge regression of the target embedding, model.l2 its penalty (linear models)",
  .samples = 0,
  .split_samples = 0,
  .closed_form = 1,
  .gradient = pt_loss_squared_gradient,
  .finish = NULL,
};
