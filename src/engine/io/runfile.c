/* runfile.c: writing and reading run-file snapshots (layout in runfile.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/runfile.h"

#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/files.h"
#include "io/h5util.h"
#include "perturb/version.h"

#define RUN_FORMAT "perturb-run"
#define RUN_FORMAT_VERSION 4

pt_status pt_run_add_metrics(pt_run_state *s, const pt_metrics_row *row) {
  if (s->nmetrics == s->cap_metrics) {
    const size_t cap = s->cap_metrics ? 2 * s->cap_metrics : 16;
    pt_metrics_row *grown = realloc(s->metrics, cap * sizeof *grown);
    if (grown == NULL) return pt_error(PT_ENOMEM, "out of memory for the metrics table");
    s->metrics = grown;
    s->cap_metrics = cap;
  }
  s->metrics[s->nmetrics++] = *row;
  return PT_OK;
}

/* The compound type of one metrics row, field names as in runfile.h. */
static hid_t metrics_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(pt_metrics_row));
  H5Tinsert(t, "epoch", HOFFSET(pt_metrics_row, epoch), H5T_NATIVE_INT64);
  H5Tinsert(t, "step", HOFFSET(pt_metrics_row, step), H5T_NATIVE_INT64);
  H5Tinsert(t, "wall_seconds", HOFFSET(pt_metrics_row, wall_seconds), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_loss", HOFFSET(pt_metrics_row, train_loss), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_spearman", HOFFSET(pt_metrics_row, test_spearman), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_exact", HOFFSET(pt_metrics_row, test_exact), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "label_perturbations_per_s", HOFFSET(pt_metrics_row, label_perturbations_per_s), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_spearman", HOFFSET(pt_metrics_row, train_spearman), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_exact", HOFFSET(pt_metrics_row, train_exact), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_loss", HOFFSET(pt_metrics_row, test_loss), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_accuracy", HOFFSET(pt_metrics_row, train_accuracy), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_accuracy", HOFFSET(pt_metrics_row, test_accuracy), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_optimal", HOFFSET(pt_metrics_row, test_optimal), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_cost_ratio", HOFFSET(pt_metrics_row, test_cost_ratio), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "test_regret", HOFFSET(pt_metrics_row, test_regret), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_optimal", HOFFSET(pt_metrics_row, train_optimal), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_cost_ratio", HOFFSET(pt_metrics_row, train_cost_ratio), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "train_regret", HOFFSET(pt_metrics_row, train_regret), H5T_NATIVE_DOUBLE);
  return t;
}

static pt_status write_metrics(hid_t file, const pt_run_state *s, const char *path) {
  const hsize_t dims[1] = {s->nmetrics}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {64};
  hid_t type = metrics_type(), space = H5Screate_simple(1, dims, maxdims), plist = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(plist, 1, chunk);
  hid_t set = H5Dcreate2(file, "metrics", type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  herr_t rc = set < 0 ? -1 : (s->nmetrics ? H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->metrics) : 0);
  if (set >= 0) H5Dclose(set);
  H5Pclose(plist);
  H5Sclose(space);
  H5Tclose(type);
  if (rc < 0) return pt_error(PT_EIO, "%s: cannot write the metrics table", path);
  return PT_OK;
}

/* The model's quantile transform and standardisation, those it has, into
 * group g. */
static pt_status write_standardization(hid_t g, const pt_model *m, const char *path) {
  if (m->x_quantiles) PT_TRY(pt_h5_write_doubles(g, "x_quantiles", m->x_quantiles, m->p, m->n_quantiles, path));
  if (m->x_mean == NULL) return PT_OK;
  PT_TRY(pt_h5_write_doubles(g, "x_mean", m->x_mean, m->p, 0, path));
  return pt_h5_write_doubles(g, "x_sd", m->x_sd, m->p, 0, path);
}

