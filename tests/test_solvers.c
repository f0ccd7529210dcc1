/* test_solvers.c: every built-in solver agrees with brute force.
 *
 * What this file proves, for fixed-seed random inputs:
 *  - argmax, ranking and top-k (every k) return a vertex of their polytope
 *    whose objective ⟨y*,θ⟩ is the maximum over ALL vertices, enumerated
 *    explicitly for d = 1..7; for continuous θ the output is the unique
 *    maximiser, and for θ with ties it is the maximiser the documented tie
 *    rule picks;
 *  - grid_path (8-neighbour vertex costs) and dag_path (right/down edge costs
 *    of any sign) return a valid path indicator whose cost equals the optimum
 *    found by an independent Bellman–Ford, on every grid shape up to 8×8;
 *    dag_path follows its documented tie rule ("ties prefer the move right");
 *  - pt_solver_value(θ) = ⟨y*(θ),θ⟩ for every kind, the callback included;
 *  - dim, name, is_integral and free behave as solver.h documents.
 *
 * The references share no code with the library: they enumerate vertices or
 * relax edges until nothing changes, so a bug in the library's sort, heap or
 * DP cannot hide in the reference as well. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "perturb/rng.h"
#include "testlib.h"

#define SEED 20240601u
#define MAX_D 7
#define MAX_SIDE 8
#define MAX_V (MAX_SIDE * MAX_SIDE)
#define MAX_E (2 * MAX_V)

/* Stream ids: one `epoch` value per test group, so groups never share numbers. */
enum { GROUP_POLY = 1, GROUP_CALLBACK = 2, GROUP_GRID = 3, GROUP_DAG = 4 };

/* ---- formatting for failure messages (only called once a check failed) -- */

static const char *vec_str(const double *x, size_t n) {
  static char buf[4][1024];
  static int slot = 0;
  char *b = buf[slot];
  slot = (slot + 1) % 4;
  size_t used = 0;
  b[0] = '\0';
  used += (size_t)snprintf(b + used, sizeof buf[0] - used, "[");
  for (size_t j = 0; j < n && used + 32 < sizeof buf[0]; j++)
    used += (size_t)snprintf(b + used, sizeof buf[0] - used, "%s%.17g", j ? ", " : "", x[j]);
  snprintf(b + used, sizeof buf[0] - used, "]");
  return b;
}

static double dot(size_t d, const double *a, const double *b) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) s += a[j] * b[j];
  return s;
}

/* The brute force sums in long double: with a 64-bit significand, ⟨v,θ⟩ is
 * exact for every θ family below (integer v ≤ 6, d ≤ 7), so exact ties are
 * real ties and the maximiser is the true one. */
static long double dot_exact(size_t d, const double *a, const double *b) {
  long double s = 0.0L;
  for (size_t j = 0; j < d; j++) s += (long double)a[j] * (long double)b[j];
  return s;
}

static int same_vec(size_t d, const double *a, const double *b) {
  for (size_t j = 0; j < d; j++)
    if (a[j] != b[j]) return 0;
  return 1;
}

/* Relative tolerance for objective values that may be summed in different
 * orders; for the vertices compared here both sums are usually bit-equal. */
static int close_rel(double a, double b) { return fabs(a - b) <= 1e-12 * (1.0 + fabs(b)); }

/* ---- polytope solvers: argmax, ranking, top-k ----------------------------- */

enum poly { POLY_ARGMAX, POLY_RANKING, POLY_TOPK };

typedef struct {
  size_t d, n;
  double *v; /* n vertices of dimension d, row-major */
} vertex_set;

static int next_permutation(int *p, size_t n) {
  if (n < 2) return 0;
  size_t i = n - 1;
  while (i > 0 && p[i - 1] >= p[i]) i--;
  if (i == 0) return 0;
  size_t j = n - 1;
  while (p[j] <= p[i - 1]) j--;
  int t = p[i - 1];
  p[i - 1] = p[j];
  p[j] = t;
  for (size_t a = i, b = n - 1; a < b; a++, b--) {
    t = p[a];
    p[a] = p[b];
    p[b] = t;
  }
  return 1;
}

static size_t factorial(size_t d) {
  size_t f = 1;
  for (size_t i = 2; i <= d; i++) f *= i;
  return f;
}

static size_t binomial(size_t n, size_t k) {
  size_t b = 1;
  for (size_t i = 1; i <= k; i++) b = b * (n - k + i) / i;
  return b;
}

