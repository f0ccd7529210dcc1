/* sweep.c: `perturb sweep` — the grid, the sweep directory, handing points out
 * to groups of ranks, and the summary file (layout and guarantees in sweep.h). */
#define _POSIX_C_SOURCE 200809L
#include "sweep/sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config/config_impl.h"
#include "dist/dist.h"
#include "io/files.h"
#include "io/h5util.h"
#include "train/interrupt.h"
#include "perturb/config.h"
#include "perturb/version.h"
#include "io/runfile.h"
#include "train/train.h"

#define SWEEP_FORMAT "perturb-sweep"
#define SWEEP_FORMAT_VERSION 2

/* Far beyond any real sweep; keeps point indices within an int (MPI counts,
 * the to-do list's broadcast). */
#define MAX_POINTS 1000000

/* Paths live in fixed buffers, as in runfile.c; DIR's length is checked once
 * against the room left for "/points/<index>.h5.tmp.<pid>". */
enum { PATH_SIZE = 4096, DIR_MAX = PATH_SIZE - 96 };

/* What a point needs, found by rank 0 before anything runs. */
enum { NEED_NOTHING = 0, NEED_RUN = 1, NEED_RESUME = 2 };

typedef struct sweep_axis {
  char *key;      /* "section.key" */
  size_t nvalues;
  char **values;  /* the value texts, trimmed */
  size_t stride;  /* points between two values of this axis (product of the later axes' sizes) */
} sweep_axis;

typedef struct sweep_plan {
  char *base_ini;  /* the resolved base configuration (file + overrides) */
  sweep_axis *axes;
  size_t naxes, npoints;
  char *grid_text; /* one "section.key=v1,v2,..." line per axis: the grid as stored in sweep.h5 */
} sweep_plan;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

/* Re-records the last error behind `prefix` (pt_error cannot be handed its own buffer). */
static pt_status with_prefix(pt_status st, const char *prefix) {
  char inner[1024];
  snprintf(inner, sizeof inner, "%s", pt_last_error());
  return pt_error(st, "%s: %s", prefix, inner);
}

/* A trimmed, NUL-terminated copy of [begin, end), or NULL without memory. */
static char *trimmed_copy(const char *begin, const char *end) {
  while (begin < end && isspace((unsigned char)*begin)) begin++;
  while (end > begin && isspace((unsigned char)end[-1])) end--;
  char *s = malloc((size_t)(end - begin) + 1);
  if (s != NULL) {
    memcpy(s, begin, (size_t)(end - begin));
    s[end - begin] = '\0';
  }
  return s;
}

/* "section.key=value" in a fresh buffer, or NULL without memory. */
static char *assignment(const char *key, const char *value) {
  const size_t len = strlen(key) + strlen(value) + 2;
  char *s = malloc(len);
  if (s != NULL) snprintf(s, len, "%s=%s", key, value);
  return s;
}

static pt_status nomem(const char *what) { return pt_error(PT_ENOMEM, "out of memory for %s", what); }

/* ------------------------------------------------------------------------ */
/* The grid                                                                  */

/* Frees what parse_axis allocated (also after it stopped half-way). */
static void free_axis(sweep_axis *a) {
  for (size_t v = 0; v < a->nvalues; v++) free(a->values[v]);
  free(a->values);
  free(a->key);
  memset(a, 0, sizeof *a);
}

/* Frees the plan and zeroes it (safe to call twice). */
static void plan_free(sweep_plan *p) {
  for (size_t a = 0; a < p->naxes; a++) free_axis(&p->axes[a]);
  free(p->axes);
  free(p->base_ini);
  free(p->grid_text);
  memset(p, 0, sizeof *p);
}

/* Splits "section.key=v1,v2,..." into the key and its values (the key and
 * the values are checked against the schema later, on a configuration). */
static pt_status parse_axis(const char *spec, sweep_axis *a) {
  memset(a, 0, sizeof *a);
  const char *eq = strchr(spec, '=');
  if (eq == NULL || eq == spec)
    return pt_error(PT_ECONFIG, "--grid '%.200s': expected section.key=v1,v2,...", spec);
  a->key = trimmed_copy(spec, eq);
  if (a->key == NULL) return nomem("the grid");
  if (a->key[0] == '\0') return pt_error(PT_ECONFIG, "--grid '%.200s': expected section.key=v1,v2,...", spec);
  const char *rest = eq + 1;
  while (isspace((unsigned char)*rest)) rest++;
  if (*rest == '\0') return pt_error(PT_ECONFIG, "--grid '%.200s': the axis %s has no values", spec, a->key);
  size_t n = 1;
  for (const char *c = rest; *c; c++) n += *c == ',';
  a->values = calloc(n, sizeof *a->values);
  if (a->values == NULL) return nomem("the grid");
  for (const char *begin = rest;; ) {
    const char *comma = strchr(begin, ',');
    const char *end = comma ? comma : begin + strlen(begin);
    char *value = trimmed_copy(begin, end);
    if (value == NULL) return nomem("the grid");
    a->values[a->nvalues++] = value;
    if (value[0] == '\0')
      return pt_error(PT_ECONFIG, "--grid '%.200s': value %zu of the axis %s is empty", spec, a->nvalues, a->key);
    if (comma == NULL) break;
    begin = comma + 1;
  }
  return PT_OK;
}

