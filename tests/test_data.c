/* test_data.c: datasets — synthetic generator, CSV import, HDF5 save/load
 * (collective, run under mpirun with 1, 2 and 3 ranks), subsets, splits, and
 * every bad input with its exact status and message.
 *
 * Usage: test_data [DATA_DIR]; DATA_DIR is tests/data of the source tree,
 * from which ../../../shared/data/label_ranking is the real label-ranking
 * data (PERTURB_LABEL_RANKING_DIR overrides). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "perturb/data.h"
#include "perturb/noise.h"
#include "perturb/rng.h"
#include "perturb/solver.h"
#include "testlib.h"

static int rank = 0, nranks = 1;
static MPI_Comm world; /* MPI_COMM_WORLD, under a short name for the printed calls */
static char tmpdir[256];
static char realdir[1024];
static const char *datadir_arg; /* tests/data, from the command line */

/* Progress lines from rank 0 only. */
#define SAY(...)              \
  do {                        \
    if (rank == 0) {          \
      printf(__VA_ARGS__);    \
      fflush(stdout);         \
    }                         \
  } while (0)

/* CHECK_FAILS_MSG on rank 0 (which prints the message); the same check
 * without the "ok:" line on the other ranks. */
#define EXPECT_FAIL(call, want, sub)                                                                       \
  do {                                                                                                     \
    if (rank == 0) {                                                                                       \
      CHECK_FAILS_MSG(call, want, sub);                                                                    \
    } else {                                                                                               \
      pt_clear_error();                                                                                    \
      pt_status s_ = (call);                                                                               \
      CHECK(s_ == (want) && strstr(pt_last_error(), (sub)) != NULL, "rank %d: %s -> %s '%s' (wanted %s '%s')", \
            rank, #call, pt_strerror(s_), pt_last_error(), pt_strerror(want), (sub));                     \
    }                                                                                                      \
  } while (0)

static void tmp_path(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

static void write_text(const char *name, const char *text) {
  char path[512];
  tmp_path(path, sizeof path, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL, "cannot write %s", path);
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

/* HDF5 objects left open anywhere in the process (must stay 0 between calls). */
static long open_h5_objects(void) { return (long)H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL); }

static int same_doubles(const double *a, const double *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static size_t x_len(const pt_dataset *ds) { return ds->n * (ds->per_label ? ds->d * ds->p : ds->p); }

/* Bitwise equality of contents, shape and labels. */
static int same_dataset(const pt_dataset *a, const pt_dataset *b) {
  if (a->n != b->n || a->d != b->d || a->p != b->p || a->per_label != b->per_label) return 0;
  if (!same_doubles(a->X, b->X, x_len(a)) || !same_doubles(a->Y, b->Y, a->n * a->d)) return 0;
  if ((a->ranks == NULL) != (b->ranks == NULL)) return 0;
  if (a->ranks && memcmp(a->ranks, b->ranks, a->n * a->d * sizeof *a->ranks) != 0) return 0;
  return strcmp(a->task, b->task) == 0 && strcmp(a->name, b->name) == 0 && strcmp(a->source, b->source) == 0;
}

/* ---- synthetic ------------------------------------------------------------ */

/* Recomputes the scores θ_i (+ σZ_i if with_noise) from the documented streams. */
static void reference_scores(const pt_synthetic_params *sp, const pt_dataset *ds, size_t i, int with_noise,
                             double *theta) {
  const size_t d = sp->d, p = sp->p, wlen = sp->per_label ? p : d * p;
  double *w = malloc(wlen * sizeof *w), *x = malloc(d * p * sizeof *x), *z = malloc(d * sizeof *z);
  gsl_rng *r = pt_rng_alloc();
  pt_rng_id id = {sp->seed, PT_PURPOSE_DATA, 0, UINT64_MAX, 0};
  pt_rng_seek(r, &id);
  pt_noise_gaussian_ziggurat->sample(r, wlen, w);
  if (sp->per_label) {
    double ss = 0;
    for (size_t k = 0; k < p; k++) ss += w[k] * w[k];
    for (size_t k = 0; k < p; k++) w[k] /= sqrt(ss);
  } else {
    for (size_t k = 0; k < wlen; k++) w[k] *= 1.0 / sqrt((double)p);
  }
  const size_t xr = sp->per_label ? d * p : p;
  id.instance = i;
  pt_rng_seek(r, &id);
  pt_noise_gaussian_ziggurat->sample(r, xr, x);
  CHECK(same_doubles(x, ds->X + i * xr, xr), "x_%zu is the draw of stream (seed, DATA, 0, %zu, 0)", i, i);
  id.sample = 1;
  pt_rng_seek(r, &id);
  pt_noise_gaussian_ziggurat->sample(r, d, z);
  for (size_t j = 0; j < d; j++) {
    double s = 0;
    for (size_t k = 0; k < p; k++) s += (sp->per_label ? x[j * p + k] * w[k] : x[k] * w[j * p + k]);
    theta[j] = s + (with_noise ? sp->sigma * z[j] : 0.0);
  }
  gsl_rng_free(r);
  free(w);
  free(x);
  free(z);
}

/* Rows whose labels differ from the ranking of the clean scores; checks that
 * they equal the ranking of the noisy scores. */
static size_t count_noisy_rows(const pt_synthetic_params *sp, const pt_dataset *ds) {
  pt_solver *s = NULL;
  CHECK_OK(pt_solver_ranking_alloc(sp->d, &s));
  double *theta = malloc(sp->d * sizeof *theta), *y = malloc(sp->d * sizeof *y);
  size_t changed = 0, mismatched = 0;
  for (size_t i = 0; i < ds->n; i++) {
    reference_scores(sp, ds, i, 0, theta);
    pt_solver_solve(s, theta, y);
    if (!same_doubles(y, ds->Y + i * sp->d, sp->d)) changed++;
    reference_scores(sp, ds, i, 1, theta);
    pt_solver_solve(s, theta, y);
    if (!same_doubles(y, ds->Y + i * sp->d, sp->d)) mismatched++;
  }
  CHECK(mismatched == 0, "%zu rows are not the ranking of theta + sigma Z", mismatched);
  free(theta);
  free(y);
  pt_solver_free(&s);
  return changed;
}

static void test_synthetic(void) {
  SAY("synthetic generator\n");
  for (int per_label = 1; per_label >= 0; per_label--) {
    pt_synthetic_params sp = {per_label, 100, 5, 4, 0.5, 7};
    pt_dataset *a = NULL, *b = NULL, *c = NULL, *e = NULL;
    CHECK_OK(pt_dataset_synthetic(&sp, &a));
    CHECK_OK(pt_dataset_synthetic(&sp, &b));
    if (a == NULL || b == NULL) return;
    CHECK(same_dataset(a, b), "same parameters give bitwise the same data (per_label %d)", per_label);
    CHECK(a->n == 100 && a->d == 5 && a->p == 4 && a->per_label == per_label && a->ranks != NULL,
          "shape n=%zu d=%zu p=%zu per_label=%d", a->n, a->d, a->p, a->per_label);
    CHECK(strcmp(a->name, "synthetic") == 0 && strcmp(a->task, "ranking") == 0, "name '%s' task '%s'", a->name,
          a->task);
    CHECK(strstr(a->source, per_label ? "synthetic per_label" : "synthetic affine") != NULL &&
            strstr(a->source, "n=100 d=5 p=4 sigma=0.5 seed=7") != NULL,
          "source '%s'", a->source);
    CHECK_OK(pt_dataset_check(a, "synthetic"));

    /* Instance i does not depend on n. */
    sp.n = 50;
    CHECK_OK(pt_dataset_synthetic(&sp, &c));
    const size_t xr = per_label ? 5 * 4 : 4;
    CHECK(c && same_doubles(c->X, a->X, 50 * xr) && same_doubles(c->Y, a->Y, 50 * 5) &&
            memcmp(c->ranks, a->ranks, 50 * 5 * sizeof *c->ranks) == 0,
          "rows 0..49 of n=50 and n=100 are identical (per_label %d)", per_label);
    sp.n = 100;
    sp.seed = 8;
    CHECK_OK(pt_dataset_synthetic(&sp, &e));
    CHECK(e && !same_doubles(e->X, a->X, 100 * xr) && !same_doubles(e->Y, a->Y, 100 * 5),
          "seeds 7 and 8 give different data");
    sp.seed = 7;

    /* Labels: exactly the ranking of θ + σZ, and σ > 0 changes some rows. */
    const size_t changed = count_noisy_rows(&sp, a);
    CHECK(changed > 0 && changed < a->n, "sigma 0.5 changes some rows but not all (%zu of %zu)", changed, a->n);
    for (size_t k = 0; k < a->n * a->d; k++)
      if (a->Y[k] != 5.0 - a->ranks[k]) {
        CHECK(0, "Y = d - ranks at %zu", k);
        break;
      }
    pt_dataset_free(&a);
    pt_dataset_free(&b);
    pt_dataset_free(&c);
    pt_dataset_free(&e);
    CHECK(a == NULL, "free clears the handle");

    sp.sigma = 0.0;
    CHECK_OK(pt_dataset_synthetic(&sp, &a));
    if (a) CHECK(count_noisy_rows(&sp, a) == 0, "sigma 0: labels are the ranking of the clean scores");
    pt_dataset_free(&a);
  }

  /* Per-label scores θ_ij = ⟨x_ij, w0⟩ are N(0, 1): mean θ² = 1 within 4 SE. */
  {
    pt_synthetic_params sp = {1, 2000, 4, 6, 0.0, 11};
    pt_dataset *a = NULL;
    CHECK_OK(pt_dataset_synthetic(&sp, &a));
    double *sq = malloc(sp.n * sp.d * sizeof *sq), theta[4], mean, se;
    for (size_t i = 0; a && i < sp.n; i += 1) {
      reference_scores(&sp, a, i, 0, theta);
      for (size_t j = 0; j < sp.d; j++) sq[i * sp.d + j] = theta[j] * theta[j];
    }
    pt_test_mean_se(sp.n * sp.d, sq, &mean, &se);
    CHECK_WITHIN("mean theta^2 (per label)", mean, 1.0, 4.0, se, 0.0);
    free(sq);
    pt_dataset_free(&a);
  }

  /* Bad parameters. */
  pt_synthetic_params bad = {0, 10, 1, 3, 0.1, 1};
  pt_dataset *x = NULL;
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_dataset_synthetic(&bad, &x), PT_EINVAL, "d >= 2");
    bad.d = 3;
    bad.sigma = -1;
    CHECK_FAILS_MSG(pt_dataset_synthetic(&bad, &x), PT_EINVAL, "sigma");
    bad.sigma = NAN;
    CHECK_FAILS_MSG(pt_dataset_synthetic(&bad, &x), PT_EINVAL, "sigma");
    bad.sigma = 0;
    bad.n = 0;
    CHECK_FAILS_MSG(pt_dataset_synthetic(&bad, &x), PT_EINVAL, "n = 0");
    CHECK_FAILS(pt_dataset_synthetic(NULL, &x), PT_EFAULT);
    CHECK_FAILS(pt_dataset_synthetic(&bad, NULL), PT_EFAULT);
    CHECK(x == NULL, "failed calls leave *out NULL");
  }
}

/* ---- in-memory operations ------------------------------------------------- */

static void test_memory(void) {
  SAY("alloc, check, subset, split\n");
  pt_dataset *ds = NULL;
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_dataset_alloc(0, 3, 2, 0, 1, &ds), PT_EINVAL, "sizes must be >= 1");
    CHECK_FAILS_MSG(pt_dataset_alloc(SIZE_MAX / 2, 3, 2, 1, 1, &ds), PT_EINVAL, "too large");
    CHECK_FAILS(pt_dataset_alloc(1, 1, 1, 0, 0, NULL), PT_EFAULT);
  }
  pt_dataset_free(NULL);
  pt_dataset_free(&ds);

  pt_synthetic_params sp = {0, 100, 4, 3, 0.3, 5};
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds == NULL) return;

  /* check: a NaN, a broken permutation, Y inconsistent with ranks. */
  if (rank == 0) {
    pt_dataset *bad = NULL;
    const size_t all[3] = {0, 1, 2};
    CHECK_OK(pt_dataset_subset(ds, all, 3, &bad));
    bad->X[2 * 3 + 1] = NAN;
    CHECK_FAILS_MSG(pt_dataset_check(bad, "mydata"), PT_EDOM, "mydata: row 2: X[1] is not finite");
    bad->X[2 * 3 + 1] = 0.0;
    int32_t keep = bad->ranks[1 * 4 + 0];
    bad->ranks[1 * 4 + 0] = bad->ranks[1 * 4 + 1];
    CHECK_FAILS_MSG(pt_dataset_check(bad, "mydata"), PT_EFORMAT, "row 1: ranks are not a permutation of 1..4");
    bad->ranks[1 * 4 + 0] = keep;
    bad->Y[0] += 1.0;
    CHECK_FAILS_MSG(pt_dataset_check(bad, "mydata"), PT_EFORMAT, "row 0: Y[0]");
    bad->Y[0] -= 1.0;
    CHECK_OK(pt_dataset_check(bad, "mydata"));
    pt_dataset_free(&bad);
    CHECK_FAILS(pt_dataset_check(NULL, "x"), PT_EFAULT);
  }

  /* subset copies the chosen rows in order. */
  const size_t rows[3] = {7, 2, 7};
  pt_dataset *sub = NULL;
  CHECK_OK(pt_dataset_subset(ds, rows, 3, &sub));
  if (sub) {
    int ok = sub->n == 3;
    for (size_t k = 0; k < 3 && ok; k++)
      ok = same_doubles(sub->X + k * 3, ds->X + rows[k] * 3, 3) &&
           same_doubles(sub->Y + k * 4, ds->Y + rows[k] * 4, 4) &&
           memcmp(sub->ranks + k * 4, ds->ranks + rows[k] * 4, 4 * sizeof(int32_t)) == 0;
    CHECK(ok && strcmp(sub->source, ds->source) == 0, "subset copies rows 7, 2, 7 and the provenance");
  }
  pt_dataset_free(&sub);
  const size_t out_of_range[2] = {1, 100};
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_dataset_subset(ds, out_of_range, 2, &sub), PT_EINVAL, "rows[1] = 100 is out of range");
    CHECK_FAILS(pt_dataset_subset(ds, rows, 0, &sub), PT_EINVAL);
  }

  /* split: sizes, disjoint parts covering all rows (rows are told apart by
   * their features, distinct with probability 1), determinism. */
  pt_dataset *train = NULL, *test = NULL, *train2 = NULL, *test2 = NULL;
  CHECK_OK(pt_dataset_split(ds, 0.2, 99, &train, &test));
  if (train && test) {
    CHECK(test->n == 20 && train->n == 80, "split 0.2 of 100: test %zu, train %zu", test->n, train->n);
    unsigned char *hit = calloc(ds->n, 1);
    int ok = 1;
    for (size_t k = 0; k < train->n + test->n; k++) {
      const double *x = k < test->n ? test->X + k * 3 : train->X + (k - test->n) * 3;
      size_t i = 0;
      while (i < ds->n && !same_doubles(x, ds->X + i * 3, 3)) i++;
      if (i == ds->n || hit[i]) ok = 0;
      else hit[i] = 1;
    }
    CHECK(ok, "the test and training parts are disjoint and cover every row once");
    free(hit);
    CHECK_OK(pt_dataset_split(ds, 0.2, 99, &train2, &test2));
    CHECK(test2 && same_dataset(test, test2) && same_dataset(train, train2), "same seed, same split");
    pt_dataset_free(&train2);
    pt_dataset_free(&test2);
    CHECK_OK(pt_dataset_split(ds, 0.2, 100, &train2, &test2));
    CHECK(test2 && !same_dataset(test, test2), "another seed, another split");
  }
  pt_dataset_free(&train);
  pt_dataset_free(&test);
  pt_dataset_free(&train2);
  pt_dataset_free(&test2);
  CHECK_OK(pt_dataset_split(ds, 0.001, 1, &train, &test));
  CHECK(test && train && test->n == 1 && train->n == 99, "a tiny fraction still gives 1 test row");
  pt_dataset_free(&train);
  pt_dataset_free(&test);
  CHECK_OK(pt_dataset_split(ds, 0.999, 1, &train, &test));
  CHECK(test && train && test->n == 99 && train->n == 1, "a fraction near 1 still leaves 1 training row");
  pt_dataset_free(&train);
  pt_dataset_free(&test);
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_dataset_split(ds, 1.0, 1, &train, &test), PT_EINVAL, "test_fraction");
    CHECK_FAILS_MSG(pt_dataset_split(ds, NAN, 1, &train, &test), PT_EINVAL, "test_fraction");
    CHECK(train == NULL && test == NULL, "a failed split leaves both handles NULL");
  }
  pt_dataset_free(&ds);
}

