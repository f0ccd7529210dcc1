/* solver_ranking.c: ranking (permutahedron) and top-k, both from one sort. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "solver_impl.h"
#include "sort.h"

/* Workspace: the sort's, followed by d order indices. */
static size_t sort_work_size(const pt_solver *s) { return pt_sort_work_size(s->d) + s->d * sizeof(uint32_t); }

static inline uint32_t *sort_order(const pt_solver *s, const double *theta, void *work) {
  uint32_t *order = (uint32_t *)((char *)work + pt_sort_work_size(s->d));
  pt_sort_order(s->d, theta, work, order);
  return order;
}

/* Small d: each entry's position by counting (sort.h), no sort; the order
 * area of the workspace holds the positions. */
static inline const uint32_t *sort_positions(const pt_solver *s, const double *theta, void *work) {
  uint32_t *pos = (uint32_t *)((char *)work + pt_sort_work_size(s->d));
  pt_sort_positions(s->d, theta, work, pos);
  return pos;
}

static pt_status ranking_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  /* The k-th smallest entry gets k: y_j = d − rank_j with rank 1 the largest. */
  if (s->d <= PT_SORT_POSITIONS_MAX) {
    const uint32_t *pos = sort_positions(s, theta, work);
    for (size_t j = 0; j < s->d; j++) y[j] = (double)pos[j];
    return PT_OK;
  }
  const uint32_t *order = sort_order(s, theta, work);
  for (size_t k = 0; k < s->d; k++) y[order[k]] = (double)k;
  return PT_OK;
}

static pt_status ranking_solve_add(const pt_solver *s, const double *theta, double *ysum, double *value,
                                   void *work) {
  const uint32_t *order;
  uint32_t small_order[PT_SORT_POSITIONS_MAX];
  if (s->d <= PT_SORT_POSITIONS_MAX) {
    const uint32_t *pos = sort_positions(s, theta, work);
    for (size_t j = 0; j < s->d; j++) ysum[j] += (double)pos[j];
    if (value == NULL) return PT_OK;
    for (size_t j = 0; j < s->d; j++) small_order[pos[j]] = (uint32_t)j;
    order = small_order;
  } else {
    order = sort_order(s, theta, work);
    for (size_t k = 0; k < s->d; k++) ysum[order[k]] += (double)k;
  }
  if (value) {
    /* F(θ) = ⟨y*, θ⟩ = Σ_k k·θ_order[k], summed in rank order (so its last
     * bits may differ from a sum in index order) */
    double v = 0.0;
    for (size_t k = 1; k < s->d; k++) v += (double)k * theta[order[k]];
    *value = v;
  }
  return PT_OK;
}

static pt_status topk_solve(const pt_solver *s, const double *theta, double *y, void *work) {
  if (s->d <= PT_SORT_POSITIONS_MAX) {
    const uint32_t *pos = sort_positions(s, theta, work);
    for (size_t j = 0; j < s->d; j++) y[j] = pos[j] >= s->d - s->k ? 1.0 : 0.0;
    return PT_OK;
  }
  const uint32_t *order = sort_order(s, theta, work);
  memset(y, 0, s->d * sizeof *y);
  for (size_t k = s->d - s->k; k < s->d; k++) y[order[k]] = 1.0;
  return PT_OK;
}

static const pt_solver_type ranking_type = {"ranking", 1, ranking_solve, sort_work_size, ranking_solve_add, 0};
static const pt_solver_type topk_type = {"topk", 1, topk_solve, sort_work_size, NULL, 0};

pt_status pt_solver_ranking_alloc(size_t d, pt_solver **out) {
  pt_solver proto = {0};
  return pt_solver_create(&ranking_type, d, "pt_solver_ranking_alloc", out, &proto);
}

pt_status pt_solver_topk_alloc(size_t d, size_t k, pt_solver **out) {
  if (k < 1 || k > d) {
    if (out) *out = NULL;
    return pt_error(PT_EINVAL, "pt_solver_topk_alloc: k must be in 1..d = 1..%zu (got %zu)", d, k);
  }
  pt_solver proto = {0};
  proto.k = k;
  return pt_solver_create(&topk_type, d, "pt_solver_topk_alloc", out, &proto);
}
