/* data.c: datasets in memory — allocation, checks, subsets, train/test splits
 * and the synthetic ranking generator. CSV import is in data_csv.c and HDF5
 * files in data_h5.c. */
#include "perturb/data.h"
#include "data/data_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "check.h"
#include "perturb/noise.h"
#include "perturb/rng.h"
#include "perturb/solver.h"

/* a·b without overflow into *out; 0 if it would overflow. */
static int mul_ok(size_t a, size_t b, size_t *out) {
  if (b != 0 && a > SIZE_MAX / b) return 0;
  *out = a * b;
  return 1;
}

/* Numbers per row of X. */
static size_t x_row_len(const pt_dataset *ds) { return ds->per_label ? ds->d * ds->p : ds->p; }

pt_status pt_dataset_alloc(size_t n, size_t d, size_t p, int per_label, int with_ranks, pt_dataset **out) {
  static const char fn[] = "pt_dataset_alloc";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  if (n == 0 || d == 0 || p == 0)
    return pt_error(PT_EINVAL, "%s: sizes must be >= 1 (got n = %zu, d = %zu, p = %zu)", fn, n, d, p);
  /* Element counts must fit in memory even as bytes of a double array, and d
   * in an int32 rank. */
  size_t xrow = 0, nx = 0, ny = 0, bytes = 0;
  if ((per_label && !mul_ok(d, p, &xrow)) || !mul_ok(n, per_label ? xrow : p, &nx) || !mul_ok(n, d, &ny) ||
      !mul_ok(nx, sizeof(double), &bytes) || !mul_ok(ny, sizeof(double), &bytes) || d > INT32_MAX)
    return pt_error(PT_EINVAL, "%s: a dataset of n = %zu, d = %zu, p = %zu%s is too large", fn, n, d, p,
                    per_label ? " per label" : "");
  pt_dataset *ds = calloc(1, sizeof *ds);
  if (ds == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  ds->n = n;
  ds->d = d;
  ds->p = p;
  ds->per_label = per_label ? 1 : 0;
  ds->X = calloc(nx, sizeof *ds->X);
  ds->Y = calloc(ny, sizeof *ds->Y);
  if (with_ranks) ds->ranks = calloc(ny, sizeof *ds->ranks);
  if (ds->X == NULL || ds->Y == NULL || (with_ranks && ds->ranks == NULL)) {
    pt_dataset_free(&ds);
    return pt_error(PT_ENOMEM, "%s: out of memory for n = %zu, d = %zu, p = %zu", fn, n, d, p);
  }
  snprintf(ds->task, sizeof ds->task, "%s", "ranking");
  *out = ds;
  return PT_OK;
}

pt_status pt_dataset_alloc_classification(size_t n, size_t classes, size_t p, pt_dataset **out) {
  static const char fn[] = "pt_dataset_alloc_classification";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  if (classes < 2) return pt_error(PT_EINVAL, "%s: a classification needs >= 2 classes (got %zu)", fn, classes);
  PT_TRY(pt_dataset_alloc(n, classes, p, 0, 0, out));
  (*out)->labels = calloc(n, sizeof *(*out)->labels);
  if ((*out)->labels == NULL) {
    pt_dataset_free(out);
    return pt_error(PT_ENOMEM, "%s: out of memory for %zu labels", fn, n);
  }
  snprintf((*out)->task, sizeof (*out)->task, "%s", "classification");
  return PT_OK;
}

void pt_dataset_free(pt_dataset **ds) {
  if (ds == NULL || *ds == NULL) return;
  free((*ds)->X);
  free((*ds)->Y);
  free((*ds)->ranks);
  free((*ds)->labels);
  free((*ds)->costs);
  free(*ds);
  *ds = NULL;
}

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

size_t pt_paths_entries(const char *solver, size_t rows, size_t cols) {
  if (solver == NULL || rows < 2 || cols < 2 || rows > 46340 || cols > 46340) return 0;
  if (strcmp(solver, "grid_path") == 0) return rows * cols;
  if (strcmp(solver, "dag_path") == 0) return rows * (cols - 1) + (rows - 1) * cols;
  return 0;
}

size_t pt_paths_scratch_bytes(size_t rows, size_t cols) { return rows * cols * (sizeof(size_t) + 1); }

int pt_paths_is_path(const char *solver, size_t rows, size_t cols, const double *y, void *scratch) {
  if (strcmp(solver, "dag_path") == 0) return is_dag_path(rows, cols, y);
  size_t *stack = scratch;
  return is_grid_path(rows, cols, y, stack, (unsigned char *)(stack + rows * cols));
}

pt_status pt_paths_check_rows(const char *fn, const char *origin, const char *solver, size_t rows, size_t cols,
                              size_t n, size_t d, const double *Y, const double *costs, size_t first_row) {
  if (strcmp(solver, "grid_path") != 0 && strcmp(solver, "dag_path") != 0)
    return pt_error(PT_EFORMAT, "%s: %s: solver '%s' is not a shortest-path solver (grid_path or dag_path)", fn,
                    origin, solver);
  if (rows < 2 || cols < 2)
    return pt_error(PT_EFORMAT, "%s: %s: a grid of %zu x %zu vertices is too small (at least 2 x 2)", fn, origin,
                    rows, cols);
  const size_t want = pt_paths_entries(solver, rows, cols);
  if (want != d)
    return pt_error(PT_EFORMAT, "%s: %s: %s on a %zu x %zu grid has %zu entries, but /Y has %zu columns", fn, origin,
                    solver, rows, cols, want, d);
  for (size_t k = 0; k < n * d; k++) {
    if (Y[k] != 0.0 && Y[k] != 1.0)
      return pt_error(PT_EFORMAT, "%s: %s: /Y row %zu: entry %zu is %g, not 0 or 1 (a path's indicator)", fn, origin,
                      first_row + k / d, k % d, Y[k]);
    if (costs && !(isfinite(costs[k]) && costs[k] >= 0))
      return pt_error(PT_EDOM, "%s: %s: /costs row %zu: entry %zu is %g (costs must be finite and >= 0)", fn, origin,
                      first_row + k / d, k % d, costs[k]);
  }
  const int grid = strcmp(solver, "grid_path") == 0;
  void *scratch = grid ? malloc(pt_paths_scratch_bytes(rows, cols)) : NULL;
  pt_status st = grid && !scratch ? pt_error(PT_ENOMEM, "%s: out of memory checking the paths", fn) : PT_OK;
  for (size_t i = 0; i < n && st == PT_OK; i++)
    if (!pt_paths_is_path(solver, rows, cols, Y + i * d, scratch))
      st = pt_error(PT_EFORMAT,
                    grid ? "%s: %s: /Y row %zu is not a path of the %zu x %zu grid (grid_path: both corners and a "
                           "set of vertices connected through their 8 neighbours)"
                         : "%s: %s: /Y row %zu is not a path of the %zu x %zu grid (dag_path: one right or down edge "
                           "from each vertex, from the top-left to the bottom-right corner)",
                    fn, origin, first_row + i, rows, cols);
  free(scratch);
  return st;
}

pt_status pt_dataset_check(const pt_dataset *ds, const char *origin) {
  static const char fn[] = "pt_dataset_check";
  PT_CHECK_PTR(fn, ds);
  if (origin == NULL) origin = ds->name[0] ? ds->name : "dataset";
  if (ds->n == 0 || ds->d == 0 || ds->p == 0 || ds->X == NULL || ds->Y == NULL)
    return pt_error(PT_EINVAL, "%s: %s: empty or unallocated dataset (n = %zu, d = %zu, p = %zu)", fn, origin,
                    ds->n, ds->d, ds->p);
  if ((ds->channels || ds->height || ds->width) &&
      (ds->per_label || ds->channels * ds->height * ds->width != ds->p))
    return pt_error(PT_EINVAL, "%s: %s: image shape %zu x %zu x %zu does not hold the %zu features%s", fn, origin,
                    ds->channels, ds->height, ds->width, ds->p, ds->per_label ? " per label" : "");
  if ((ds->labels != NULL) != (strcmp(ds->task, "classification") == 0))
    return pt_error(PT_EINVAL, "%s: %s: task '%s' %s class labels", fn, origin, ds->task,
                    ds->labels ? "does not take" : "needs");
  const size_t xr = x_row_len(ds), d = ds->d;
  if (ds->solver[0] || ds->costs)
    PT_TRY(pt_paths_check_rows(fn, origin, ds->solver, ds->grid_rows, ds->grid_cols, ds->n, d, ds->Y, ds->costs, 0));
  /* One flag per rank value, reused across rows: a permutation of 1..d hits
   * each exactly once. */
  unsigned char *seen = NULL;
  if (ds->ranks != NULL && (seen = malloc(d)) == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  pt_status st = PT_OK;
  for (size_t i = 0; i < ds->n && st == PT_OK; i++) {
    const double *x = ds->X + i * xr, *y = ds->Y + i * d;
    for (size_t k = 0; k < xr; k++)
      if (!isfinite(x[k])) {
        st = pt_error(PT_EDOM, "%s: %s: row %zu: X[%zu] is not finite (%g)", fn, origin, i, k, x[k]);
        break;
      }
    for (size_t j = 0; j < d && st == PT_OK; j++)
      if (!isfinite(y[j])) st = pt_error(PT_EDOM, "%s: %s: row %zu: Y[%zu] is not finite (%g)", fn, origin, i, j, y[j]);
    if (st == PT_OK && ds->labels != NULL) {
      /* Y is the one-hot of the label: the loss and the metrics read either */
      const int32_t c = ds->labels[i];
      if (c < 0 || (size_t)c >= d)
        st = pt_error(PT_EFORMAT, "%s: %s: row %zu: label %" PRId32 " is not in 0..%zu", fn, origin, i, c, d - 1);
      for (size_t j = 0; j < d && st == PT_OK; j++)
        if (y[j] != ((size_t)c == j ? 1.0 : 0.0))
          st = pt_error(PT_EFORMAT, "%s: %s: row %zu: Y[%zu] = %g is not the one-hot of label %" PRId32, fn, origin,
                        i, j, y[j], c);
    }
    if (st != PT_OK || ds->ranks == NULL) continue;
    const int32_t *r = ds->ranks + i * d;
    memset(seen, 0, d);
    for (size_t j = 0; j < d && st == PT_OK; j++) {
      if (r[j] < 1 || (size_t)r[j] > d || seen[r[j] - 1])
        st = pt_error(PT_EFORMAT, "%s: %s: row %zu: ranks are not a permutation of 1..%zu (rank[%zu] = %" PRId32 ")",
                      fn, origin, i, d, j, r[j]);
      else
        seen[r[j] - 1] = 1;
    }
    for (size_t j = 0; j < d && st == PT_OK; j++)
      if (y[j] != (double)d - (double)r[j])
        st = pt_error(PT_EFORMAT, "%s: %s: row %zu: Y[%zu] = %g but d - rank = %zu - %" PRId32 " = %g", fn, origin, i,
                      j, y[j], d, r[j], (double)d - (double)r[j]);
  }
  free(seen);
  return st;
}

pt_status pt_dataset_subset(const pt_dataset *ds, const size_t *rows, size_t count, pt_dataset **out) {
  static const char fn[] = "pt_dataset_subset";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, ds);
  PT_CHECK_PTR(fn, rows);
  if (count == 0) return pt_error(PT_EINVAL, "%s: count must be >= 1", fn);
  for (size_t k = 0; k < count; k++)
    if (rows[k] >= ds->n)
      return pt_error(PT_EINVAL, "%s: rows[%zu] = %zu is out of range (the dataset has %zu rows)", fn, k, rows[k],
                      ds->n);
  pt_dataset *sub = NULL;
  if (ds->labels) PT_TRY(pt_dataset_alloc_classification(count, ds->d, ds->p, &sub));
  else PT_TRY(pt_dataset_alloc(count, ds->d, ds->p, ds->per_label, ds->ranks != NULL, &sub));
  const size_t xr = x_row_len(ds), d = ds->d;
  /* runs of consecutive rows in one copy each (a whole dataset: one) */
  for (size_t k = 0, len; k < count; k += len) {
    const size_t i = rows[k];
    for (len = 1; k + len < count && rows[k + len] == i + len;) len++;
    memcpy(sub->X + k * xr, ds->X + i * xr, len * xr * sizeof *ds->X);
    memcpy(sub->Y + k * d, ds->Y + i * d, len * d * sizeof *ds->Y);
    if (ds->ranks) memcpy(sub->ranks + k * d, ds->ranks + i * d, len * d * sizeof *ds->ranks);
    if (ds->labels) memcpy(sub->labels + k, ds->labels + i, len * sizeof *ds->labels);
  }
  if (ds->costs) {
    sub->costs = malloc(count * d * sizeof *sub->costs);
    if (sub->costs == NULL) {
      pt_dataset_free(&sub);
      return pt_error(PT_ENOMEM, "%s: out of memory for the costs of %zu rows", fn, count);
    }
    for (size_t k = 0; k < count; k++) memcpy(sub->costs + k * d, ds->costs + rows[k] * d, d * sizeof *ds->costs);
  }
  memcpy(sub->solver, ds->solver, sizeof sub->solver);
  sub->grid_rows = ds->grid_rows;
  sub->grid_cols = ds->grid_cols;
  sub->channels = ds->channels;
  sub->height = ds->height;
  sub->width = ds->width;
  memcpy(sub->task, ds->task, sizeof sub->task);
  memcpy(sub->name, ds->name, sizeof sub->name);
  memcpy(sub->source, ds->source, sizeof sub->source);
  *out = sub;
  return PT_OK;
}

/* A shuffle of the rows 0..n−1 from the stream (seed, PT_PURPOSE_SPLIT,
 * epoch): *perm is malloc'ed, the caller frees it. `epoch` keeps the shuffles
 * of different splitting schemes apart. */
static pt_status shuffled_rows(const char *fn, size_t n, uint64_t seed, uint64_t epoch, size_t **perm) {
  /* gsl_ran_shuffle draws indices with gsl_rng_uniform_int, whose range is
   * the generator's (32 bits). */
  if (n > (size_t)UINT32_MAX) return pt_error(PT_EINVAL, "%s: %zu rows are too many to shuffle", fn, n);
  *perm = malloc(n * sizeof **perm);
  gsl_rng *r = pt_rng_alloc();
  if (*perm == NULL || r == NULL) {
    free(*perm);
    *perm = NULL;
    if (r) gsl_rng_free(r);
    return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  }
  for (size_t i = 0; i < n; i++) (*perm)[i] = i;
  const pt_rng_id id = {seed, PT_PURPOSE_SPLIT, epoch, 0, 0};
  pt_rng_seek(r, &id);
  gsl_ran_shuffle(r, *perm, n, sizeof **perm);
  gsl_rng_free(r);
  return PT_OK;
}

pt_status pt_dataset_split(const pt_dataset *ds, double test_fraction, uint64_t seed, pt_dataset **train,
                           pt_dataset **test) {
  static const char fn[] = "pt_dataset_split";
  PT_CHECK_PTR(fn, train);
  PT_CHECK_PTR(fn, test);
  *train = NULL;
  *test = NULL;
  PT_CHECK_PTR(fn, ds);
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    return pt_error(PT_EINVAL, "%s: test_fraction must be in (0, 1) (got %g)", fn, test_fraction);
  if (ds->n < 2) return pt_error(PT_EINVAL, "%s: cannot split %zu row(s) into two non-empty parts", fn, ds->n);
  const size_t n = ds->n;
  size_t n_test = (size_t)llround((double)n * test_fraction);
  if (n_test < 1) n_test = 1;
  if (n_test > n - 1) n_test = n - 1;
  size_t *perm = NULL;
  PT_TRY(shuffled_rows(fn, n, seed, 0, &perm));
  pt_status st = pt_dataset_subset(ds, perm, n_test, test);
  if (st == PT_OK) st = pt_dataset_subset(ds, perm + n_test, n - n_test, train);
  if (st != PT_OK) {
    pt_dataset_free(test);
    pt_dataset_free(train);
  }
  free(perm);
  return st;
}

pt_status pt_kfold_rows(size_t n, size_t K, size_t k, uint64_t seed, size_t *test_rows, size_t *train_rows) {
  static const char fn[] = "pt_kfold_rows";
  PT_CHECK_PTR(fn, test_rows);
  PT_CHECK_PTR(fn, train_rows);
  if (K < 2 || K > n) return pt_error(PT_EINVAL, "%s: %zu folds need 2 <= folds <= the %zu rows", fn, K, n);
  if (k >= K) return pt_error(PT_EINVAL, "%s: fold %zu is not in 0..%zu", fn, k, K - 1);
  const size_t begin = k * n / K, end = (k + 1) * n / K;
  size_t *perm = NULL;
  PT_TRY(shuffled_rows(fn, n, seed, 1, &perm)); /* epoch 1: not pt_dataset_split's shuffle */
  memcpy(test_rows, perm + begin, (end - begin) * sizeof *perm);
  /* the training rows, in shuffled order, without the test fold */
  memcpy(train_rows, perm, begin * sizeof *perm);
  memcpy(train_rows + begin, perm + end, (n - end) * sizeof *perm);
  free(perm);
  return PT_OK;
}

pt_status pt_dataset_kfold(const pt_dataset *ds, size_t K, size_t k, uint64_t seed, pt_dataset **train,
                           pt_dataset **test) {
  static const char fn[] = "pt_dataset_kfold";
  PT_CHECK_PTR(fn, train);
  PT_CHECK_PTR(fn, test);
  *train = NULL;
  *test = NULL;
  PT_CHECK_PTR(fn, ds);
  if (K < 2 || K > ds->n)
    return pt_error(PT_EINVAL, "%s: %zu folds need 2 <= folds <= the %zu instances of '%s'", fn, K, ds->n, ds->name);
  if (k >= K) return pt_error(PT_EINVAL, "%s: fold %zu is not in 0..%zu", fn, k, K - 1);
  const size_t n = ds->n, n_test = (k + 1) * n / K - k * n / K;
  size_t *rows = malloc(n * sizeof *rows); /* the test rows, then the training rows */
  if (rows == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  pt_status st = pt_kfold_rows(n, K, k, seed, rows, rows + n_test);
  if (st == PT_OK) st = pt_dataset_subset(ds, rows, n_test, test);
  if (st == PT_OK) st = pt_dataset_subset(ds, rows + n_test, n - n_test, train);
  if (st != PT_OK) {
    pt_dataset_free(test);
    pt_dataset_free(train);
  }
  free(rows);
  return st;
}

pt_status pt_dataset_feature_stats(const pt_dataset *train, double *mean, double *sd, const char *origin) {
  static const char fn[] = "pt_dataset_feature_stats";
  PT_CHECK_PTR(fn, train);
  PT_CHECK_PTR(fn, mean);
  PT_CHECK_PTR(fn, sd);
  if (origin == NULL) origin = train->name[0] ? train->name : "dataset";
  const size_t p = train->p, rows = train->n * (train->per_label ? train->d : 1);
  for (size_t j = 0; j < p; j++) mean[j] = sd[j] = 0.0;
  /* two passes: the mean, then the squared deviations (no cancellation) */
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < p; j++) mean[j] += train->X[r * p + j];
  for (size_t j = 0; j < p; j++) mean[j] /= (double)rows;
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < p; j++) {
      const double dev = train->X[r * p + j] - mean[j];
      sd[j] += dev * dev;
    }
  for (size_t j = 0; j < p; j++) {
    /* Features near the largest doubles overflow the sums: the scaled data
     * would be all zeros or NaN, so stop rather than train on them. */
    if (!isfinite(mean[j]))
      return pt_error(PT_EDOM, "%s: feature %zu (0-based) of the training part: its mean is not finite (%g): the "
                      "values are too large to standardise", origin, j, mean[j]);
    sd[j] = rows > 1 ? sqrt(sd[j] / (double)(rows - 1)) : 0.0;
    if (!isfinite(sd[j]))
      return pt_error(PT_EDOM, "%s: feature %zu (0-based) of the training part: its standard deviation is not finite "
                      "(%g): the values are too large to standardise", origin, j, sd[j]);
    if (!(sd[j] > 0)) sd[j] = 1.0; /* a constant feature is only centred */
  }
  return PT_OK;
}