/* ---- CSV ------------------------------------------------------------------- */

/* K-fold splits partition the rows (each row in exactly one test fold, and
 * never in its own training part); standardising uses the training part's
 * statistics only. */
static void test_folds(void) {
  SAY("k-fold splits and standardisation\n");
  pt_synthetic_params sp = {0, 23, 4, 3, 0.1, 8};
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds == NULL) return;
  /* tag each row by its first feature, which is continuous hence unique */
  const size_t K = 5;
  int seen[23] = {0};
  size_t test_total = 0;
  for (size_t k = 0; k < K; k++) {
    pt_dataset *train = NULL, *test = NULL;
    CHECK_OK(pt_dataset_kfold(ds, K, k, 3, &train, &test));
    if (train == NULL || test == NULL) break;
    CHECK(train->n + test->n == ds->n, "fold %zu: %zu + %zu rows, not %zu", k, train->n, test->n, ds->n);
    CHECK(test->n == (k + 1) * ds->n / K - k * ds->n / K, "fold %zu holds %zu rows", k, test->n);
    test_total += test->n;
    for (size_t t = 0; t < test->n; t++) {
      size_t row = ds->n;
      for (size_t i = 0; i < ds->n; i++)
        if (ds->X[i * ds->p] == test->X[t * ds->p]) row = i;
      CHECK(row < ds->n, "fold %zu: test row %zu is not a row of the data", k, t);
      if (row < ds->n) seen[row]++;
      for (size_t u = 0; u < train->n; u++)
        CHECK(train->X[u * ds->p] != test->X[t * ds->p], "fold %zu: a test row is also a training row", k);
    }
    /* the same seed gives the same folds */
    pt_dataset *train2 = NULL, *test2 = NULL;
    CHECK_OK(pt_dataset_kfold(ds, K, k, 3, &train2, &test2));
    CHECK(test2 && memcmp(test->X, test2->X, test->n * ds->p * sizeof(double)) == 0, "fold %zu differs on repeat", k);
    pt_dataset_free(&train2);
    pt_dataset_free(&test2);
    if (k == 0) {
      /* standardise: training features get mean 0 and deviation 1 */
      CHECK_OK(pt_dataset_standardize(train, test));
      for (size_t j = 0; j < ds->p; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < train->n; i++) m += train->X[i * ds->p + j];
        m /= (double)train->n;
        for (size_t i = 0; i < train->n; i++) v += (train->X[i * ds->p + j] - m) * (train->X[i * ds->p + j] - m);
        v /= (double)(train->n - 1);
        CHECK(fabs(m) < 1e-12 && fabs(v - 1.0) < 1e-12, "feature %zu after standardising: mean %g, variance %g", j, m, v);
      }
    }
    pt_dataset_free(&train);
    pt_dataset_free(&test);
  }
  CHECK(test_total == ds->n, "the test folds hold %zu rows, not %zu", test_total, ds->n);
  for (size_t i = 0; i < ds->n; i++) CHECK(seen[i] == 1, "row %zu is in %d test folds", i, seen[i]);
  pt_dataset *a = NULL, *b = NULL;
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_dataset_kfold(ds, 24, 0, 1, &a, &b), PT_EINVAL, "folds");
    CHECK_FAILS_MSG(pt_dataset_kfold(ds, 1, 0, 1, &a, &b), PT_EINVAL, "folds");
    CHECK_FAILS_MSG(pt_dataset_kfold(ds, 5, 5, 1, &a, &b), PT_EINVAL, "fold 5");
  }
  pt_dataset_free(&ds);
}

