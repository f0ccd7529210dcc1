/* test_data_classes.c: classification datasets (class labels, image shapes)
 * and other tasks' /X, /Y files — alloc, check, subsets, splits and folds
 * keep labels and shape; HDF5 save → collective load (run under mpirun with
 * 1 and 2 ranks) gives the same labels, pixels and shape bitwise; every bad
 * file gives its one message, the same on every rank. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "perturb/data.h"
#include "testlib.h"

static int rank = 0, nranks = 1;
static char tmpdir[256];

/* A failing call with its status and message, checked on every rank (the
 * loader hands all ranks the same message). */
#define EXPECT_FAIL(call, want, sub)                                                                         \
  do {                                                                                                       \
    pt_clear_error();                                                                                        \
    pt_status s_ = (call);                                                                                   \
    CHECK(s_ == (want) && strstr(pt_last_error(), (sub)) != NULL, "rank %d: %s -> %s '%s' (wanted %s '%s')", \
          rank, #call, pt_strerror(s_), pt_last_error(), pt_strerror(want), (sub));                         \
  } while (0)

static void tmp_path(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

/* A classification dataset with distinct pixels (row i, pixel k: 100 i + k +
 * 0.25) and labels i mod classes, so that any row can be recognised. */
static pt_dataset *make_classes(size_t n, size_t classes, size_t c, size_t h, size_t w, size_t p) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc_classification(n, classes, c ? c * h * w : p, &ds));
  if (ds == NULL) return NULL;
  ds->channels = c;
  ds->height = h;
  ds->width = w;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < ds->p; k++) ds->X[i * ds->p + k] = 100.0 * (double)i + (double)k + 0.25;
    ds->labels[i] = (int32_t)((i * 7 + 3) % classes);
    ds->Y[i * classes + (size_t)ds->labels[i]] = 1.0;
  }
  snprintf(ds->name, sizeof ds->name, "%s", "toy");
  snprintf(ds->source, sizeof ds->source, "%s", "test_data_classes");
  return ds;
}

/* Every row of `part` is a row of `all` (found by its first pixel) with the
 * same label, pixels and one-hot Y; the shape is kept. */
static void check_part(const char *what, const pt_dataset *all, const pt_dataset *part) {
  CHECK(part->labels != NULL && part->ranks == NULL, "%s: labels kept, no ranks", what);
  CHECK(part->channels == all->channels && part->height == all->height && part->width == all->width &&
        part->p == all->p && part->d == all->d,
        "%s: shape %zu x %zu x %zu, p %zu, d %zu kept", what, part->channels, part->height, part->width, part->p,
        part->d);
  CHECK(strcmp(part->task, "classification") == 0, "%s: task '%s'", what, part->task);
  if (part->labels == NULL) return;
  size_t bad = 0;
  for (size_t r = 0; r < part->n; r++) {
    const size_t i = (size_t)floor(part->X[r * part->p] / 100.0);
    if (i >= all->n || memcmp(part->X + r * part->p, all->X + i * all->p, all->p * sizeof *all->X) != 0 ||
        part->labels[r] != all->labels[i] || memcmp(part->Y + r * part->d, all->Y + i * all->d, all->d * sizeof *all->Y))
      bad++;
  }
  CHECK(bad == 0, "%s: all %zu rows have their original label, pixels and Y (%zu differ)", what, part->n, bad);
  CHECK_OK(pt_dataset_check(part, what));
}