static pt_status write_contents(hid_t file, const pt_run_state *s, const char *path) {
  const pt_model *m = s->model;
  PT_TRY(pt_h5_write_attr_string(file, "format", RUN_FORMAT, path));
  PT_TRY(pt_h5_write_attr_int(file, "format_version", RUN_FORMAT_VERSION, path));
  PT_TRY(pt_h5_write_attr_string(file, "perturb_version", PERTURB_VERSION, path));
  PT_TRY(pt_h5_write_attr_string(file, "git_commit", PERTURB_GIT_COMMIT, path));
  PT_TRY(pt_h5_write_attr_int(file, "nranks", s->nranks, path));
  PT_TRY(pt_h5_write_attr_int(file, "instance_groups", s->instance_groups, path));
  PT_TRY(pt_h5_write_attr_int(file, "sample_groups", s->sample_groups, path));
  PT_TRY(pt_h5_write_attr_int(file, "complete", s->complete, path));
  PT_TRY(pt_h5_write_attr_string(file, "status", s->complete ? "complete" : "running", path));
  PT_TRY(pt_h5_write_attr_int(file, "epochs_done", s->epoch, path));
  PT_TRY(pt_h5_write_attr_string(file, "config", s->config_ini, path));
  if (s->has_data_fingerprint) {
    char fp[32];
    snprintf(fp, sizeof fp, "fnv1a64:%016" PRIx64, s->data_fingerprint);
    PT_TRY(pt_h5_write_attr_string(file, "data_fingerprint", fp, path));
  }
  PT_TRY(write_metrics(file, s, path));

  hid_t ck = H5Gcreate2(file, "checkpoint", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (ck < 0) return pt_error(PT_EIO, "%s: cannot create /checkpoint", path);
  pt_status st = pt_h5_write_doubles(ck, "params", m->params, m->nparams, 0, path);
  if (st == PT_OK) st = pt_h5_write_doubles(ck, "optim_m", s->optim->m, s->optim->n, 0, path);
  if (st == PT_OK) st = pt_h5_write_doubles(ck, "optim_v", s->optim->v, s->optim->n, 0, path);
  if (st == PT_OK) st = pt_h5_write_attr_int(ck, "epoch", s->epoch, path);
  if (st == PT_OK) st = pt_h5_write_attr_int(ck, "step", s->step, path);
  if (st == PT_OK) st = pt_h5_write_attr_int(ck, "optim_t", (int64_t)s->optim->t, path);
  if (st == PT_OK) st = pt_h5_write_attr_double(ck, "elapsed_seconds", s->elapsed, path);
  if (st == PT_OK) st = write_standardization(ck, m, path);

  if (st == PT_OK) st = pt_h5_write_attr_int(ck, "batch_offset", s->batch_offset, path);
  if (st == PT_OK && s->loss_partial)
    st = pt_h5_write_int64s(ck, "loss_partial", s->loss_partial, s->nloss_partial, path);
  H5Gclose(ck);
  PT_TRY(st);
  if (!s->complete) return PT_OK;

  hid_t mg = H5Gcreate2(file, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (mg < 0) return pt_error(PT_EIO, "%s: cannot create /model", path);
  st = pt_h5_write_doubles(mg, "params", m->params, m->nparams, 0, path);
  /* the linear models also as their named pieces, for readers of the file */
  const int scorer = m->type == &pt_model_linear_scorer, affine = m->type == &pt_model_affine;
  if (st == PT_OK && scorer) st = pt_h5_write_doubles(mg, "w", m->params, m->p, 0, path);
  if (st == PT_OK && scorer) st = pt_h5_write_attr_double(mg, "intercept", m->params[m->p], path);
  if (st == PT_OK && affine) st = pt_h5_write_doubles(mg, "W", m->params, m->d, m->p, path);
  if (st == PT_OK && affine) st = pt_h5_write_doubles(mg, "b", m->params + m->d * m->p, m->d, 0, path);
  if (st == PT_OK) st = write_standardization(mg, m, path);
  if (st == PT_OK) st = pt_h5_write_attr_string(mg, "kind", m->type->name, path);
  if (st == PT_OK) st = pt_h5_write_attr_int(mg, "d", (int64_t)m->d, path);
  if (st == PT_OK) st = pt_h5_write_attr_int(mg, "p", (int64_t)m->p, path);
  H5Gclose(mg);
  return st;
}

pt_status pt_runfile_write(const char *path, const pt_run_state *s) {
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t file = pt_h5_create_memory(path);
  pt_status st = file < 0 ? pt_error(PT_EIO, "%s: cannot create the run file in memory", path)
                          : pt_h5_save_memory(file, path, write_contents(file, s, path));
  pt_h5_quiet_end(q);
  return st;
}

/* The number of values dataset `name` of g stores in full (h5util.h), or -1
 * if it is missing or not fully stored. */
static hssize_t stored_count(hid_t g, const char *name) {
  hid_t set = H5Lexists(g, name, H5P_DEFAULT) > 0 ? H5Dopen2(g, name, H5P_DEFAULT) : -1;
  hid_t space = set < 0 ? -1 : H5Dget_space(set);
  hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  if (n > 0 && !pt_h5_fully_stored(set)) n = -1;
  if (space >= 0) H5Sclose(space);
  if (set >= 0) H5Dclose(set);
  return n;
}

/* The quantile transform of group g into m, if g has one (x_quantiles,
 * p × K). */
static pt_status read_quantiles(hid_t g, const char *path, pt_model *m) {
  if (H5Lexists(g, "x_quantiles", H5P_DEFAULT) <= 0) return PT_OK;
  const hssize_t count = stored_count(g, "x_quantiles");
  if (count < 2 || (size_t)count % m->p != 0)
    return pt_error(PT_EFORMAT, "%s: /model/x_quantiles holds %lld values, not p = %zu features times 2 or more knots",
                    path, (long long)count, m->p);
  const size_t K = (size_t)count / m->p;
  double *knots = malloc((size_t)count * sizeof *knots);
  pt_status st = knots ? pt_h5_read_doubles(g, "x_quantiles", knots, (size_t)count, path)
                       : pt_error(PT_ENOMEM, "%s: out of memory", path);
  if (st == PT_OK && pt_model_set_quantiles(m, knots, K) != PT_OK)
    st = pt_error(PT_EFORMAT, "%s: /model/x_quantiles: %s", path, pt_last_error());
  free(knots);
  return st;
}

/* The parameters of /model (group g) into m, whose shape the caller made,
 * and its quantile transform and standardisation, those it has. */
static pt_status read_model_values(hid_t g, const char *path, pt_model *m) {
  PT_TRY(pt_h5_read_doubles(g, "params", m->params, m->nparams, path));
  PT_TRY(read_quantiles(g, path, m));
  /* older files and runs on raw features have no x_mean: no standardisation */
  if (H5Lexists(g, "x_mean", H5P_DEFAULT) <= 0) return PT_OK;
  double *stats = malloc(2 * m->p * sizeof *stats);
  pt_status st = stats ? pt_h5_read_doubles(g, "x_mean", stats, m->p, path) : pt_error(PT_ENOMEM, "%s: out of memory", path);
  if (st == PT_OK) st = pt_h5_read_doubles(g, "x_sd", stats + m->p, m->p, path);
  if (st == PT_OK && pt_model_set_standardization(m, stats, stats + m->p) != PT_OK)
    st = pt_error(PT_EFORMAT, "%s: /model/x_mean, x_sd: %s", path, pt_last_error());
  free(stats);
  return st;
}

static pt_status read_model_group(hid_t g, const char *path, pt_model **out) {
  char *kind = NULL;
  int64_t d = 0, p = 0;
  PT_TRY(pt_h5_read_attr_string(g, "kind", &kind, path));
  pt_status st = pt_h5_read_attr_int(g, "d", &d, path);
  if (st == PT_OK) st = pt_h5_read_attr_int(g, "p", &p, path);
  const pt_model_type *type = st == PT_OK ? pt_model_type_by_name(kind) : NULL;
  if (st == PT_OK && type == NULL) st = pt_error(PT_EFORMAT, "%s: unknown model kind '%s'", path, kind);
  else if (st == PT_OK && !type->replicated)
    st = pt_error(PT_EFORMAT, "%s: a %s model is read with its run's configuration", path, kind);
  free(kind);
  if (st == PT_OK && (d < 1 || p < 1)) st = pt_error(PT_EFORMAT, "%s: bad model shape %lld x %lld", path, (long long)d, (long long)p);
  /* d and p come from the file: they must be those of the stored parameters
   * before memory is allocated for them (the linear kinds: p + 1, or d(p + 1)) */
  if (st == PT_OK) {
    const hssize_t have = stored_count(g, "params");
    const uint64_t ud = (uint64_t)d, up = (uint64_t)p;
    const int fits = type->per_label ? have >= 0 && (uint64_t)have == up + 1
                                     : ud <= UINT64_MAX / (up + 1) && have >= 0 && (uint64_t)have == ud * (up + 1);
    if (!fits)
      st = pt_error(PT_EFORMAT, "%s: /model/params holds %lld values, not those of the %s model %lld x %lld",
                    path, (long long)have, type->name, (long long)d, (long long)p);
  }
  const pt_model_shape shape = {.d = (size_t)d, .p = (size_t)p, .per_label = type ? type->per_label : 0};
  const pt_model_settings settings = {0};
  if (st == PT_OK) st = pt_model_alloc(type, &shape, &settings, path, out);
  if (st == PT_OK) st = read_model_values(g, path, *out);
  if (st != PT_OK) pt_model_free(out);
  return st;
}

static pt_status open_run(const char *path, hid_t *file) {
  if (access(path, F_OK) != 0) return pt_error(PT_EIO, "cannot open run file '%s': no such file", path);
  char why[128]; /* a FIFO would block H5Fis_hdf5 for ever */
  if (!pt_file_input_ok(path, why, sizeof why)) return pt_error(PT_EIO, "cannot open run file '%s': %s", path, why);
  if (H5Fis_hdf5(path) <= 0) return pt_error(PT_EFORMAT, "'%s' is not an HDF5 file", path);
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*file < 0) return pt_error(PT_EIO, "cannot open run file '%s'", path);
  char *format = NULL;
  pt_status st = pt_h5_read_attr_string(*file, "format", &format, path);
  if (st == PT_OK && strcmp(format, RUN_FORMAT) != 0) st = pt_error(PT_EFORMAT, "'%s' is not a perturb run file", path);
  free(format);
  if (st != PT_OK) {
    H5Fclose(*file);
    st = pt_error(PT_EFORMAT, "'%s' is not a perturb run file", path);
  }
  return st;
}

pt_status pt_runfile_read_model(const char *path, pt_model **out) {
  *out = NULL;
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t file;
  pt_status st = open_run(path, &file);
  if (st == PT_OK) {
    if (H5Lexists(file, "model", H5P_DEFAULT) <= 0) {
      st = pt_error(PT_EFORMAT, "%s: no /model (the run did not complete)", path);
    } else {
      hid_t g = H5Gopen2(file, "model", H5P_DEFAULT);
      st = read_model_group(g, path, out);
      H5Gclose(g);
    }
    H5Fclose(file);
  }
  pt_h5_quiet_end(q);
  return st;
}

/* A scalar attribute `name` of `obj` (`where` names obj in messages) whose
 * type is of class `cls`: an integer stored as a float or a string would
 * otherwise be converted silently (or fail with HDF5's own words). */
static pt_status check_attr_type(hid_t obj, const char *where, const char *name, H5T_class_t cls, const char *path) {
  if (H5Aexists(obj, name) <= 0) return pt_error(PT_EFORMAT, "%s: attribute '%s' of %s is missing", path, name, where);
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t type = attr < 0 ? -1 : H5Aget_type(attr), space = attr < 0 ? -1 : H5Aget_space(attr);
  const int ok = type >= 0 && space >= 0 && H5Tget_class(type) == cls && H5Sget_simple_extent_npoints(space) == 1;
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (attr >= 0) H5Aclose(attr);
  if (!ok)
    return pt_error(PT_EFORMAT, "%s: attribute '%s' of %s is not a single %s", path, name, where,
                    cls == H5T_INTEGER ? "integer" : cls == H5T_FLOAT ? "floating-point number" : "string");
  return PT_OK;
}

/* An integer attribute ≥ `min`. */
static pt_status read_count(hid_t obj, const char *where, const char *name, int64_t min, int64_t *v, const char *path) {
  PT_TRY(check_attr_type(obj, where, name, H5T_INTEGER, path));
  PT_TRY(pt_h5_read_attr_int(obj, name, v, path));
  if (*v < min)
    return pt_error(PT_EFORMAT, "%s: attribute '%s' of %s is %lld (must be >= %lld)", path, name, where,
                    (long long)*v, (long long)min);
  return PT_OK;
}

/* /checkpoint/<name>: `count` finite values. */
static pt_status read_finite(hid_t ck, const char *name, double *data, size_t count, const char *path) {
  PT_TRY(pt_h5_read_doubles(ck, name, data, count, path));
  for (size_t k = 0; k < count; k++)
    if (!isfinite(data[k]))
      return pt_error(PT_EFORMAT, "%s: /checkpoint/%s[%zu] is %g (not finite)", path, name, k, data[k]);
  return PT_OK;
}

static pt_status read_checkpoint(hid_t ck, const char *path, pt_run_state *s) {
  int64_t epoch = 0, step = 0, t = 0, offset = 0;
  PT_TRY(read_count(ck, "/checkpoint", "epoch", 0, &epoch, path));
  PT_TRY(read_count(ck, "/checkpoint", "step", 0, &step, path));
  PT_TRY(read_count(ck, "/checkpoint", "optim_t", 0, &t, path));
  /* written since interruptions stop mid-epoch; older files stop at epoch ends */
  if (H5Aexists(ck, "batch_offset") > 0) PT_TRY(read_count(ck, "/checkpoint", "batch_offset", 0, &offset, path));
  PT_TRY(check_attr_type(ck, "/checkpoint", "elapsed_seconds", H5T_FLOAT, path));
  PT_TRY(pt_h5_read_attr_double(ck, "elapsed_seconds", &s->elapsed, path));
  if (!isfinite(s->elapsed) || s->elapsed < 0.0)
    return pt_error(PT_EFORMAT, "%s: attribute 'elapsed_seconds' of /checkpoint is %g (must be finite and >= 0)", path,
                    s->elapsed);
  /* the model's shape comes from the stored config; the caller checks it */
  if (s->model) PT_TRY(read_finite(ck, "params", s->model->params, s->model->nparams, path));
  if (s->optim) PT_TRY(read_finite(ck, "optim_m", s->optim->m, s->optim->n, path));
  if (s->optim) PT_TRY(read_finite(ck, "optim_v", s->optim->v, s->optim->n, path));
  if (s->loss_partial) {
    if (H5Lexists(ck, "loss_partial", H5P_DEFAULT) > 0 || offset > 0)
      PT_TRY(pt_h5_read_int64s(ck, "loss_partial", s->loss_partial, s->nloss_partial, path));
    else
      memset(s->loss_partial, 0, s->nloss_partial * sizeof *s->loss_partial);
  }
  s->epoch = epoch;
  s->step = step;
  s->batch_offset = offset;
  if (s->optim) s->optim->t = (uint64_t)t;
  return PT_OK;
}

/* The metrics table must be the epochs done: rows 1, 2, …, epoch, with steps
 * that do not decrease and none beyond the checkpoint's. */
static pt_status check_metrics(const pt_run_state *s, const char *path) {
  if ((int64_t)s->nmetrics != s->epoch)
    return pt_error(PT_EFORMAT, "%s: attribute 'epoch' of /checkpoint is %lld, but /metrics has %zu rows (one per "
                                "epoch done)",
                    path, (long long)s->epoch, s->nmetrics);
  for (size_t k = 0; k < s->nmetrics; k++) {
    const pt_metrics_row *m = &s->metrics[k];
    if (m->epoch != (int64_t)k + 1)
      return pt_error(PT_EFORMAT, "%s: /metrics row %zu has epoch %lld (expected %zu)", path, k, (long long)m->epoch,
                      k + 1);
    if (m->step < (k ? s->metrics[k - 1].step : 0) || m->step > s->step)
      return pt_error(PT_EFORMAT, "%s: /metrics row %zu has step %lld (out of order, or beyond the checkpoint's %lld)",
                      path, k, (long long)m->step, (long long)s->step);
  }
  return PT_OK;
}

static pt_status read_contents(hid_t file, const char *path, pt_run_state *s) {
  int64_t v;
  PT_TRY(check_attr_type(file, "/", "config", H5T_STRING, path));
  PT_TRY(pt_h5_read_attr_string(file, "config", &s->config_ini, path));
  PT_TRY(read_count(file, "/", "complete", 0, &v, path));
  if (v > 1) return pt_error(PT_EFORMAT, "%s: attribute 'complete' of / is %lld (must be 0 or 1)", path, (long long)v);
  s->complete = (int)v;
  PT_TRY(read_count(file, "/", "nranks", 1, &v, path));
  s->nranks = (int)v;
  PT_TRY(read_count(file, "/", "instance_groups", 1, &v, path));
  s->instance_groups = (int)v;
  PT_TRY(read_count(file, "/", "sample_groups", 1, &v, path));
  s->sample_groups = (int)v;
  s->has_data_fingerprint = 0;
  if (H5Aexists(file, "data_fingerprint") > 0) {
    char *fp = NULL;
    PT_TRY(pt_h5_read_attr_string(file, "data_fingerprint", &fp, path));
    char *end = NULL;
    s->data_fingerprint = strncmp(fp, "fnv1a64:", 8) == 0 ? strtoull(fp + 8, &end, 16) : 0;
    const int ok = end != NULL && end == fp + 24 && *end == '\0';
    free(fp);
    if (!ok) return pt_error(PT_EFORMAT, "%s: attribute data_fingerprint is not fnv1a64: and 16 hex digits", path);
    s->has_data_fingerprint = 1;
  }
  if (H5Lexists(file, "checkpoint", H5P_DEFAULT) <= 0) return pt_error(PT_EFORMAT, "%s: no /checkpoint", path);
  hid_t ck = H5Gopen2(file, "checkpoint", H5P_DEFAULT);
  if (ck < 0) return pt_error(PT_EFORMAT, "%s: /checkpoint is not a group", path);
  pt_status st = read_checkpoint(ck, path, s);
  H5Gclose(ck);
  PT_TRY(st);

  if (H5Lexists(file, "metrics", H5P_DEFAULT) <= 0) return pt_error(PT_EFORMAT, "%s: no /metrics", path);
  hid_t set = H5Dopen2(file, "metrics", H5P_DEFAULT);
  if (set < 0) return pt_error(PT_EFORMAT, "%s: no /metrics", path);
  hid_t space = H5Dget_space(set), type = metrics_type();
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  st = PT_OK;
  s->nmetrics = 0;
  if (n > 0 && !pt_h5_fully_stored(set))
    st = pt_error(PT_EFORMAT, "%s: /metrics does not store all of its %lld rows (parts never written)", path,
                  (long long)n);
  else if (n > 0) {
    s->metrics = malloc((size_t)n * sizeof *s->metrics);
    if (s->metrics == NULL) {
      st = pt_error(PT_ENOMEM, "%s: out of memory", path);
    } else {
      /* HDF5 converts the columns the file has and leaves the others as they
       * are: an older file (no train_ columns: version 1; no loss and
       * accuracy columns: version 2; no path columns: version 3) reads them
       * as NaN */
      const pt_metrics_row nan_row = {0, 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
                                      NAN, NAN, NAN, NAN, NAN, NAN};
      for (hssize_t k = 0; k < n; k++) s->metrics[k] = nan_row;
      if (H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->metrics) < 0)
        st = pt_error(PT_EFORMAT, "%s: cannot read /metrics", path);
      else
        s->nmetrics = s->cap_metrics = (size_t)n;
    }
  }
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(set);
  PT_TRY(st);
  return check_metrics(s, path);
}

