/* fuzz_runfile_h5.c: the run-file reader on its three paths: resuming
 * (pt_runfile_read twice, as train.c's resume() does, with the stored
 * configuration loaded by pt_config_load_string), `perturb eval`
 * (pt_runfile_read_model) and `perturb info`.
 *
 * Input: a recipe (fuzz_h5recipe.h) for a run file (layout in runfile.h):
 * the root attributes, the configuration text, /metrics, /checkpoint and
 * /model, each bent by the recipe. A failure must keep the error contract. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_h5recipe.h"
#include "model/model.h"
#include "train/optim.h"
#include "perturb/config.h"
#include "io/runfile.h"

enum { MAXD = 5, MAXP = 4, MAXPARAMS = MAXD * MAXP + MAXD, MAXROWS = 6 };

/* The model the recipe's run would have: its kind, d and p. */
typedef struct shape {
  const pt_model_type *kind;
  size_t d, p, nparams;
} shape;

static void write_metrics(fz_reader *r, hid_t f) {
  const uint8_t c = fz_u8(r) % 8;
  static const char *names[] = {"epoch",      "step",          "wall_seconds",   "train_loss", "test_spearman",
                                "test_exact", "label_perturbations_per_s", "train_spearman", "train_exact"};
  if (c >= 6) {
    /* not a compound table: bent the generic way */
    double v[MAXROWS];
    for (int k = 0; k < MAXROWS; k++) v[k] = fz_double(r);
    const hsize_t rows = MAXROWS;
    fz_h5_dataset(r, f, "metrics", 0, 1, &rows, v);
    return;
  }
  /* a compound table: every field (version 2), the version 1 fields, or a
   * subset with other types */
  int nf = c < 3 ? 9 : c == 3 ? 7 : 1 + (int)fz_below(r, 9);
  hid_t t = H5Tcreate(H5T_COMPOUND, (size_t)nf * 8);
  for (int k = 0; k < nf; k++) {
    hid_t ft = k < 2 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    const int field = c < 4 ? k : (int)fz_below(r, 9);
    if (c == 5) {
      const uint8_t tc = fz_u8(r) % 4;
      ft = tc == 0 ? H5T_NATIVE_INT32 : tc == 1 ? H5T_NATIVE_FLOAT : tc == 2 ? H5T_NATIVE_UINT64 : ft;
    }
    H5Tinsert(t, names[field], (size_t)k * 8, ft); /* a repeated name fails: the table just has fewer fields */
  }
  hsize_t rows = fz_below(r, MAXROWS + 1);
  const int huge = fz_u8(r) >= 240;
  if (huge) rows = fz_dim(r);
  hsize_t maxd = H5S_UNLIMITED, chunk = 64;
  hid_t sp = H5Screate_simple(1, &rows, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  hid_t ds = sp < 0 ? -1 : H5Dcreate2(f, "metrics", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (ds >= 0 && !huge && rows > 0) {
    unsigned char buf[MAXROWS * 9 * 8];
    for (size_t k = 0; k < sizeof buf; k++) buf[k] = fz_u8(r);
    H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  }
  if (ds >= 0) H5Dclose(ds);
  if (sp >= 0) H5Sclose(sp);
  H5Pclose(dcpl);
  H5Tclose(t);
}

static void write_recipe(fz_reader *r, const char *path, shape *sh) {
  sh->kind = fz_u8(r) & 1 ? &pt_model_linear_scorer : &pt_model_affine;
  sh->d = 1 + fz_below(r, MAXD);
  sh->p = 1 + fz_below(r, MAXP);
  sh->nparams = sh->kind == &pt_model_linear_scorer ? sh->p + 1 : sh->d * sh->p + sh->d;
  double params[MAXPARAMS];
  for (size_t k = 0; k < MAXPARAMS; k++) params[k] = (double)k / 8.0;

  /* the configuration: the defaults as train writes them, maybe with a line
   * of the recipe's text appended, or the recipe's text alone */
  pt_config *cfg = NULL;
  char *ini = NULL;
  if (pt_config_alloc(&cfg) != PT_OK || pt_config_to_ini(cfg, &ini) != PT_OK) abort();
  pt_config_free(&cfg);
  const uint8_t cc = fz_u8(r) % 4;
  char extra[2048];
  fz_text(r, extra, sizeof extra);
  const size_t len = strlen(ini) + strlen(extra) + 2;
  char *text = malloc(len);
  if (text == NULL) abort();
  snprintf(text, len, "%s%s%s", cc == 3 ? "" : ini, cc == 2 ? "\n" : "", cc >= 2 ? extra : "");
  free(ini);

  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) abort();
  const int complete = fz_u8(r) & 1;
  fz_h5_attr_string(r, f, "format", "perturb-run");
  fz_h5_attr_int(r, f, "format_version", 2);
  fz_h5_attr_string(r, f, "perturb_version", "0.1.0");
  fz_h5_attr_string(r, f, "git_commit", "fuzz");
  fz_h5_attr_int(r, f, "nranks", 1);
  fz_h5_attr_int(r, f, "instance_groups", 1);
  fz_h5_attr_int(r, f, "sample_groups", 1);
  fz_h5_attr_int(r, f, "complete", complete);
  fz_h5_attr_string(r, f, "status", complete ? "complete" : "running");
  fz_h5_attr_int(r, f, "epochs_done", 3);
  fz_h5_attr_string(r, f, "config", text);
  free(text);
  write_metrics(r, f);

  const hsize_t np = sh->nparams;
  const uint8_t gc = fz_u8(r) % 8;
  if (gc == 6) {
    fz_h5_dataset(r, f, "checkpoint", 0, 1, &np, params); /* a dataset where a group belongs */
  } else if (gc != 7) {
    hid_t ck = H5Gcreate2(f, "checkpoint", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    fz_h5_dataset(r, ck, "params", 0, 1, &np, params);
    fz_h5_dataset(r, ck, "optim_m", 0, 1, &np, params);
    fz_h5_dataset(r, ck, "optim_v", 0, 1, &np, params);
    fz_h5_attr_int(r, ck, "epoch", 3);
    fz_h5_attr_int(r, ck, "step", 12);
    fz_h5_attr_int(r, ck, "optim_t", 12);
    fz_h5_attr_double(r, ck, "elapsed_seconds", 1.5);
    H5Gclose(ck);
  }
  if (complete || fz_u8(r) >= 128) {
    hid_t mg = H5Gcreate2(f, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    fz_h5_dataset(r, mg, "params", 0, 1, &np, params);
    const hsize_t wd[2] = {sh->d, sh->p}, pd = sh->p, dd = sh->d;
    if (sh->kind == &pt_model_linear_scorer) {
      fz_h5_dataset(r, mg, "w", 0, 1, &pd, params);
      fz_h5_attr_double(r, mg, "intercept", params[sh->p]);
    } else {
      fz_h5_dataset(r, mg, "W", 0, 2, wd, params);
      fz_h5_dataset(r, mg, "b", 0, 1, &dd, params + sh->d * sh->p);
    }
    fz_h5_attr_string(r, mg, "kind", sh->kind->name);
    fz_h5_attr_int(r, mg, "d", (int64_t)sh->d);
    fz_h5_attr_int(r, mg, "p", (int64_t)sh->p);
    H5Gclose(mg);
  }
  if (H5Fclose(f) < 0) abort();
}

/* What train.c's resume() does with the file. */
static void resume(const char *path, const shape *sh) {
  pt_run_state stored = {0};
  pt_status st = pt_runfile_read(path, &stored);
  if (st != PT_OK) {
    fz_check_error(st, "pt_runfile_read");
    pt_run_state_clear(&stored, 0);
    return;
  }
  if (stored.config_ini == NULL || stored.nmetrics > stored.cap_metrics) abort();
  pt_config *old = NULL;
  if (pt_config_alloc(&old) != PT_OK) abort();
  st = pt_config_load_string(old, stored.config_ini, path);
  if (st != PT_OK) fz_check_error(st, "pt_config_load_string of a run file's configuration");
  pt_config_free(&old);
  pt_run_state_clear(&stored, 0);
  if (st != PT_OK) return;

  pt_model *model = NULL;
  pt_optim *optim = NULL;
  const pt_model_shape shape = {.d = sh->d, .p = sh->p, .per_label = sh->kind->per_label};
  const pt_model_settings settings = {0};
  if (pt_model_alloc(sh->kind, &shape, &settings, path, &model) != PT_OK ||
      pt_optim_alloc(PT_OPTIM_ADAM, model->nparams, 0.01, 0.9, 0.9, 0.999, 1e-8, &optim) != PT_OK)
    abort();
  stored.model = model;
  stored.optim = optim;
  st = pt_runfile_read(path, &stored);
  if (st != PT_OK) {
    fz_check_error(st, "pt_runfile_read of the checkpoint");
  } else {
    pt_run_state state = {0};
    for (size_t k = 0; k < stored.nmetrics && st == PT_OK; k++) st = pt_run_add_metrics(&state, &stored.metrics[k]);
    pt_run_state_clear(&state, 0);
  }
  pt_run_state_clear(&stored, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_reader r = {data, size, 0};
  char path[512];
  snprintf(path, sizeof path, "%s", fz_path("run.h5"));
  shape sh;
  write_recipe(&r, path, &sh);

  resume(path, &sh);

  pt_model *m = NULL;
  const pt_status st = pt_runfile_read_model(path, &m);
  if (st != PT_OK) fz_check_error(st, "pt_runfile_read_model");
  else if (m == NULL || m->d < 1 || m->p < 1) abort();
  pt_model_free(&m);

  char arg0[] = "info";
  char *argv[] = {arg0, path, NULL};
  fz_quiet(1);
  const int code = pt_cli_info(2, argv);
  fz_quiet(0);
  if (code != 0) fz_check_error(PT_EFORMAT, "perturb info");
  return 0;
}
