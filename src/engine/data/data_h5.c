/* data_h5.c: datasets in HDF5 files (layout in perturb/data.h). Saving is
 * serial; loading and counting use parallel HDF5 (MPI-IO) and are collective.
 *
 * Collective loading has one rule: every rank makes the same sequence of
 * HDF5 calls and returns the same status and message. Each phase (probe the
 * file, open it, read its metadata, read the rows, check the values) ends with
 * pt_dist_agree() (dist/dist.h), which hands every rank the first failing rank's status and message;
 * all ranks then leave together, closing the same handles. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "check.h"
#include "perturb/data.h"
#include "data/data_impl.h"
#include "io/files.h"
#include "dist/dist.h"
#include "io/h5util.h"

enum { FORMAT_VERSION = 1 };

/* ---- HDF5 error reporting ------------------------------------------------ */

/* HDF5 prints its whole error stack to stderr by default; perturb reports one
 * line of its own instead, so printing is off inside these functions
 * (pt_h5_quiet_begin). */
typedef struct h5_detail_buf {
  char text[200];
} h5_detail_buf;

static herr_t detail_cb(unsigned n, const H5E_error2_t *err, void *data) {
  h5_detail_buf *b = data;
  if (n == 0 && err->desc != NULL) snprintf(b->text, sizeof b->text, "%s", err->desc);
  return 0;
}

/* The most specific description on HDF5's error stack, for messages. */
static const char *h5_detail(h5_detail_buf *b) {
  snprintf(b->text, sizeof b->text, "%s", "no detail");
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, detail_cb, b);
  return b->text;
}

static void close_id(hid_t *id, herr_t (*closer)(hid_t)) {
  if (*id >= 0) closer(*id);
  *id = -1;
}

/* ---- attributes ----------------------------------------------------------- */

/* Reads string attribute `name` of the root group into out[size] (cut to
 * fit); *found = 0 if there is none. Fixed- and variable-length strings are
 * both accepted, since h5py and h5dump users write either. */
static pt_status read_str_attr(const char *fn, const char *path, hid_t obj, const char *name, char *out,
                               size_t size, int *found) {
  *found = 0;
  htri_t ex = H5Aexists(obj, name);
  if (ex < 0) return pt_error(PT_EFORMAT, "%s: '%s': cannot read attribute '%s'", fn, path, name);
  if (ex == 0) return PT_OK;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = -1, mt = -1, sp = -1;
  pt_status st = PT_OK;
  char *vbuf = NULL, *fbuf = NULL;
  if (a < 0 || (ft = H5Aget_type(a)) < 0 || (sp = H5Aget_space(a)) < 0) {
    st = pt_error(PT_EFORMAT, "%s: '%s': cannot open attribute '%s'", fn, path, name);
  } else if (H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1) {
    st = pt_error(PT_EFORMAT, "%s: '%s': attribute '%s' is not a single string", fn, path, name);
  } else {
    const htri_t vlen = H5Tis_variable_str(ft);
    const size_t fsize = H5Tget_size(ft);
    mt = H5Tcopy(H5T_C_S1);
    int ok = mt >= 0 && vlen >= 0 && H5Tset_cset(mt, H5Tget_cset(ft)) >= 0;
    if (ok && vlen) {
      ok = H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Aread(a, mt, &vbuf) >= 0;
      if (ok) snprintf(out, size, "%s", vbuf ? vbuf : "");
    } else if (ok) {
      /* One byte more than the file's strings, so that a string that fills
       * its slot (H5T_STR_NULLPAD, as h5py writes) still gets its NUL. */
      ok = fsize < SIZE_MAX && (fbuf = calloc(fsize + 1, 1)) != NULL && H5Tset_size(mt, fsize + 1) >= 0 &&
           H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 && H5Aread(a, mt, fbuf) >= 0;
      if (ok) snprintf(out, size, "%s", fbuf);
    }
    if (!ok) st = pt_error(PT_EFORMAT, "%s: '%s': cannot read string attribute '%s'", fn, path, name);
    else *found = 1;
  }
  if (vbuf) H5free_memory(vbuf);
  free(fbuf);
  close_id(&mt, H5Tclose);
  close_id(&sp, H5Sclose);
  close_id(&ft, H5Tclose);
  close_id(&a, H5Aclose);
  return st;
}

/* Reads integer attribute `name` (a single integer) into *v; *found = 0 if absent. */
static pt_status read_int_attr(const char *fn, const char *path, hid_t obj, const char *name, long long *v,
                               int *found) {
  *found = 0;
  htri_t ex = H5Aexists(obj, name);
  if (ex < 0) return pt_error(PT_EFORMAT, "%s: '%s': cannot read attribute '%s'", fn, path, name);
  if (ex == 0) return PT_OK;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = -1, sp = -1;
  pt_status st = PT_OK;
  if (a < 0 || (ft = H5Aget_type(a)) < 0 || (sp = H5Aget_space(a)) < 0 || H5Tget_class(ft) != H5T_INTEGER ||
      H5Sget_simple_extent_npoints(sp) != 1 || H5Aread(a, H5T_NATIVE_LLONG, v) < 0)
    st = pt_error(PT_EFORMAT, "%s: '%s': attribute '%s' is not a single integer", fn, path, name);
  else
    *found = 1;
  close_id(&sp, H5Sclose);
  close_id(&ft, H5Tclose);
  close_id(&a, H5Aclose);
  return st;
}

