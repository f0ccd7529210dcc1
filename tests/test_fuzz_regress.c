/* test_fuzz_regress.c: one case per finding of the fuzz targets (tests/fuzz/,
 * docs/engine.md "Fuzzing"): each builds the smallest valid HDF5 file that
 * showed the defect and checks that the loader now refuses it with one line
 * naming the file and the object. Runs on one rank (MPI singleton); an
 * argument names the one case to run. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "model/model.h"
#include "train/optim.h"
#include "perturb/config.h"
#include "perturb/data.h"
#include "io/runfile.h"
#include "testlib.h"

static char tmpdir[256];

static void tmp_path(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

/* A valid, incomplete run file of an affine model (d = 3, p = 2) with two
 * metrics rows, as pt_train writes it. */
static void write_run(const char *path) {
  pt_config *cfg = NULL;
  pt_model *m = NULL;
  pt_optim *o = NULL;
  pt_run_state s = {0};
  CHECK_OK(pt_config_alloc(&cfg));
  CHECK_OK(pt_config_to_ini(cfg, &s.config_ini));
  const pt_model_shape shape = {.d = 3, .p = 2};
  const pt_model_settings settings = {0};
  CHECK_OK(pt_model_alloc(&pt_model_affine, &shape, &settings, "test", &m));
  CHECK_OK(pt_optim_alloc(PT_OPTIM_ADAM, m->nparams, 0.01, 0.9, 0.9, 0.999, 1e-8, &o));
  s.nranks = s.instance_groups = s.sample_groups = 1;
  s.epoch = 2;
  s.step = 4;
  s.model = m;
  s.optim = o;
  for (int k = 1; k <= 2; k++) {
    const pt_metrics_row row = {k,   2 * k, 0.5 * k, 1.0, 0.5, 0.25, 100.0, 0.5, 0.25,
                                NAN, NAN,   NAN,     NAN, NAN, NAN,  NAN,   NAN, NAN};
    CHECK_OK(pt_run_add_metrics(&s, &row));
  }
  CHECK_OK(pt_runfile_write(path, &s));
  pt_run_state_clear(&s, 1);
  pt_config_free(&cfg);
}

/* Replaces attribute `name` of object `obj` in `path` by an array of
 * `count` values of `type` (int64 values 1, 2, ... or the string "x"). */
static void replace_attr_by_array(const char *path, const char *obj, const char *name, hid_t type, hsize_t count) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
  CHECK(f >= 0 && o >= 0 && H5Adelete(o, name) >= 0, "%s: delete attribute %s of %s", path, name, obj);
  hid_t sp = H5Screate_simple(1, &count, NULL);
  hid_t a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  int64_t ints[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const char *strs[8] = {"x", "x", "x", "x", "x", "x", "x", "x"};
  CHECK(a >= 0 && H5Awrite(a, type, H5Tget_class(type) == H5T_STRING ? (void *)strs : (void *)ints) >= 0,
        "%s: write %llu values as attribute %s", path, (unsigned long long)count, name);
  H5Aclose(a);
  H5Sclose(sp);
  H5Oclose(o);
  H5Fclose(f);
}

/* Finding 1 (fuzz_runfile_h5): an attribute holding an array where the run
 * file has one value overran the caller's variable (H5Aread writes every
 * element): an int64 array as /complete or /checkpoint epoch, a string array
 * as /config. */
static void test_attribute_arrays(void) {
  char path[512];
  tmp_path(path, sizeof path, "array_attr.h5");
  hid_t vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(vstr, H5T_VARIABLE);
  struct {
    const char *obj, *name;
    hid_t type;
    hsize_t count;
    const char *want;
  } cases[] = {{"/", "complete", H5T_NATIVE_INT64, 3, "attribute 'complete' of / is not a single integer"},
               {"/checkpoint", "epoch", H5T_NATIVE_INT64, 8, "attribute 'epoch' of /checkpoint is not a single integer"},
               {"/", "config", vstr, 2, "attribute 'config' of / is not a single string"}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    write_run(path);
    pt_run_state s = {0};
    CHECK_OK(pt_runfile_read(path, &s)); /* the file as written reads */
    pt_run_state_clear(&s, 0);
    replace_attr_by_array(path, cases[k].obj, cases[k].name, cases[k].type, cases[k].count);
    CHECK_FAILS_MSG(pt_runfile_read(path, &s), PT_EFORMAT, cases[k].want);
    pt_run_state_clear(&s, 0);
  }
  H5Tclose(vstr);
  unlink(path);
}

