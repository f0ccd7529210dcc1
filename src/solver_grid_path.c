/* solver_grid_path.c: cheapest 8-neighbour path on a grid of vertex costs
 * (Dijkstra with an indexed binary heap), as in the Warcraft experiment. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "solver_impl.h"

/* Workspace: dist[V] doubles, then prev[V], heap[V], pos[V] as int32. */
static size_t grid_work_size(const pt_solver *s) {
  return s->d * (sizeof(double) + 3 * sizeof(int32_t));
}

/* Heap order: smaller distance first, then smaller vertex index, so the
 * order in which vertices settle — and hence the path — is deterministic. */
static inline int heap_less(const double *dist, int32_t a, int32_t b) {
  return dist[a] < dist[b] || (dist[a] == dist[b] && a < b);
}

static void heap_up(int32_t *heap, int32_t *pos, const double *dist, int32_t i) {
  int32_t v = heap[i];
  while (i > 0) {
    int32_t parent = (i - 1) / 2;
    if (!heap_less(dist, v, heap[parent])) break;
    heap[i] = heap[parent];
    pos[heap[i]] = i;
    i = parent;
  }
  heap[i] = v;
  pos[v] = i;
}

static void heap_down(int32_t *heap, int32_t *pos, const double *dist, int32_t n, int32_t i) {
  int32_t v = heap[i];
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap_less(dist, heap[c + 1], heap[c])) c++;
    if (!heap_less(dist, heap[c], v)) break;
    heap[i] = heap[c];
    pos[heap[i]] = i;
    i = c;
  }
  heap[i] = v;
  pos[v] = i;
}

static pt_status grid_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  const int32_t rows = (int32_t)s->rows, cols = (int32_t)s->cols, V = rows * cols;
  for (int32_t v = 0; v < V; v++)
    if (theta[v] > 0)
      return pt_error(PT_EDOM,
                      "grid_path: vertex (%d,%d) has negative cost %g (theta = -cost must be <= 0); "
                      "Dijkstra needs non-negative costs",
                      (int)(v / cols), (int)(v % cols), -theta[v]);
  double *dist = work;
  int32_t *prev = (int32_t *)(dist + V);
  int32_t *heap = prev + V;
  int32_t *pos = heap + V; /* −1: not yet in the heap, −2: settled */
  for (int32_t v = 0; v < V; v++) {
    dist[v] = INFINITY;
    prev[v] = -1;
    pos[v] = -1;
  }
  dist[0] = -theta[0];
  heap[0] = 0;
  pos[0] = 0;
  int32_t n = 1;
  const int32_t target = V - 1;
  while (n > 0) {
    int32_t u = heap[0];
    heap[0] = heap[--n];
    pos[heap[0]] = 0;
    if (n > 0) heap_down(heap, pos, dist, n, 0);
    pos[u] = -2;
    if (u == target) break;
    const int32_t ur = u / cols, uc = u % cols;
    for (int32_t dr = -1; dr <= 1; dr++) {
      for (int32_t dc = -1; dc <= 1; dc++) {
        const int32_t r = ur + dr, c = uc + dc;
        if ((dr == 0 && dc == 0) || r < 0 || r >= rows || c < 0 || c >= cols) continue;
        const int32_t v = r * cols + c;
        if (pos[v] == -2) continue;
        const double nd = dist[u] - theta[v];
        if (nd < dist[v]) {
          dist[v] = nd;
          prev[v] = u;
          if (pos[v] == -1) {
            heap[n] = v;
            pos[v] = n;
            n++;
          }
          heap_up(heap, pos, dist, pos[v]);
        }
      }
    }
  }
  memset(y, 0, (size_t)V * sizeof *y);
  for (int32_t v = target; v != -1; v = prev[v]) y[v] = 1.0;
  return PT_OK;
}

static const pt_solver_type grid_type = {"grid_path", 1, grid_solve, grid_work_size, NULL, 1};

pt_status pt_solver_grid_path_alloc(size_t rows, size_t cols, pt_solver **out) {
  if (out) *out = NULL;
  if (rows < 1 || cols < 1 || rows > 46340 || cols > 46340 || rows * cols >= (size_t)1 << 31)
    return pt_error(PT_EINVAL, "pt_solver_grid_path_alloc: grid %zu x %zu is empty or too large", rows, cols);
  pt_solver proto = {0};
  proto.rows = rows;
  proto.cols = cols;
  return pt_solver_create(&grid_type, rows * cols, "pt_solver_grid_path_alloc", out, &proto);
}