/* The value of `key` in c as canonical text (so that 0.1 and 0.10 compare
 * equal); `key` is known to exist. */
static pt_status canonical_value(const pt_config *c, const char *key, char *buf, size_t size) {
  const pt_config_key *k = pt_config_schema();
  const size_t dot = strcspn(key, ".");
  while (k->section != NULL &&
         !(strlen(k->section) == dot && strncmp(k->section, key, dot) == 0 && strcmp(k->key, key + dot + 1) == 0))
    k++;
  if (k->section == NULL) return pt_error(PT_ECONFIG, "unknown key %s", key);
  int64_t i;
  double d;
  int b;
  const char *s;
  switch (k->type) {
  case PT_CONFIG_INT:
    PT_TRY(pt_config_get_int(c, key, &i));
    snprintf(buf, size, "%lld", (long long)i);
    break;
  case PT_CONFIG_DOUBLE:
    PT_TRY(pt_config_get_double(c, key, &d));
    snprintf(buf, size, "%.17g", d);
    break;
  case PT_CONFIG_BOOL:
    PT_TRY(pt_config_get_bool(c, key, &b));
    snprintf(buf, size, "%d", b);
    break;
  default:
    PT_TRY(pt_config_get_string(c, key, &s));
    snprintf(buf, size, "%s", s);
    break;
  }
  return PT_OK;
}

/* Checks every value of axis `a` by applying it to `scratch` (a copy of the
 * base configuration), and that no two values are the same setting. */
static pt_status check_axis(const sweep_axis *a, pt_config *scratch) {
  char prefix[320];
  snprintf(prefix, sizeof prefix, "--grid %.200s", a->key);
  char(*canon)[PATH_SIZE] = malloc(a->nvalues * sizeof *canon); /* a value may be a path */
  if (canon == NULL) return nomem("the grid");
  pt_status st = PT_OK;
  for (size_t v = 0; v < a->nvalues && st == PT_OK; v++) {
    char *set = assignment(a->key, a->values[v]);
    st = set ? pt_config_set(scratch, set) : nomem("the grid");
    free(set);
    if (st != PT_OK) {
      st = with_prefix(st, prefix);
      break;
    }
    st = canonical_value(scratch, a->key, canon[v], sizeof canon[v]);
    for (size_t w = 0; w < v && st == PT_OK; w++)
      if (strcmp(canon[v], canon[w]) == 0)
        st = pt_error(PT_ECONFIG, "%s: the values '%.100s' and '%.100s' are the same setting", prefix, a->values[w],
                      a->values[v]);
  }
  free(canon);
  return st;
}

/* Nonzero if "section.key" `key` takes part in a rule between keys. */
static int in_a_rule(const char *key) {
  for (const pt_config_rule *r = pt_config_rules(); r->key != NULL; r++)
    if (strcmp(r->key, key) == 0 || strcmp(r->other, key) == 0) return 1;
  return 0;
}

/* The rules between keys (pt_config_check) at every point, before any runs:
 * only the axes whose keys take part in a rule can break one, so every
 * combination of their values is checked on a copy of `base` (the file and
 * the overrides). An error names the values of those axes. */
static pt_status check_rules(const sweep_plan *p, const pt_config *base) {
  size_t *ruled = malloc(p->naxes * sizeof *ruled), nruled = 0, combos = 1;
  if (ruled == NULL) return nomem("the grid");
  for (size_t a = 0; a < p->naxes; a++)
    if (in_a_rule(p->axes[a].key) && combos <= MAX_POINTS) {
      ruled[nruled++] = a;
      combos *= p->axes[a].nvalues;
    }
  pt_status st = PT_OK;
  for (size_t i = 0; i < combos && combos <= MAX_POINTS && st == PT_OK; i++) {
    pt_config *c = NULL;
    st = pt_config_copy(base, &c);
    char where[1024] = "--grid";
    for (size_t r = 0; r < nruled && st == PT_OK; r++) {
      const sweep_axis *ax = &p->axes[ruled[r]];
      size_t stride = 1; /* combinations between two values of this axis: the last axis fastest */
      for (size_t q = r + 1; q < nruled; q++) stride *= p->axes[ruled[q]].nvalues;
      const char *value = ax->values[(i / stride) % ax->nvalues];
      char *set = assignment(ax->key, value);
      st = set ? pt_config_set(c, set) : nomem("the grid");
      if (set != NULL) snprintf(where + strlen(where), sizeof where - strlen(where), " %.200s", set);
      free(set);
    }
    if (st == PT_OK && (st = pt_config_check(c)) != PT_OK && nruled > 0) st = with_prefix(st, where);
    pt_config_free(&c);
  }
  free(ruled);
  return st;
}

/* The plan: base configuration, axes checked against the schema, grid text.
 * Not collective: every rank builds the same plan. */