/* Sets string attribute `name` of object `obj` in `path` to `value`. */
static void set_string_attr(const char *path, const char *obj, const char *name, const char *value) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
  H5Tset_size(t, H5T_VARIABLE);
  hid_t a = H5Acreate2(o, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(f >= 0 && o >= 0 && a >= 0 && H5Awrite(a, t, &value) >= 0, "%s: set attribute %s of %s", path, name, obj);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  H5Oclose(o);
  H5Fclose(f);
}

/* Finding 2 (fuzz_dataset_h5): a message quoting a string from the file
 * (a dataset's task, a model's kind) printed its newline, so that the error
 * was two lines. Control characters are now shown as '?'. */
static void test_one_line_messages(void) {
  char path[512];
  tmp_path(path, sizeof path, "task.h5");
  const pt_synthetic_params sp = {0, 4, 3, 2, 0.0, 1};
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_synthetic(&sp, &ds));
  CHECK_OK(pt_dataset_save(ds, path));
  pt_dataset_free(&ds);
  set_string_attr(path, "/", "task", "rank\ning");
  if (CHECK_FAILS_MSG(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds), PT_EFORMAT,
                      "task 'rank\\ning' is not supported"))
    CHECK(strchr(pt_last_error(), '\n') == NULL, "the message is one line");
  unlink(path);

  tmp_path(path, sizeof path, "kind.h5");
  write_run(path);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT); /* a /model group, as a complete run has */
  hid_t g = H5Gcreate2(f, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const int64_t dp[2] = {3, 2};
  hid_t scalar = H5Screate(H5S_SCALAR);
  for (int k = 0; k < 2; k++) {
    hid_t a = H5Acreate2(g, k ? "p" : "d", H5T_NATIVE_INT64, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &dp[k]);
    H5Aclose(a);
  }
  H5Sclose(scalar);
  H5Gclose(g);
  H5Fclose(f);
  set_string_attr(path, "/model", "kind", "aff\ni\033[2Jne");
  pt_model *m = NULL;
  if (CHECK_FAILS_MSG(pt_runfile_read_model(path, &m), PT_EFORMAT, "unknown model kind 'aff\\ni\\x1b[2Jne'"))
    CHECK(strchr(pt_last_error(), '\n') == NULL, "the message is one line");
  pt_model_free(&m);
  unlink(path);
}

/* A chunked float64 dataset `name` of shape dims[2] (chunks of 5 rows),
 * holding `data` if not NULL, else never written. */
static void put_chunked(hid_t f, const char *name, const hsize_t *dims, const double *data) {
  const hsize_t maxd[2] = {H5S_UNLIMITED, H5S_UNLIMITED}, chunk[2] = {5, dims[1]};
  hid_t sp = H5Screate_simple(2, dims, maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  hid_t ds = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  CHECK(ds >= 0 && (data == NULL || H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0),
        "create the chunked dataset %s", name);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(sp);
}

/* Finding 3 (fuzz_dataset_h5, fuzz_runfile_h5): a chunked dataset claims
 * its shape without storing it, so a file of a few kilobytes with /X and /Y
 * of 2^31 rows had the loader allocate 48 GB (and read fill values into it);
 * likewise a /metrics table of 2^40 rows. Such files are refused before
 * anything is allocated; a chunked dataset that is complete (its last chunk
 * sticking out) still loads. */
static void test_unstored_shapes(void) {
  char path[512];
  tmp_path(path, sizeof path, "chunked.h5");
  static double X[7 * 2], Y[7 * 3];
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 3; j++) Y[i * 3 + j] = (double)((i + j) % 3); /* y = d - rank, ranks a permutation */
  const hsize_t xd[2] = {7, 2}, yd[2] = {7, 3};
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  put_chunked(f, "X", xd, X);
  put_chunked(f, "Y", yd, Y);
  H5Fclose(f);
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds));
  CHECK(ds != NULL && ds->n == 7 && ds->d == 3 && ds->p == 2, "a complete chunked dataset of 7 rows loads");
  pt_dataset_free(&ds);

  const hsize_t hx[2] = {(hsize_t)1 << 31, 2}, hy[2] = {(hsize_t)1 << 31, 3};
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  put_chunked(f, "X", hx, NULL);
  put_chunked(f, "Y", hy, NULL);
  H5Fclose(f);
  CHECK_FAILS_MSG(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds), PT_EFORMAT,
                  "dataset /X does not store all of its values (parts never written)");
  /* the first 7 rows written, of 2^31 */
  f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  for (int k = 0; k < 2; k++) {
    hid_t set = H5Dopen2(f, k ? "Y" : "X", H5P_DEFAULT), fs = H5Dget_space(set);
    hid_t ms = H5Screate_simple(2, k ? yd : xd, NULL);
    const hsize_t start[2] = {0, 0};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, k ? yd : xd, NULL);
    CHECK(H5Dwrite(set, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, k ? Y : X) >= 0, "write the first rows of %s",
          k ? "/Y" : "/X");
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(set);
  }
  H5Fclose(f);
  CHECK_FAILS_MSG(pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds), PT_EFORMAT,
                  "dataset /X does not store all of its values (parts never written)");
  unlink(path);

  tmp_path(path, sizeof path, "metrics.h5");
  write_run(path);
  f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t m = H5Dopen2(f, "metrics", H5P_DEFAULT);
  const hsize_t rows = (hsize_t)1 << 40;
  CHECK(m >= 0 && H5Dset_extent(m, &rows) >= 0, "extend /metrics to 2^40 rows");
  H5Dclose(m);
  H5Fclose(f);
  pt_run_state s = {0};
  CHECK_FAILS_MSG(pt_runfile_read(path, &s), PT_EFORMAT, "/metrics does not store all of its 1099511627776 rows");
  pt_run_state_clear(&s, 0);
  unlink(path);
}

