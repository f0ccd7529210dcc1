/**
 * @file perturb/solver.h
 * @brief Linear maximisation oracles y*(θ) = argmax_{y ∈ C} ⟨y, θ⟩.
 *
 * A ::pt_solver is an opaque, immutable description of a problem (its kind and
 * sizes) plus a private workspace for the convenience calls below. Every
 * solver breaks ties deterministically, so y*(θ) is a function of θ.
 *
 * | solver     | dimension d       | y*(θ)                                                    |
 * |------------|-------------------|----------------------------------------------------------|
 * | argmax     | d                 | one-hot at the largest θ_j (ties: smallest j)            |
 * | ranking    | d                 | y_j = d − rank_j, rank 1 = largest θ (ties: smaller j ranks higher); vertex of the permutahedron of (0..d−1) |
 * | top-k      | d                 | 1 on the k largest θ_j (ties: smaller j first), 0 elsewhere |
 * | grid path  | rows·cols         | 0/1 indicator of the vertices of a cheapest path from the top-left to the bottom-right vertex, 8-neighbour moves, vertex costs c = −θ ≥ 0 (Dijkstra) |
 * | DAG path   | rows(cols−1) + (rows−1)cols | 0/1 indicator of the edges of a cheapest right/down path from the top-left to the bottom-right vertex, edge costs c = −θ of any sign (dynamic programming) |
 * | callback   | d                 | whatever the user's function returns                     |
 *
 * Grid layouts are row-major. For the DAG path the first rows·(cols−1)
 * entries are the edges (r,c)→(r,c+1) at index r·(cols−1)+c, followed by the
 * edges (r,c)→(r+1,c) at index rows·(cols−1) + r·cols + c.
 *
 * Objects follow PETSc's rule: pt_solver_free() is NULL-safe and clears the
 * handle. Every *_alloc sets *out to NULL when it fails. None of these calls
 * is collective.
 */
#ifndef PERTURB_SOLVER_H
#define PERTURB_SOLVER_H

#include <stddef.h>
#include "perturb/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque solver handle. */
typedef struct pt_solver pt_solver;

/**
 * A user's solver: writes y*(θ) for the @p d entries of @p theta into @p y.
 * Returns 0 on success; any other value is reported as #PT_ESOLVER (the
 * function may call pt_error() first to leave a more precise message).
 * @p ctx is the pointer given to pt_solver_callback_alloc().
 */
typedef int (*pt_solve_fn)(void *ctx, size_t d, const double *theta, double *y);

/** Argmax over the unit simplex (one-hot vectors) in dimension @p d ≥ 1. */
pt_status pt_solver_argmax_alloc(size_t d, pt_solver **out);

/** Ranking over the permutahedron of (0, …, d−1), @p d ≥ 1, O(d log d). */
pt_status pt_solver_ranking_alloc(size_t d, pt_solver **out);

/** Top-k selection: 0/1 vectors with @p k ones, 1 ≤ k ≤ d. */
pt_status pt_solver_topk_alloc(size_t d, size_t k, pt_solver **out);

/**
 * Shortest path on a @p rows × @p cols grid of vertex costs with 8-neighbour
 * moves, top-left to bottom-right (the Warcraft setting). The cost of a path
 * is the sum of the costs of its vertices, both ends included. θ = −cost, and
 * solving fails with #PT_EDOM if any cost is negative (θ_j > 0).
 * Perturbed (perturb/perturbed.h), a negative perturbed cost never reaches
 * it: additive noise θ + εZ is cut at 0 (a perturbed cost below zero counts
 * as zero), multiplicative noise keeps every sign; the blackbox loss cuts its
 * shifted θ the same way (perturb/loss.h).
 */
pt_status pt_solver_grid_path_alloc(size_t rows, size_t cols, pt_solver **out);

/**
 * Shortest path on a @p rows × @p cols grid graph with edge costs and moves
 * right or down, top-left to bottom-right (a DAG; costs may have any sign,
 * so perturbed costs are used as they are).
 * d = rows·(cols−1) + (rows−1)·cols; see the file comment for the edge order.
 * Ties prefer the move right: among optimal paths, the one that moves right
 * whenever a right move is still optimal.
 */
pt_status pt_solver_dag_path_alloc(size_t rows, size_t cols, pt_solver **out);

/**
 * Wraps a user's solver @p solve of dimension @p d. @p ctx is passed back on
 * every call and is not owned by the solver. The value F(θ) is computed as
 * ⟨y*(θ), θ⟩.
 */
pt_status pt_solver_callback_alloc(size_t d, pt_solve_fn solve, void *ctx, pt_solver **out);

/** Frees @p *s (NULL-safe) and sets @p *s to NULL. */
void pt_solver_free(pt_solver **s);

/** Dimension d of θ and y. */
size_t pt_solver_dim(const pt_solver *s);

/** Name of the solver kind: "argmax", "ranking", "topk", "grid_path", "dag_path", "callback". */
const char *pt_solver_name(const pt_solver *s);

/**
 * Nonzero if every output of @p s is integer-valued (all built-in solvers).
 * Sums of such outputs over samples are exact in double while M·max|y| < 2^53,
 * which perturb relies on for reproducibility across rank counts.
 */
int pt_solver_is_integral(const pt_solver *s);

/**
 * y = y*(θ). Checks that θ is finite. Uses the solver's own workspace, so a
 * solver object must not be used by two threads at once.
 */
pt_status pt_solver_solve(pt_solver *s, const double *theta, double *y);

/** *value = F(θ) = max_{y ∈ C} ⟨y, θ⟩ = ⟨y*(θ), θ⟩. Checks that θ is finite. */
pt_status pt_solver_value(pt_solver *s, const double *theta, double *value);

#ifdef __cplusplus
}
#endif
#endif
