/* task.c: the table of tasks (task/types.h), the task of a configuration's
 * [task] section, and what every task shares: the checks of its result. */
#include "task/task.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PT_TASK_ROW(name) &pt_task_##name,
static const pt_task_type *const table[] = {PT_TASK_TYPES(PT_TASK_ROW) NULL};
#undef PT_TASK_ROW

const pt_task_type *const *pt_task_types(void) { return table; }

const pt_task_type *pt_task_type_by_name(const char *name) {
  if (name == NULL) return NULL;
  for (const pt_task_type *const *t = table; *t != NULL; t++)
    if (strcmp((*t)->name, name) == 0) return *t;
  return NULL;
}

/* The task.kind that `auto` means for the data: their own task attribute,
 * when a built-in task knows how such data encode their targets. */
static pt_status auto_kind(const pt_dataset *train, const char *origin, const char **kind) {
  if (strcmp(train->task, "ranking") == 0 || strcmp(train->task, "classification") == 0 ||
      strcmp(train->task, "shortest_path") == 0) {
    *kind = train->task;
    return PT_OK;
  }
  return pt_error(PT_ECONFIG,
                  "'%s' is a '%s' dataset, which task.kind = auto cannot train (it knows ranking, "
                  "classification and shortest_path data): set task.kind, e.g. task.kind = plugin with task.plugin = the "
                  "library of its solver",
                  origin, train->task);
}

pt_status pt_task_from_config(const pt_config *cfg, const pt_dataset *train, const char *origin, pt_task **out) {
  static const char fn[] = "pt_task_from_config";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, cfg);
  PT_CHECK_PTR(fn, train);
  if (origin == NULL) origin = train->name[0] ? train->name : "the training data";
  const char *kind;
  PT_TRY(pt_config_get_string(cfg, "task.kind", &kind));
  if (strcmp(kind, "auto") == 0) PT_TRY(auto_kind(train, origin, &kind));
  const pt_task_type *type = pt_task_type_by_name(kind);
  if (type == NULL) return pt_error(PT_ECONFIG, "task.kind = '%s' is not a task", kind);
  pt_task *t = calloc(1, sizeof *t);
  if (t == NULL) return pt_error(PT_ENOMEM, "out of memory for the task");
  t->type = type;
  pt_status st = type->setup(t, cfg, train, origin);
  /* What every task promises the training loop, checked once here so that a
   * new task's mistake shows as a message, not as a wrong metric. */
  if (st == PT_OK && (t->solver == NULL || pt_solver_dim(t->solver) != train->d))
    st = pt_error(PT_EINVAL, "task %s: its solver has dimension %zu, the data (%s) %zu", type->name,
                  t->solver ? pt_solver_dim(t->solver) : 0, origin, train->d);
  if (st == PT_OK && (t->metrics & ~(unsigned)(PT_METRIC_RANKING | PT_METRIC_ACCURACY | PT_METRIC_PATH)) != 0)
    st = pt_error(PT_EINVAL, "task %s: unknown metric bits 0x%x", type->name, t->metrics);
  const char *decision = NULL;
  if (st == PT_OK) st = pt_config_get_string(cfg, "task.decision", &decision);
  if (st == PT_OK && strcmp(decision, "threshold") == 0) {
    t->decision = PT_DECISION_THRESHOLD;
    /* a ranking's target is d − rank, not 0/1: no threshold makes it */
    if (t->metrics & PT_METRIC_RANKING)
      st = pt_error(PT_ECONFIG, "task.decision = threshold needs 0/1 targets (classification, shortest_path); "
                                "task %s ranks labels: use task.decision = solver", type->name);
  }
  if (st != PT_OK) {
    pt_task_free(&t);
    return st;
  }
  *out = t;
  return PT_OK;
}

pt_status pt_task_check(const pt_task *t, const pt_dataset *ds, const char *origin) {
  static const char fn[] = "pt_task_check";
  PT_CHECK_PTR(fn, t);
  PT_CHECK_PTR(fn, ds);
  if (origin == NULL) origin = ds->name[0] ? ds->name : "the test data";
  if (t->type->check != NULL) PT_TRY(t->type->check(t, ds, origin));
  const size_t d = pt_solver_dim(t->solver);
  if (ds->d != d)
    return pt_error(PT_EFORMAT, "'%s' has targets of dimension %zu, the training data %zu (task %s)", origin,
                    ds->d, d, t->type->name);
  return PT_OK;
}

pt_status pt_task_decide(const pt_task *t, const double *theta, double *y) {
  if (t->decision == PT_DECISION_SOLVER) return pt_solver_solve(t->solver, theta, y);
  const size_t d = pt_solver_dim(t->solver);
  PT_TRY(pt_check_finite("pt_task_decide", "theta", d, theta));
  for (size_t j = 0; j < d; j++) y[j] = theta[j] > 0.5 ? 1.0 : 0.0;
  return PT_OK;
}

void pt_task_free(pt_task **t) {
  if (t == NULL || *t == NULL) return;
  if ((*t)->type->release != NULL) (*t)->type->release(*t);
  pt_solver_free(&(*t)->solver);
  free((*t)->work);
  free(*t);
  *t = NULL;
}
