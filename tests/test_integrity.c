/* test_integrity.c: the checks that keep a model and its run file whole
 * (issue #8 items 1 and 9), run under mpirun with 2 and 3 ranks:
 *  - pt_hash_bytes is FNV-1a (the published test vectors);
 *  - pt_dist_check_same passes identical parameters and, when one rank's
 *    parameters differ in one bit, fails on every rank with the same status
 *    and a message naming that rank;
 *  - a model's standardisation goes through the run file (/model and
 *    /checkpoint) and back through pt_runfile_read_model, which applies it
 *    with pt_model_prepare_data; a model without one reads back without;
 *  - so does a quantile transform (data.quantile) before a standardisation. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "dist/dist.h"
#include "model/model.h"
#include "train/optim.h"
#include "perturb/data.h"
#include "io/runfile.h"
#include "testlib.h"

static int rank = 0, nranks = 1;

static void test_hash(void) {
  /* FNV-1a 64 reference values (Fowler, Noll, Vo: the FNV test suite) */
  CHECK(pt_hash_bytes(PT_HASH_INIT, "", 0) == UINT64_C(0xcbf29ce484222325), "FNV-1a of \"\"");
  CHECK(pt_hash_bytes(PT_HASH_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c), "FNV-1a of \"a\"");
  CHECK(pt_hash_bytes(PT_HASH_INIT, "foobar", 6) == UINT64_C(0x85944171f73967e8), "FNV-1a of \"foobar\"");
  /* continuing a hash is hashing the concatenation */
  CHECK(pt_hash_bytes(pt_hash_bytes(PT_HASH_INIT, "foo", 3), "bar", 3) == UINT64_C(0x85944171f73967e8),
        "FNV-1a continued");
}

static void test_check_same(void) {
  double params[7];
  for (int k = 0; k < 7; k++) params[k] = 0.1 * k - 0.3;
  CHECK_OK(pt_dist_check_same(MPI_COMM_WORLD, params, sizeof params, "the model parameters"));
  /* one bit of one parameter on the last rank: what a different rounding in
   * one BLAS kernel does */
  const int odd = nranks - 1;
  double drifted[7];
  memcpy(drifted, params, sizeof params);
  if (rank == odd) {
    uint64_t bits;
    memcpy(&bits, &drifted[4], sizeof bits);
    bits ^= 1;
    memcpy(&drifted[4], &bits, sizeof bits);
  }
  char want[64];
  snprintf(want, sizeof want, "rank %d differs from rank 0", odd);
  if (nranks > 1)
    CHECK_FAILS_MSG(pt_dist_check_same(MPI_COMM_WORLD, drifted, sizeof drifted, "the model parameters"), PT_EMPI,
                    want);
  /* every rank but 0 differs: all named */
  if (nranks > 2) {
    if (rank > 0) drifted[0] = 42.0;
    CHECK_FAILS_MSG(pt_dist_check_same(MPI_COMM_WORLD, drifted, sizeof drifted, "the model parameters"), PT_EMPI,
                    "ranks 1, 2 differ from rank 0");
  }
}

/* A tiny affine dataset with features far from standard scale. */
static pt_dataset *scaled_data(void) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc(5, 3, 2, 0, 0, &ds));
  if (ds == NULL) return NULL;
  for (size_t i = 0; i < ds->n * ds->p; i++) ds->X[i] = 10.0 * (double)((i * 7) % 5) + 5.0 + (double)(i % 2);
  return ds;
}

/* Writes a complete run file of model m (and its optimiser o) to `path`,
 * then reads its model back into *back. */
static void write_then_read(const char *path, pt_model *m, pt_optim *o, pt_model **back) {
  char ini[] = "[train]\nepochs = 1\n";
  pt_run_state s = {.config_ini = ini, .nranks = 1, .instance_groups = 1, .sample_groups = 1, .complete = 1,
                    .epoch = 1, .model = m, .optim = o};
  CHECK_OK(pt_runfile_write(path, &s));
  CHECK_OK(pt_runfile_read_model(path, back));
}

