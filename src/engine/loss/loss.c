/* loss.c: the table of training losses (loss/types.h) and the one way a
 * loss term enters an epoch's exact sum. */
#include "loss/loss.h"

#include <string.h>

#define PT_LOSS_ENTRY(name) &pt_loss_type_##name,
static const pt_loss_type *const types[] = {PT_LOSS_TYPES(PT_LOSS_ENTRY) NULL};

const pt_loss_type *pt_loss_type_by_name(const char *name) {
  for (size_t k = 0; types[k] != NULL; k++)
    if (strcmp(types[k]->name, name) == 0) return types[k];
  return NULL;
}

pt_status pt_loss_add(pt_exact_sum *loss, double x) { return pt_loss_add_n(loss, 1, &x); }

pt_status pt_loss_add_n(pt_exact_sum *loss, size_t n, const double *x) {
  if (pt_exact_sum_add_n(loss, n, x) == PT_OK) return PT_OK;
  /* the exact sum names the term or the sum it refused */
  return pt_error(PT_EDOM, "%s: the training diverged; try a lower optim.lr", pt_last_error());
}
