/* shortest_path.c: learning to predict shortest paths (paper §5.3). The data
 * say which solver their paths come from and on which grid (attributes
 * solver, grid_rows, grid_cols): grid_path, the 8-neighbour grid with vertex
 * costs (Dijkstra: Warcraft maps), or dag_path, the grid with right and down
 * edges (the grid benchmark). θ = −(predicted costs); the target y is a path
 * (0/1 entries). With the true costs (/costs) the metrics are the share of
 * optimal paths, the cost ratio and the regret (PT_METRIC_PATH), else the
 * share of paths equal to the target (PT_METRIC_ACCURACY). */
#include "task/task.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data_impl.h"
#include "solver_impl.h"

/* The data's shape for the task: a solver and grid, paths of its graph, and
 * images (if any) that split into the grid's cells. */
static pt_status check_paths(const pt_dataset *ds, const char *origin) {
  if (ds->solver[0] == '\0')
    return pt_error(PT_EFORMAT, "task.kind = shortest_path needs paths with a solver and a grid (attributes solver, "
                                "grid_rows, grid_cols); '%s' is a '%s' dataset",
                    origin, ds->task[0] ? ds->task : "unnamed");
  /* the rows themselves (0/1 paths of the graph, costs) were checked where
   * the data were made or loaded (pt_paths_check_rows), naming file rows */
  const size_t rows = ds->grid_rows, cols = ds->grid_cols, grid = strcmp(ds->solver, "grid_path") == 0;
  if (ds->channels && grid &&
      (ds->height % rows || ds->width % cols || ds->height / rows != ds->width / cols || ds->height < rows))
    return pt_error(PT_EFORMAT, "'%s': images of %zu x %zu pixels do not split into the %zu x %zu grid's square cells",
                    origin, ds->height, ds->width, rows, cols);
  return PT_OK;
}

static pt_status paths_check(const pt_task *t, const pt_dataset *ds, const char *origin) {
  /* the same graph as the training data's: a transposed grid (3 x 4 against
   * 4 x 3) or another solver can have the same dimension */
  if (ds->solver[0] != '\0' && (strcmp(ds->solver, t->solver->type->name) != 0 || ds->grid_rows != t->solver->rows ||
                                 ds->grid_cols != t->solver->cols))
    return pt_error(PT_EFORMAT, "'%s' holds %s paths on a %zu x %zu grid, the training data %s paths on %zu x %zu",
                    origin, ds->solver, ds->grid_rows, ds->grid_cols, t->solver->type->name, t->solver->rows,
                    t->solver->cols);
  if ((t->metrics & PT_METRIC_PATH) && ds->costs == NULL)
    return pt_error(PT_EFORMAT, "'%s' has no true costs (/costs), the training data have: the path metrics need them "
                                "in both parts", origin);
  return check_paths(ds, origin);
}

static pt_status paths_setup(pt_task *t, const pt_config *cfg, const pt_dataset *train, const char *origin) {
  (void)cfg;
  PT_TRY(check_paths(train, origin));
  t->metrics = train->costs ? PT_METRIC_PATH : PT_METRIC_ACCURACY;
  /* the metrics' scratch: three paths, then the path check's (pt_path_add) */
  t->work = malloc(3 * train->d * sizeof *t->work + pt_paths_scratch_bytes(train->grid_rows, train->grid_cols));
  if (t->work == NULL) return pt_error(PT_ENOMEM, "out of memory for the task");
  return strcmp(train->solver, "grid_path") == 0
           ? pt_solver_grid_path_alloc(train->grid_rows, train->grid_cols, &t->solver)
           : pt_solver_dag_path_alloc(train->grid_rows, train->grid_cols, &t->solver);
}

const pt_task_type pt_task_shortest_path = {
  "shortest_path",
  "shortest paths: /Y paths of grid_path (vertex costs) or dag_path (edge costs), /costs for optimal, cost ratio, "
  "regret",
  paths_setup, paths_check, NULL};