static int popcount(unsigned x) {
  int c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/* All vertices of the polytope, built straight from its definition. */
static vertex_set enumerate_vertices(enum poly kind, size_t d, size_t k) {
  vertex_set s = {d, 0, NULL};
  if (kind == POLY_RANKING) {
    s.v = malloc(factorial(d) * d * sizeof *s.v);
    int p[MAX_D];
    for (size_t j = 0; j < d; j++) p[j] = (int)j;
    do {
      for (size_t j = 0; j < d; j++) s.v[s.n * d + j] = p[j];
      s.n++;
    } while (next_permutation(p, d));
  } else {
    const size_t ones = kind == POLY_ARGMAX ? 1 : k;
    s.v = malloc(binomial(d, ones) * d * sizeof *s.v);
    for (unsigned mask = 0; mask < (1u << d); mask++) {
      if ((size_t)popcount(mask) != ones) continue;
      for (size_t j = 0; j < d; j++) s.v[s.n * d + j] = (mask >> j) & 1u;
      s.n++;
    }
  }
  return s;
}

/* a > b lexicographically (index 0 most significant). */
static int lex_greater(size_t d, const double *a, const double *b) {
  for (size_t j = 0; j < d; j++)
    if (a[j] != b[j]) return a[j] > b[j];
  return 0;
}

/* Brute-force maximiser of ⟨v,θ⟩. Among exact maximisers it takes the
 * lexicographically largest vertex, which is each documented tie rule:
 * equal θ entries can swap their y values freely without changing the
 * objective, and lexicographic order hands the larger value to the smaller
 * index — "smaller j ranks higher" (ranking), "smaller j first" (top-k),
 * "smallest j" (argmax). Exact comparison is sound because every sum is
 * exact (see dot_exact and draw_theta). */
static size_t brute_best(const vertex_set *V, const double *theta, long double *best_val) {
  const size_t d = V->d;
  size_t best = 0;
  long double bv = dot_exact(d, V->v, theta);
  for (size_t i = 1; i < V->n; i++) {
    const double *v = V->v + i * d;
    const long double val = dot_exact(d, v, theta);
    if (val > bv || (val == bv && lex_greater(d, v, V->v + best * d))) {
      best = i;
      bv = val;
    }
  }
  *best_val = bv;
  return best;
}

/* Is y a vertex: a permutation of 0..d−1 (ranking), or 0/1 with `ones` ones? */
static int is_vertex(enum poly kind, size_t d, size_t k, const double *y) {
  if (kind == POLY_RANKING) {
    int seen[MAX_D] = {0};
    for (size_t j = 0; j < d; j++) {
      if (!(y[j] >= 0 && y[j] <= (double)(d - 1) && y[j] == floor(y[j]))) return 0;
      if (seen[(size_t)y[j]]++) return 0;
    }
    return 1;
  }
  const size_t ones = kind == POLY_ARGMAX ? 1 : k;
  size_t count = 0;
  for (size_t j = 0; j < d; j++) {
    if (y[j] != 0.0 && y[j] != 1.0) return 0;
    count += y[j] == 1.0;
  }
  return count == ones;
}

enum family { FAMILY_CONTINUOUS, FAMILY_TIED, FAMILY_LOWBITS, N_FAMILIES };
static const char *family_name[] = {"continuous", "tied", "low bits"};

/* θ for the polytope tests. Continuous: Gaussian, so ties have probability 0
 * and the maximiser is unique. Tied: every entry from a sub-pool of 1–3
 * values, so most draws tie (and all-equal θ occurs); the pool holds small
 * dyadic numbers, and both zeros, which must compare equal. Low bits:
 * ±(1 + k·2^−52), k = 0..7, values that differ only in the bits the sort
 * replaces by the index (sort.h), so only its exactness pass orders them
 * right; ties occur too. */
static void draw_theta(gsl_rng *r, size_t d, enum family fam, double *theta) {
  static const double pool[] = {-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0};
  const size_t npool = sizeof pool / sizeof *pool;
  if (fam == FAMILY_CONTINUOUS) {
    for (size_t j = 0; j < d; j++) theta[j] = gsl_ran_gaussian(r, 1.0);
    return;
  }
  if (fam == FAMILY_LOWBITS) {
    const double sign = gsl_rng_uniform_int(r, 2) ? 1.0 : -1.0;
    for (size_t j = 0; j < d; j++) theta[j] = sign * (1.0 + (double)gsl_rng_uniform_int(r, 8) * 0x1p-52);
    return;
  }
  double sub[3];
  const size_t m = 1 + gsl_rng_uniform_int(r, 3);
  for (size_t i = 0; i < m; i++) sub[i] = pool[gsl_rng_uniform_int(r, npool)];
  for (size_t j = 0; j < d; j++) theta[j] = sub[gsl_rng_uniform_int(r, m)];
}

static pt_status alloc_poly(enum poly kind, size_t d, size_t k, pt_solver **s) {
  switch (kind) {
  case POLY_ARGMAX: return pt_solver_argmax_alloc(d, s);
  case POLY_RANKING: return pt_solver_ranking_alloc(d, s);
  default: return pt_solver_topk_alloc(d, k, s);
  }
}

/* Checks one polytope solver on `ntheta` draws (cycling through the θ
 * families). Returns the number of failed checks. */
/* The low-bit family needs long double sums to be exact. */
#if LDBL_MANT_DIG >= 64
static const size_t n_families = N_FAMILIES;
#else
static const size_t n_families = FAMILY_LOWBITS;
#endif

static int run_polytope(enum poly kind, size_t d, size_t k, size_t ntheta, gsl_rng *r) {
  static const char *names[] = {"argmax", "ranking", "topk"};
  const int failures_before = pt_test_failures;
  char label[64];
  if (kind == POLY_TOPK) snprintf(label, sizeof label, "topk d=%zu k=%zu", d, k);
  else snprintf(label, sizeof label, "%s d=%zu", names[kind], d);

  pt_solver *s = NULL;
  CHECK_OK(alloc_poly(kind, d, k, &s));
  if (s == NULL) return pt_test_failures - failures_before;
  vertex_set V = enumerate_vertices(kind, d, k);
  const size_t want_n = kind == POLY_RANKING ? factorial(d) : binomial(d, kind == POLY_ARGMAX ? 1 : k);
  CHECK(V.n == want_n, "%s: enumerated %zu vertices, want %zu", label, V.n, want_n);

  double theta[MAX_D], y[MAX_D];
  for (size_t t = 0; t < ntheta; t++) {
    const enum family fam = (enum family)(t % n_families);
    const pt_rng_id id = {SEED, PT_PURPOSE_USER, GROUP_POLY, (uint64_t)(kind * 1000 + d * 10 + k), t};
    pt_rng_seek(r, &id);
    draw_theta(r, d, fam, theta);
    const char *kind_s = family_name[fam];

    CHECK_OK(pt_solver_solve(s, theta, y));
    const int vert = is_vertex(kind, d, k, y);
    CHECK(vert, "%s (%s): output is not a vertex: theta %s, y %s", label, kind_s,
          vert ? "" : vec_str(theta, d), vert ? "" : vec_str(y, d));

    long double best;
    const size_t b = brute_best(&V, theta, &best);
    const double *yb = V.v + b * d;
    const long double got_exact = dot_exact(d, y, theta);
    const double got = dot(d, y, theta);
    const int opt = got_exact == best || close_rel((double)got_exact, (double)best);
    CHECK(opt, "%s (%s): <y*,theta> = %.17Lg but the brute-force max is %.17Lg: theta %s, y %s, best vertex %s",
          label, kind_s, got_exact, best, opt ? "" : vec_str(theta, d), opt ? "" : vec_str(y, d),
          opt ? "" : vec_str(yb, d));

    /* Continuous θ: the maximiser is unique, so y* must be it exactly.
     * Tied θ: several vertices are optimal and only the documented rule
     * (lexicographically largest, see brute_best) is acceptable. Low-bit θ
     * may have either. */
    const int same = same_vec(d, y, yb);
    CHECK(same, "%s (%s): y* differs from the brute-force %s: theta %s, y %s, want %s", label, kind_s,
          fam == FAMILY_CONTINUOUS ? "unique argmax" : "argmax under the documented tie rule",
          same ? "" : vec_str(theta, d), same ? "" : vec_str(y, d), same ? "" : vec_str(yb, d));

    double value = NAN;
    CHECK_OK(pt_solver_value(s, theta, &value));
    CHECK(close_rel(value, got), "%s (%s): value %.17g != <y*,theta> %.17g", label, kind_s, value, got);
  }
  free(V.v);
  pt_solver_free(&s);
  return pt_test_failures - failures_before;
}

static void test_polytopes(gsl_rng *r) {
  const char *fams = n_families == N_FAMILIES ? "continuous/tied/low-bit" : "continuous/tied; no low-bit: long double too short";
  for (size_t d = 1; d <= MAX_D; d++) {
    const size_t n = 1500;
    const int f = run_polytope(POLY_ARGMAX, d, 1, n, r);
    printf("argmax d=%zu: %zu random theta (%s) vs %zu one-hot vertices %s\n", d, n, fams, d, f ? "FAILED" : "ok");
  }
  for (size_t d = 1; d <= MAX_D; d++) {
    const size_t n = 3000;
    const int f = run_polytope(POLY_RANKING, d, 0, n, r);
    printf("ranking d=%zu: %zu random theta (%s) vs all %zu permutations %s\n", d, n, fams, factorial(d),
           f ? "FAILED" : "ok");
  }
  for (size_t d = 1; d <= MAX_D; d++) {
    const size_t n = 600;
    int f = 0;
    for (size_t k = 1; k <= d; k++) f += run_polytope(POLY_TOPK, d, k, n, r);
    printf("topk d=%zu: k=1..%zu, %zu random theta (%s) each vs all 0/1 k-subsets %s\n", d, d, n, fams,
           f ? "FAILED" : "ok");
  }
}

/* ---- callback solver ----------------------------------------------------- */

typedef struct {
  size_t calls;
} argmax_ctx;

/* A user's argmax, written independently of the library's; the context
 * counts calls to prove it is the pointer the solver was given. */
static int user_argmax(void *ctx, size_t d, const double *theta, double *y) {
  ((argmax_ctx *)ctx)->calls++;
  size_t best = 0;
  for (size_t j = 0; j < d; j++) {
    y[j] = 0.0;
    if (theta[j] > theta[best]) best = j;
  }
  y[best] = 1.0;
  return 0;
}

static void test_callback(gsl_rng *r) {
  const int failures_before = pt_test_failures;
  const size_t d = 6, n = 500;
  argmax_ctx ctx = {0};
  pt_solver *cb = NULL, *ref = NULL;
  CHECK_OK(pt_solver_callback_alloc(d, user_argmax, &ctx, &cb));
  CHECK_OK(pt_solver_argmax_alloc(d, &ref));
  if (cb == NULL || ref == NULL) {
    pt_solver_free(&cb);
    pt_solver_free(&ref);
    return;
  }
  double theta[MAX_D], y[MAX_D], yref[MAX_D];
  for (size_t t = 0; t < n; t++) {
    const pt_rng_id id = {SEED, PT_PURPOSE_USER, GROUP_CALLBACK, 0, t};
    pt_rng_seek(r, &id);
    draw_theta(r, d, (enum family)(t % n_families), theta);
    const size_t calls = ctx.calls;
    CHECK_OK(pt_solver_solve(cb, theta, y));
    CHECK(ctx.calls == calls + 1, "callback: solve made %zu user calls, want 1", ctx.calls - calls);
    CHECK_OK(pt_solver_solve(ref, theta, yref));
    const int same = same_vec(d, y, yref);
    CHECK(same, "callback: y %s differs from the built-in argmax %s for theta %s", same ? "" : vec_str(y, d),
          same ? "" : vec_str(yref, d), same ? "" : vec_str(theta, d));
    double value = NAN;
    CHECK_OK(pt_solver_value(cb, theta, &value));
    const double want = dot(d, y, theta);
    CHECK(close_rel(value, want), "callback: value %.17g != <y*,theta> %.17g", value, want);
  }
  pt_solver_free(&cb);
  pt_solver_free(&ref);
  printf("callback (user argmax) d=%zu: %zu random theta, value = <y*,theta> %s\n", d, n,
         pt_test_failures > failures_before ? "FAILED" : "ok");
}

/* ---- grid_path: 8-neighbour vertex costs ---------------------------------- */

/* Cheapest-path costs from vertex 0 by Bellman–Ford on the vertex graph:
 * edge u→v costs c[v], the start costs c[0]. Relaxes every edge until a
 * round changes nothing. Returns the cost of reaching the last vertex. */
static double grid_bellman_ford(int rows, int cols, const double *c, double *dist) {
  const int V = rows * cols;
  for (int v = 0; v < V; v++) dist[v] = INFINITY;
  dist[0] = c[0];
  for (int round = 0; round < V; round++) {
    int changed = 0;
    for (int u = 0; u < V; u++) {
      if (!isfinite(dist[u])) continue;
      const int ur = u / cols, uc = u % cols;
      for (int dr = -1; dr <= 1; dr++)
        for (int dc = -1; dc <= 1; dc++) {
          const int rr = ur + dr, cc = uc + dc;
          if ((dr == 0 && dc == 0) || rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
          const int v = rr * cols + cc;
          if (dist[u] + c[v] < dist[v]) {
            dist[v] = dist[u] + c[v];
            changed = 1;
          }
        }
    }
    if (!changed) break;
  }
  return dist[V - 1];
}

/* The Bellman–Ford path, walked back from the target through predecessors
 * that attain dist exactly (at convergence one always does). Only unique
 * when no two paths tie, i.e. for the continuous costs. Returns 0 if the
 * walk gets stuck. */
static int grid_bf_path(int rows, int cols, const double *c, const double *dist, double *y) {
  const int V = rows * cols;
  for (int v = 0; v < V; v++) y[v] = 0.0;
  int v = V - 1;
  y[v] = 1.0;
  for (int steps = 0; v != 0; steps++) {
    if (steps >= V) return 0;
    const int vr = v / cols, vc = v % cols;
    int pred = -1;
    for (int dr = -1; dr <= 1 && pred < 0; dr++)
      for (int dc = -1; dc <= 1 && pred < 0; dc++) {
        const int rr = vr + dr, cc = vc + dc;
        if ((dr == 0 && dc == 0) || rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
        const int u = rr * cols + cc;
        if (dist[u] + c[v] == dist[v]) pred = u;
      }
    if (pred < 0) return 0;
    v = pred;
    y[v] = 1.0;
  }
  return 1;
}

/* Can the marked vertices be ordered as one simple 8-neighbour walk from u
 * to the last vertex, using each exactly once? (`left` marked vertices are
 * still unused.) A degree test would not do: an optimal path with zero-cost
 * vertices may pass next to itself diagonally. */
static int grid_walk(int rows, int cols, const double *y, unsigned char *used, int u, int left, long *budget) {
  if (u == rows * cols - 1) return left == 0;
  if (--*budget < 0) return 0;
  const int ur = u / cols, uc = u % cols;
  for (int dr = -1; dr <= 1; dr++)
    for (int dc = -1; dc <= 1; dc++) {
      const int rr = ur + dr, cc = uc + dc;
      if ((dr == 0 && dc == 0) || rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
      const int v = rr * cols + cc;
      if (y[v] != 1.0 || used[v]) continue;
      used[v] = 1;
      const int ok = grid_walk(rows, cols, y, used, v, left - 1, budget);
      used[v] = 0;
      if (ok) return 1;
    }
  return 0;
}

/* Is y the 0/1 indicator of a simple 8-neighbour path from top-left to bottom-right? */
static int grid_path_ok(int rows, int cols, const double *y) {
  const int V = rows * cols;
  int count = 0;
  for (int v = 0; v < V; v++) {
    if (y[v] != 0.0 && y[v] != 1.0) return 0;
    count += y[v] == 1.0;
  }
  if (y[0] != 1.0 || y[V - 1] != 1.0) return 0;
  unsigned char used[MAX_V] = {0};
  used[0] = 1;
  long budget = 1000000;
  return grid_walk(rows, cols, y, used, 0, count - 1, &budget);
}

static void test_grid_path(gsl_rng *r) {
  const size_t per_shape = 40;
  double c[MAX_V], theta[MAX_V], y[MAX_V], y2[MAX_V], yref[MAX_V], dist[MAX_V];
  for (int rows = 1; rows <= MAX_SIDE; rows++) {
    const int failures_before = pt_test_failures;
    for (int cols = 1; cols <= MAX_SIDE; cols++) {
      const int V = rows * cols;
      pt_solver *s = NULL;
      CHECK_OK(pt_solver_grid_path_alloc((size_t)rows, (size_t)cols, &s));
      if (s == NULL) continue;
      for (size_t t = 0; t < per_shape; t++) {
        /* Integer costs 0..3 make many optimal paths (and zero-cost
         * vertices); continuous costs make the optimum unique. */
        const int integer = (int)(t % 2);
        const pt_rng_id id = {SEED, PT_PURPOSE_USER, GROUP_GRID, (uint64_t)(rows * 100 + cols), t};
        pt_rng_seek(r, &id);
        for (int v = 0; v < V; v++) {
          c[v] = integer ? (double)gsl_rng_uniform_int(r, 4) : 10.0 * gsl_rng_uniform(r);
          theta[v] = -c[v];
        }
        const char *kind_s = integer ? "integer costs" : "continuous costs";
        CHECK_OK(pt_solver_solve(s, theta, y));
        const int valid = grid_path_ok(rows, cols, y);
        CHECK(valid, "grid_path %dx%d (%s): output is not a simple top-left to bottom-right path: cost %s, y %s",
              rows, cols, kind_s, valid ? "" : vec_str(c, (size_t)V), valid ? "" : vec_str(y, (size_t)V));

        const double opt = grid_bellman_ford(rows, cols, c, dist);
        const double cost = dot((size_t)V, y, c);
        const int optimal = fabs(cost - opt) <= 1e-9;
        CHECK(optimal, "grid_path %dx%d (%s): path cost %.17g, Bellman-Ford optimum %.17g: cost %s, y %s", rows, cols,
              kind_s, cost, opt, optimal ? "" : vec_str(c, (size_t)V), optimal ? "" : vec_str(y, (size_t)V));

        if (!integer) {
          const int have_ref = grid_bf_path(rows, cols, c, dist, yref);
          CHECK(have_ref, "grid_path %dx%d: test bug, no Bellman-Ford path", rows, cols);
          const int same = have_ref && same_vec((size_t)V, y, yref);
          CHECK(!have_ref || same, "grid_path %dx%d (%s): y %s is not the unique optimal path %s", rows, cols,
                kind_s, same ? "" : vec_str(y, (size_t)V), same ? "" : vec_str(yref, (size_t)V));
        }

        /* The header promises y* is a function of θ, so a second call on the
         * same (reused) workspace must give the same path. */
        CHECK_OK(pt_solver_solve(s, theta, y2));
        CHECK(same_vec((size_t)V, y, y2), "grid_path %dx%d (%s): two solves of one theta differ", rows, cols, kind_s);

        double value = NAN;
        CHECK_OK(pt_solver_value(s, theta, &value));
        const double want = dot((size_t)V, y, theta);
        CHECK(close_rel(value, want), "grid_path %dx%d: value %.17g != <y*,theta> %.17g", rows, cols, value, want);
        CHECK(fabs(value + opt) <= 1e-9, "grid_path %dx%d: value %.17g != -(Bellman-Ford optimum) %.17g", rows,
              cols, value, -opt);
      }
      pt_solver_free(&s);
    }
    printf("grid_path rows=%d, cols=1..%d: %zu random grids each (half integer costs) vs Bellman-Ford %s\n", rows,
           MAX_SIDE, per_shape, pt_test_failures > failures_before ? "FAILED" : "ok");
  }

  /* θ_j > 0 is a negative cost, outside Dijkstra's domain: documented PT_EDOM. */
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_grid_path_alloc(2, 3, &s));
  if (s != NULL) {
    double th[6] = {-1, -1, 0.5, -1, -1, -1}, out[6], value;
    CHECK_FAILS(pt_solver_solve(s, th, out), PT_EDOM);
    CHECK_FAILS(pt_solver_value(s, th, &value), PT_EDOM);
    pt_solver_free(&s);
  }
}

/* ---- dag_path: right/down edge costs of any sign --------------------------- */

/* Edge indices as documented in solver.h. */
static int dag_right(int rows, int cols, int r, int c) {
  (void)rows;
  return r * (cols - 1) + c;
}
static int dag_down(int rows, int cols, int r, int c) { return rows * (cols - 1) + r * cols + c; }

/* Cheapest right/down path cost from (0,0) to every vertex by Bellman–Ford.
 * Edges are relaxed in reverse index order so that the result does not lean
 * on the topological order the library's DP uses. */
static double dag_bellman_ford(int rows, int cols, const double *w, double *dist) {
  const int V = rows * cols, E = rows * (cols - 1) + (rows - 1) * cols;
  int from[MAX_E], to[MAX_E];
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      if (c + 1 < cols) {
        from[dag_right(rows, cols, r, c)] = r * cols + c;
        to[dag_right(rows, cols, r, c)] = r * cols + c + 1;
      }
      if (r + 1 < rows) {
        from[dag_down(rows, cols, r, c)] = r * cols + c;
        to[dag_down(rows, cols, r, c)] = (r + 1) * cols + c;
      }
    }
  for (int v = 0; v < V; v++) dist[v] = INFINITY;
  dist[0] = 0.0;
  for (int round = 0; round < V; round++) {
    int changed = 0;
    for (int e = E - 1; e >= 0; e--) {
      if (!isfinite(dist[from[e]])) continue;
      if (dist[from[e]] + w[e] < dist[to[e]]) {
        dist[to[e]] = dist[from[e]] + w[e];
        changed = 1;
      }
    }
    if (!changed) break;
  }
  return dist[V - 1];
}

/* The reference path under "ties prefer the move right": cost-to-go g by
 * Bellman–Ford on the reversed graph, then walk forward from (0,0), moving
 * right whenever right is optimal. Exact for integer costs (all sums exact);
 * for continuous costs it is simply the unique optimal path. Returns 0 if
 * the walk gets stuck. */
static int dag_reference_path(int rows, int cols, const double *w, double *y) {
  const int V = rows * cols, E = rows * (cols - 1) + (rows - 1) * cols;
  double g[MAX_V];
  for (int v = 0; v < V; v++) g[v] = INFINITY;
  g[V - 1] = 0.0;
  for (int round = 0; round < V; round++) {
    int changed = 0;
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) {
        const int u = r * cols + c;
        if (c + 1 < cols && isfinite(g[u + 1]) && w[dag_right(rows, cols, r, c)] + g[u + 1] < g[u]) {
          g[u] = w[dag_right(rows, cols, r, c)] + g[u + 1];
          changed = 1;
        }
        if (r + 1 < rows && isfinite(g[u + cols]) && w[dag_down(rows, cols, r, c)] + g[u + cols] < g[u]) {
          g[u] = w[dag_down(rows, cols, r, c)] + g[u + cols];
          changed = 1;
        }
      }
    if (!changed) break;
  }
  for (int e = 0; e < E; e++) y[e] = 0.0;
  int r = 0, c = 0;
  while (r < rows - 1 || c < cols - 1) {
    const int u = r * cols + c;
    if (c + 1 < cols && w[dag_right(rows, cols, r, c)] + g[u + 1] == g[u]) {
      y[dag_right(rows, cols, r, c)] = 1.0;
      c++;
    } else if (r + 1 < rows && w[dag_down(rows, cols, r, c)] + g[u + cols] == g[u]) {
      y[dag_down(rows, cols, r, c)] = 1.0;
      r++;
    } else {
      return 0;
    }
  }
  return 1;
}

/* Is y the 0/1 indicator of one monotone right/down path from (0,0) to
 * (rows−1, cols−1)? Walks from the start; a branch, a dead end or any marked
 * edge off the walk fails. */
static int dag_path_ok(int rows, int cols, const double *y) {
  const int E = rows * (cols - 1) + (rows - 1) * cols;
  int marked = 0;
  for (int e = 0; e < E; e++) {
    if (y[e] != 0.0 && y[e] != 1.0) return 0;
    marked += y[e] == 1.0;
  }
  int r = 0, c = 0, rights = 0, downs = 0;
  while (r < rows - 1 || c < cols - 1) {
    const int go_right = c + 1 < cols && y[dag_right(rows, cols, r, c)] == 1.0;
    const int go_down = r + 1 < rows && y[dag_down(rows, cols, r, c)] == 1.0;
    if (go_right == go_down) return 0;
    if (go_right) c++, rights++;
    else r++, downs++;
  }
  return rights == cols - 1 && downs == rows - 1 && marked == rights + downs;
}

static void test_dag_path(gsl_rng *r) {
  const size_t per_shape = 40;
  double w[MAX_E], theta[MAX_E], y[MAX_E], yref[MAX_E], dist[MAX_V];
  int tie_checked = 0, tie_mismatch = 0;
  char first_mismatch[2048] = "";
  for (int rows = 1; rows <= MAX_SIDE; rows++) {
    const int failures_before = pt_test_failures;
    for (int cols = 1; cols <= MAX_SIDE; cols++) {
      if (rows * cols < 2) continue; /* 1×1 has no edges: d = 0 */
      const int E = rows * (cols - 1) + (rows - 1) * cols;
      pt_solver *s = NULL;
      CHECK_OK(pt_solver_dag_path_alloc((size_t)rows, (size_t)cols, &s));
      if (s == NULL) continue;
      for (size_t t = 0; t < per_shape; t++) {
        /* Integer costs −2..2 tie often; continuous costs make the optimum
         * unique. Negative costs are allowed and must not confuse anything. */
        const int integer = (int)(t % 2);
        const pt_rng_id id = {SEED, PT_PURPOSE_USER, GROUP_DAG, (uint64_t)(rows * 100 + cols), t};
        pt_rng_seek(r, &id);
        for (int e = 0; e < E; e++) {
          w[e] = integer ? (double)gsl_rng_uniform_int(r, 5) - 2.0 : 10.0 * gsl_rng_uniform(r) - 5.0;
          theta[e] = -w[e];
        }
        const char *kind_s = integer ? "integer costs" : "continuous costs";
        CHECK_OK(pt_solver_solve(s, theta, y));
        const int valid = dag_path_ok(rows, cols, y);
        CHECK(valid, "dag_path %dx%d (%s): output is not a right/down path: cost %s, y %s", rows, cols, kind_s,
              valid ? "" : vec_str(w, (size_t)E), valid ? "" : vec_str(y, (size_t)E));

        const double opt = dag_bellman_ford(rows, cols, w, dist);
        const double cost = dot((size_t)E, y, w);
        const int optimal = fabs(cost - opt) <= 1e-9;
        CHECK(optimal, "dag_path %dx%d (%s): path cost %.17g, Bellman-Ford optimum %.17g: cost %s, y %s", rows, cols,
              kind_s, cost, opt, optimal ? "" : vec_str(w, (size_t)E), optimal ? "" : vec_str(y, (size_t)E));

        const int have_ref = dag_reference_path(rows, cols, w, yref);
        CHECK(have_ref, "dag_path %dx%d: test bug, reference walk got stuck", rows, cols);
        const int same = have_ref && same_vec((size_t)E, y, yref);
        if (!integer) {
          CHECK(!have_ref || same, "dag_path %dx%d (%s): y %s is not the unique optimal path %s", rows, cols, kind_s,
                same ? "" : vec_str(y, (size_t)E), same ? "" : vec_str(yref, (size_t)E));
        } else if (have_ref) {
          /* Tallied, not checked one by one: if the rule is broken it is
           * broken everywhere, and one summary with an example says more
           * than hundreds of FAIL lines. */
          tie_checked++;
          if (!same && tie_mismatch++ == 0)
            snprintf(first_mismatch, sizeof first_mismatch, "%dx%d grid, cost %s: got y %s, want %s", rows, cols,
                     vec_str(w, (size_t)E), vec_str(y, (size_t)E), vec_str(yref, (size_t)E));
        }

        double value = NAN;
        CHECK_OK(pt_solver_value(s, theta, &value));
        const double want = dot((size_t)E, y, theta);
        CHECK(close_rel(value, want), "dag_path %dx%d: value %.17g != <y*,theta> %.17g", rows, cols, value, want);
        CHECK(fabs(value + opt) <= 1e-9, "dag_path %dx%d: value %.17g != -(Bellman-Ford optimum) %.17g", rows, cols,
              value, -opt);
      }
      pt_solver_free(&s);
    }
    printf("dag_path rows=%d, cols=1..%d: %zu random grids each (half integer costs) vs Bellman-Ford %s\n", rows,
           MAX_SIDE, per_shape, pt_test_failures > failures_before ? "FAILED" : "ok");
  }

  /* "Ties prefer the move right", read as the move the path makes where the
   * tie is decided: walking from (0,0), go right whenever going right is
   * still optimal. All-zero costs make every path optimal, so the rule alone
   * picks the path: right along the top row, then down the last column. */
  {
    pt_solver *s = NULL;
    CHECK_OK(pt_solver_dag_path_alloc(2, 2, &s));
    if (s != NULL) {
      /* 2×2 edges: 0 = (0,0)→(0,1), 1 = (1,0)→(1,1), 2 = (0,0)→(1,0), 3 = (0,1)→(1,1). */
      const double zero[4] = {0, 0, 0, 0}, want[4] = {1, 0, 0, 1};
      double out[4];
      CHECK_OK(pt_solver_solve(s, zero, out));
      CHECK(same_vec(4, out, want), "dag_path 2x2 all-zero costs: y = %s, want right then down %s", vec_str(out, 4),
            vec_str(want, 4));
      pt_solver_free(&s);
    }
    CHECK_OK(pt_solver_dag_path_alloc(3, 3, &s));
    if (s != NULL) {
      /* Right edges 0..5, down edges 6..11; R,R,D,D uses (0,0)→(0,1) = 0,
       * (0,1)→(0,2) = 1, (0,2)→(1,2) = 6+2 = 8, (1,2)→(2,2) = 6+3+2 = 11. */
      const double zero[12] = {0};
      double out[12], want[12] = {0};
      want[0] = want[1] = want[8] = want[11] = 1.0;
      CHECK_OK(pt_solver_solve(s, zero, out));
      CHECK(same_vec(12, out, want), "dag_path 3x3 all-zero costs: y = %s, want right,right,down,down %s",
            vec_str(out, 12), vec_str(want, 12));
      pt_solver_free(&s);
    }
  }
  CHECK(tie_mismatch == 0,
        "dag_path tie rule: %d of %d random integer-cost grids differ from the 'move right whenever still optimal' "
        "path (their costs are optimal); first: %s",
        tie_mismatch, tie_checked, first_mismatch);
  printf("dag_path tie rule ('prefer the move right'): %d random integer-cost grids, %d differ %s\n", tie_checked,
         tie_mismatch, tie_mismatch ? "FAILED" : "ok");
}

/* ---- dim, name, is_integral, free ----------------------------------------- */

static void check_meta(pt_solver *s, const char *what, size_t dim, const char *name, int integral) {
  CHECK(s != NULL, "%s: allocation failed", what);
  if (s == NULL) return;
  CHECK(pt_solver_dim(s) == dim, "%s: dim %zu, want %zu", what, pt_solver_dim(s), dim);
  CHECK(strcmp(pt_solver_name(s), name) == 0, "%s: name '%s', want '%s'", what, pt_solver_name(s), name);
  CHECK((pt_solver_is_integral(s) != 0) == integral, "%s: is_integral %d, want %s", what, pt_solver_is_integral(s),
        integral ? "nonzero" : "0");
}

static void test_meta(void) {
  const int failures_before = pt_test_failures;
  pt_solver *s = NULL;
  argmax_ctx ctx = {0};

  CHECK_OK(pt_solver_argmax_alloc(5, &s));
  check_meta(s, "argmax(5)", 5, "argmax", 1);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (argmax)");

  CHECK_OK(pt_solver_ranking_alloc(7, &s));
  check_meta(s, "ranking(7)", 7, "ranking", 1);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (ranking)");

  CHECK_OK(pt_solver_topk_alloc(6, 2, &s));
  check_meta(s, "topk(6,2)", 6, "topk", 1);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (topk)");

  CHECK_OK(pt_solver_grid_path_alloc(3, 5, &s));
  check_meta(s, "grid_path(3,5)", 15, "grid_path", 1);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (grid_path)");

  /* d = rows·(cols−1) + (rows−1)·cols = 3·4 + 2·5 */
  CHECK_OK(pt_solver_dag_path_alloc(3, 5, &s));
  check_meta(s, "dag_path(3,5)", 22, "dag_path", 1);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (dag_path)");

  /* The library cannot know what a user's function returns, so it must not
   * claim integrality (the exact-sum guarantee depends on it). */
  CHECK_OK(pt_solver_callback_alloc(4, user_argmax, &ctx, &s));
  check_meta(s, "callback(4)", 4, "callback", 0);
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free did not clear the handle (callback)");
  CHECK(ctx.calls == 0, "callback: allocating and freeing called the user's function %zu times", ctx.calls);

  /* NULL-safe: a cleared handle and a NULL pointer to a handle. */
  pt_solver_free(&s);
  CHECK(s == NULL, "pt_solver_free on a NULL handle changed it");
  pt_solver_free(NULL);
  CHECK(1, "pt_solver_free(NULL) returned");

  printf("dim, name, is_integral, free: %s\n", pt_test_failures > failures_before ? "FAILED" : "ok");
}

int main(void) {
  gsl_rng *r = pt_rng_alloc();
  CHECK(r != NULL, "pt_rng_alloc failed");
  if (r == NULL) return pt_test_finish("test_solvers");
  test_meta();
  test_polytopes(r);
  test_callback(r);
  test_grid_path(r);
  test_dag_path(r);
  gsl_rng_free(r);
  return pt_test_finish("test_solvers");
}