static void test_runfile_standardization(const char *dir) {
  if (rank != 0) return;
  pt_model *m = NULL, *back = NULL, *plain = NULL;
  pt_optim *o = NULL;
  pt_dataset *ds = scaled_data(), *copy = NULL;
  const pt_model_shape shape = {.d = 3, .p = 2};
  const pt_model_settings settings = {0};
  CHECK_OK(pt_model_alloc(&pt_model_affine, &shape, &settings, "test", &m));
  CHECK_OK(pt_optim_alloc(PT_OPTIM_ADAM, m->nparams, 0.1, 0.0, 0.9, 0.999, 1e-8, &o));
  if (m == NULL || o == NULL || ds == NULL) goto done;
  for (size_t k = 0; k < m->nparams; k++) m->params[k] = 0.25 * (double)k - 1.0;
  CHECK_OK(pt_model_standardize_from(m, ds, "scaled data"));
  char path[512];
  snprintf(path, sizeof path, "%s/run.h5", dir);
  write_then_read(path, m, o, &back);
  CHECK(back && back->x_mean && back->x_sd && memcmp(back->x_mean, m->x_mean, m->p * sizeof(double)) == 0 &&
            memcmp(back->x_sd, m->x_sd, m->p * sizeof(double)) == 0,
        "x_mean and x_sd read back bitwise from /model");
  /* in /checkpoint as well, so that a snapshot of an unfinished run has them */
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0 && H5Lexists(f, "checkpoint/x_mean", H5P_DEFAULT) > 0 && H5Lexists(f, "checkpoint/x_sd", H5P_DEFAULT) > 0,
        "/checkpoint holds x_mean and x_sd");
  if (f >= 0) H5Fclose(f);
  /* prepared data: (x - mean) / sd, bitwise what pt_dataset_standardize gives */
  CHECK_OK(pt_dataset_subset(ds, (const size_t[]){0, 1, 2, 3, 4}, 5, &copy));
  if (back && copy) {
    CHECK_OK(pt_model_prepare_data(back, copy, "copy"));
    CHECK_OK(pt_dataset_standardize(ds, NULL));
    CHECK(memcmp(copy->X, ds->X, ds->n * ds->p * sizeof(double)) == 0,
          "pt_model_prepare_data = pt_dataset_standardize with the training statistics");
  }
  /* a model without standardisation (older files): none read back, data untouched */
  free(m->x_mean);
  free(m->x_sd);
  m->x_mean = m->x_sd = NULL;
  write_then_read(path, m, o, &plain);
  CHECK(plain && plain->x_mean == NULL && plain->x_sd == NULL, "a model without standardisation reads back without");
  unlink(path);
done:
  pt_dataset_free(&ds);
  pt_dataset_free(&copy);
  pt_model_free(&m);
  pt_model_free(&back);
  pt_model_free(&plain);
  pt_optim_free(&o);
}

static void test_runfile_quantiles(const char *dir) {
  if (rank != 0) return;
  pt_model *m = NULL, *back = NULL;
  pt_optim *o = NULL;
  pt_dataset *ds = scaled_data(), *a = NULL, *b = NULL;
  const pt_model_shape shape = {.d = 3, .p = 2};
  const pt_model_settings settings = {0};
  CHECK_OK(pt_model_alloc(&pt_model_affine, &shape, &settings, "test", &m));
  CHECK_OK(pt_optim_alloc(PT_OPTIM_ADAM, m->nparams, 0.1, 0.0, 0.9, 0.999, 1e-8, &o));
  if (m == NULL || o == NULL || ds == NULL) goto done;
  CHECK_OK(pt_model_quantile_from(m, ds, "scaled data"));
  CHECK_OK(pt_model_standardize_from(m, ds, "scaled data"));
  char path[512];
  snprintf(path, sizeof path, "%s/run_q.h5", dir);
  write_then_read(path, m, o, &back);
  CHECK(back && back->x_quantiles && back->n_quantiles == m->n_quantiles &&
            memcmp(back->x_quantiles, m->x_quantiles, m->p * m->n_quantiles * sizeof(double)) == 0,
        "x_quantiles (%zu knots per feature) read back bitwise from /model", m->n_quantiles);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0 && H5Lexists(f, "checkpoint/x_quantiles", H5P_DEFAULT) > 0, "/checkpoint holds x_quantiles");
  if (f >= 0) H5Fclose(f);
  const size_t all[5] = {0, 1, 2, 3, 4};
  CHECK_OK(pt_dataset_subset(ds, all, 5, &a));
  CHECK_OK(pt_dataset_subset(ds, all, 5, &b));
  if (back && a && b) {
    CHECK_OK(pt_model_prepare_data(m, a, "a"));
    CHECK_OK(pt_model_prepare_data(back, b, "b"));
    CHECK(memcmp(a->X, b->X, ds->n * ds->p * sizeof(double)) == 0,
          "the model read back prepares data bitwise as the one written");
  }
  unlink(path);
done:
  pt_dataset_free(&ds);
  pt_dataset_free(&a);
  pt_dataset_free(&b);
  pt_model_free(&m);
  pt_model_free(&back);
  pt_optim_free(&o);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  char dir[64] = "/tmp/perturb_test_integrity.XXXXXX";
  if (rank == 0 && mkdtemp(dir) == NULL) dir[0] = '\0';

  test_hash();
  test_check_same();
  if (dir[0] != '\0' || rank != 0) test_runfile_standardization(dir);
  if (dir[0] != '\0' || rank != 0) test_runfile_quantiles(dir);
  if (rank == 0 && dir[0] != '\0') rmdir(dir);

  int total = 0;
  MPI_Allreduce(&pt_test_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (total > 0 && pt_test_failures == 0) CHECK(0, "another rank failed %d check(s)", total);
  const int status = pt_test_finish("test_integrity");
  MPI_Finalize();
  return status;
}
