/* ranking.c: label ranking. The data hold rankings (/ranks, 1 = top) and
 * Y = d − rank, the vertex of the permutahedron the ranking solver returns;
 * the metrics are Spearman's correlation and exact rankings. */
#include "task/task.h"

/* The name of the data's own task for messages ("a classification dataset"). */
static const char *kind_of(const pt_dataset *ds) { return ds->task[0] ? ds->task : "unnamed"; }

static pt_status ranking_check(const pt_task *t, const pt_dataset *ds, const char *origin) {
  (void)t;
  if (ds->ranks == NULL)
    return pt_error(PT_EFORMAT, "task.kind = ranking needs rankings (/ranks); '%s' is a %s dataset", origin,
                    kind_of(ds));
  return PT_OK;
}

static pt_status ranking_setup(pt_task *t, const pt_config *cfg, const pt_dataset *train, const char *origin) {
  (void)cfg;
  pt_status st = ranking_check(t, train, origin);
  if (st != PT_OK) return st;
  t->metrics = PT_METRIC_RANKING;
  return pt_solver_ranking_alloc(train->d, &t->solver);
}

const pt_task_type pt_task_ranking = {"ranking",
                                      "label ranking: /ranks, the ranking solver, Spearman and exact rankings",
                                      ranking_setup, ranking_check, NULL};
