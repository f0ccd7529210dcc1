/* fuzz_dataset_h5.c: the HDF5 dataset loader (pt_dataset_load,
 * pt_dataset_count_rows) and `perturb info` on a dataset file.
 *
 * Input: a recipe (fuzz_h5recipe.h) for a dataset file: a valid ranking
 * dataset of a few rows (/X, /Y, /ranks and the attributes of perturb/data.h)
 * whose objects, types, shapes, values and attributes the recipe bends, and
 * the row range to load. A load that succeeds must give the rows asked for,
 * passing pt_dataset_check; a failure must keep the error contract. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_h5recipe.h"
#include "perturb/data.h"

enum { MAXN = 8, MAXD = 6, MAXP = 4 };

static void write_recipe(fz_reader *r, const char *path) {
  const size_t n = 1 + fz_below(r, MAXN), d = 2 + fz_below(r, MAXD - 1), p = 1 + fz_below(r, MAXP);
  const int per_label = fz_u8(r) & 1;
  static double X[MAXN * MAXD * MAXP], Y[MAXN * MAXD];
  static int32_t R[MAXN * MAXD];
  const size_t xr = per_label ? d * p : p;
  for (size_t k = 0; k < n * xr; k++) X[k] = (double)(k % 7) * 0.25 - 0.5;
  for (size_t i = 0; i < n; i++) {
    const size_t shift = fz_u8(r); /* row i ranks the labels in a rotated order */
    for (size_t j = 0; j < d; j++) {
      R[i * d + j] = (int32_t)(1 + (j + shift) % d);
      Y[i * d + j] = (double)d - (double)R[i * d + j];
    }
  }
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) abort();
  const hsize_t xd[3] = {n, per_label ? d : p, p}, yd[2] = {n, d};
  fz_h5_dataset(r, f, "X", 0, per_label ? 3 : 2, xd, X);
  fz_h5_dataset(r, f, "Y", 0, 2, yd, Y);
  fz_h5_dataset(r, f, "ranks", 1, 2, yd, R);
  fz_h5_attr_int(r, f, "format_version", 1);
  fz_h5_attr_int(r, f, "features_per_label", per_label);
  fz_h5_attr_string(r, f, "task", "ranking");
  fz_h5_attr_string(r, f, "name", "fuzz");
  fz_h5_attr_string(r, f, "source", "fuzz recipe");
  if (H5Fclose(f) < 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_reader r = {data, size, 0};
  const char *p = fz_path("data.h5");
  char path[512];
  snprintf(path, sizeof path, "%s", p);
  write_recipe(&r, path);
  /* the row range: mostly all rows, else one chosen by the recipe */
  const uint8_t rc = fz_u8(&r);
  size_t b = 0, e = SIZE_MAX;
  if (rc >= 192) {
    b = fz_below(&r, 12);
    e = rc & 1 ? SIZE_MAX : fz_below(&r, 12);
  }

  size_t rows = 0;
  pt_status st = pt_dataset_count_rows(path, MPI_COMM_WORLD, &rows);
  if (st != PT_OK) fz_check_error(st, "pt_dataset_count_rows");
  pt_dataset *ds = NULL;
  const pt_status sl = pt_dataset_load(path, MPI_COMM_WORLD, b, e, &ds);
  if (sl != PT_OK) {
    fz_check_error(sl, "pt_dataset_load");
    if (ds != NULL) abort();
  } else {
    const size_t want = (e < rows ? e : rows) - b;
    if (st != PT_OK || ds == NULL || ds->n != want || (ds->n > 0 && pt_dataset_check(ds, path) != PT_OK)) {
      fprintf(stderr, "fuzz: a dataset that loads is not what was asked for (%zu rows, range [%zu, %zu)): %s\n",
              ds ? ds->n : 0, b, e, pt_last_error());
      abort();
    }
  }
  pt_dataset_free(&ds);

  char arg0[] = "info";
  char *argv[] = {arg0, path, NULL};
  fz_quiet(1);
  const int code = pt_cli_info(2, argv);
  fz_quiet(0);
  if (code != 0) fz_check_error(PT_EFORMAT, "perturb info");
  return 0;
}