static void test_memory(void) {
  pt_dataset *ds = make_classes(23, 4, 2, 3, 2, 0);
  if (ds == NULL) return;
  CHECK_OK(pt_dataset_check(ds, "toy"));
  EXPECT_FAIL(pt_dataset_alloc_classification(5, 1, 3, &(pt_dataset *){NULL}), PT_EINVAL, ">= 2 classes (got 1)");

  pt_dataset *train = NULL, *test = NULL, *sub = NULL;
  const size_t rows[3] = {22, 0, 5};
  CHECK_OK(pt_dataset_subset(ds, rows, 3, &sub));
  if (sub) {
    check_part("subset", ds, sub);
    CHECK(sub->labels[0] == ds->labels[22] && sub->labels[1] == ds->labels[0] && sub->labels[2] == ds->labels[5],
          "subset: labels in the order asked");
  }
  pt_dataset_free(&sub);
  CHECK_OK(pt_dataset_split(ds, 0.3, 7, &train, &test));
  if (train && test) {
    check_part("split train", ds, train);
    check_part("split test", ds, test);
    CHECK(train->n + test->n == ds->n, "split: %zu + %zu rows", train->n, test->n);
  }
  pt_dataset_free(&train);
  pt_dataset_free(&test);
  CHECK_OK(pt_dataset_kfold(ds, 4, 3, 7, &train, &test));
  if (train && test) {
    check_part("kfold train", ds, train);
    check_part("kfold test", ds, test);
  }
  pt_dataset_free(&train);
  pt_dataset_free(&test);

  /* check: a label out of range, a Y that is not the label's one-hot, a NaN pixel */
  ds->labels[4] = 9;
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EFORMAT, "row 4: label 9 is not in 0..3");
  ds->labels[4] = -1;
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EFORMAT, "row 4: label -1 is not in 0..3");
  ds->labels[4] = (int32_t)((4 * 7 + 3) % 4);
  ds->Y[6 * 4 + 0] += 0.5;
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EFORMAT, "row 6: Y[0] = ");
  ds->Y[6 * 4 + 0] -= 0.5;
  CHECK_OK(pt_dataset_check(ds, "toy"));
  ds->width = 3; /* 2 x 3 x 3 is not the 12 features */
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EINVAL, "image shape 2 x 3 x 3 does not hold the 12 features");
  ds->width = 2;
  snprintf(ds->task, sizeof ds->task, "%s", "ranking");
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EINVAL, "task 'ranking' does not take class labels");
  snprintf(ds->task, sizeof ds->task, "%s", "classification");
  ds->X[8 * ds->p + 3] = NAN;
  EXPECT_FAIL(pt_dataset_check(ds, "toy"), PT_EDOM, "row 8: X[3] is not finite");
  char path[512];
  tmp_path(path, sizeof path, "never.h5");
  EXPECT_FAIL(pt_dataset_save(ds, path), PT_EDOM, "refusing to write invalid data");
  CHECK(access(path, F_OK) != 0, "nothing written for invalid data");
  pt_dataset_free(&ds);
}

/* Save on rank 0, then load (all rows, and each rank its share) on all ranks. */
static void round_trip(const char *name, pt_dataset *ds) {
  char path[512];
  tmp_path(path, sizeof path, name);
  pt_status st = PT_OK;
  if (rank == 0) st = pt_dataset_save(ds, path);
  MPI_Bcast(&st, 1, MPI_INT, 0, MPI_COMM_WORLD);
  CHECK(st == PT_OK, "%s: saved (%s)", name, rank == 0 ? pt_last_error() : "");
  pt_dataset *back = NULL;
  CHECK_OK(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &back));
  if (back == NULL) return;
  const int labels_ok = (back->labels == NULL) == (ds->labels == NULL) &&
                        (ds->labels == NULL || memcmp(back->labels, ds->labels, ds->n * sizeof *ds->labels) == 0);
  CHECK(back->n == ds->n && back->d == ds->d && back->p == ds->p && back->per_label == ds->per_label, "%s: sizes", name);
  CHECK(memcmp(back->X, ds->X, ds->n * ds->p * sizeof *ds->X) == 0, "%s: pixels bitwise", name);
  CHECK(memcmp(back->Y, ds->Y, ds->n * ds->d * sizeof *ds->Y) == 0, "%s: Y bitwise", name);
  CHECK(labels_ok, "%s: labels", name);
  CHECK(back->ranks == NULL, "%s: no ranks", name);
  CHECK(back->channels == ds->channels && back->height == ds->height && back->width == ds->width,
        "%s: image shape %zu x %zu x %zu", name, back->channels, back->height, back->width);
  CHECK(strcmp(back->task, ds->task) == 0 && strcmp(back->name, ds->name) == 0 &&
        strcmp(back->source, ds->source) == 0, "%s: task '%s', name and source", name, back->task);
  pt_dataset_free(&back);
  /* each rank its own rows: the rows of the whole */
  const size_t b = ds->n * (size_t)rank / (size_t)nranks, e = ds->n * (size_t)(rank + 1) / (size_t)nranks;
  CHECK_OK(pt_dataset_load(path, MPI_COMM_WORLD, b, e, &back));
  if (back == NULL) return;
  CHECK(back->n == e - b && memcmp(back->X, ds->X + b * ds->p, (e - b) * ds->p * sizeof *ds->X) == 0 &&
        memcmp(back->Y, ds->Y + b * ds->d, (e - b) * ds->d * sizeof *ds->Y) == 0 &&
        (ds->labels == NULL || memcmp(back->labels, ds->labels + b, (e - b) * sizeof *ds->labels) == 0),
        "%s: rank %d rows [%zu, %zu)", name, rank, b, e);
  pt_dataset_free(&back);
  size_t n = 0;
  CHECK_OK(pt_dataset_count_rows(path, MPI_COMM_WORLD, &n));
  CHECK(n == ds->n, "%s: %zu rows counted", name, n);
}

