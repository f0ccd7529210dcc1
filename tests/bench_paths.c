/* bench_paths.c: what a shortest-path step costs on one core
 * (docs/performance.md, "Shortest paths"); a report, not a test.
 *
 *   bench_paths [batch]
 *
 * Prints a markdown table of
 *  - the throughput of the two path solvers, in paths per second, on random
 *    positive costs (θ = −c, c uniform in (0.1, 10)): grid_path (vertex
 *    costs, Dijkstra) and dag_path (edge costs, dynamic programming) on
 *    5 × 5, 12 × 12 and 30 × 30 grids;
 *  - the forward + backward time of a Warcraft-style cnn on `batch` (32)
 *    images 3 × 96 × 96: three 3×3 convolutions (padding 1, stride 1), each
 *    with max pooling of 2 (96 → 48 → 24 → 12), the cells head with one 1×1
 *    hidden layer, θ = −softplus (model.output = costs) on the 12 × 12 cells;
 *    conv 16,32,32 and a smaller 8,16,16;
 * and, for each model, the time of the batch's grid_path 12 × 12 solves at
 * M = 1 (one perturbed solve per instance) as a fraction of the model's
 * step. Each time is the median of 15 repeats, a repeat the mean of enough
 * calls to last ≈ 20 ms. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "model/model.h"
#include "perturb/rng.h"
#include "perturb/solver.h"

#define REPEATS 15
#define NTHETA 64 /* distinct cost vectors cycled through */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median over REPEATS of the time of one call of fn(ctx), each repeat the
 * mean of `inner` calls, inner calibrated so a repeat lasts ≈ 20 ms. */
static double median_time(void (*fn)(void *), void *ctx) {
  size_t inner = 1;
  for (;;) {
    const double t0 = now();
    for (size_t i = 0; i < inner; i++) fn(ctx);
    if (now() - t0 > 0.02 || inner > 100000000) break;
    inner *= 2;
  }
  double t[REPEATS];
  for (int k = 0; k < REPEATS; k++) {
    const double t0 = now();
    for (size_t i = 0; i < inner; i++) fn(ctx);
    t[k] = (now() - t0) / (double)inner;
  }
  qsort(t, REPEATS, sizeof *t, cmp);
  return t[REPEATS / 2];
}

typedef struct solve_ctx {
  pt_solver *s;
  const double *theta; /* NTHETA rows of d */
  double *y;
  size_t d, next;
  int failed;
} solve_ctx;

static void solve_one(void *p) {
  solve_ctx *c = p;
  if (pt_solver_solve(c->s, c->theta + c->next * c->d, c->y) != PT_OK) c->failed = 1;
  c->next = (c->next + 1) % NTHETA;
}

/* Seconds per path of `kind` on a rows × cols grid (-1 on failure). */
static double solver_time(const char *kind, size_t rows, size_t cols, gsl_rng *r) {
  pt_solver *s = NULL;
  const pt_status st = strcmp(kind, "grid_path") == 0 ? pt_solver_grid_path_alloc(rows, cols, &s)
                                                      : pt_solver_dag_path_alloc(rows, cols, &s);
  if (st != PT_OK) {
    fprintf(stderr, "bench_paths: %s\n", pt_last_error());
    return -1.0;
  }
  const size_t d = pt_solver_dim(s);
  double *theta = malloc(NTHETA * d * sizeof *theta), *y = malloc(d * sizeof *y);
  for (size_t k = 0; k < NTHETA * d; k++) theta[k] = -gsl_ran_flat(r, 0.1, 10.0);
  solve_ctx c = {s, theta, y, d, 0, 0};
  const double t = median_time(solve_one, &c);
  free(theta), free(y);
  pt_solver_free(&s);
  if (c.failed) {
    fprintf(stderr, "bench_paths: %s %zu x %zu: %s\n", kind, rows, cols, pt_last_error());
    return -1.0;
  }
  return t;
}

typedef struct step_ctx {
  pt_model *m;
  const double *X, *g0;
  double *theta, *g, *grad;
  size_t batch;
} step_ctx;