/* Any task name loads (a user's solver has its own), but only a plain one,
 * since it is printed and written back: letters, digits, '_', '-', '.'. */
static int plain_task(const char *task) {
  int plain = task[0] != '\0';
  for (const char *c = task; *c && plain; c++)
    plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("_-.", *c);
  return plain;
}

/* ---- save ----------------------------------------------------------------- */

/* Writes the whole array `data` as dataset /name of the given shape. */
static int write_array(hid_t fid, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                       const void *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL), ds = -1;
  int ok = sp >= 0 && (ds = H5Dcreate2(fid, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
           H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  close_id(&ds, H5Dclose);
  close_id(&sp, H5Sclose);
  return ok;
}

/* The generator's parameters, read back from the source string that
 * pt_dataset_synthetic writes ("synthetic KIND n=.. d=.. p=.. sigma=S seed=N"):
 * the struct has no fields of its own for them. */
static int parse_synthetic(const pt_dataset *ds, char *kind, size_t kind_size, double *sigma, uint64_t *seed) {
  if (strcmp(ds->name, "synthetic") != 0) return 0;
  char k[16], s[64];
  uint64_t sd = 0;
  /* %*[0-9] skips the sizes without converting them (no overflow). */
  if (sscanf(ds->source, "synthetic %15s n=%*[0-9] d=%*[0-9] p=%*[0-9] sigma=%63s seed=%" SCNu64, k, s, &sd) != 3)
    return 0;
  char *end = NULL;
  const double sg = strtod(s, &end);
  if (end == s || *end != '\0') return 0;
  snprintf(kind, kind_size, "%s", k);
  *sigma = sg;
  *seed = sd;
  return 1;
}

/* Saving a classification dataset: /X [n, c, h, w] for images, else [n, p];
 * /labels [n] and the number of classes; Y is only the one-hot of the labels
 * and is rebuilt on load, so it is not stored. */
static pt_status write_classification(const pt_dataset *ds, const char *path, hid_t fid) {
  static const char fn[] = "pt_dataset_save";
  const int image = ds->channels > 0;
  const hsize_t n = ds->n, xdims[4] = {n, image ? ds->channels : ds->p, ds->height, ds->width};
  const int version = FORMAT_VERSION, classes = (int)ds->d;
  if (image && ds->channels * ds->height * ds->width != ds->p)
    return pt_error(PT_EINVAL, "%s: '%s': image shape %zu x %zu x %zu does not hold the %zu features", fn, path,
                    ds->channels, ds->height, ds->width, ds->p);
  int ok = write_array(fid, "/X", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, image ? 4 : 2, xdims, ds->X) &&
           write_array(fid, "/labels", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, ds->labels);
  if (!ok) return pt_error(PT_EIO, "%s: writing '%s' failed", fn, path);
  PT_TRY(pt_h5_write_attr(fid, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version, path));
  PT_TRY(pt_h5_write_attr_string(fid, "task", "classification", path));
  PT_TRY(pt_h5_write_attr(fid, "classes", H5T_STD_I32LE, H5T_NATIVE_INT, &classes, path));
  PT_TRY(pt_h5_write_attr_string(fid, "name", ds->name, path));
  PT_TRY(pt_h5_write_attr_string(fid, "source", ds->source, path));
  return PT_OK;
}

/* The HDF5 part of saving: writes everything into the (in-memory) file fid. */
/* A shortest-path file: /X [n, p] or [n, c, h, w], /Y [n, E], /costs
 * [n, E] when known, attributes solver, grid_rows, grid_cols. */
static pt_status write_paths(const pt_dataset *ds, const char *path, hid_t fid) {
  static const char fn[] = "pt_dataset_save";
  const hsize_t n = ds->n, d = ds->d;
  const hsize_t xdims[4] = {n, ds->channels ? ds->channels : ds->p, ds->height, ds->width}, ydims[2] = {n, d};
  const int version = FORMAT_VERSION, rows = (int)ds->grid_rows, cols = (int)ds->grid_cols;
  int ok = write_array(fid, "/X", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ds->channels ? 4 : 2, xdims, ds->X) &&
           write_array(fid, "/Y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ydims, ds->Y) &&
           (ds->costs == NULL || write_array(fid, "/costs", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ydims, ds->costs));
  if (!ok) return pt_error(PT_EIO, "%s: writing '%s' failed", fn, path);
  PT_TRY(pt_h5_write_attr(fid, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version, path));
  PT_TRY(pt_h5_write_attr_string(fid, "task", "shortest_path", path));
  PT_TRY(pt_h5_write_attr_string(fid, "name", ds->name, path));
  PT_TRY(pt_h5_write_attr_string(fid, "source", ds->source, path));
  PT_TRY(pt_h5_write_attr_string(fid, "solver", ds->solver, path));
  PT_TRY(pt_h5_write_attr(fid, "grid_rows", H5T_STD_I32LE, H5T_NATIVE_INT, &rows, path));
  PT_TRY(pt_h5_write_attr(fid, "grid_cols", H5T_STD_I32LE, H5T_NATIVE_INT, &cols, path));
  return PT_OK;
}

static pt_status write_file(const pt_dataset *ds, const char *path, hid_t fid) {
  static const char fn[] = "pt_dataset_save";
  if (ds->labels != NULL) return write_classification(ds, path, fid);
  if (strcmp(ds->task, "shortest_path") == 0) return write_paths(ds, path, fid);
  if (ds->task[0] && !plain_task(ds->task))
    return pt_error(PT_EINVAL, "%s: '%s': task '%s' is not a plain name (letters, digits, '_', '-', '.')", fn, path,
                    ds->task);
  const hsize_t n = ds->n, d = ds->d, p = ds->p;
  const hsize_t xdims[3] = {n, ds->per_label ? d : p, p}, ydims[2] = {n, d};
  const int version = FORMAT_VERSION, per_label = ds->per_label ? 1 : 0;
  int ok = write_array(fid, "/X", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ds->per_label ? 3 : 2, xdims, ds->X) &&
           write_array(fid, "/Y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ydims, ds->Y) &&
           (ds->ranks == NULL || write_array(fid, "/ranks", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, ydims, ds->ranks));
  if (!ok) return pt_error(PT_EIO, "%s: writing '%s' failed", fn, path);
  PT_TRY(pt_h5_write_attr(fid, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version, path));
  PT_TRY(pt_h5_write_attr_string(fid, "task", ds->task[0] ? ds->task : "ranking", path));
  PT_TRY(pt_h5_write_attr_string(fid, "name", ds->name, path));
  PT_TRY(pt_h5_write_attr_string(fid, "source", ds->source, path));
  PT_TRY(pt_h5_write_attr(fid, "features_per_label", H5T_STD_I32LE, H5T_NATIVE_INT, &per_label, path));
  char kind[16];
  double sigma = 0.0;
  uint64_t seed = 0;
  if (parse_synthetic(ds, kind, sizeof kind, &sigma, &seed)) {
    PT_TRY(pt_h5_write_attr_string(fid, "synthetic_kind", kind, path));
    PT_TRY(pt_h5_write_attr(fid, "sigma", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &sigma, path));
    PT_TRY(pt_h5_write_attr(fid, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed, path));
  }
  return PT_OK;
}

pt_status pt_dataset_save(const pt_dataset *ds, const char *path) {
  static const char fn[] = "pt_dataset_save";
  PT_CHECK_PTR(fn, ds);
  PT_CHECK_PTR(fn, path);
  if (path[0] == '\0') return pt_error(PT_EINVAL, "%s: the path is empty", fn);
  /* A file that load() would reject is not worth writing. */
  pt_status st = pt_dataset_check(ds, path);
  if (st != PT_OK) {
    char why[1024];
    snprintf(why, sizeof why, "%s", pt_last_error());
    return pt_error(st, "%s: refusing to write invalid data (%s)", fn, why);
  }
  /* Built in memory and written out whole (h5util.h: a full disk is then
   * one exact error, and the previous file stays as it was). */
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t fid = pt_h5_create_memory(path);
  if (fid < 0) {
    h5_detail_buf b;
    st = pt_error(PT_EIO, "%s: cannot create '%s' in memory (HDF5: %s)", fn, path, h5_detail(&b));
  } else {
    st = pt_h5_save_memory(fid, path, write_file(ds, path, fid));
  }
  pt_h5_quiet_end(q);
  return st;
}

/* ---- collective load ------------------------------------------------------ */

/* What the task attribute makes of the file: a ranking (/Y and /ranks), a
 * classification (/labels, Y built from them) or another task (/Y as given). */
enum { KIND_RANKING, KIND_CLASSIFICATION, KIND_PATHS, KIND_OTHER };

/* An open dataset file and what its metadata say. */
typedef struct h5_file {
  hid_t fid, X, Y, R, L, C; /* R: /ranks, L: /labels, C: /costs, or -1 if not read */
  size_t n, d, p;
  int per_label, kind;
  int xrank;          /* 2, 3 (per label) or 4 (images [n, c, h, w]) */
  hsize_t xinner[3];  /* the dimensions of /X after the first */
  char task[32], name[128], source[512];
  char solver[32];           /* shortest_path: the solver attribute */
  size_t grid_rows, grid_cols; /* shortest_path: the grid attributes */
} h5_file;

static void h5_file_close(h5_file *f) {
  close_id(&f->C, H5Dclose);
  close_id(&f->L, H5Dclose);
  close_id(&f->R, H5Dclose);
  close_id(&f->Y, H5Dclose);
  close_id(&f->X, H5Dclose);
  close_id(&f->fid, H5Fclose);
}

/* Rank-local: the file exists, is readable and is HDF5. */
static pt_status probe(const char *fn, const char *path) {
  char why[128];
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "%s: cannot open '%s': %s", fn, path, why);
  fclose(f);
  const htri_t is = H5Fis_hdf5(path);
  h5_detail_buf b;
  if (is < 0) return pt_error(PT_EIO, "%s: cannot read '%s' (HDF5: %s)", fn, path, h5_detail(&b));
  if (is == 0) return pt_error(PT_EFORMAT, "%s: '%s' is not an HDF5 file", fn, path);
  return PT_OK;
}

/* Opens dataset /name (a numeric array of rank rank_lo..rank_hi) into *id and
 * its shape into dims[]; *rank_out its rank. `required` = 0: absent is fine. */
static pt_status open_array(const char *fn, const char *path, hid_t fid, const char *name, int required,
                            int rank_lo, int rank_hi, hid_t *id, hsize_t *dims, int *rank_out) {
  *id = -1;
  *rank_out = 0;
  /* H5Lexists fails rather than returning 0 when a path's parent is missing;
   * these names are all in the root group. */
  htri_t ex = H5Lexists(fid, name, H5P_DEFAULT);
  if (ex > 0) {
    H5O_info_t info;
    if (H5Oget_info_by_name(fid, name, &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET) ex = 0;
  }
  if (ex <= 0) return required ? pt_error(PT_EFORMAT, "%s: '%s' has no dataset %s", fn, path, name) : PT_OK;
  hid_t ds = H5Dopen2(fid, name, H5P_DEFAULT), t = -1, sp = -1;
  pt_status st = PT_OK;
  if (ds < 0 || (t = H5Dget_type(ds)) < 0 || (sp = H5Dget_space(ds)) < 0) {
    h5_detail_buf b;
    st = pt_error(PT_EFORMAT, "%s: '%s': cannot open dataset %s (HDF5: %s)", fn, path, name, h5_detail(&b));
  } else {
    const H5T_class_t cls = H5Tget_class(t);
    const int rank = H5Sget_simple_extent_ndims(sp);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
      st = pt_error(PT_EFORMAT, "%s: '%s': dataset %s is not numeric", fn, path, name);
    else if (rank < rank_lo || rank > rank_hi)
      st = rank_lo == rank_hi
             ? pt_error(PT_EFORMAT, "%s: '%s': dataset %s has %d dimensions (expected %d)", fn, path, name, rank,
                        rank_lo)
             : pt_error(PT_EFORMAT, "%s: '%s': dataset %s has %d dimensions (expected %d to %d)", fn, path, name,
                        rank, rank_lo, rank_hi);
    else if (H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
      st = pt_error(PT_EFORMAT, "%s: '%s': cannot read the shape of %s", fn, path, name);
    else if (H5Sget_simple_extent_npoints(sp) > 0 && !pt_h5_fully_stored(ds))
      /* a file of a few kilobytes would have the loader allocate memory for
       * billions of rows it never held (h5util.h) */
      st = pt_error(PT_EFORMAT, "%s: '%s': dataset %s does not store all of its values (parts never written)", fn,
                    path, name);
    else
      *rank_out = rank;
  }
  close_id(&sp, H5Sclose);
  close_id(&t, H5Tclose);
  if (st != PT_OK) close_id(&ds, H5Dclose);
  *id = ds;
  return st;
}


/* The rows and features of an /X of rank xr and dimensions xd ([n, p] or
 * [n, c, h, w]): f->n, f->p, f->xrank, f->xinner. PT_EFORMAT for an empty
 * or oversized dimension. */
static pt_status x_shape(const char *fn, const char *path, const hsize_t *xd, int xr, h5_file *f) {
  hsize_t p = 1;
  for (int k = 1; k < xr; k++) {
    if (xd[k] == 0) return pt_error(PT_EFORMAT, "%s: '%s': /X has an empty dimension", fn, path);
    if (p > (hsize_t)SIZE_MAX / xd[k]) return pt_error(PT_EFORMAT, "%s: '%s': the dataset is too large", fn, path);
    p *= xd[k];
    f->xinner[k - 1] = xd[k];
  }
  if (xd[0] > SIZE_MAX) return pt_error(PT_EFORMAT, "%s: '%s': the dataset is too large", fn, path);
  f->n = (size_t)xd[0];
  f->p = (size_t)p;
  f->xrank = xr;
  return PT_OK;
}

/* The shapes of a classification file: /X [n, p] or [n, c, h, w], /labels
 * (integers) [n], attribute classes >= 2. */
static pt_status describe_classification(const char *fn, const char *path, h5_file *f) {
  hsize_t xd[4] = {0, 0, 0, 0}, ld[1] = {0};
  int xr = 0, lr = 0;
  PT_TRY(open_array(fn, path, f->fid, "/X", 1, 2, 4, &f->X, xd, &xr));
  if (xr == 3)
    return pt_error(PT_EFORMAT, "%s: '%s': dataset /X has 3 dimensions (a classification has [n, p] or [n, c, h, w])",
                    fn, path);
  PT_TRY(open_array(fn, path, f->fid, "/labels", 1, 1, 1, &f->L, ld, &lr));
  const hid_t lt = H5Dget_type(f->L);
  const int integer = lt >= 0 && H5Tget_class(lt) == H5T_INTEGER;
  if (lt >= 0) H5Tclose(lt);
  if (!integer) return pt_error(PT_EFORMAT, "%s: '%s': dataset /labels does not hold integers", fn, path);
  long long classes = 0;
  int found = 0;
  PT_TRY(read_int_attr(fn, path, f->fid, "classes", &classes, &found));
  if (!found) return pt_error(PT_EFORMAT, "%s: '%s': a classification file needs the attribute 'classes'", fn, path);
  if (classes < 2 || classes > INT32_MAX)
    return pt_error(PT_EFORMAT, "%s: '%s': classes = %lld (a classification needs 2 to %d classes)", fn, path,
                    classes, INT32_MAX);
  if (ld[0] != xd[0])
    return pt_error(PT_EFORMAT, "%s: '%s': /labels has %llu values but /X has %llu rows", fn, path,
                    (unsigned long long)ld[0], (unsigned long long)xd[0]);
  if (xd[0] == 0) return pt_error(PT_EFORMAT, "%s: '%s': the dataset has no rows", fn, path);
  PT_TRY(x_shape(fn, path, xd, xr, f));
  f->d = (size_t)classes;
  f->per_label = 0;
  return PT_OK;
}

/* The shapes of a ranking file or another task's: /X [n, p] or [n, d, p],
 * /Y [n, d], and for ranking /ranks [n, d] if present. */
static pt_status describe_targets(const char *fn, const char *path, h5_file *f) {
  hsize_t xd[3] = {0, 0, 0}, yd[2] = {0, 0}, rd[2] = {0, 0};
  int xr = 0, yr = 0, rr = 0;
  PT_TRY(open_array(fn, path, f->fid, "/X", 1, 2, 3, &f->X, xd, &xr));
  PT_TRY(open_array(fn, path, f->fid, "/Y", 1, 2, 2, &f->Y, yd, &yr));
  if (f->kind == KIND_RANKING) PT_TRY(open_array(fn, path, f->fid, "/ranks", 0, 2, 2, &f->R, rd, &rr));
  if (xd[0] != yd[0])
    return pt_error(PT_EFORMAT, "%s: '%s': /X has %llu rows but /Y has %llu", fn, path, (unsigned long long)xd[0],
                    (unsigned long long)yd[0]);
  if (xr == 3 && xd[1] != yd[1])
    return pt_error(PT_EFORMAT, "%s: '%s': /X [n, d, p] has d = %llu but /Y has %llu columns", fn, path,
                    (unsigned long long)xd[1], (unsigned long long)yd[1]);
  if (f->R >= 0 && (rd[0] != yd[0] || rd[1] != yd[1]))
    return pt_error(PT_EFORMAT, "%s: '%s': /ranks is [%llu, %llu] but /Y is [%llu, %llu]", fn, path,
                    (unsigned long long)rd[0], (unsigned long long)rd[1], (unsigned long long)yd[0],
                    (unsigned long long)yd[1]);
  if (yd[0] == 0) return pt_error(PT_EFORMAT, "%s: '%s': the dataset has no rows", fn, path);
  if (yd[1] == 0 || xd[xr - 1] == 0)
    return pt_error(PT_EFORMAT, "%s: '%s': /X or /Y has an empty dimension", fn, path);
  /* as the CSV import: one label has a single ranking, and its Spearman
   * correlation is 0/0 */
  if (f->kind == KIND_RANKING && yd[1] < 2)
    return pt_error(PT_EFORMAT, "%s: '%s': /Y has %llu label column: a ranking needs d >= 2 labels", fn, path,
                    (unsigned long long)yd[1]);
  if (yd[0] > SIZE_MAX || yd[1] > INT32_MAX || xd[xr - 1] > SIZE_MAX)
    return pt_error(PT_EFORMAT, "%s: '%s': the dataset is too large", fn, path);
  f->n = (size_t)yd[0];
  f->d = (size_t)yd[1];
  f->p = (size_t)xd[xr - 1];
  f->per_label = xr == 3;
  f->xrank = xr;
  f->xinner[0] = xd[1];
  f->xinner[1] = xd[2];
  return PT_OK;
}

/* The shapes and attributes of a shortest-path file: /X [n, p] or [n, c, h,
 * w], /Y [n, E], /costs [n, E] if present, the solver and the grid (E must
 * be the solver's number of entries on it). */
static pt_status describe_paths(const char *fn, const char *path, h5_file *f) {
  hsize_t xd[4] = {0, 0, 0, 0}, yd[2] = {0, 0}, cd[2] = {0, 0};
  int xr = 0, yr = 0, cr = 0, found = 0;
  PT_TRY(open_array(fn, path, f->fid, "/X", 1, 2, 4, &f->X, xd, &xr));
  if (xr == 3)
    return pt_error(PT_EFORMAT, "%s: '%s': dataset /X has 3 dimensions (shortest paths take [n, p] or [n, c, h, w])",
                    fn, path);
  PT_TRY(open_array(fn, path, f->fid, "/Y", 1, 2, 2, &f->Y, yd, &yr));
  PT_TRY(open_array(fn, path, f->fid, "/costs", 0, 2, 2, &f->C, cd, &cr));
  PT_TRY(read_str_attr(fn, path, f->fid, "solver", f->solver, sizeof f->solver, &found));
  if (!found)
    return pt_error(PT_EFORMAT, "%s: '%s': a shortest_path file needs the attribute 'solver' (grid_path or dag_path)",
                    fn, path);
  long long rows = 0, cols = 0;
  int found_r = 0, found_c = 0;
  PT_TRY(read_int_attr(fn, path, f->fid, "grid_rows", &rows, &found_r));
  PT_TRY(read_int_attr(fn, path, f->fid, "grid_cols", &cols, &found_c));
  if (!found_r || !found_c)
    return pt_error(PT_EFORMAT, "%s: '%s': a shortest_path file needs the attributes grid_rows and grid_cols", fn, path);
  if (rows < 2 || cols < 2 || rows > 46340 || cols > 46340)
    return pt_error(PT_EFORMAT, "%s: '%s': a grid of %lld x %lld vertices (each side must be 2 to 46340)", fn, path,
                    rows, cols);
  const size_t E = pt_paths_entries(f->solver, (size_t)rows, (size_t)cols);
  if (E == 0)
    return pt_error(PT_EFORMAT, "%s: '%s': solver '%s' is not a shortest-path solver (grid_path or dag_path)", fn,
                    path, f->solver);
  if (xd[0] != yd[0])
    return pt_error(PT_EFORMAT, "%s: '%s': /X has %llu rows but /Y has %llu", fn, path, (unsigned long long)xd[0],
                    (unsigned long long)yd[0]);
  if (yd[1] != E)
    return pt_error(PT_EFORMAT, "%s: '%s': /Y has %llu columns, but %s on a %lld x %lld grid has %zu entries", fn,
                    path, (unsigned long long)yd[1], f->solver, rows, cols, E);
  if (f->C >= 0 && (cd[0] != yd[0] || cd[1] != yd[1]))
    return pt_error(PT_EFORMAT, "%s: '%s': /costs is [%llu, %llu] but /Y is [%llu, %llu]", fn, path,
                    (unsigned long long)cd[0], (unsigned long long)cd[1], (unsigned long long)yd[0],
                    (unsigned long long)yd[1]);
  if (yd[0] == 0) return pt_error(PT_EFORMAT, "%s: '%s': the dataset has no rows", fn, path);
  PT_TRY(x_shape(fn, path, xd, xr, f));
  f->d = E;
  f->per_label = 0;
  f->grid_rows = (size_t)rows;
  f->grid_cols = (size_t)cols;
  return PT_OK;
}

/* Reads and checks the metadata: shapes and attributes. Same on every rank. */
static pt_status describe(const char *fn, const char *path, h5_file *f) {
  long long v = 0;
  int found = 0;
  /* The task decides which datasets the file must have. */
  PT_TRY(read_str_attr(fn, path, f->fid, "task", f->task, sizeof f->task, &found));
  if (!found) snprintf(f->task, sizeof f->task, "%s", "ranking");
  if (!plain_task(f->task))
    return pt_error(PT_EFORMAT, "%s: '%s': task '%s' is not supported (a task name is letters, digits, '_', '-', '.')",
                    fn, path, f->task);
  f->kind = strcmp(f->task, "ranking") == 0          ? KIND_RANKING
            : strcmp(f->task, "classification") == 0 ? KIND_CLASSIFICATION
            : strcmp(f->task, "shortest_path") == 0  ? KIND_PATHS
                                                     : KIND_OTHER;
  PT_TRY(f->kind == KIND_CLASSIFICATION ? describe_classification(fn, path, f)
         : f->kind == KIND_PATHS        ? describe_paths(fn, path, f)
                                        : describe_targets(fn, path, f));
  const int xr = f->xrank;
  PT_TRY(read_int_attr(fn, path, f->fid, "format_version", &v, &found));
  if (found && v != FORMAT_VERSION)
    return pt_error(PT_EFORMAT, "%s: '%s': format_version %lld is not supported (this library reads %d)", fn, path,
                    v, FORMAT_VERSION);
  PT_TRY(read_int_attr(fn, path, f->fid, "features_per_label", &v, &found));
  if (found && v != f->per_label)
    return pt_error(PT_EFORMAT, "%s: '%s': features_per_label = %lld but /X has %d dimensions", fn, path, v, xr);
  PT_TRY(read_str_attr(fn, path, f->fid, "name", f->name, sizeof f->name, &found));
  if (!found) pt_path_stem(path, ".h5", f->name, sizeof f->name);
  PT_TRY(read_str_attr(fn, path, f->fid, "source", f->source, sizeof f->source, &found));
  if (!found) snprintf(f->source, sizeof f->source, "%s", path);
  return PT_OK;
}

/* Probes and opens the file collectively and reads its metadata; on failure
 * every rank has closed everything and returns the same status. */
static pt_status open_collective(const char *fn, const char *path, MPI_Comm comm, h5_file *f) {
  f->fid = f->X = f->Y = f->R = f->L = f->C = -1;
  PT_TRY(pt_dist_agree(comm, path == NULL ? pt_error(PT_EFAULT, "%s: argument 'path' is NULL", fn) : probe(fn, path)));
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  h5_detail_buf b;
  pt_status st = PT_OK;
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0)
    st = pt_error(PT_EIO, "%s: cannot set up MPI-IO for '%s' (HDF5: %s)", fn, path, h5_detail(&b));
  else if ((f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0)
    /* The file exists, is readable and has the HDF5 signature (probe), so
     * this is a damaged file, e.g. one cut short. The detail is taken
     * before the next HDF5 call clears the error stack. */
    st = pt_error(PT_EFORMAT, "%s: '%s' is a damaged HDF5 file (HDF5: %s)", fn, path, h5_detail(&b));
  close_id(&fapl, H5Pclose);
  if ((st = pt_dist_agree(comm, st)) == PT_OK) st = pt_dist_agree(comm, describe(fn, path, f));
  if (st != PT_OK) h5_file_close(f);
  return st;
}

/* Collective read of rows [b, b + m) of dataset id (rank `rank`, trailing
 * dims `inner`) into buf as memory type mtype. Every rank makes every read,
 * even after an earlier failure (`prior`), so that none waits alone in a
 * collective call; the first failure's message is the one kept. */
static pt_status read_rows(const char *fn, const char *path, const char *name, hid_t id, hid_t mtype, int rank,
                           const hsize_t *inner, size_t b, size_t m, void *buf, pt_status prior) {
  hsize_t start[4] = {b, 0, 0, 0}, count[4] = {m, 0, 0, 0};
  for (int k = 1; k < rank; k++) count[k] = inner[k - 1];
  hid_t fs = H5Dget_space(id), ms = H5Screate_simple(rank, count, NULL), dxpl = H5Pcreate(H5P_DATASET_XFER);
  /* A rank without rows still takes part in the collective read, with
   * nothing selected. */
  int ok = fs >= 0 && ms >= 0 && dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) >= 0 &&
           (m > 0 ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0
                  : H5Sselect_none(fs) >= 0 && H5Sselect_none(ms) >= 0) &&
           H5Dread(id, mtype, ms, fs, dxpl, buf) >= 0;
  h5_detail_buf d;
  pt_status st = prior;
  if (!ok && st == PT_OK)
    st = pt_error(PT_EIO, "%s: '%s': reading %s failed (HDF5: %s)", fn, path, name, h5_detail(&d));
  close_id(&dxpl, H5Pclose);
  close_id(&ms, H5Sclose);
  close_id(&fs, H5Sclose);
  return st;
}

/* Rank-local checks of the rows read; `b` is the first row's global index so
 * that messages name rows as in the file. */
static pt_status check_rows(const char *fn, const char *path, const pt_dataset *ds, size_t b, int have_ranks) {
  const size_t d = ds->d, xr = ds->per_label ? ds->d * ds->p : ds->p;
  for (size_t i = 0; i < ds->n; i++)
    for (size_t k = 0; k < xr; k++)
      if (!isfinite(ds->X[i * xr + k]))
        return pt_error(PT_EDOM, "%s: '%s': /X row %zu holds a non-finite value (%g)", fn, path, b + i,
                        ds->X[i * xr + k]);
  if (ds->labels != NULL) {
    /* Y of a classification is the one-hot of the label (not stored). */
    for (size_t i = 0; i < ds->n; i++) {
      const int32_t c = ds->labels[i];
      if (c < 0 || (size_t)c >= d)
        return pt_error(PT_EFORMAT, "%s: '%s': /labels row %zu holds %" PRId32 ", not a class in 0..%zu", fn, path,
                        b + i, c, d - 1);
      ds->Y[i * d + (size_t)c] = 1.0;
    }
    return PT_OK;
  }
  for (size_t i = 0; i < ds->n * d; i++)
    if (!isfinite(ds->Y[i]))
      return pt_error(PT_EDOM, "%s: '%s': /Y row %zu holds a non-finite value (%g)", fn, path, b + i / d, ds->Y[i]);
  if (ds->ranks == NULL) return PT_OK; /* another task's targets: /Y as given */
  unsigned char *seen = malloc(d);
  if (seen == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  pt_status st = PT_OK;
  for (size_t i = 0; i < ds->n && st == PT_OK; i++) {
    int32_t *r = ds->ranks + i * d;
    const double *y = ds->Y + i * d;
    /* Without /ranks the ranks come from Y: y_j = d − rank_j. */
    if (!have_ranks)
      for (size_t j = 0; j < d; j++) {
        const double rk = (double)d - y[j];
        r[j] = rk >= 1 && rk <= (double)d && rk == floor(rk) ? (int32_t)rk : 0;
      }
    memset(seen, 0, d);
    for (size_t j = 0; j < d && st == PT_OK; j++) {
      if (r[j] < 1 || (size_t)r[j] > d || seen[r[j] - 1])
        st = have_ranks ? pt_error(PT_EFORMAT, "%s: '%s': /ranks row %zu is not a permutation of 1..%zu", fn, path,
                                   b + i, d)
                        : pt_error(PT_EFORMAT,
                                   "%s: '%s': /Y row %zu is not a ranking (a permutation of 0..%zu) and there is no "
                                   "/ranks", fn, path, b + i, d - 1);
      else
        seen[r[j] - 1] = 1;
    }
    for (size_t j = 0; j < d && st == PT_OK; j++)
      if (y[j] != (double)d - (double)r[j])
        st = pt_error(PT_EFORMAT, "%s: '%s': /Y row %zu does not match /ranks (Y[%zu] = %g, d - rank = %g)", fn, path,
                      b + i, j, y[j], (double)d - (double)r[j]);
  }
  free(seen);
  return st;
}

/* A dataset of m rows for the file's task (ranks for a ranking, labels for
 * a classification). A rank whose range is empty gets 0 rows
 * (pt_dataset_alloc wants n >= 1): its arrays hold one zeroed row so that
 * they are never NULL. */
static pt_status alloc_rows(const char *fn, const h5_file *f, size_t m, pt_dataset **out) {
  const size_t rows = m > 0 ? m : 1;
  pt_status st = f->kind == KIND_CLASSIFICATION ? pt_dataset_alloc_classification(rows, f->d, f->p, out)
                                                : pt_dataset_alloc(rows, f->d, f->p, f->per_label,
                                                                   f->kind == KIND_RANKING, out);
  if (st == PT_OK) (*out)->n = m;
  else if (m == 0) pt_error(st, "%s: out of memory", fn);
  return st;
}

pt_status pt_dataset_load(const char *path, MPI_Comm comm, size_t row_begin, size_t row_end, pt_dataset **out) {
  static const char fn[] = "pt_dataset_load";
  if (out) *out = NULL;
  if (comm == MPI_COMM_NULL) return pt_error(PT_EINVAL, "%s: the communicator is MPI_COMM_NULL", fn);
  pt_h5_quiet q = pt_h5_quiet_begin();
  h5_file f = {.fid = -1, .X = -1, .Y = -1, .R = -1, .L = -1, .C = -1};
  pt_dataset *ds = NULL;
  pt_status st = pt_dist_agree(comm, out == NULL ? pt_error(PT_EFAULT, "%s: argument 'out' is NULL", fn) : PT_OK);
  if (st == PT_OK) st = open_collective(fn, path, comm, &f);
  if (st != PT_OK) goto leave;

  const size_t end = row_end < f.n ? row_end : f.n;
  char end_text[32]; /* SIZE_MAX means "to the end" */
  if (row_end == SIZE_MAX) snprintf(end_text, sizeof end_text, "%s", "end");
  else snprintf(end_text, sizeof end_text, "%zu", row_end);
  /* An empty range is fine (more ranks than rows leaves some with none);
   * one past the end or reversed is a caller's mistake. */
  if (row_begin > f.n)
    st = pt_error(PT_EINVAL, "%s: '%s': row range [%zu, %s) starts beyond the %zu rows of the file", fn, path,
                  row_begin, end_text, f.n);
  else if (row_begin > row_end)
    st = pt_error(PT_EINVAL, "%s: '%s': row range [%zu, %s) ends before it begins", fn, path, row_begin, end_text);
  else
    st = alloc_rows(fn, &f, end - row_begin, &ds);
  if (st == PT_OK && f.C >= 0 && (ds->costs = calloc((ds->n > 0 ? ds->n : 1) * f.d, sizeof *ds->costs)) == NULL)
    st = pt_error(PT_ENOMEM, "%s: out of memory for the costs", fn);
  if ((st = pt_dist_agree(comm, st)) != PT_OK) goto done;

  const size_t m = ds->n;
  const hsize_t yin[1] = {f.d};
  st = read_rows(fn, path, "/X", f.X, H5T_NATIVE_DOUBLE, f.xrank, f.xinner, row_begin, m, ds->X, PT_OK);
  if (f.L >= 0) st = read_rows(fn, path, "/labels", f.L, H5T_NATIVE_INT32, 1, NULL, row_begin, m, ds->labels, st);
  else st = read_rows(fn, path, "/Y", f.Y, H5T_NATIVE_DOUBLE, 2, yin, row_begin, m, ds->Y, st);
  if (f.R >= 0) st = read_rows(fn, path, "/ranks", f.R, H5T_NATIVE_INT32, 2, yin, row_begin, m, ds->ranks, st);
  if (f.C >= 0) st = read_rows(fn, path, "/costs", f.C, H5T_NATIVE_DOUBLE, 2, yin, row_begin, m, ds->costs, st);
  if (st == PT_OK) st = check_rows(fn, path, ds, row_begin, f.R >= 0);
  if (st == PT_OK && f.kind == KIND_PATHS) {
    char origin[1100];
    snprintf(origin, sizeof origin, "'%s'", path);
    st = pt_paths_check_rows(fn, origin, f.solver, f.grid_rows, f.grid_cols, m, f.d, ds->Y, ds->costs, row_begin);
  }
  if ((st = pt_dist_agree(comm, st)) != PT_OK) goto done;

  memcpy(ds->task, f.task, sizeof ds->task);
  memcpy(ds->solver, f.solver, sizeof ds->solver);
  ds->grid_rows = f.grid_rows;
  ds->grid_cols = f.grid_cols;
  if (f.xrank == 4) {
    ds->channels = (size_t)f.xinner[0];
    ds->height = (size_t)f.xinner[1];
    ds->width = (size_t)f.xinner[2];
  }
  memcpy(ds->name, f.name, sizeof ds->name);
  memcpy(ds->source, f.source, sizeof ds->source);
  *out = ds;
  ds = NULL;

done:
  pt_dataset_free(&ds);
  h5_file_close(&f);
leave:
  pt_h5_quiet_end(q);
  return st;
}

pt_status pt_dataset_count_rows(const char *path, MPI_Comm comm, size_t *n) {
  static const char fn[] = "pt_dataset_count_rows";
  if (comm == MPI_COMM_NULL) return pt_error(PT_EINVAL, "%s: the communicator is MPI_COMM_NULL", fn);
  pt_h5_quiet q = pt_h5_quiet_begin();
  h5_file f = {.fid = -1, .X = -1, .Y = -1, .R = -1, .L = -1, .C = -1};
  pt_status st = pt_dist_agree(comm, n == NULL ? pt_error(PT_EFAULT, "%s: argument 'n' is NULL", fn) : PT_OK);
  if (st == PT_OK) st = open_collective(fn, path, comm, &f);
  if (st == PT_OK) {
    *n = f.n;
    h5_file_close(&f);
  }
  pt_h5_quiet_end(q);
  return st;
}
