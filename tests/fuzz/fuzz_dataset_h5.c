/* fuzz_dataset_h5.c: the HDF5 dataset loader (pt_dataset_load,
 * pt_dataset_count_rows) and `perturb info` on a dataset file.
 *
 * Input: a recipe (fuzz_h5recipe.h) for a dataset file, then the row range to
 * load. The recipe's first byte chooses the schema: below 128 a valid ranking
 * dataset of a few rows (/X, /Y, /ranks and the attributes of perturb/data.h),
 * from 128 a valid shortest-path dataset as `perturb gen` writes one (/X
 * features or images, /Y a real path per row for dag_path or grid_path on a
 * grid of 2 x 2 to 4 x 4, /costs present or not, the attributes task, solver,
 * grid_rows, grid_cols). The recipe then bends its objects, types, shapes,
 * values and attributes. A load that succeeds must give the rows asked for,
 * passing pt_dataset_check; a failure must keep the error contract. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_h5recipe.h"
#include "perturb/data.h"

/* MAXE: the entries of dag_path on the largest grid; MAXPIX: the features of
 * the largest image (3 channels of 2 x 2 pixels per cell). */
enum { MAXN = 8, MAXD = 6, MAXP = 4, MAXGRID = 4 };
enum { MAXE = 2 * MAXGRID * (MAXGRID - 1), MAXPIX = 12 * MAXGRID * MAXGRID };

/* The ranking recipe; `first` is the recipe's first byte (below 128). */
static void write_ranking(fz_reader *r, const char *path, uint8_t first) {
  const size_t n = 1 + first % MAXN, d = 2 + fz_below(r, MAXD - 1), p = 1 + fz_below(r, MAXP);
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

/* One dag_path row: a right/down walk from the top-left corner, each step
 * (where both are open) chosen by a bit of the recipe. Entries as the
 * solver's: the right edges (r, c)->(r, c+1) at r*(cols-1) + c, then the
 * down edges (r, c)->(r+1, c) at rows*(cols-1) + r*cols + c. */
static void dag_row(fz_reader *r, size_t rows, size_t cols, double *y) {
  unsigned bits = fz_u8(r); /* at most 6 steps on a 4 x 4 grid */
  size_t i = 0, j = 0;
  while (i < rows - 1 || j < cols - 1) {
    const int right = i == rows - 1 || (j < cols - 1 && (bits & 1));
    bits >>= 1;
    if (right) y[i * (cols - 1) + j++] = 1.0;
    else y[rows * (cols - 1) + i++ * cols + j] = 1.0;
  }
}

/* One grid_path row: a king's walk from the top-left to the bottom-right
 * vertex (right, down or diagonal, two bits a step), vertices row-major. */
static void grid_row(fz_reader *r, size_t rows, size_t cols, double *y) {
  const unsigned lo = fz_u8(r);
  unsigned bits = lo | (unsigned)fz_u8(r) << 8;
  size_t i = 0, j = 0;
  y[0] = 1.0;
  while (i < rows - 1 || j < cols - 1) {
    int moves[3], k = 0; /* 0 right, 1 down, 2 diagonal: those that stay on the grid */
    if (j < cols - 1) moves[k++] = 0;
    if (i < rows - 1) moves[k++] = 1;
    if (k == 2) moves[k++] = 2;
    const int m = moves[(bits & 3) % (unsigned)k];
    bits >>= 2;
    if (m != 1) j++;
    if (m != 0) i++;
    y[i * cols + j] = 1.0;
  }
}

/* The shortest-path recipe; `first` (128 or more) gives n. Zero bytes after
 * it make the file of the grid generator: dag_path, /costs, features. */
static void write_paths(fz_reader *r, const char *path, uint8_t first) {
  const size_t n = 1 + first % MAXN;
  const uint8_t flags = fz_u8(r);
  const int grid = flags & 1, costs = !(flags & 2), image = flags & 4, fpl = flags & 8;
  /* the other solver's name on these datasets: on a 2 x 2 grid (both have 4
   * entries) /Y's shape still matches */
  const int other = (flags & 16) != 0;
  const size_t rows = 2 + fz_below(r, MAXGRID - 1), cols = 2 + fz_below(r, MAXGRID - 1);
  const size_t E = grid ? rows * cols : rows * (cols - 1) + (rows - 1) * cols;
  /* images split into the grid's square cells of s x s pixels, as the maps */
  size_t ch = 0, s = 0, p = 0;
  if (image) {
    ch = 1 + fz_below(r, 3);
    s = 1 + fz_below(r, 2);
    p = ch * rows * s * cols * s;
  } else {
    p = 1 + fz_below(r, MAXP);
  }
  static double X[MAXN * MAXPIX], Y[MAXN * MAXE], C[MAXN * MAXE];
  for (size_t k = 0; k < n * p; k++) X[k] = (double)(k % 7) * 0.25 - 0.5;
  memset(Y, 0, sizeof Y);
  for (size_t i = 0; i < n; i++) {
    if (grid) grid_row(r, rows, cols, Y + i * E);
    else dag_row(r, rows, cols, Y + i * E);
  }
  /* finite, some 0 (allowed: ties) */
  for (size_t k = 0; k < n * E; k++) C[k] = (double)(k * 5 % 9) * 0.5;
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) abort();
  const hsize_t xd[4] = {n, image ? ch : p, rows * s, cols * s}, yd[2] = {n, E};
  fz_h5_dataset(r, f, "X", 0, image ? 4 : 2, xd, X);
  fz_h5_dataset(r, f, "Y", 0, 2, yd, Y);
  if (costs) fz_h5_dataset(r, f, "costs", 0, 2, yd, C);
  fz_h5_attr_int(r, f, "format_version", 1);
  fz_h5_attr_string(r, f, "task", "shortest_path");
  fz_h5_attr_string(r, f, "name", "fuzz");
  fz_h5_attr_string(r, f, "source", "fuzz recipe");
  fz_h5_attr_string(r, f, "solver", grid != other ? "grid_path" : "dag_path");
  fz_h5_attr_int(r, f, "grid_rows", (int64_t)rows);
  fz_h5_attr_int(r, f, "grid_cols", (int64_t)cols);
  /* not written by `perturb gen`, but a paths file may carry it: 0 */
  if (fpl) fz_h5_attr_int(r, f, "features_per_label", 0);
  if (H5Fclose(f) < 0) abort();
}

static void write_recipe(fz_reader *r, const char *path) {
  const uint8_t first = fz_u8(r);
  if (first < 128) write_ranking(r, path, first);
  else write_paths(r, path, first);
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
