/* loss/loss.h (internal): the training losses as type descriptors. Each loss
 * is one file in this folder and one line in loss/types.h; the training loop
 * calls through the descriptor and never compares names.
 *
 * A loss maps the scores θ of one instance and its target y to a loss value
 * and the gradient in θ. For the losses that draw perturbation samples, the
 * samples of an instance may be split among ranks (the sample groups of
 * dist/dist.h): each rank computes its part on samples [sb, se), the parts
 * are summed over ranks, and `finish` completes the gradient. A loss may
 * allow this only if its per-sample parts are integers (sums of solver
 * outputs), so that the sum does not depend on the split. */
#ifndef PERTURB_LOSS_LOSS_H
#define PERTURB_LOSS_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "perturb/error.h"
#include "perturb/perturbed.h"
#include "perturb/solver.h"

/* What a loss works with, made once by the training loop. */
typedef struct pt_loss_context {
  pt_solver *solver;       /* the task's solver (its workspace is used) */
  pt_perturbed *perturbed; /* the solver perturbed with loss.noise, ε and M; NULL for losses without samples */
  size_t M;                /* samples per instance (1 for losses without samples) */
  double epsilon, lambda;  /* loss.epsilon, loss.lambda */
  double *F;               /* scratch of M doubles */
  double *work;            /* scratch of 3d doubles */
} pt_loss_context;

typedef struct pt_loss_type {
  const char *name; /* the loss.kind value */
  const char *doc;  /* one line for the docs */
  int samples;      /* 1: draws M perturbation samples per instance */
  int split_samples; /* 1: the per-sample parts are integers and may be split among ranks */
  int closed_form;  /* 1: fitted in closed form (ridge), never by steps */
  int needs_costs;  /* 1: needs the true costs of the solution's elements (the dataset's /costs) */
  /* This rank's part of one instance (scores theta, target y, both of the
   * task's dimension d; the true costs `cost` [d] of the solution's elements
   * when the dataset has them, else NULL; perturbation stream id `id`), on samples [sb, se) of
   * 0..M−1 (all of them unless split_samples): the gradient part into g [d]
   * (overwritten) and the loss part added to *loss. `lead` is 1 on the one
   * rank of the instance's sample groups that adds the terms that do not
   * depend on samples. PT_EDOM for a loss term the exact sum refuses (the
   * caller names the epoch and step). */
  pt_status (*gradient)(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                        uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss);
  /* After the parts are summed over the sample groups: g becomes the
   * gradient (FY: g/M − y). NULL: g is the gradient already. */
  void (*finish)(const pt_loss_context *c, size_t d, const double *y, double *g);
} pt_loss_type;

#define PT_LOSS_DECLARE(name) extern const pt_loss_type pt_loss_type_##name;
#include "loss/types.h"
PT_LOSS_TYPES(PT_LOSS_DECLARE)
#undef PT_LOSS_DECLARE

/* The loss named `name`, or NULL. */
const pt_loss_type *pt_loss_type_by_name(const char *name);

/* *loss += x exactly; PT_EDOM naming x if the exact sum refuses it (not
 * finite, or beyond its range: a diverged run). Every loss adds its terms
 * through this. Local. */
pt_status pt_loss_add(pt_exact_sum *loss, double x);

/* *loss += x[0] + … + x[n−1] exactly, with one carry pass
 * (pt_exact_sum_add_n): the same bits as n calls of pt_loss_add, and the
 * same errors. Local. */
pt_status pt_loss_add_n(pt_exact_sum *loss, size_t n, const double *x);

/* The squared loss's gradient function, shared by `squared` and `ridge`. */
pt_status pt_loss_squared_gradient(const pt_loss_context *c, const double *theta, const double *y, const double *cost,
                                   uint64_t id, size_t sb, size_t se, int lead, double *g, pt_exact_sum *loss);
#endif