/* pt_kfold_rows gives the rows of pt_dataset_kfold's parts, in their order,
 * for outer folds and for inner folds of an outer training part (mapped back
 * through its rows, as perturb folds does), on row counts that K does not
 * divide; the test parts partition the rows. */
static void test_fold_rows(void) {
  SAY("k-fold rows (pt_kfold_rows) against pt_dataset_kfold\n");
  pt_synthetic_params sp = {0, 37, 3, 2, 0.1, 5};
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds == NULL) return;
  const size_t n = ds->n, K = 10, J = 4;
  const uint64_t seed = 11;
  size_t rows[37], inner[37], mapped[37];
  int in_test[37] = {0};
  for (size_t k = 0; k < K; k++) {
    const size_t n_test = (k + 1) * n / K - k * n / K, n_train = n - n_test;
    pt_dataset *train = NULL, *test = NULL, *sub = NULL, *itrain = NULL, *itest = NULL;
    CHECK_OK(pt_kfold_rows(n, K, k, seed, rows, rows + n_test));
    CHECK_OK(pt_dataset_kfold(ds, K, k, seed, &train, &test));
    if (train == NULL || test == NULL) break;
    int seen[37] = {0};
    for (size_t i = 0; i < n; i++) seen[rows[i] < n ? rows[i] : 0]++;
    for (size_t i = 0; i < n; i++) CHECK(seen[i] == 1, "fold %zu: row %zu is listed %d times", k, i, seen[i]);
    for (size_t t = 0; t < n_test; t++) in_test[rows[t]]++;
    CHECK_OK(pt_dataset_subset(ds, rows, n_test, &sub));
    CHECK(sub && same_dataset(sub, test), "fold %zu: the test rows are not pt_dataset_kfold's test part", k);
    pt_dataset_free(&sub);
    CHECK_OK(pt_dataset_subset(ds, rows + n_test, n_train, &sub));
    CHECK(sub && same_dataset(sub, train), "fold %zu: the training rows are not pt_dataset_kfold's training part", k);
    pt_dataset_free(&sub);
    for (size_t j = 0; j < J; j++) {
      const size_t n_inner = (j + 1) * n_train / J - j * n_train / J;
      CHECK_OK(pt_kfold_rows(n_train, J, j, seed + 1, inner, inner + n_inner));
      CHECK_OK(pt_dataset_kfold(train, J, j, seed + 1, &itrain, &itest));
      for (size_t r = 0; r < n_train; r++) mapped[r] = rows[n_test + inner[r]];
      CHECK_OK(pt_dataset_subset(ds, mapped, n_inner, &sub));
      CHECK(sub && itest && same_dataset(sub, itest), "fold %zu, inner fold %zu: the validation rows differ", k, j);
      pt_dataset_free(&sub);
      CHECK_OK(pt_dataset_subset(ds, mapped + n_inner, n_train - n_inner, &sub));
      CHECK(sub && itrain && same_dataset(sub, itrain), "fold %zu, inner fold %zu: the training rows differ", k, j);
      pt_dataset_free(&sub);
      pt_dataset_free(&itrain);
      pt_dataset_free(&itest);
    }
    pt_dataset_free(&train);
    pt_dataset_free(&test);
  }
  for (size_t i = 0; i < n; i++) CHECK(in_test[i] == 1, "row %zu is in %d test folds", i, in_test[i]);
  /* The folds themselves are pinned: every published cross-validation
   * result (docs/label_ranking.md) was measured on them, and
   * scripts/label_ranking_baselines.py reads them through perturb folds. */
  const size_t pinned[10] = {8, 1, 0, 2, 9, 6, 3, 7, 5, 4}; /* n = 10, K = 3, k = 1, seed 0 */
  CHECK_OK(pt_kfold_rows(10, 3, 1, 0, rows, rows + 3));
  CHECK(memcmp(rows, pinned, sizeof pinned) == 0, "the rows of fold 1 of 3 of 10 rows changed: %zu %zu %zu | %zu ...",
        rows[0], rows[1], rows[2], rows[3]);
  if (rank == 0) {
    CHECK_FAILS_MSG(pt_kfold_rows(n, n + 1, 0, seed, rows, inner), PT_EINVAL, "38 folds");
    CHECK_FAILS_MSG(pt_kfold_rows(n, 1, 0, seed, rows, inner), PT_EINVAL, "folds");
    CHECK_FAILS_MSG(pt_kfold_rows(n, 5, 5, seed, rows, inner), PT_EINVAL, "fold 5 is not in 0..4");
    CHECK_FAILS(pt_kfold_rows(n, 5, 0, seed, NULL, inner), PT_EFAULT);
  }
  pt_dataset_free(&ds);
}

