/* data_paths.c: generators of shortest-path datasets — the grid benchmark of
 * the predict-then-optimise literature (PyEPO's shortest-path generator) and
 * Warcraft-like terrain maps rendered as images — with their targets, the
 * cheapest paths under the true costs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "check.h"
#include "data/data_impl.h"
#include "perturb/data.h"
#include "perturb/rng.h"
#include "perturb/solver.h"

/* Stream ids of the generators (the `epoch` field of the stream id under
 * PT_PURPOSE_DATA): apart from the ranking generator's 0. */
enum { STREAM_GRID = 2, STREAM_MAPS = 3 };

/* A dataset of n shortest-path instances with E entries and p features,
 * costs allocated; the caller fills X, Y and costs. */
static pt_status alloc_paths(const char *fn, size_t n, size_t E, size_t p, const char *solver, size_t rows,
                             size_t cols, pt_dataset **out) {
  PT_TRY(pt_dataset_alloc(n, E, p, 0, 0, out));
  pt_dataset *ds = *out;
  ds->costs = malloc(n * E * sizeof *ds->costs);
  if (ds->costs == NULL) {
    pt_dataset_free(out);
    return pt_error(PT_ENOMEM, "%s: out of memory for %zu x %zu costs", fn, n, E);
  }
  snprintf(ds->task, sizeof ds->task, "%s", "shortest_path");
  snprintf(ds->solver, sizeof ds->solver, "%s", solver);
  ds->grid_rows = rows;
  ds->grid_cols = cols;
  return PT_OK;
}

/* Y = the solver's path for θ = −costs, row by row. */
static pt_status solve_targets(pt_solver *s, pt_dataset *ds, double *theta) {
  const size_t E = ds->d;
  for (size_t i = 0; i < ds->n; i++) {
    for (size_t j = 0; j < E; j++) theta[j] = -ds->costs[i * E + j];
    PT_TRY(pt_solver_solve(s, theta, ds->Y + i * E));
  }
  return PT_OK;
}

pt_status pt_dataset_grid_paths(const pt_grid_paths_params *gp, pt_dataset **out) {
  static const char fn[] = "pt_dataset_grid_paths";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, gp);
  if (gp->grid < 2)
    return pt_error(PT_EINVAL, "%s: a %zu x %zu grid is too small (at least 2 x 2)", fn, gp->grid, gp->grid);
  if (gp->deg < 1) return pt_error(PT_EINVAL, "%s: the polynomial degree deg = %d must be >= 1", fn, gp->deg);
  if (!(gp->noise_halfwidth >= 0 && gp->noise_halfwidth < 1))
    return pt_error(PT_EINVAL, "%s: the noise half-width %g must be in [0, 1) (costs must stay positive)", fn,
                    gp->noise_halfwidth);
  if (gp->n < 1 || gp->p < 1) return pt_error(PT_EINVAL, "%s: n = %zu and p = %zu must be >= 1", fn, gp->n, gp->p);
  const size_t k = gp->grid, E = pt_paths_entries("dag_path", k, k), p = gp->p;
  pt_dataset *ds = NULL;
  PT_TRY(alloc_paths(fn, gp->n, E, p, "dag_path", k, k, &ds));
  snprintf(ds->name, sizeof ds->name, "%s", "grid_paths");
  snprintf(ds->source, sizeof ds->source,
           "grid paths: n=%zu p=%zu grid=%zu deg=%d noise_halfwidth=%.17g seed=%llu", gp->n, p, k, gp->deg,
           gp->noise_halfwidth, (unsigned long long)gp->seed);
  gsl_rng *r = pt_rng_alloc();
  unsigned char *B = malloc(E * p);
  double *theta = malloc(E * sizeof *theta);
  pt_solver *s = NULL;
  pt_status st = r && B && theta ? pt_solver_dag_path_alloc(k, k, &s) : pt_error(PT_ENOMEM, "%s: out of memory", fn);
  if (st == PT_OK) {
    /* the hidden 0/1 matrix B [E × p], Bernoulli(1/2), one per seed */
    const pt_rng_id bid = {gp->seed, PT_PURPOSE_DATA, STREAM_GRID, UINT64_MAX, 0};
    pt_rng_seek(r, &bid);
    for (size_t e = 0; e < E * p; e++) B[e] = (unsigned char)gsl_ran_bernoulli(r, 0.5);
    /* As PyEPO's genData: c = [((B x)/√p + 3)^deg + 1] / 3.5^deg, the whole
     * of it divided, then times u ~ U[1 − ε̄, 1 + ε̄] per edge. Instance i
     * draws x_i then u_i from its own stream, so it is the same for any n. */
    const double scale = pow(3.5, gp->deg), root_p = sqrt((double)p), hw = gp->noise_halfwidth;
    for (size_t i = 0; i < gp->n; i++) {
      const pt_rng_id id = {gp->seed, PT_PURPOSE_DATA, STREAM_GRID, i, 0};
      pt_rng_seek(r, &id);
      double *x = ds->X + i * p, *c = ds->costs + i * E;
      for (size_t j = 0; j < p; j++) x[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
      for (size_t e = 0; e < E; e++) {
        double bx = 0.0;
        for (size_t j = 0; j < p; j++) bx += B[e * p + j] ? x[j] : 0.0;
        c[e] = (pow(bx / root_p + 3.0, gp->deg) + 1.0) / scale;
        /* an odd deg can make it negative (B x/√p < −4: a 6σ event at p = 5);
         * the schema's costs are >= 0, so it is 0 here where PyEPO keeps it */
        if (c[e] < 0) c[e] = 0.0;
      }
      for (size_t e = 0; e < E; e++) c[e] *= 1.0 - hw + 2.0 * hw * gsl_rng_uniform(r);
    }
    st = solve_targets(s, ds, theta);
  }
  pt_solver_free(&s);
  free(theta);
  free(B);
  if (r) gsl_rng_free(r);
  if (st != PT_OK) pt_dataset_free(&ds);
  *out = ds;
  return st;
}