static void test_round_trip(void) {
  pt_dataset *img = make_classes(9, 10, 3, 4, 5, 0), *flat = make_classes(7, 3, 0, 0, 0, 6);
  if (img) round_trip("images.h5", img);
  if (flat) round_trip("flat.h5", flat);
  pt_dataset_free(&img);
  pt_dataset_free(&flat);
  /* another task's data: /X and /Y as given (for a user's own solver) */
  pt_dataset *sol = NULL;
  CHECK_OK(pt_dataset_alloc(6, 4, 3, 0, 0, &sol));
  if (sol == NULL) return;
  for (size_t k = 0; k < 6 * 3; k++) sol->X[k] = 0.5 * (double)k - 2.0;
  for (size_t k = 0; k < 6 * 4; k++) sol->Y[k] = (double)(k % 5) / 3.0; /* not a ranking nor one-hot */
  snprintf(sol->task, sizeof sol->task, "%s", "my_solver");
  snprintf(sol->name, sizeof sol->name, "%s", "paths");
  snprintf(sol->source, sizeof sol->source, "%s", "here");
  round_trip("solution.h5", sol);
  char path[512];
  tmp_path(path, sizeof path, "badtask.h5");
  snprintf(sol->task, sizeof sol->task, "%s", "short path");
  EXPECT_FAIL(pt_dataset_save(sol, path), PT_EINVAL, "task 'short path' is not a plain name");
  snprintf(sol->task, sizeof sol->task, "%s", "classification");
  EXPECT_FAIL(pt_dataset_save(sol, path), PT_EINVAL, "task 'classification' needs class labels");
  CHECK(access(path, F_OK) != 0, "nothing written for a bad task");
  pt_dataset_free(&sol);
}

/* ---- bad files, written with HDF5 directly -------------------------------- */

typedef struct bad_file {
  const char *name;
  int xrank;           /* dims of /X: {n, 2} or {n, 1, 2, 1} or {n, 2, 1} */
  size_t n, nlabels;   /* rows of /X, values of /labels (0: no /labels) */
  long long classes;   /* < 0: no attribute */
  size_t bad_row;      /* a label or pixel to spoil, or SIZE_MAX */
  int32_t bad_label;   /* the label put there (0: a NaN pixel instead) */
} bad_file;