static void test_csv_real(void) {
  if (rank != 0) return;
  if (realdir[0] == '\0') {
    printf("SKIP real label-ranking CSVs: directory not found (set PERTURB_LABEL_RANKING_DIR)\n");
    return;
  }
  SAY("CSV import of the real label-ranking files in %s\n", realdir);
  char path[1200];
  pt_dataset *ds = NULL;
  snprintf(path, sizeof path, "%s/iris.csv", realdir);
  CHECK_OK(pt_dataset_import_csv(path, &ds));
  if (ds) {
    CHECK(ds->n == 150 && ds->p == 4 && ds->d == 3 && !ds->per_label, "iris: n=%zu p=%zu d=%zu", ds->n, ds->p, ds->d);
    CHECK(ds->X[0] == -0.555556 && ds->X[3] == -0.916667 && ds->ranks[0] == 1 && ds->ranks[2] == 3,
          "iris row 1 read exactly");
    CHECK(strcmp(ds->name, "iris") == 0 && strcmp(ds->source, path) == 0, "iris name '%s' source '%s'", ds->name,
          ds->source);
    int ok = 1;
    for (size_t k = 0; k < ds->n * ds->d; k++) ok &= ds->Y[k] == 3.0 - ds->ranks[k];
    CHECK(ok, "iris: Y = d - ranks");
    CHECK_OK(pt_dataset_check(ds, "iris"));
  }
  pt_dataset_free(&ds);

  snprintf(path, sizeof path, "%s/cold.csv", realdir);
  CHECK_OK(pt_dataset_import_csv(path, &ds));
  if (ds) {
    CHECK(ds->n == 2465 && ds->p == 24 && ds->d == 4, "cold: n=%zu p=%zu d=%zu", ds->n, ds->p, ds->d);
    /* README: cold row 1 has ranks 2,3,1,4. */
    CHECK(ds->ranks[0] == 2 && ds->ranks[1] == 3 && ds->ranks[2] == 1 && ds->ranks[3] == 4 && ds->Y[2] == 3.0,
          "cold row 1: ranks 2,3,1,4, Y = d - ranks");
    CHECK_OK(pt_dataset_check(ds, "cold"));
  }
  pt_dataset_free(&ds);

  snprintf(path, sizeof path, "%s/fried.csv", realdir);
  const double t0 = MPI_Wtime();
  CHECK_OK(pt_dataset_import_csv(path, &ds));
  const double dt = MPI_Wtime() - t0;
  SAY("  fried.csv (40768 rows) imported in %.3f s (a report: no test depends on a timing)\n", dt);
  CHECK(ds && ds->n == 40768 && ds->p == 9 && ds->d == 5, "fried shape");
  pt_dataset_free(&ds);

  /* All 21 files import and pass the checks. */
  DIR *dir = opendir(realdir);
  size_t files = 0;
  for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
    const size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".csv") != 0) continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", realdir, e->d_name) >= sizeof path) {
      CHECK(0, "path too long: %s/%s", realdir, e->d_name);
      continue;
    }
    CHECK_OK(pt_dataset_import_csv(path, &ds));
    if (ds) CHECK_OK(pt_dataset_check(ds, path));
    pt_dataset_free(&ds);
    files++;
  }
  if (dir) closedir(dir);
  CHECK(files == 21, "21 label-ranking files (found %zu)", files);
}

/* The per-process cache of parsed CSV files: the same dataset as a fresh
 * import; a copy the caller owns; a file rewritten since (another size, or
 * the same size and a later modification time) read again; a file gone
 * reported as gone, not served from the cache. */