/* ---- Warcraft-like maps ------------------------------------------------------ */

/* The terrain types: a travel cost (spread over an order of magnitude, as
 * the Warcraft maps' 0.8 to 9.2), a colour and a texture. */
typedef struct terrain {
  const char *name;
  double cost;
  double rgb[3];
  int texture; /* 0 plain, 1 horizontal stripes, 2 vertical stripes, 3 diagonal, 4 checks, 5 dots */
} terrain;

static const terrain TERRAINS[] = {
  {"road", 0.8, {0.78, 0.70, 0.52}, 0},  {"grass", 1.2, {0.35, 0.62, 0.25}, 5},
  {"forest", 2.2, {0.15, 0.38, 0.15}, 3}, {"hills", 3.5, {0.55, 0.48, 0.30}, 1},
  {"swamp", 5.3, {0.30, 0.40, 0.38}, 4}, {"mountain", 9.2, {0.50, 0.50, 0.52}, 2},
};
#define NTERRAINS (sizeof TERRAINS / sizeof TERRAINS[0])

/* The texture's value at pixel (u, v) of a cell of s × s pixels: ±1 patterns
 * of period about s/4, so that a 3 × 3 filter can tell them apart. */
static double texture(int kind, size_t u, size_t v, size_t s) {
  const size_t q = s >= 4 ? s / 4 : 1;
  switch (kind) {
  case 1: return (u / q) % 2 ? 1.0 : -1.0;
  case 2: return (v / q) % 2 ? 1.0 : -1.0;
  case 3: return ((u + v) / q) % 2 ? 1.0 : -1.0;
  case 4: return ((u / q) + (v / q)) % 2 ? 1.0 : -1.0;
  case 5: return (u % (2 * q) == q && v % (2 * q) == q) ? 1.0 : -0.2;
  default: return 0.0;
  }
}

/* One map: a base terrain, then a few discs of other terrains (spatially
 * coherent regions, as in the game's maps), drawn from the stream r. */
