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

/* y is a right/down walk (0,0) → (rows−1, cols−1) and nothing else: from
 * each vertex exactly one outgoing edge of the path, rows + cols − 2 in all. */
static int is_dag_path(size_t rows, size_t cols, const double *y) {
  const double *right = y, *down = y + rows * (cols - 1);
  size_t r = 0, c = 0, used = 0, ones = 0;
  for (size_t j = 0; j < rows * (cols - 1) + (rows - 1) * cols; j++) ones += y[j] == 1.0;
  while (r < rows - 1 || c < cols - 1) {
    const int go_right = c < cols - 1 && right[r * (cols - 1) + c] == 1.0;
    const int go_down = r < rows - 1 && down[r * cols + c] == 1.0;
    if (go_right == go_down) return 0; /* a dead end or a fork */
    if (go_right) c++;
    else r++;
    used++;
  }
  return used == ones;
}

/* y marks vertices of the rows × cols grid: both corners, and every marked
 * vertex reached from (0, 0) through marked 8-neighbours (a connected set
 * joining the corners: what a cheapest path with non-negative costs is,
 * allowing the zero-cost detours ties can make). `stack` holds rows·cols. */
static int is_grid_path(size_t rows, size_t cols, const double *y, size_t *stack, unsigned char *seen) {
  const size_t V = rows * cols;
  if (y[0] != 1.0 || y[V - 1] != 1.0) return 0;
  memset(seen, 0, V);
  size_t top = 0, reached = 0, marked = 0;
  for (size_t v = 0; v < V; v++) marked += y[v] == 1.0;
  stack[top++] = 0;
  seen[0] = 1;
  while (top > 0) {
    const size_t u = stack[--top], ur = u / cols, uc = u % cols;
    reached++;
    for (int dr = -1; dr <= 1; dr++)
      for (int dc = -1; dc <= 1; dc++) {
        const long r = (long)ur + dr, c = (long)uc + dc;
        if ((dr == 0 && dc == 0) || r < 0 || c < 0 || r >= (long)rows || c >= (long)cols) continue;
        const size_t v = (size_t)r * cols + (size_t)c;
        if (y[v] == 1.0 && !seen[v]) {
          seen[v] = 1;
          stack[top++] = v;
        }
      }
  }
  return reached == marked && seen[V - 1];
}

/* The data's shape for the task: a solver and grid, paths of its graph, and
 * images (if any) that split into the grid's cells. */
static pt_status check_paths(const pt_dataset *ds, const char *origin) {
  if (ds->solver[0] == '\0')
    return pt_error(PT_EFORMAT, "task.kind = shortest_path needs paths with a solver and a grid (attributes solver, "
                                "grid_rows, grid_cols); '%s' is a '%s' dataset",
                    origin, ds->task[0] ? ds->task : "unnamed");
  PT_TRY(pt_paths_check_rows("shortest_path", origin, ds->solver, ds->grid_rows, ds->grid_cols, ds->n, ds->d, ds->Y,
                             ds->costs, 0));
  const size_t rows = ds->grid_rows, cols = ds->grid_cols, grid = strcmp(ds->solver, "grid_path") == 0;
  if (ds->channels && grid &&
      (ds->height % rows || ds->width % cols || ds->height / rows != ds->width / cols || ds->height < rows))
    return pt_error(PT_EFORMAT, "'%s': images of %zu x %zu pixels do not split into the %zu x %zu grid's square cells",
                    origin, ds->height, ds->width, rows, cols);
  size_t *stack = grid ? malloc(rows * cols * sizeof *stack) : NULL;
  unsigned char *seen = grid ? malloc(rows * cols) : NULL;
  pt_status st = grid && (!stack || !seen) ? pt_error(PT_ENOMEM, "out of memory checking the paths") : PT_OK;
  for (size_t i = 0; i < ds->n && st == PT_OK; i++) {
    const double *y = ds->Y + i * ds->d;
    if (grid ? !is_grid_path(rows, cols, y, stack, seen) : !is_dag_path(rows, cols, y))
      st = pt_error(PT_EFORMAT,
                    grid ? "'%s': /Y row %zu is not a path of the %zu x %zu grid (grid_path: both corners and a set "
                           "of vertices connected through their 8 neighbours)"
                         : "'%s': /Y row %zu is not a path of the %zu x %zu grid (dag_path: one right or down edge "
                           "from each vertex, from the top-left to the bottom-right corner)",
                    origin, i, rows, cols);
  }
  free(stack);
  free(seen);
  return st;
}

static pt_status paths_check(const pt_task *t, const pt_dataset *ds, const char *origin) {
  if ((t->metrics & PT_METRIC_PATH) && ds->costs == NULL)
    return pt_error(PT_EFORMAT, "'%s' has no true costs (/costs), the training data have: the path metrics need them "
                                "in both parts", origin);
  return check_paths(ds, origin);
}

static pt_status paths_setup(pt_task *t, const pt_config *cfg, const pt_dataset *train, const char *origin) {
  (void)cfg;
  PT_TRY(check_paths(train, origin));
  t->metrics = train->costs ? PT_METRIC_PATH : PT_METRIC_ACCURACY;
  t->work = malloc(3 * train->d * sizeof *t->work);
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