static void test_csv_cache(void) {
  if (rank != 0) return;
  SAY("CSV import through the cache\n");
  char path[512];
  tmp_path(path, sizeof path, "cached.csv");
  write_text("cached.csv", "f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,3,1,2\n");
  pt_dataset *a = NULL, *b = NULL, *c = NULL;
  CHECK_OK(pt_dataset_import_csv(path, &a));
  CHECK_OK(pt_dataset_import_csv_cached(path, &b));
  CHECK(a && b && a->n == b->n && a->p == b->p && a->d == b->d && memcmp(a->X, b->X, 4 * sizeof *a->X) == 0 &&
            memcmp(a->Y, b->Y, 6 * sizeof *a->Y) == 0 && strcmp(a->name, b->name) == 0,
        "the cached import is the plain import");
  if (b) b->X[0] = 99.0; /* the caller's own copy */
  CHECK_OK(pt_dataset_import_csv_cached(path, &c));
  CHECK(c && c->X[0] == 1.0, "a change to one copy does not reach the next");
  pt_dataset_free(&b);
  pt_dataset_free(&c);
  /* the same size, other values, a later modification time */
  write_text("cached.csv", "f1,f2,r1,r2,r3\n5,2,1,2,3\n3,4,3,1,2\n");
  struct timespec times[2] = {{0, UTIME_OMIT}, {0, 0}};
  clock_gettime(CLOCK_REALTIME, &times[1]);
  times[1].tv_sec += 10;
  CHECK(utimensat(AT_FDCWD, path, times, 0) == 0, "set the modification time of %s", path);
  CHECK_OK(pt_dataset_import_csv_cached(path, &c));
  CHECK(c && c->X[0] == 5.0, "a file rewritten since is read again (same size, later time)");
  pt_dataset_free(&c);
  write_text("cached.csv", "f1,f2,r1,r2\n1,2,1,2\n");
  CHECK_OK(pt_dataset_import_csv_cached(path, &c));
  CHECK(c && c->d == 2 && c->n == 1, "a file rewritten since is read again (another size)");
  pt_dataset_free(&c);
  remove(path);
  CHECK_FAILS_MSG(pt_dataset_import_csv_cached(path, &c), PT_EIO, "No such file");
  CHECK(c == NULL, "nothing handed out for a file gone");
  CHECK_FAILS(pt_dataset_import_csv_cached(NULL, &c), PT_EFAULT);
  pt_dataset_free(&a);
}

static void test_csv_bad(void) {
  if (rank != 0) return;
  SAY("CSV import: line endings, long lines, bad input\n");
  char path[512];
  pt_dataset *ds = NULL;

  /* The fixture in tests/data. */
  if (datadir_arg != NULL) {
    snprintf(path, sizeof path, "%.400s/tiny.csv", datadir_arg);
    CHECK_OK(pt_dataset_import_csv(path, &ds));
    CHECK(ds && ds->n == 2 && ds->p == 3 && ds->d == 4 && ds->X[2] == 2000 && ds->X[3] == -0.25 &&
            ds->ranks[0] == 4 && ds->Y[0] == 0 && ds->Y[7] == 0 && strcmp(ds->name, "tiny") == 0,
          "tests/data/tiny.csv");
    pt_dataset_free(&ds);
  }

  /* CRLF, no final newline, blanks around fields, a blank line at the end. */
  write_text("crlf.csv", "f1,f2,r1,r2\r\n1.5, -2 ,2,1\r\n\r\n3e-1,4,1,2");
  tmp_path(path, sizeof path, "crlf.csv");
  CHECK_OK(pt_dataset_import_csv(path, &ds));
  if (ds)
    CHECK(ds->n == 2 && ds->p == 2 && ds->d == 2 && ds->X[0] == 1.5 && ds->X[1] == -2 && ds->X[2] == 0.3 &&
            ds->X[3] == 4 && ds->ranks[0] == 2 && ds->ranks[3] == 2 && ds->Y[0] == 0 && ds->Y[1] == 1 &&
            strcmp(ds->name, "crlf") == 0,
          "CRLF file without a final newline");
  pt_dataset_free(&ds);

  /* A line far longer than any fixed buffer: 3000 features. */
  {
    const size_t p = 3000;
    size_t cap = 16 * p + 64, len = 0;
    char *text = malloc(2 * cap);
    for (size_t k = 1; k <= p; k++) len += (size_t)snprintf(text + len, 2 * cap - len, "f%zu,", k);
    len += (size_t)snprintf(text + len, 2 * cap - len, "r1,r2,r3\n");
    for (size_t k = 1; k <= p; k++) len += (size_t)snprintf(text + len, 2 * cap - len, "%zu.25,", k);
    snprintf(text + len, 2 * cap - len, "3,1,2\n");
    write_text("wide.csv", text);
    free(text);
    tmp_path(path, sizeof path, "wide.csv");
    CHECK_OK(pt_dataset_import_csv(path, &ds));
    CHECK(ds && ds->n == 1 && ds->p == 3000 && ds->d == 3 && ds->X[2999] == 3000.25 && ds->ranks[0] == 3,
          "a 3000-feature line");
    pt_dataset_free(&ds);
  }

  struct {
    const char *name, *text, *msg;
    pt_status st;
  } cases[] = {
    {"empty.csv", "", "is empty", PT_EFORMAT},
    {"header_only.csv", "f1,f2,r1,r2\n", "no data rows", PT_EFORMAT},
    {"bad_header.csv", "a,b,c\n1,2,3\n", "bad_header.csv:1: bad header: column 1 is 'a'", PT_EFORMAT},
    {"one_label.csv", "f1,f2,r1\n1,2,1\n", ":1: bad header: 2 feature and 1 rank columns", PT_EFORMAT},
    {"gap_header.csv", "f1,f3,r1,r2\n1,2,1,2\n", ":1: bad header: column 2 is 'f3'", PT_EFORMAT},
    {"no_features.csv", "r1,r2\n1,2\n", ":1: bad header: column 1 is 'r1'", PT_EFORMAT},
    {"short.csv", "f1,f2,r1,r2\n1,2,1,2\n1,2,1\n", "short.csv:3: short row (expected 4 fields, got 3)", PT_EFORMAT},
    {"long.csv", "f1,f2,r1,r2\n1,2,1,2,5\n", "long.csv:2: long row (expected 4 fields, got 5)", PT_EFORMAT},
    {"text.csv", "f1,f2,r1,r2\n1,abc,1,2\n", "text.csv:2: field 2 ('abc') is not a number", PT_EFORMAT},
    {"trailing.csv", "f1,f2,r1,r2\n1,2x,1,2\n", "trailing.csv:2: field 2 ('2x') is not a number", PT_EFORMAT},
    {"empty_field.csv", "f1,f2,r1,r2\n1,,1,2\n", ":2: field 2 ('') is not a number", PT_EFORMAT},
    {"nan.csv", "f1,f2,r1,r2\nnan,1,1,2\n", ":2: field 1 ('nan') is not a number", PT_EFORMAT},
    {"inf.csv", "f1,f2,r1,r2\n1,-inf,1,2\n", ":2: field 2 ('-inf') is not a finite number", PT_EFORMAT},
    {"huge.csv", "f1,f2,r1,r2\n1,1e999,1,2\n", ":2: field 2 ('1e999') is not a finite number", PT_EFORMAT},
    {"rank_dup.csv", "f1,f2,r1,r2,r3\n1,2,1,2,3\n1,2,1,1,3\n", "rank_dup.csv:3: ranks are not a permutation of 1..3",
     PT_EFORMAT},
    {"rank_range.csv", "f1,f2,r1,r2\n1,2,0,1\n", ":2: ranks are not a permutation of 1..2", PT_EFORMAT},
    {"rank_frac.csv", "f1,f2,r1,r2\n1,2,1.5,1\n", ":2: field 3 ('1.5') is not a number", PT_EFORMAT},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    write_text(cases[k].name, cases[k].text);
    tmp_path(path, sizeof path, cases[k].name);
    CHECK_FAILS_MSG(pt_dataset_import_csv(path, &ds), cases[k].st, cases[k].msg);
    CHECK(ds == NULL, "%s: *out is NULL after a failure", cases[k].name);
  }
  tmp_path(path, sizeof path, "missing.csv");
  CHECK_FAILS_MSG(pt_dataset_import_csv(path, &ds), PT_EIO, "No such file");
  CHECK_FAILS(pt_dataset_import_csv(NULL, &ds), PT_EFAULT);
}

