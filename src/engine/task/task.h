/* task/task.h (internal): tasks as type descriptors. A task bundles a
 * solver, how a dataset encodes its targets, and the metrics that apply:
 *
 * | task           | dataset targets                          | solver            | metrics          |
 * |----------------|------------------------------------------|-------------------|------------------|
 * | ranking        | /ranks (1 = top), Y = d − rank           | ranking           | Spearman, exact  |
 * | classification | /labels in 0..classes−1, Y one-hot       | argmax            | accuracy         |
 * | shortest_path  | /Y paths, /costs true costs (optional)   | grid_path or dag_path, from the data's attributes | optimal, cost ratio, regret (accuracy without costs) |
 * | plugin         | /Y in the solver's embedding             | the user's, from a shared library (perturb/plugin.h) | what the plugin says |
 *
 * Each task is one file in this folder and one line in task/types.h. */
#ifndef PERTURB_TASK_TASK_H
#define PERTURB_TASK_TASK_H

#include "perturb/config.h"
#include "perturb/data.h"
#include "perturb/error.h"
#include "perturb/plugin.h"
#include "perturb/solver.h"

/* The metrics a task reports (the PT_PLUGIN_METRIC_* bits of perturb/plugin.h):
 * PT_METRIC_RANKING: Spearman correlation and exact rankings of θ against the
 * target ranking; PT_METRIC_ACCURACY: the share of instances whose solution
 * y*(θ) equals the target y (for classification: the accuracy). */
#define PT_METRIC_RANKING PT_PLUGIN_METRIC_RANKING
#define PT_METRIC_ACCURACY PT_PLUGIN_METRIC_ACCURACY
/* PT_METRIC_PATH: shortest paths with known true costs c: the share of
 * predicted paths y*(θ) whose cost ⟨c, y*(θ)⟩ is the optimal ⟨c, y*(−c)⟩, the
 * mean cost ratio and the normalised regret (metrics.h). Not a plug-in bit. */
#define PT_METRIC_PATH 0x100u

/* How the model's scores θ become the decision the metrics judge
 * (task.decision): PT_DECISION_SOLVER, the solver's solution y*(θ), always
 * feasible; PT_DECISION_THRESHOLD, the entries of θ above 1/2 — for a model
 * that regresses a 0/1 target itself (the squared-loss baseline of the
 * paper's shortest paths), whose decisions need not be feasible. */
typedef enum pt_task_decision { PT_DECISION_SOLVER = 0, PT_DECISION_THRESHOLD = 1 } pt_task_decision;

typedef struct pt_task pt_task;

typedef struct pt_task_type {
  const char *name; /* the task.kind value */
  const char *doc;  /* one line for the docs */
  /* Checks that `train` (named `origin` in messages) encodes this task's
   * targets, and sets t->solver (of dimension train->d) and t->metrics.
   * PT_ECONFIG or PT_EFORMAT with one line. Not collective. */
  pt_status (*setup)(pt_task *t, const pt_config *cfg, const pt_dataset *train, const char *origin);
  /* Checks another part (the test data) against the task (may be NULL: no check beyond the shape). */
  pt_status (*check)(const pt_task *t, const pt_dataset *ds, const char *origin);
  /* Frees what setup made beyond the solver, the solver first if it lives in
   * it (a plugin's solver before its library); pt_task_free() frees a solver
   * left. NULL: nothing. Must accept a task whose setup failed. */
  void (*release)(pt_task *t);
} pt_task_type;

struct pt_task {
  const pt_task_type *type;
  pt_solver *solver; /* owned */
  unsigned metrics;  /* PT_METRIC_* bits */
  pt_task_decision decision; /* task.decision */
  void *handle;      /* the plugin's library (plugin) */
  double *work;      /* owned; a task's scratch for its metrics (shortest_path: pt_path_add's), or NULL */
};

#define PT_TASK_DECLARE(name) extern const pt_task_type pt_task_##name;
#include "task/types.h"
PT_TASK_TYPES(PT_TASK_DECLARE)
#undef PT_TASK_DECLARE

/* The table of tasks in the order of task/types.h, ended by NULL (static
 * storage). Not collective. */
const pt_task_type *const *pt_task_types(void);

/* The task named `name`, or NULL (also for a NULL name). Not collective. */
const pt_task_type *pt_task_type_by_name(const char *name);

/* The task of the configuration's [task] section for the training data
 * `train`, named `origin` in messages (task.kind = auto: the dataset's own
 * task attribute, "ranking" or "classification"; any other attribute is an
 * error asking to set task.kind). *out owns a solver of dimension train->d.
 * PT_ECONFIG or PT_EFORMAT with one line for an unknown task or data that
 * do not fit it; *out is NULL then. Not collective: every rank calls it and
 * gets the same result for the same data and files. */
pt_status pt_task_from_config(const pt_config *cfg, const pt_dataset *train, const char *origin, pt_task **out);

/* Checks another part of the data (the test data, named `origin`) against
 * the task made from the training data: the task's own check, then the
 * dimension (PT_EFORMAT with one line). Not collective. */
pt_status pt_task_check(const pt_task *t, const pt_dataset *ds, const char *origin);

/* The decision for the scores theta into y [d] (t->decision: the solver's
 * solution, or 1 where θ_j > 1/2 and 0 elsewhere). Uses the solver's
 * workspace. PT_EDOM for a non-finite θ, PT_ESOLVER for a plugin's failure.
 * Local. */
pt_status pt_task_decide(const pt_task *t, const double *theta, double *y);

/* Frees the task: its type's release, then the solver if release left it.
 * NULL-safe; clears the handle. Not collective. */
void pt_task_free(pt_task **t);

#endif
