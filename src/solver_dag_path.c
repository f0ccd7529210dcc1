/* solver_dag_path.c: best right/down path on a grid graph with edge weights
 * θ = −cost (any sign), by dynamic programming over the DAG. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "solver_impl.h"

/* Workspace: best[V] doubles, then from_left[V] bytes. */
static size_t dag_work_size(const pt_solver *s) {
  return s->rows * s->cols * (sizeof(double) + 1);
}

static pt_status dag_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  const size_t rows = s->rows, cols = s->cols;
  const double *right = theta;                     /* (r,c)→(r,c+1): r·(cols−1)+c */
  const double *down = theta + rows * (cols - 1);  /* (r,c)→(r+1,c): r·cols+c */
  double *best = work;
  unsigned char *from_left = (unsigned char *)(best + rows * cols);
  for (size_t r = 0; r < rows; r++) {
    for (size_t c = 0; c < cols; c++) {
      const size_t v = r * cols + c;
      if (r == 0 && c == 0) {
        best[v] = 0.0;
        continue;
      }
      const int has_left = c > 0, has_up = r > 0;
      const double via_left = has_left ? best[v - 1] + right[r * (cols - 1) + c - 1] : 0.0;
      const double via_up = has_up ? best[v - cols] + down[(r - 1) * cols + c] : 0.0;
      /* Ties prefer arriving from above. Traced back from the end, this picks
       * the highest optimal path: read from the start it moves right whenever
       * a right move is still optimal (optimal paths that cross can swap
       * prefixes, so that path exists and is unique). */
      if (has_left && (!has_up || via_left > via_up)) {
        best[v] = via_left;
        from_left[v] = 1;
      } else {
        best[v] = via_up;
        from_left[v] = 0;
      }
    }
  }
  memset(y, 0, s->d * sizeof *y);
  size_t r = rows - 1, c = cols - 1;
  while (r > 0 || c > 0) {
    if (from_left[r * cols + c]) {
      c--;
      y[r * (cols - 1) + c] = 1.0;
    } else {
      r--;
      y[rows * (cols - 1) + r * cols + c] = 1.0;
    }
  }
  return PT_OK;
}

static const pt_solver_type dag_type = {"dag_path", 1, dag_solve, dag_work_size, NULL, 0};

pt_status pt_solver_dag_path_alloc(size_t rows, size_t cols, pt_solver **out) {
  if (out) *out = NULL;
  if (rows < 1 || cols < 1 || rows * cols < 2 || rows > 46340 || cols > 46340)
    return pt_error(PT_EINVAL, "pt_solver_dag_path_alloc: grid %zu x %zu must have 2 or more vertices and fit in memory",
                    rows, cols);
  pt_solver proto = {0};
  proto.rows = rows;
  proto.cols = cols;
  return pt_solver_create(&dag_type, rows * (cols - 1) + (rows - 1) * cols, "pt_solver_dag_path_alloc", out, &proto);
}