/* ---- HDF5 ------------------------------------------------------------------ */

enum { RAW_NO_X = 1, RAW_NO_Y = 2, RAW_X_SHORT = 4, RAW_VERSION_2 = 8, RAW_NO_RANKS = 16 };

/* Writes ds with the HDF5 API directly, bypassing pt_dataset_save's checks,
 * optionally broken as `flags` says. */
static void write_raw(const char *name, const pt_dataset *ds, int flags) {
  char path[512];
  tmp_path(path, sizeof path, name);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(f >= 0, "H5Fcreate %s", path);
  const hsize_t xd[3] = {ds->n - ((flags & RAW_X_SHORT) ? 1 : 0), ds->per_label ? ds->d : ds->p, ds->p};
  const hsize_t yd[2] = {ds->n, ds->d};
  struct {
    const char *name;
    int rank;
    const hsize_t *dims;
    hid_t type;
    const void *data;
    int skip;
  } arr[3] = {{"/X", ds->per_label ? 3 : 2, xd, H5T_NATIVE_DOUBLE, ds->X, flags & RAW_NO_X},
              {"/Y", 2, yd, H5T_NATIVE_DOUBLE, ds->Y, flags & RAW_NO_Y},
              {"/ranks", 2, yd, H5T_NATIVE_INT32, ds->ranks, (flags & RAW_NO_RANKS) || ds->ranks == NULL}};
  for (int k = 0; k < 3; k++) {
    if (arr[k].skip) continue;
    hid_t sp = H5Screate_simple(arr[k].rank, arr[k].dims, NULL);
    hid_t d = H5Dcreate2(f, arr[k].name, arr[k].type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, arr[k].type, H5S_ALL, H5S_ALL, H5P_DEFAULT, arr[k].data) >= 0, "write %s", arr[k].name);
    H5Dclose(d);
    H5Sclose(sp);
  }
  if (flags & RAW_VERSION_2) {
    const int v = 2;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format_version", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &v);
    H5Aclose(a);
    H5Sclose(sp);
  }
  H5Fclose(f);
}