static void write_bad(const char *path, const bad_file *b) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t xd[4] = {b->n, b->xrank == 4 ? 1 : 2, 2, 1};
  if (b->xrank == 4) xd[2] = 2;
  double x[64];
  int32_t l[32];
  for (size_t k = 0; k < 64; k++) x[k] = (double)k;
  for (size_t k = 0; k < 32; k++) l[k] = (int32_t)(k % 2);
  if (b->bad_row != SIZE_MAX && b->bad_label == 0) x[b->bad_row * 2] = NAN;
  if (b->bad_row != SIZE_MAX && b->bad_label != 0) l[b->bad_row] = b->bad_label;
  hid_t sp = H5Screate_simple(b->xrank, xd, NULL);
  hid_t ds = H5Dcreate2(f, "X", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  H5Dclose(ds);
  H5Sclose(sp);
  if (b->nlabels) {
    const hsize_t ld[1] = {b->nlabels};
    sp = H5Screate_simple(1, ld, NULL);
    ds = H5Dcreate2(f, "labels", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, l);
    H5Dclose(ds);
    H5Sclose(sp);
  }
  hid_t scalar = H5Screate(H5S_SCALAR), t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen("classification"));
  hid_t a = H5Acreate2(f, "task", t, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, "classification");
  H5Aclose(a);
  H5Tclose(t);
  if (b->classes >= 0) {
    const int c = (int)b->classes;
    a = H5Acreate2(f, "classes", H5T_STD_I32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &c);
    H5Aclose(a);
  }
  H5Sclose(scalar);
  H5Fclose(f);
}

static void test_bad_files(void) {
  const bad_file cases[] = {
      {"label.h5", 2, 8, 8, 3, 5, 7},     {"negative.h5", 4, 8, 8, 3, 2, -4}, {"rank3.h5", 3, 8, 8, 3, SIZE_MAX, 0},
      {"length.h5", 2, 8, 6, 3, SIZE_MAX, 0}, {"classes1.h5", 2, 8, 8, 1, SIZE_MAX, 0},
      {"noclasses.h5", 2, 8, 8, -1, SIZE_MAX, 0}, {"nolabels.h5", 2, 8, 0, 3, SIZE_MAX, 0},
      {"nan.h5", 4, 8, 8, 3, 6, 0}};
  const char *want[] = {"/labels row 5 holds 7, not a class in 0..2",
                        "/labels row 2 holds -4, not a class in 0..2",
                        "dataset /X has 3 dimensions (a classification has [n, p] or [n, c, h, w])",
                        "/labels has 6 values but /X has 8 rows",
                        "classes = 1 (a classification needs 2 to",
                        "needs the attribute 'classes'",
                        "has no dataset /labels",
                        "/X row 6 holds a non-finite value"};
  const pt_status codes[] = {PT_EFORMAT, PT_EFORMAT, PT_EFORMAT, PT_EFORMAT,
                             PT_EFORMAT, PT_EFORMAT, PT_EFORMAT, PT_EDOM};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char path[512];
    tmp_path(path, sizeof path, cases[c].name);
    if (rank == 0) write_bad(path, &cases[c]);
    MPI_Barrier(MPI_COMM_WORLD);
    pt_dataset *ds = NULL;
    /* the whole file, and on 2+ ranks each rank its half: a bad row seen by
     * one rank only is still every rank's error */
    EXPECT_FAIL(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds), codes[c], want[c]);
    CHECK(ds == NULL, "%s: no dataset", cases[c].name);
    if (nranks > 1)
      EXPECT_FAIL(pt_dataset_load(path, MPI_COMM_WORLD, rank == 0 ? 0 : 4, rank == 0 ? 4 : 8, &ds), codes[c], want[c]);
    CHECK(strstr(pt_last_error(), path) != NULL, "%s: the message names the file", cases[c].name);
    if (rank == 0) printf("ok: %s -> %s\n", cases[c].name, pt_last_error());
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  if (rank == 0) {
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/perturb_test_classes.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) tmpdir[0] = '\0';
  }
  MPI_Bcast(tmpdir, (int)sizeof tmpdir, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (tmpdir[0] == '\0') {
    if (rank == 0) fprintf(stderr, "test_data_classes: cannot create a temporary directory\n");
    MPI_Finalize();
    return 1;
  }
  test_memory();
  test_round_trip();
  test_bad_files();
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "test_data_classes: cannot remove %s\n", tmpdir);
  }
  int total = 0;
  MPI_Allreduce(&pt_test_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (total > 0 && pt_test_failures == 0) CHECK(0, "another rank failed %d check(s)", total);
  const int status = pt_test_finish("test_data_classes");
  MPI_Finalize();
  return status;
}