void pt_dataset_standardize_with(pt_dataset *ds, const double *mean, const double *sd) {
  const size_t p = ds->p, nr = ds->n * (ds->per_label ? ds->d : 1);
  for (size_t r = 0; r < nr; r++)
    for (size_t j = 0; j < p; j++) ds->X[r * p + j] = (ds->X[r * p + j] - mean[j]) / sd[j];
}

pt_status pt_dataset_standardize(pt_dataset *train, pt_dataset *test) {
  static const char fn[] = "pt_dataset_standardize";
  PT_CHECK_PTR(fn, train);
  if (test && (test->p != train->p || test->per_label != train->per_label))
    return pt_error(PT_EINVAL, "%s: the test features do not match the training features", fn);
  const size_t p = train->p;
  double *mean = calloc(p, sizeof *mean), *sd = calloc(p, sizeof *sd);
  if (mean == NULL || sd == NULL) {
    free(mean);
    free(sd);
    return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  }
  const pt_status st = pt_dataset_feature_stats(train, mean, sd, NULL);
  if (st == PT_OK) {
    pt_dataset_standardize_with(train, mean, sd);
    if (test) pt_dataset_standardize_with(test, mean, sd);
  }
  free(mean);
  free(sd);
  return st;
}

/* ---- synthetic ranking task -------------------------------------------- */