static void draw_map(gsl_rng *r, size_t k, unsigned char *type) {
  const unsigned base = (unsigned)gsl_rng_uniform_int(r, 3); /* road, grass or forest */
  for (size_t c = 0; c < k * k; c++) type[c] = (unsigned char)base;
  const size_t blobs = k / 2 + 2;
  for (size_t b = 0; b < blobs; b++) {
    const double cr = gsl_rng_uniform(r) * (double)k, cc = gsl_rng_uniform(r) * (double)k;
    const double radius = 0.8 + gsl_rng_uniform(r) * ((double)k / 5.0 + 0.5);
    const unsigned t = (unsigned)gsl_rng_uniform_int(r, NTERRAINS);
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < k; j++) {
        const double di = (double)i + 0.5 - cr, dj = (double)j + 0.5 - cc;
        if (di * di + dj * dj <= radius * radius) type[i * k + j] = (unsigned char)t;
      }
  }
}

pt_status pt_dataset_warcraft(const pt_warcraft_params *wp, pt_dataset **out) {
  static const char fn[] = "pt_dataset_warcraft";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, wp);
  if (wp->grid < 2)
    return pt_error(PT_EINVAL, "%s: a %zu x %zu map is too small (at least 2 x 2)", fn, wp->grid, wp->grid);
  if (wp->cell_pixels < 1 || wp->cell_pixels > 64)
    return pt_error(PT_EINVAL, "%s: %zu pixels per cell: want 1 to 64", fn, wp->cell_pixels);
  if (wp->n < 1) return pt_error(PT_EINVAL, "%s: n must be >= 1", fn);
  const size_t k = wp->grid, s = wp->cell_pixels, side = k * s, E = k * k, p = 3 * side * side;
  if (wp->n > SIZE_MAX / 8 / p)
    return pt_error(PT_EINVAL, "%s: %zu maps of %zu pixels do not fit in memory", fn, wp->n, p);
  pt_dataset *ds = NULL;
  PT_TRY(alloc_paths(fn, wp->n, E, p, "grid_path", k, k, &ds));
  ds->channels = 3;
  ds->height = ds->width = side;
  snprintf(ds->name, sizeof ds->name, "%s", "warcraft_like");
  snprintf(ds->source, sizeof ds->source, "warcraft-like maps: n=%zu grid=%zu cell_pixels=%zu seed=%llu", wp->n, k,
           s, (unsigned long long)wp->seed);
  gsl_rng *r = pt_rng_alloc();
  unsigned char *type = malloc(E);
  double *theta = malloc(E * sizeof *theta);
  pt_solver *solver = NULL;
  pt_status st = r && type && theta ? pt_solver_grid_path_alloc(k, k, &solver)
                                    : pt_error(PT_ENOMEM, "%s: out of memory", fn);
  for (size_t i = 0; i < wp->n && st == PT_OK; i++) {
    const pt_rng_id id = {wp->seed, PT_PURPOSE_DATA, STREAM_MAPS, i, 0};
    pt_rng_seek(r, &id);
    draw_map(r, k, type);
    double *img = ds->X + i * p, *c = ds->costs + i * E;
    for (size_t cell = 0; cell < E; cell++) {
      const terrain *t = &TERRAINS[type[cell]];
      c[cell] = t->cost;
      const size_t ci = cell / k, cj = cell % k;
      /* per cell: a brightness jitter; per pixel: the texture and noise */
      const double shade = 1.0 + 0.08 * gsl_ran_gaussian_ziggurat(r, 1.0);
      for (size_t u = 0; u < s; u++)
        for (size_t v = 0; v < s; v++) {
          const double tex = 0.12 * texture(t->texture, u, v, s);
          for (size_t ch = 0; ch < 3; ch++) {
            double x = t->rgb[ch] * shade + tex + 0.06 * gsl_ran_gaussian_ziggurat(r, 1.0);
            x = x < 0 ? 0 : x > 1 ? 1 : x;
            img[(ch * side + ci * s + u) * side + cj * s + v] = x;
          }
        }
    }
  }
  if (st == PT_OK) st = solve_targets(solver, ds, theta);
  pt_solver_free(&solver);
  free(theta);
  free(type);
  if (r) gsl_rng_free(r);
  if (st != PT_OK) pt_dataset_free(&ds);
  *out = ds;
  return st;
}