/* Finding 4 (fuzz_runfile_h5): the final model's shape comes from the
 * attributes d and p of /model, and pt_runfile_read_model allocated d·p + d
 * parameters before looking at /model/params: d = 2^40 asked for 8 TB, and
 * d = 2^32, p = 2^32 − 1 wrapped d·p + d around to 0. The shape must now be
 * that of the stored parameters. */
static void test_model_shape(void) {
  char path[512];
  tmp_path(path, sizeof path, "model.h5");
  const int64_t shapes[][2] = {{(int64_t)1 << 40, 2}, {(int64_t)1 << 32, ((int64_t)1 << 32) - 1}, {3, 3}};
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    write_run(path); /* d = 3, p = 2: 9 parameters */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), scalar = H5Screate(H5S_SCALAR);
    const hsize_t nparams = 9;
    hid_t sp = H5Screate_simple(1, &nparams, NULL);
    hid_t set = H5Dcreate2(g, "params", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double params[9] = {0};
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, params);
    for (int j = 0; j < 2; j++) {
      hid_t a = H5Acreate2(g, j ? "p" : "d", H5T_NATIVE_INT64, scalar, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_INT64, &shapes[k][j]);
      H5Aclose(a);
    }
    H5Dclose(set);
    H5Sclose(sp);
    H5Sclose(scalar);
    H5Gclose(g);
    H5Fclose(f);
    set_string_attr(path, "/model", "kind", "affine");
    char want[200];
    snprintf(want, sizeof want, "/model/params holds 9 values, not those of the affine model %lld x %lld",
             (long long)shapes[k][0], (long long)shapes[k][1]);
    pt_model *m = NULL;
    CHECK_FAILS_MSG(pt_runfile_read_model(path, &m), PT_EFORMAT, want);
    CHECK(m == NULL, "no model");
    pt_model_free(&m);
  }
  unlink(path);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/perturb_fuzz_regress.XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    fprintf(stderr, "test_fuzz_regress: cannot create a temporary directory\n");
    MPI_Finalize();
    return 1;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* an argument runs one case alone: attribute_arrays, one_line_messages,
   * unstored_shapes, model_shape */
  const char *only = argc > 1 ? argv[1] : NULL;
  if (only == NULL || strcmp(only, "attribute_arrays") == 0) test_attribute_arrays();
  if (only == NULL || strcmp(only, "one_line_messages") == 0) test_one_line_messages();
  if (only == NULL || strcmp(only, "unstored_shapes") == 0) test_unstored_shapes();
  if (only == NULL || strcmp(only, "model_shape") == 0) test_model_shape();
  rmdir(tmpdir);
  const int status = pt_test_finish("test_fuzz_regress");
  MPI_Finalize();
  return status;
}