static pt_status plan_build(const pt_sweep_options *o, sweep_plan *p) {
  memset(p, 0, sizeof *p);
  if (o->naxes < 1) return pt_error(PT_ECONFIG, "no --grid axis given (a sweep needs at least one)");
  pt_config *base = NULL;
  pt_status st = pt_config_alloc(&base);
  if (st == PT_OK && o->config_path != NULL) st = pt_config_load_file(base, o->config_path);
  if (st == PT_OK) st = pt_config_set_overrides(base, o->overrides, o->noverrides);
  if (st == PT_OK) st = pt_config_to_ini(base, &p->base_ini);
  if (st == PT_OK) {
    p->axes = calloc((size_t)o->naxes, sizeof *p->axes);
    if (p->axes == NULL) st = nomem("the grid");
  }
  for (int k = 0; k < o->naxes && st == PT_OK; k++) {
    st = parse_axis(o->axes[k], &p->axes[p->naxes]);
    p->naxes++; /* freed by plan_free even when parsing stopped half-way */
  }
  for (size_t a = 0; a < p->naxes && st == PT_OK; a++) {
    const char *key = p->axes[a].key;
    for (size_t b = 0; b < a && st == PT_OK; b++)
      if (strcmp(p->axes[b].key, key) == 0)
        st = pt_error(PT_ECONFIG, "--grid %.200s is given twice (give each key one axis)", key);
    /* an override of an axis key would be silently replaced at every point */
    for (int k = 0; k < o->noverrides && st == PT_OK; k++) {
      const char *eq = strchr(o->overrides[k], '=');
      char *name = trimmed_copy(o->overrides[k], eq ? eq : o->overrides[k]);
      if (name == NULL) st = nomem("the grid");
      else if (strcmp(name, key) == 0)
        st = pt_error(PT_ECONFIG, "%.200s is both a --grid axis and an override (drop one)", key);
      free(name);
    }
  }
  for (size_t a = 0; a < p->naxes && st == PT_OK; a++) st = check_axis(&p->axes[a], base);
  if (st == PT_OK) st = check_rules(p, base);
  pt_config_free(&base);
  /* sizes, strides (first axis slowest) and the grid text */
  size_t text_len = 1;
  p->npoints = 1;
  for (size_t a = p->naxes; a-- > 0 && st == PT_OK;) {
    p->axes[a].stride = p->npoints;
    if (p->axes[a].nvalues > MAX_POINTS / p->npoints)
      st = pt_error(PT_ECONFIG, "the grid has more than %d points", MAX_POINTS);
    else p->npoints *= p->axes[a].nvalues;
    text_len += strlen(p->axes[a].key) + 2;
    for (size_t v = 0; v < p->axes[a].nvalues; v++) text_len += strlen(p->axes[a].values[v]) + 1;
  }
  if (st == PT_OK) {
    p->grid_text = malloc(text_len);
    if (p->grid_text == NULL) st = nomem("the grid");
  }
  if (st == PT_OK) {
    char *w = p->grid_text;
    for (size_t a = 0; a < p->naxes; a++) {
      w += sprintf(w, "%s=", p->axes[a].key);
      for (size_t v = 0; v < p->axes[a].nvalues; v++) w += sprintf(w, "%s%s", v ? "," : "", p->axes[a].values[v]);
      *w++ = '\n';
    }
    *w = '\0';
  }
  if (st != PT_OK) plan_free(p);
  return st;
}

/* The value text of axis `a` at point `index` (mixed radix, the first axis slowest). */
static const char *point_value(const sweep_plan *p, size_t index, size_t a) {
  const sweep_axis *ax = &p->axes[a];
  return ax->values[(index / ax->stride) % ax->nvalues];
}

/* "section.key=value ..." of point `index` (malloc'ed), or NULL without memory. */
static char *point_name(const sweep_plan *p, size_t index) {
  size_t len = 1;
  for (size_t a = 0; a < p->naxes; a++) len += strlen(p->axes[a].key) + strlen(point_value(p, index, a)) + 2;
  char *name = malloc(len), *w = name;
  if (name == NULL) return NULL;
  for (size_t a = 0; a < p->naxes; a++)
    w += sprintf(w, "%s%s=%s", a ? " " : "", p->axes[a].key, point_value(p, index, a));
  *w = '\0';
  return name;
}

/* The configuration of point `index`: the base, then one value per axis. */
static pt_status point_config(const sweep_plan *p, size_t index, pt_config **out) {
  pt_status st = pt_config_alloc(out);
  if (st == PT_OK) st = pt_config_load_string(*out, p->base_ini, "the sweep's base configuration");
  for (size_t a = 0; a < p->naxes && st == PT_OK; a++) {
    char *set = assignment(p->axes[a].key, point_value(p, index, a));
    st = set ? pt_config_set(*out, set) : nomem("a point's configuration");
    free(set);
  }
  if (st != PT_OK) pt_config_free(out);
  return st;
}

/* DIR/points/<index>.<ext> (DIR's length was checked: it fits). */
static void point_path(const char *dir, size_t index, const char *ext, char *buf) {
  snprintf(buf, PATH_SIZE, "%s/points/%zu.%s", dir, index, ext);
}

/* ------------------------------------------------------------------------ */
/* The directory (rank 0)                                                    */

/* mkdir -p: every missing directory of `path`. */
static pt_status make_dirs(const char *path) {
  char buf[PATH_SIZE];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *c = buf + 1;; c++) {
    const int end = *c == '\0';
    if (*c != '/' && !end) continue;
    *c = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return pt_error(PT_EIO, "cannot create the directory '%s': %s", buf, strerror(errno));
    if (end) break;
    *c = '/';
  }
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return pt_error(PT_EIO, "'%s' exists and is not a directory", path);
  return PT_OK;
}

/* Locks DIR/sweep.lock for the life of this process (the kernel drops the
 * lock when it dies, even by SIGKILL): a second sweep started on the same
 * directory — a job submitted twice — stops at once instead of racing on the
 * point files. */