/* sigma printed so that strtod gives it back exactly, yet short when it can
 * be (0.1 rather than 0.10000000000000001): the HDF5 writer reads the
 * generator's parameters back from the source string. */
static void format_exact(char *buf, size_t size, double v) {
  snprintf(buf, size, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, size, "%.17g", v);
}

pt_status pt_dataset_synthetic(const pt_synthetic_params *params, pt_dataset **out) {
  static const char fn[] = "pt_dataset_synthetic";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, params);
  const size_t n = params->n, d = params->d, p = params->p;
  const double sigma = params->sigma;
  if (n < 1 || p < 1) return pt_error(PT_EINVAL, "%s: n and p must be >= 1 (got n = %zu, p = %zu)", fn, n, p);
  if (d < 2) return pt_error(PT_EINVAL, "%s: a ranking needs d >= 2 labels (got d = %zu)", fn, d);
  if (!(isfinite(sigma) && sigma >= 0))
    return pt_error(PT_EINVAL, "%s: sigma must be finite and >= 0 (got %g)", fn, sigma);
  const int per_label = params->per_label ? 1 : 0;
  size_t wlen = 0;
  if (!mul_ok(d, p, &wlen)) return pt_error(PT_EINVAL, "%s: d = %zu, p = %zu is too large", fn, d, p);
  if (per_label) wlen = p;

  pt_dataset *ds = NULL;
  PT_TRY(pt_dataset_alloc(n, d, p, per_label, 1, &ds));
  pt_solver *rank = NULL;
  pt_status st = pt_solver_ranking_alloc(d, &rank);
  gsl_rng *r = st == PT_OK ? pt_rng_alloc() : NULL;
  double *w = malloc(wlen * sizeof *w);  /* w0 [p] or W0 [d × p] */
  double *t = malloc(2 * d * sizeof *t); /* θ_i + σZ_i, then Z_i */
  if (st == PT_OK && (r == NULL || w == NULL || t == NULL)) st = pt_error(PT_ENOMEM, "%s: out of memory", fn);
  if (st != PT_OK) goto done;

  /* The hidden model has its own stream (instance UINT64_MAX), apart from
   * every instance's. */
  pt_rng_id id = {params->seed, PT_PURPOSE_DATA, 0, UINT64_MAX, 0};
  pt_rng_seek(r, &id);
  pt_noise_gaussian_ziggurat->sample(r, wlen, w);
  if (per_label) {
    double ss = 0.0;
    for (size_t k = 0; k < p; k++) ss += w[k] * w[k];
    const double norm = sqrt(ss);
    /* ‖g‖ = 0 has probability 0, but then any unit vector will do. */
    if (norm > 0)
      for (size_t k = 0; k < p; k++) w[k] /= norm;
    else
      w[0] = 1.0;
  } else {
    const double scale = 1.0 / sqrt((double)p); /* entries N(0, 1/p): Var θ_ij = 1 */
    for (size_t k = 0; k < wlen; k++) w[k] *= scale;
  }

  const size_t xr = per_label ? d * p : p;
  double *z = t + d;
  for (size_t i = 0; i < n && st == PT_OK; i++) {
    double *x = ds->X + i * xr, *y = ds->Y + i * d;
    id.instance = (uint64_t)i;
    id.sample = 0;
    pt_rng_seek(r, &id);
    pt_noise_gaussian_ziggurat->sample(r, xr, x);
    for (size_t j = 0; j < d; j++) {
      const double *a = per_label ? x + j * p : x, *b = per_label ? w : w + j * p;
      double s = 0.0;
      for (size_t k = 0; k < p; k++) s += a[k] * b[k];
      t[j] = s;
    }
    if (sigma > 0) {
      id.sample = 1;
      pt_rng_seek(r, &id);
      pt_noise_gaussian_ziggurat->sample(r, d, z);
      for (size_t j = 0; j < d; j++) t[j] += sigma * z[j];
    }
    st = pt_solver_solve(rank, t, y);
    for (size_t j = 0; j < d && st == PT_OK; j++) ds->ranks[i * d + j] = (int32_t)((double)d - y[j]);
  }
  if (st != PT_OK) goto done;

  snprintf(ds->name, sizeof ds->name, "%s", "synthetic");
  char sig[40];
  format_exact(sig, sizeof sig, sigma);
  snprintf(ds->source, sizeof ds->source, "synthetic %s n=%zu d=%zu p=%zu sigma=%s seed=%" PRIu64,
           per_label ? "per_label" : "affine", n, d, p, sig, params->seed);

done:
  if (r) gsl_rng_free(r);
  free(w);
  free(t);
  pt_solver_free(&rank);
  if (st != PT_OK) pt_dataset_free(&ds);
  *out = ds;
  return st;
}

void pt_path_stem(const char *path, const char *suffix, char *out, size_t size) {
  const char *slash = strrchr(path, '/');
  const char *b = slash ? slash + 1 : path;
  size_t len = strlen(b);
  const size_t sl = strlen(suffix);
  if (len > sl && strcmp(b + len - sl, suffix) == 0) len -= sl;
  if (len > size - 1) len = size - 1;
  memcpy(out, b, len);
  out[len] = '\0';
}