/* Files whose /X is not a numeric array: a group, strings, a vector. /Y is fine. */
static void write_odd_x(const char *name, int kind, const pt_dataset *ds) {
  char path[512];
  tmp_path(path, sizeof path, name);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t yd[2] = {ds->n, ds->d}, xd[1] = {ds->n};
  hid_t sp = H5Screate_simple(2, yd, NULL);
  hid_t d = H5Dcreate2(f, "/Y", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->Y);
  H5Dclose(d);
  H5Sclose(sp);
  if (kind == 0) {
    H5Gclose(H5Gcreate2(f, "/X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  } else {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 8);
    sp = H5Screate_simple(kind == 1 ? 2 : 1, kind == 1 ? yd : xd, NULL);
    d = H5Dcreate2(f, "/X", kind == 1 ? t : H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
  }
  H5Fclose(f);
}

/* This rank's share of n rows: [b, e). */
static void my_rows(size_t n, size_t *b, size_t *e) {
  *b = n * (size_t)rank / (size_t)nranks;
  *e = n * (size_t)(rank + 1) / (size_t)nranks;
}

/* Saves (rank 0) and loads back (all ranks): whole file and per-rank slices. */
static void round_trip(const pt_dataset *ds, const char *name) {
  char path[512];
  tmp_path(path, sizeof path, name);
  if (rank == 0) CHECK_OK(pt_dataset_save(ds, path));
  MPI_Barrier(MPI_COMM_WORLD);

  pt_dataset *all = NULL, *part = NULL;
  size_t n = 0;
  CHECK_OK(pt_dataset_count_rows(path, world, &n));
  CHECK(n == ds->n, "%s: count_rows %zu", name, n);
  CHECK_OK(pt_dataset_load(path, world, 0, SIZE_MAX, &all));
  CHECK(all && same_dataset(all, ds), "%s: save -> load is bitwise the same (all rows)", name);
  pt_dataset_free(&all);
  /* Any communicator: each rank alone. */
  CHECK_OK(pt_dataset_load(path, MPI_COMM_SELF, 0, SIZE_MAX, &all));
  CHECK(all && same_dataset(all, ds), "%s: load on MPI_COMM_SELF", name);
  pt_dataset_free(&all);

  /* Each rank its own slice; the slices, gathered in rank order, are the whole. */
  size_t b, e;
  my_rows(ds->n, &b, &e);
  CHECK_OK(pt_dataset_load(path, world, b, e, &part));
  const size_t xr = ds->per_label ? ds->d * ds->p : ds->p, d = ds->d;
  int *cx = malloc((size_t)nranks * sizeof *cx), *dx = malloc((size_t)nranks * sizeof *dx);
  int *cy = malloc((size_t)nranks * sizeof *cy), *dy = malloc((size_t)nranks * sizeof *dy);
  for (int r = 0; r < nranks; r++) {
    const size_t rb = ds->n * (size_t)r / (size_t)nranks, re = ds->n * (size_t)(r + 1) / (size_t)nranks;
    cx[r] = (int)((re - rb) * xr);
    dx[r] = (int)(rb * xr);
    cy[r] = (int)((re - rb) * d);
    dy[r] = (int)(rb * d);
  }
  double *X = malloc(ds->n * xr * sizeof *X), *Y = malloc(ds->n * d * sizeof *Y);
  int32_t *R = malloc(ds->n * d * sizeof *R);
  const int okpart = part != NULL && part->n == e - b;
  CHECK(okpart, "%s: rank %d loads rows [%zu, %zu)", name, rank, b, e);
  if (okpart) {
    MPI_Allgatherv(part->X, cx[rank], MPI_DOUBLE, X, cx, dx, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Allgatherv(part->Y, cy[rank], MPI_DOUBLE, Y, cy, dy, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Allgatherv(part->ranks, cy[rank], MPI_INT32_T, R, cy, dy, MPI_INT32_T, MPI_COMM_WORLD);
    CHECK(same_doubles(X, ds->X, ds->n * xr) && same_doubles(Y, ds->Y, ds->n * d) &&
            memcmp(R, ds->ranks, ds->n * d * sizeof *R) == 0 && strcmp(part->name, ds->name) == 0,
          "%s: the %d slices concatenate to the whole", name, nranks);
  }
  free(X);
  free(Y);
  free(R);
  free(cx);
  free(dx);
  free(cy);
  free(dy);
  pt_dataset_free(&part);
  CHECK(open_h5_objects() == 0, "%s: no HDF5 object left open (%ld)", name, open_h5_objects());
}

static void test_h5_round_trip(void) {
  SAY("HDF5 save -> load round trips on %d rank(s)\n", nranks);
  pt_synthetic_params sp = {1, 37, 4, 3, 0.1, 3};
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds) round_trip(ds, "per_label.h5");
  pt_dataset_free(&ds);
  /* The layout's attributes, read with plain HDF5 (as h5py would). */
  if (rank == 0) {
    char path[512];
    tmp_path(path, sizeof path, "per_label.h5");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int version = 0, fpl = -1;
    double sigma = 0;
    uint64_t seed = 0;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT, &version);
    H5Aclose(a);
    a = H5Aopen(f, "features_per_label", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT, &fpl);
    H5Aclose(a);
    a = H5Aopen(f, "sigma", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &sigma);
    H5Aclose(a);
    a = H5Aopen(f, "seed", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_UINT64, &seed);
    H5Aclose(a);
    CHECK(version == 1 && fpl == 1 && sigma == 0.1 && seed == 3 && H5Aexists(f, "synthetic_kind") > 0 &&
            H5Aexists(f, "task") > 0 && H5Aexists(f, "name") > 0 && H5Aexists(f, "source") > 0,
          "attributes: format_version %d, features_per_label %d, sigma %g, seed %llu", version, fpl, sigma,
          (unsigned long long)seed);
    H5Fclose(f);
  }
  /* Fewer rows than ranks at 3 ranks: rank 0's slice is empty. */
  sp.n = 2;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds) round_trip(ds, "two_rows.h5");
  pt_dataset_free(&ds);
  sp.per_label = 0;
  sp.n = 5;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  if (ds) round_trip(ds, "affine.h5");

  /* No temporary file is left beside the saved ones; saving over a file
   * replaces it. */
  if (rank == 0 && ds) {
    char path[512];
    tmp_path(path, sizeof path, "affine.h5");
    CHECK_OK(pt_dataset_save(ds, path));
    DIR *dir = opendir(tmpdir);
    int tmp_left = 0;
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) tmp_left |= strstr(e->d_name, ".tmp.") != NULL;
    if (dir) closedir(dir);
    CHECK(!tmp_left, "no temporary file left behind");
    CHECK_FAILS_MSG(pt_dataset_save(ds, "/nonexistent-dir/x.h5"), PT_EIO, "No such file or directory");
    CHECK_FAILS(pt_dataset_save(NULL, path), PT_EFAULT);
    double keep = ds->X[0];
    ds->X[0] = NAN;
    CHECK_FAILS_MSG(pt_dataset_save(ds, path), PT_EDOM, "not finite");
    ds->X[0] = keep;
    CHECK(open_h5_objects() == 0, "save leaves no HDF5 object open");
  }
  pt_dataset_free(&ds);

  if (realdir[0]) {
    char csv[1200];
    snprintf(csv, sizeof csv, "%s/iris.csv", realdir);
    CHECK_OK(pt_dataset_import_csv(csv, &ds));
    if (ds) round_trip(ds, "iris.h5");
    pt_dataset_free(&ds);
  }
}

static void test_h5_bad(void) {
  SAY("HDF5 bad input on %d rank(s)\n", nranks);
  pt_synthetic_params sp = {0, 10, 4, 3, 0.2, 21};
  pt_dataset *good = NULL, *ds = NULL;
  CHECK_OK(pt_dataset_synthetic(&sp, &good));
  if (good == NULL) return;
  char path[512];

  if (rank == 0) {
    write_text("text.h5", "this is not HDF5\n");
    write_raw("noX.h5", good, RAW_NO_X);
    write_raw("noY.h5", good, RAW_NO_Y);
    write_raw("rows.h5", good, RAW_X_SHORT);
    write_raw("version2.h5", good, RAW_VERSION_2);
    write_raw("noranks.h5", good, RAW_NO_RANKS);
    pt_dataset *bad = NULL;
    const size_t all[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    CHECK_OK(pt_dataset_subset(good, all, 10, &bad));
    /* The last row: with several ranks only the last rank reads it. */
    bad->X[9 * 3 + 2] = NAN;
    write_raw("nan.h5", bad, 0);
    bad->X[9 * 3 + 2] = 0.0;
    const int32_t keep = bad->ranks[9 * 4 + 1];
    bad->ranks[9 * 4 + 1] = bad->ranks[9 * 4 + 0];
    write_raw("ranks.h5", bad, 0);
    bad->ranks[9 * 4 + 1] = keep;
    bad->Y[0] += 0.5;
    write_raw("ymismatch.h5", bad, 0);
    write_raw("ymismatch_noranks.h5", bad, RAW_NO_RANKS);
    pt_dataset_free(&bad);
    write_odd_x("xgroup.h5", 0, good);
    write_odd_x("xstring.h5", 1, good);
    write_odd_x("xvector.h5", 2, good);
    /* A file cut short: the HDF5 signature is there, the data is not. */
    tmp_path(path, sizeof path, "truncated.h5");
    CHECK_OK(pt_dataset_save(good, path));
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && truncate(path, sb.st_size / 2) == 0, "truncate %s", path);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  /* HDF5's own error printing must be back in place after each call. */
  H5E_auto2_t func0 = NULL, func1 = NULL;
  void *data0 = NULL, *data1 = NULL;
  H5Eget_auto2(H5E_DEFAULT, &func0, &data0);

  tmp_path(path, sizeof path, "missing.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EIO, "cannot open");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EIO, "missing.h5': No such file");
  size_t n = 0;
  EXPECT_FAIL(pt_dataset_count_rows(path, world, &n), PT_EIO, "No such file");
  tmp_path(path, sizeof path, "text.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "text.h5' is not an HDF5 file");
  tmp_path(path, sizeof path, "noX.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "noX.h5' has no dataset /X");
  tmp_path(path, sizeof path, "noY.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "noY.h5' has no dataset /Y");
  tmp_path(path, sizeof path, "rows.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "/X has 9 rows but /Y has 10");
  EXPECT_FAIL(pt_dataset_count_rows(path, world, &n), PT_EFORMAT, "/X has 9 rows but /Y has 10");
  tmp_path(path, sizeof path, "version2.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "format_version 2");

  tmp_path(path, sizeof path, "xgroup.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "xgroup.h5' has no dataset /X");
  tmp_path(path, sizeof path, "xstring.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "dataset /X is not numeric");
  tmp_path(path, sizeof path, "xvector.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT,
              "dataset /X has 1 dimensions (expected 2 to 3)");
  tmp_path(path, sizeof path, "truncated.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EFORMAT, "truncated.h5' is a damaged HDF5 file");

  /* Value errors are found by the rank that reads the row; every rank must
   * fail with the same status and message, whole file or slices. */
  size_t b, e;
  my_rows(10, &b, &e);
  tmp_path(path, sizeof path, "nan.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, &ds), PT_EDOM,
              "nan.h5': /X row 9 holds a non-finite value (nan)");
  EXPECT_FAIL(pt_dataset_load(path, world, b, e, &ds), PT_EDOM, "nan.h5': /X row 9 holds a non-finite value (nan)");
  tmp_path(path, sizeof path, "ranks.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, b, e, &ds), PT_EFORMAT, "/ranks row 9 is not a permutation of 1..4");
  tmp_path(path, sizeof path, "ymismatch.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, b, e, &ds), PT_EFORMAT, "/Y row 0 does not match /ranks");
  tmp_path(path, sizeof path, "ymismatch_noranks.h5");
  EXPECT_FAIL(pt_dataset_load(path, world, b, e, &ds), PT_EFORMAT,
              "/Y row 0 is not a ranking (a permutation of 0..3)");

  /* A file without /ranks: they come from Y. */
  tmp_path(path, sizeof path, "noranks.h5");
  CHECK_OK(pt_dataset_load(path, world, 0, SIZE_MAX, &ds));
  CHECK(ds && ds->ranks && memcmp(ds->ranks, good->ranks, 40 * sizeof(int32_t)) == 0 &&
          strcmp(ds->name, "noranks") == 0 && strcmp(ds->source, path) == 0,
        "ranks derived from Y; name and source from the path");
  pt_dataset_free(&ds);

  /* Row ranges: beyond n, empty; a rank-local bad range fails everywhere. */
  EXPECT_FAIL(pt_dataset_load(path, world, 11, SIZE_MAX, &ds), PT_EINVAL, "starts beyond the 10 rows");
  EXPECT_FAIL(pt_dataset_load(path, world, 5, 3, &ds), PT_EINVAL, "[5, 3) ends before it begins");
  /* Empty ranges are fine: with more ranks than rows some ranks have none.
   * Here every rank but rank 0 reads nothing, in the same collective call. */
  CHECK_OK(pt_dataset_load(path, world, rank == 0 ? 0 : 10, rank == 0 ? 1 : SIZE_MAX, &ds));
  CHECK(ds && ds->n == (rank == 0 ? 1u : 0u) && ds->d == 4 && ds->p == 3 && ds->X && ds->Y && ds->ranks,
        "rank %d: an empty range gives 0 rows", rank);
  pt_dataset_free(&ds);
  CHECK_OK(pt_dataset_load(path, world, 4, 4, &ds));
  CHECK(ds && ds->n == 0, "rows [4, 4) give 0 rows");
  pt_dataset_free(&ds);
  const size_t lb = rank == nranks - 1 ? 11 : 0;
  EXPECT_FAIL(pt_dataset_load(path, world, lb, SIZE_MAX, &ds), PT_EINVAL,
              "row range [11, end) starts beyond the 10 rows");
  /* row_end past n is clipped. */
  CHECK_OK(pt_dataset_load(path, world, 8, 1000, &ds));
  CHECK(ds && ds->n == 2, "rows [8, 1000) of 10 give 2 rows");
  pt_dataset_free(&ds);
  EXPECT_FAIL(pt_dataset_load(path, world, 0, SIZE_MAX, NULL), PT_EFAULT, "'out' is NULL");
  EXPECT_FAIL(pt_dataset_load(NULL, world, 0, SIZE_MAX, &ds), PT_EFAULT, "'path' is NULL");
  EXPECT_FAIL(pt_dataset_load(path, MPI_COMM_NULL, 0, SIZE_MAX, &ds), PT_EINVAL, "MPI_COMM_NULL");

  CHECK(ds == NULL, "failed loads leave *out NULL");
  H5Eget_auto2(H5E_DEFAULT, &func1, &data1);
  CHECK(func1 == func0 && data1 == data0, "HDF5's automatic error printing is restored");
  CHECK(open_h5_objects() == 0, "no HDF5 object left open after the failures (%ld)", open_h5_objects());
  pt_dataset_free(&good);
}

/* ---- main ------------------------------------------------------------------- */

/* The real data sit in shared/ beside the source tree: DATA_DIR is
 * SRC/tests/data, so they are SRC/../shared/data/label_ranking. SRC is found
 * by cutting DATA_DIR's last two components as text, not with "..", which
 * would not resolve through a missing directory. */
static void find_real_data(const char *datadir) {
  const char *env = getenv("PERTURB_LABEL_RANKING_DIR");
  char cand[3][1024], src[1024];
  snprintf(cand[0], sizeof cand[0], "%s", env ? env : "");
  snprintf(src, sizeof src, "%s", datadir ? datadir : "");
  for (int cut = 0; cut < 2; cut++) {
    size_t len = strlen(src);
    while (len > 1 && src[len - 1] == '/') src[--len] = '\0';
    char *slash = strrchr(src, '/');
    if (slash == NULL) {
      src[0] = '\0';
      break;
    }
    *slash = '\0';
  }
  snprintf(cand[1], sizeof cand[1], "%.900s/../shared/data/label_ranking", src[0] ? src : ".");
  snprintf(cand[2], sizeof cand[2], "%s", "/work/shared/data/label_ranking");
  for (int k = 0; k < 3; k++) {
    char probe[1100];
    snprintf(probe, sizeof probe, "%.1000s/iris.csv", cand[k]);
    if (cand[k][0] && access(probe, R_OK) == 0) {
      snprintf(realdir, sizeof realdir, "%.1000s", cand[k]);
      return;
    }
  }
}

static void remove_tmpdir(void) {
  DIR *dir = opendir(tmpdir);
  for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[600];
    snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
    remove(path);
  }
  if (dir) closedir(dir);
  CHECK(rmdir(tmpdir) == 0, "remove %s", tmpdir);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  world = MPI_COMM_WORLD;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  const double t0 = MPI_Wtime();
  datadir_arg = argc > 1 ? argv[1] : NULL;
  find_real_data(datadir_arg);
  if (rank == 0) {
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/perturb_test_data.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) tmpdir[0] = '\0';
  }
  MPI_Bcast(tmpdir, (int)sizeof tmpdir, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (tmpdir[0] == '\0') {
    if (rank == 0) fprintf(stderr, "test_data: cannot create a temporary directory\n");
    MPI_Finalize();
    return 1;
  }

  test_synthetic();
  test_memory();
  test_folds();
  test_fold_rows();
  test_csv_real();
  test_csv_bad();
  test_csv_cache();
  test_h5_round_trip();
  test_h5_bad();

  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) remove_tmpdir();
  SAY("test_data: %.2f s on %d rank(s)\n", MPI_Wtime() - t0, nranks);

  /* Every rank fails if any rank failed. */
  int total = 0;
  MPI_Allreduce(&pt_test_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (total > 0 && pt_test_failures == 0) CHECK(0, "another rank failed %d check(s)", total);
  const int status = pt_test_finish("test_data");
  MPI_Finalize();
  return status;
}