static pt_status take_lock(const char *dir, int *fd_out) {
  char path[PATH_SIZE];
  snprintf(path, sizeof path, "%s/sweep.lock", dir);
  const pt_file_lock_result got = pt_file_lock(path, fd_out);
  if (got == PT_LOCK_FAILED) return pt_error(PT_EIO, "cannot create '%s': %s", path, strerror(errno));
  if (got == PT_LOCK_BUSY)
    return pt_error(PT_EIO, "'%s' is in use by another perturb sweep (it holds %s): wait for it, or use another --out",
                    dir, path);
  return PT_OK;
}

/* Removes the temporaries ("….h5.tmp.<pid>", "….h5.probe.<pid>") that a
 * killed sweep left in `dir`. Safe: we hold the lock, so nobody writes them. */
static void remove_stale_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  char path[PATH_SIZE];
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
    if (strstr(e->d_name, ".h5.tmp.") != NULL || strstr(e->d_name, ".h5.probe.") != NULL) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  closedir(d);
}

/* ------------------------------------------------------------------------ */
/* sweep.h5                                                                  */

/* The attributes on / that describe the sweep (checked on restart) and its state. */
static pt_status write_description(hid_t file, const sweep_plan *p, int complete, const char *path) {
  PT_TRY(pt_h5_write_attr_string(file, "format", SWEEP_FORMAT, path));
  PT_TRY(pt_h5_write_attr_int(file, "format_version", SWEEP_FORMAT_VERSION, path));
  PT_TRY(pt_h5_write_attr_string(file, "perturb_version", PERTURB_VERSION, path));
  PT_TRY(pt_h5_write_attr_string(file, "git_commit", PERTURB_GIT_COMMIT, path));
  PT_TRY(pt_h5_write_attr_string(file, "base_config", p->base_ini, path));
  PT_TRY(pt_h5_write_attr_string(file, "grid", p->grid_text, path));
  PT_TRY(pt_h5_write_attr_int(file, "npoints", (int64_t)p->npoints, path));
  return pt_h5_write_attr_int(file, "complete", complete, path);
}

/* Byte layout of a /summary row: index, one string pointer per axis, then the
 * metrics (all 8-byte fields: no padding). */
enum { SUMMARY_METRICS = 15 };
static size_t summary_row_size(const sweep_plan *p) {
  return sizeof(int64_t) + p->naxes * sizeof(char *) + SUMMARY_METRICS * sizeof(double);
}

/* /summary: the compound table of sweep.h (rows laid out as summary_row_size says). */
static pt_status write_summary(hid_t file, const sweep_plan *p, const unsigned char *rows, const char *path) {
  /* columns added later go last, so that tables read by position keep their meaning */
  static const char *const metric_names[SUMMARY_METRICS] = {
    "train_loss",     "test_spearman", "test_exact",     "wall_seconds", "train_spearman",
    "train_exact",    "test_loss",     "train_accuracy", "test_accuracy", "test_optimal",
    "test_cost_ratio", "test_regret", "train_optimal", "train_cost_ratio", "train_regret"};
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, H5T_VARIABLE);
  H5Tset_cset(str, H5T_CSET_UTF8);
  hid_t type = H5Tcreate(H5T_COMPOUND, summary_row_size(p));
  size_t off = 0;
  H5Tinsert(type, "index", off, H5T_NATIVE_INT64);
  off += sizeof(int64_t);
  for (size_t a = 0; a < p->naxes; a++, off += sizeof(char *)) H5Tinsert(type, p->axes[a].key, off, str);
  for (int m = 0; m < SUMMARY_METRICS; m++, off += sizeof(double))
    H5Tinsert(type, metric_names[m], off, H5T_NATIVE_DOUBLE);
  const hsize_t dims[1] = {p->npoints};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t set = H5Dcreate2(file, "summary", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const herr_t rc = set < 0 ? -1 : H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows);
  if (set >= 0) H5Dclose(set);
  H5Sclose(space);
  H5Tclose(type);
  H5Tclose(str);
  if (rc < 0) return pt_error(PT_EIO, "%s: cannot write /summary", path);
  return PT_OK;
}

/* /points/<index> from the point's run file, and its /summary row. Sets
 * *complete. A point file that is missing or unreadable counts as not complete. */