/* One training step's model work: forward, dL/dθ → dL/ds, backward. */
static void model_step(void *p) {
  step_ctx *c = p;
  const size_t n = c->batch * c->m->d;
  pt_model_forward(c->m, c->X, 0, c->batch, c->theta);
  memcpy(c->g, c->g0, n * sizeof *c->g);
  pt_model_output_grad(c->m, 0, c->batch, c->theta, c->g);
  pt_model_backward(c->m, c->X, 0, c->batch, c->g, 1.0, c->grad);
}

/* Seconds per forward + backward of the Warcraft-style cnn with these
 * convolution widths on `batch` images; *nparams its size (-1 on failure). */
static double model_time(const size_t *conv, size_t hidden, size_t batch, gsl_rng *r, size_t *nparams) {
  pt_model_shape sh = {.d = 12 * 12, .channels = 3, .height = 96, .width = 96};
  sh.p = sh.channels * sh.height * sh.width;
  pt_model_settings st;
  memset(&st, 0, sizeof st);
  st.nconv = 3;
  memcpy(st.conv, conv, 3 * sizeof *conv);
  st.nhidden = 1;
  st.hidden[0] = hidden;
  st.stride = 1, st.padding = 1, st.pool = PT_POOL_MAX, st.pool_size = 2;
  st.head_cells = 1, st.output = PT_OUTPUT_COSTS;
  pt_model *m = NULL;
  if (pt_model_alloc(&pt_model_cnn, &sh, &st, "bench", &m) != PT_OK || pt_model_reserve(m, batch) != PT_OK) {
    fprintf(stderr, "bench_paths: %s\n", pt_last_error());
    pt_model_free(&m);
    return -1.0;
  }
  pt_model_init(m, r, 1);
  *nparams = m->nparams;
  const size_t n = batch * sh.d;
  double *X = malloc(batch * sh.p * sizeof *X), *g0 = malloc(n * sizeof *g0), *g = malloc(n * sizeof *g);
  double *theta = malloc(n * sizeof *theta), *grad = calloc(m->nparams, sizeof *grad);
  for (size_t k = 0; k < batch * sh.p; k++) X[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
  for (size_t k = 0; k < n; k++) g0[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
  step_ctx c = {m, X, g0, theta, g, grad, batch};
  const double t = median_time(model_step, &c);
  free(X), free(g0), free(g), free(theta), free(grad);
  pt_model_free(&m);
  return t;
}

int main(int argc, char **argv) {
  const size_t batch = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;
  if (batch < 1) {
    fprintf(stderr, "bench_paths: want a batch of at least 1\n");
    return 1;
  }
  gsl_rng *r = pt_rng_alloc();
  const pt_rng_id id = {1, PT_PURPOSE_USER, 0, 0, 0};
  pt_rng_seek(r, &id);
  const size_t grids[] = {5, 12, 30};
  const char *kinds[] = {"dag_path", "grid_path"};
  double grid12 = -1.0;
  printf("| solver | grid | d | paths per second | us per path |\n|---|---|---:|---:|---:|\n");
  for (size_t k = 0; k < 2; k++)
    for (size_t s = 0; s < 3; s++) {
      const size_t n = grids[s];
      const double t = solver_time(kinds[k], n, n, r);
      if (t < 0) return 1;
      const size_t d = k == 0 ? 2 * n * (n - 1) : n * n;
      if (k == 1 && n == 12) grid12 = t;
      printf("| %s | %zu x %zu | %zu | %.0f | %.2f |\n", kinds[k], n, n, d, 1.0 / t, 1e6 * t);
    }
  const size_t big[3] = {16, 32, 32}, small[3] = {8, 16, 16};
  const size_t *convs[2] = {big, small};
  printf("\n| model (batch %zu, 3 x 96 x 96 -> 12 x 12 cells) | parameters | forward+backward ms | %zu grid_path 12 x 12 "
         "solves ms | solves / step |\n|---|---:|---:|---:|---:|\n", batch, batch);
  for (size_t k = 0; k < 2; k++) {
    size_t np = 0;
    const size_t *c = convs[k];
    const double t = model_time(c, c[2], batch, r, &np);
    if (t < 0) return 1;
    const double solves = (double)batch * grid12;
    printf("| cnn conv %zu,%zu,%zu, cells hidden %zu | %zu | %.1f | %.2f | %.2f %% |\n", c[0], c[1], c[2], c[2], np,
           1e3 * t, 1e3 * solves, 100.0 * solves / t);
  }
  gsl_rng_free(r);
  return 0;
}
