/* loss/types.h: the table of training losses. A loss is one file in this
 * folder defining `const pt_loss_type pt_loss_type_NAME` (loss/loss.h) and one
 * X(NAME) line here; the table and the choices of the loss.kind key are both
 * made from this list. */
#ifndef PERTURB_LOSS_TYPES_H
#define PERTURB_LOSS_TYPES_H

#define PT_LOSS_TYPES(X) \
  X(fy)                  \
  X(perturbed_squared)   \
  X(squared)             \
  X(blackbox)            \
  X(ridge)               \
  X(cross_entropy)       \
  X(spo_plus)            \
  X(cost_squared)

#endif