static pt_status write_point(hid_t points, const sweep_plan *p, const char *dir, size_t index, unsigned char *row,
                             int *complete, const char *path) {
  char run_path[PATH_SIZE], gname[32];
  point_path(dir, index, "h5", run_path);
  snprintf(gname, sizeof gname, "%zu", index);
  *complete = 0;
  const int64_t index64 = (int64_t)index;
  memcpy(row, &index64, sizeof index64);
  for (size_t a = 0; a < p->naxes; a++) {
    const char *value = point_value(p, index, a);
    memcpy(row + sizeof(int64_t) + a * sizeof(char *), &value, sizeof value);
  }
  double metrics[SUMMARY_METRICS];
  for (int m = 0; m < SUMMARY_METRICS; m++) metrics[m] = NAN;

  hid_t g = H5Gcreate2(points, gname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return pt_error(PT_EIO, "%s: cannot create /points/%s", path, gname);
  char *name = point_name(p, index), *ini = NULL;
  pt_config *cfg = NULL;
  pt_status st = name ? PT_OK : nomem("a point's name");
  if (st == PT_OK) st = point_config(p, index, &cfg);
  if (st == PT_OK) st = pt_config_to_ini(cfg, &ini);
  if (st == PT_OK) st = pt_h5_write_attr_int(g, "index", index64, path);
  if (st == PT_OK) st = pt_h5_write_attr_string(g, "name", name, path);
  if (st == PT_OK) st = pt_h5_write_attr_string(g, "config", ini, path);
  pt_run_state run = {0};
  if (st == PT_OK && access(run_path, F_OK) == 0 && pt_runfile_read(run_path, &run) == PT_OK && run.complete &&
      run.nmetrics > 0) {
    hid_t src = H5Fopen(run_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (src < 0 || H5Ocopy(src, "metrics", g, "metrics", H5P_DEFAULT, H5P_DEFAULT) < 0 ||
        H5Ocopy(src, "model", g, "model", H5P_DEFAULT, H5P_DEFAULT) < 0)
      st = pt_error(PT_EIO, "%s: cannot copy /metrics and /model from %s", path, run_path);
    if (src >= 0) H5Fclose(src);
    const pt_metrics_row *last = &run.metrics[run.nmetrics - 1];
    metrics[0] = last->train_loss;
    metrics[1] = last->test_spearman;
    metrics[2] = last->test_exact;
    metrics[3] = last->wall_seconds;
    metrics[4] = last->train_spearman;
    metrics[5] = last->train_exact;
    metrics[6] = last->test_loss;
    metrics[7] = last->train_accuracy;
    metrics[8] = last->test_accuracy;
    metrics[9] = last->test_optimal;
    metrics[10] = last->test_cost_ratio;
    metrics[11] = last->test_regret;
    metrics[12] = last->train_optimal;
    metrics[13] = last->train_cost_ratio;
    metrics[14] = last->train_regret;
    *complete = st == PT_OK;
  }
  if (st == PT_OK) st = pt_h5_write_attr_int(g, "complete", *complete, path);
  memcpy(row + sizeof(int64_t) + p->naxes * sizeof(char *), metrics, sizeof metrics);
  pt_run_state_clear(&run, 0);
  free(ini);
  pt_config_free(&cfg);
  free(name);
  H5Gclose(g);
  return st;
}

/* Writes DIR/sweep.h5 whole (built in memory, then a temporary file, flushed,
 * renamed: pt_h5_save_memory): the
 * description, and with `final` also every point and /summary, rebuilt from
 * the point files; *ncomplete = the points complete (final only). Rank 0. */
static pt_status write_sweep_file(const char *dir, const sweep_plan *p, int final, size_t *ncomplete) {
  char path[PATH_SIZE];
  snprintf(path, sizeof path, "%s/sweep.h5", dir);
  unsigned char *rows = NULL;
  if (final) {
    rows = calloc(p->npoints, summary_row_size(p));
    if (rows == NULL) return nomem("the summary");
  }
  pt_h5_quiet q = pt_h5_quiet_begin();
  hid_t file = pt_h5_create_memory(path);
  if (file < 0) {
    pt_h5_quiet_end(q);
    free(rows);
    return pt_error(PT_EIO, "%s: cannot create the sweep file in memory", path);
  }
  size_t done = 0;
  pt_status st = PT_OK;
  if (final) {
    hid_t points = H5Gcreate2(file, "points", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (points < 0) st = pt_error(PT_EIO, "%s: cannot create /points", path);
    for (size_t i = 0; i < p->npoints && st == PT_OK; i++) {
      int complete = 0;
      st = write_point(points, p, dir, i, rows + i * summary_row_size(p), &complete, path);
      done += (size_t)complete;
    }
    if (points >= 0) H5Gclose(points);
    if (st == PT_OK) st = write_summary(file, p, rows, path);
  }
  if (st == PT_OK) st = write_description(file, p, final && done == p->npoints, path);
  st = pt_h5_save_memory(file, path, st);
  pt_h5_quiet_end(q);
  free(rows);
  if (st == PT_OK && ncomplete) *ncomplete = done;
  return st;
}

/* An existing sweep.h5 must describe this sweep: same grid, same base configuration. */
static pt_status check_sweep_file(const char *path, const sweep_plan *p) {
  if (H5Fis_hdf5(path) <= 0)
    return pt_error(PT_EFORMAT, "'%s' is not a perturb sweep file: remove it, or use another --out directory", path);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return pt_error(PT_EIO, "cannot open '%s'", path);
  char *format = NULL, *grid = NULL, *ini = NULL;
  pt_config *stored = NULL, *base = NULL;
  pt_status st = pt_h5_read_attr_string(file, "format", &format, path);
  if (st == PT_OK && strcmp(format, SWEEP_FORMAT) != 0)
    st = pt_error(PT_EFORMAT, "'%s' is not a perturb sweep file: remove it, or use another --out directory", path);
  if (st == PT_OK) st = pt_h5_read_attr_string(file, "grid", &grid, path);
  if (st == PT_OK && strcmp(grid, p->grid_text) != 0) {
    /* shown as the options that would resume it: "--grid a=1,2 --grid b=x" */
    char shown[512] = "", *line = grid;
    for (char *nl = strchr(line, '\n'); nl != NULL; line = nl + 1, nl = strchr(line, '\n')) {
      *nl = '\0';
      const size_t used = strlen(shown);
      snprintf(shown + used, sizeof shown - used, "%s--grid %s", used ? " " : "", line);
    }
    st = pt_error(PT_ECONFIG, "'%s' holds a sweep over another grid (%s): give the same grid to resume it, or use "
                              "another --out directory",
                  path, shown);
  }
  if (st == PT_OK) st = pt_h5_read_attr_string(file, "base_config", &ini, path);
  if (st == PT_OK) st = pt_config_alloc(&stored);
  if (st == PT_OK) st = pt_config_load_string(stored, ini, path);
  if (st == PT_OK) st = pt_config_alloc(&base);
  if (st == PT_OK) st = pt_config_load_string(base, p->base_ini, "the sweep's base configuration");
  const char *diff = NULL;
  if (st == PT_OK && !pt_config_equal(stored, base, &diff))
    st = pt_error(PT_ECONFIG, "'%s' holds a sweep whose base configuration differs at %s: give the same "
                              "configuration to resume it, or use another --out directory",
                  path, diff);
  pt_config_free(&stored);
  pt_config_free(&base);
  free(format);
  free(grid);
  free(ini);
  H5Fclose(file);
  return st;
}

/* What each point needs: a missing run file is run, an incomplete one
 * resumed, a complete one kept — each checked to hold this point's configuration. */
static pt_status scan_points(const char *dir, const sweep_plan *p, unsigned char *need) {
  char path[PATH_SIZE];
  pt_status st = PT_OK;
  for (size_t i = 0; i < p->npoints && st == PT_OK; i++) {
    point_path(dir, i, "h5", path);
    need[i] = NEED_RUN;
    if (access(path, F_OK) != 0) continue;
    pt_run_state run = {0};
    pt_config *want = NULL, *have = NULL;
    st = pt_runfile_read(path, &run);
    if (st != PT_OK) {
      char prefix[64];
      snprintf(prefix, sizeof prefix, "point %zu", i);
      st = with_prefix(st, prefix);
    }
    if (st == PT_OK) st = point_config(p, i, &want);
    if (st == PT_OK) st = pt_config_alloc(&have);
    if (st == PT_OK) st = pt_config_load_string(have, run.config_ini, path);
    const char *diff = NULL;
    if (st == PT_OK && !pt_config_equal(want, have, &diff))
      st = pt_error(PT_ECONFIG, "'%s' was trained with another configuration (it differs at %s): remove it, or "
                                "use another --out directory",
                    path, diff);
    if (st == PT_OK) need[i] = run.complete ? NEED_NOTHING : NEED_RESUME;
    pt_config_free(&want);
    pt_config_free(&have);
    pt_run_state_clear(&run, 0);
  }
  return st;
}

/* Rank 0, before any point runs: the directory, its lock, the description
 * (written, or checked against an earlier start), and what each point needs. */
static pt_status prepare(const char *dir, const sweep_plan *p, int *lock_fd, unsigned char *need) {
  char sub[PATH_SIZE];
  PT_TRY(make_dirs(dir));
  PT_TRY(take_lock(dir, lock_fd));
  snprintf(sub, sizeof sub, "%s/points", dir);
  PT_TRY(make_dirs(sub));
  remove_stale_temporaries(dir);
  remove_stale_temporaries(sub);
  snprintf(sub, sizeof sub, "%s/sweep.h5", dir);
  pt_h5_quiet q = pt_h5_quiet_begin();
  pt_status st = access(sub, F_OK) == 0 ? check_sweep_file(sub, p) : write_sweep_file(dir, p, 0, NULL);
  if (st == PT_OK) st = scan_points(dir, p, need);
  pt_h5_quiet_end(q);
  return st;
}

/* ------------------------------------------------------------------------ */
/* Running the points                                                        */

/* pt_train prints a header and a line per epoch on its rank 0's stdout; in a
 * sweep these lines, from several groups at once and naming no point, would
 * bury the one-line-per-point progress. So while a point trains, its group
 * leader's stdout goes to the point's log (appended: a resumed point's log
 * continues). Returns the saved descriptor, or -1 if the log cannot be opened
 * (then the lines go to stdout as usual: a missing log is not worth failing
 * the point for). */
static int stdout_to_log(const char *log_path) {
  fflush(stdout);
  const int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int saved = fd >= 0 ? dup(STDOUT_FILENO) : -1;
  if (saved < 0 || dup2(fd, STDOUT_FILENO) < 0) {
    if (saved >= 0) close(saved);
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return saved;
}

/* Undoes stdout_to_log (nothing if it returned -1). */
static void stdout_restore(int saved) {
  if (saved < 0) return;
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
}

/* One rank's view of the running sweep. */
typedef struct sweep_state {
  const sweep_plan *p;
  const char *dir;
  MPI_Comm group;
  int grank, group_id;
  int nfailed;           /* points this group failed (counted by its leader) */
  int first_failed;      /* lowest such point, or INT_MAX */
  pt_status first_status;
  char first_message[1024];
} sweep_state;

/* The leader's line for a finished point (and the failure record). */
static void report_point(sweep_state *s, size_t index, pt_status st, const char *run_path, double seconds) {
  char *name = point_name(s->p, index);
  pt_run_state run = {0};
  if (st == PT_OK) {
    st = pt_runfile_read(run_path, &run);
    if (st == PT_OK && (!run.complete || run.nmetrics == 0))
      st = pt_error(PT_EFORMAT, "%s: not complete after training", run_path);
  }
  if (st == PT_EINTR) {
    /* not a failure: the point's checkpoint is where a restart continues */
    const pt_status read = pt_runfile_read(run_path, &run);
    printf("point %zu (%s): interrupted at epoch %lld, step %lld (checkpoint kept) [group %d]\n", index,
           name ? name : "?", read == PT_OK ? (long long)run.epoch : -1LL, read == PT_OK ? (long long)run.step : -1LL,
           s->group_id);
  } else if (st == PT_OK) {
    const pt_metrics_row *m = &run.metrics[run.nmetrics - 1];
    printf("point %zu (%s): loss %.6g, test spearman %.6f, exact %.4f, %.2f s [group %d]\n", index,
           name ? name : "?", m->train_loss, m->test_spearman, m->test_exact, seconds, s->group_id);
  } else {
    printf("point %zu (%s): FAILED: %s [group %d]\n", index, name ? name : "?", pt_last_error(), s->group_id);
    if (s->nfailed++ == 0) {
      s->first_failed = (int)index;
      s->first_status = st;
      snprintf(s->first_message, sizeof s->first_message, "%s", pt_last_error());
    }
  }
  fflush(stdout);
  pt_run_state_clear(&run, 0);
  free(name);
}

/* Trains point `index` on the group (collective over s->group). */
static void run_point(sweep_state *s, size_t index, int resume) {
  char run_path[PATH_SIZE], log_path[PATH_SIZE];
  point_path(s->dir, index, "h5", run_path);
  point_path(s->dir, index, "log", log_path);
  const double t0 = MPI_Wtime();
  pt_config *cfg = NULL;
  pt_status st = pt_dist_agree(s->group, point_config(s->p, index, &cfg));
  if (st == PT_OK) {
    const int saved = s->grank == 0 ? stdout_to_log(log_path) : -1;
    const pt_train_options o = {run_path, resume, 0, 0, NULL};
    st = pt_train(cfg, &o, s->group);
    stdout_restore(saved);
  }
  pt_config_free(&cfg);
  if (s->grank == 0) report_point(s, index, st, run_path, MPI_Wtime() - t0);
}

/* Hands the to-do list out: each group's leader takes the next entry from a
 * counter on rank 0 with an atomic fetch-and-add, and tells its group. The
 * window is allocated by MPI (MPI_Win_allocate), not attached to our memory
 * (MPI_Win_create): Open MPI then serves it from shared memory on a node
 * (osc/sm) and with RDMA atomics where the network has them, with nothing to
 * do for rank 0. With MPI_Win_create it chose its pt2pt component, and a
 * fetch-and-add waited (measured: 1.9 s) until rank 0, busy training its own
 * point, next entered MPI with another rank; the same holds wherever pt2pt is
 * the only choice (TCP between nodes) — see docs/engine.md, "Sweeps". */
static void run_points(sweep_state *s, MPI_Comm comm, const int *todo, int ntodo) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  int64_t *counter = NULL;
  MPI_Win win;
  MPI_Win_allocate(rank == 0 ? (MPI_Aint)sizeof *counter : 0, (int)sizeof *counter, MPI_INFO_NULL, comm, &counter,
                   &win);
  if (rank == 0) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
    *counter = 0;
    MPI_Win_unlock(0, win);
  }
  MPI_Barrier(comm); /* the counter is set before anyone takes from it */
  for (;;) {
    int64_t next = 0;
    /* A signal on any rank of the group (pending, or the one its last point
     * stopped for): hand out no more points. The counter jumps past the end,
     * so that every other group stops when its current point is done (under
     * a scheduler they are signalled too, and stop at their next step). */
    int sig = pt_interrupt_agreed() ? pt_interrupt_agreed() : pt_interrupt_pending();
    MPI_Allreduce(MPI_IN_PLACE, &sig, 1, MPI_INT, MPI_MAX, s->group);
    if (s->grank == 0) {
      const int64_t step = sig ? ntodo : 1;
      MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
      MPI_Fetch_and_op(&step, &next, MPI_INT64_T, 0, 0, MPI_SUM, win);
      MPI_Win_unlock(0, win);
    }
    MPI_Bcast(&next, 1, MPI_INT64_T, 0, s->group);
    if (sig || next >= ntodo) break;
    run_point(s, (size_t)(todo[next] / 2), todo[next] % 2);
  }
  MPI_Win_free(&win);
}

/* After the points: every rank learns how many failed and the lowest failed
 * point's status and message. Returns that status (PT_OK if none failed). */
static pt_status agree_failures(sweep_state *s, MPI_Comm comm, int *nfailed, int *first) {
  MPI_Allreduce(&s->nfailed, nfailed, 1, MPI_INT, MPI_SUM, comm);
  int key = s->nfailed ? s->first_failed : INT_MAX;
  MPI_Allreduce(MPI_IN_PLACE, &key, 1, MPI_INT, MPI_MIN, comm);
  *first = key;
  return pt_dist_agree_lowest(comm, s->nfailed ? s->first_failed : 0, s->nfailed ? s->first_status : PT_OK,
                              s->first_message);
}

pt_status pt_sweep(const pt_sweep_options *o, MPI_Comm comm) {
  int rank, nranks;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &nranks);
  const double t0 = MPI_Wtime();
  const int G = o->group_size;
  /* Bad input is found on every rank alike (the plan is deterministic), and
   * agreed on, before anything is written. */
  if (G < 1 || nranks % G != 0)
    return pt_dist_agree(comm, pt_error(PT_ECONFIG, "the group size %d does not divide the %d ranks (use "
                                                    "--group-size G with G dividing mpirun's -n)",
                                        G, nranks));
  if (o->out_dir[0] == '\0') return pt_dist_agree(comm, pt_error(PT_EIO, "the output directory name is empty"));
  if (strlen(o->out_dir) > DIR_MAX)
    return pt_dist_agree(comm, pt_error(PT_EIO, "output directory name too long (%zu characters; at most %d)",
                                        strlen(o->out_dir), DIR_MAX));
  sweep_plan p;
  pt_status st = pt_dist_agree(comm, plan_build(o, &p));
  if (st != PT_OK) {
    plan_free(&p); /* built here if only another rank failed (out of memory); a no-op otherwise */
    return st;
  }

  /* Rank 0 prepares the directory and finds what each point needs. */
  int lock_fd = -1;
  unsigned char *need = calloc(p.npoints, 1);
  int *todo = malloc(p.npoints * sizeof *todo);
  st = need && todo ? PT_OK : nomem("the points");
  if (st == PT_OK && rank == 0) st = prepare(o->out_dir, &p, &lock_fd, need);
  st = pt_dist_agree(comm, st);
  int ntodo = 0, nresume = 0;
  if (st == PT_OK) {
    MPI_Bcast(need, (int)p.npoints, MPI_UNSIGNED_CHAR, 0, comm);
    for (size_t i = 0; i < p.npoints; i++)
      if (need[i] != NEED_NOTHING) {
        todo[ntodo++] = (int)i * 2 + (need[i] == NEED_RESUME);
        nresume += need[i] == NEED_RESUME;
      }
    if (rank == 0) {
      printf("perturb sweep: %zu points, %d group%s of %d rank%s: %d to run, %d to resume, %zu done earlier\n",
             p.npoints, nranks / G, nranks / G > 1 ? "s" : "", G, G > 1 ? "s" : "", ntodo - nresume, nresume,
             p.npoints - (size_t)ntodo);
      fflush(stdout);
    }

    sweep_state s;
    memset(&s, 0, sizeof s);
    s.p = &p;
    s.dir = o->out_dir;
    s.group_id = rank / G;
    s.first_failed = INT_MAX;
    MPI_Comm_split(comm, s.group_id, rank, &s.group);
    MPI_Comm_rank(s.group, &s.grank);
    run_points(&s, comm, todo, ntodo);
    MPI_Comm_free(&s.group);

    int nfailed = 0, first = INT_MAX;
    const pt_status failed = agree_failures(&s, comm, &nfailed, &first);
    char first_message[1024];
    snprintf(first_message, sizeof first_message, "%s", pt_last_error());
    /* SIGTERM/SIGINT on any rank, unless every point finished anyway: the
     * sweep stops like a run (one line, exit 128 + signal), and a restart
     * continues each stopped point from its checkpoint */
    int sig = pt_interrupt_agreed() ? pt_interrupt_agreed() : pt_interrupt_pending();
    MPI_Allreduce(MPI_IN_PLACE, &sig, 1, MPI_INT, MPI_MAX, comm);

    /* The summary, rebuilt from the point files (the durable state), also
     * after failures: the finished points are worth having. */
    size_t ncomplete = 0;
    st = rank == 0 ? write_sweep_file(o->out_dir, &p, 1, &ncomplete) : PT_OK;
    if (st == PT_OK && rank == 0 && failed == PT_OK && ncomplete != p.npoints && !sig)
      st = pt_error(PT_EFORMAT, "%zu of %zu point files are not complete after the sweep: start it again",
                    p.npoints - ncomplete, p.npoints);
    st = pt_dist_agree(comm, st);
    MPI_Bcast(&ncomplete, (int)sizeof ncomplete, MPI_BYTE, 0, comm);
    if (st == PT_OK && sig && ncomplete != p.npoints) {
      pt_interrupt_set_agreed(sig);
      st = pt_error(PT_EINTR, "interrupted by %s: %zu of %zu points complete (%s); start the sweep again with the "
                              "same arguments to continue",
                    pt_interrupt_name(sig), ncomplete, p.npoints, o->out_dir);
    }
    if (st == PT_OK && failed != PT_OK) {
      char *name = point_name(&p, (size_t)first);
      /* the advice first: the nested message may be long enough to be cut */
      st = pt_error(failed, "%d of %zu points failed (the others are kept in %s: fix the cause and start the sweep "
                            "again); the first, point %d (%s): %s",
                    nfailed, p.npoints, o->out_dir, first, name ? name : "?", first_message);
      free(name);
    }
    if (st == PT_OK && rank == 0) {
      printf("perturb sweep: %zu points complete (%d run now, %zu earlier) in %.2f s; summary: %s/sweep.h5 "
             "(/summary, /points/<index>)\n",
             p.npoints, ntodo, p.npoints - (size_t)ntodo, MPI_Wtime() - t0, o->out_dir);
      fflush(stdout);
    }
  }
  if (lock_fd >= 0) close(lock_fd);
  free(need);
  free(todo);
  plan_free(&p);
  return st;
}