pt_status pt_runfile_read(const char *path, pt_run_state *s) {
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t file;
  pt_status st = open_run(path, &file);
  if (st == PT_OK) {
    st = read_contents(file, path, s);
    H5Fclose(file);
  }
  pt_h5_quiet_end(q);
  return st;
}

void pt_run_state_clear(pt_run_state *s, int owns_model) {
  free(s->config_ini);
  free(s->metrics);
  if (owns_model) {
    pt_model_free(&s->model);
    pt_optim_free(&s->optim);
  }
  memset(s, 0, sizeof *s);
}

pt_status pt_runfile_read_params(const char *path, pt_model *m) {
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t file;
  pt_status st = open_run(path, &file);
  if (st == PT_OK) {
    hid_t g = H5Lexists(file, "model", H5P_DEFAULT) > 0 ? H5Gopen2(file, "model", H5P_DEFAULT) : -1;
    char *kind = NULL;
    if (g < 0) st = pt_error(PT_EFORMAT, "%s: no /model (the run did not complete)", path);
    if (st == PT_OK) st = pt_h5_read_attr_string(g, "kind", &kind, path);
    if (st == PT_OK && strcmp(kind, m->type->name) != 0)
      st = pt_error(PT_EFORMAT, "%s: /model is a %s model, its configuration says %s", path, kind, m->type->name);
    free(kind);
    if (st == PT_OK) {
      const hssize_t have = stored_count(g, "params");
      if (have < 0 || (uint64_t)have != m->nparams)
        st = pt_error(PT_EFORMAT, "%s: /model/params holds %lld values, not the %zu of its %s model", path,
                      (long long)have, m->nparams, m->type->name);
    }
    if (st == PT_OK) st = read_model_values(g, path, m);
    if (g >= 0) H5Gclose(g);
    H5Fclose(file);
  }
  pt_h5_quiet_end(q);
  return st;
}
