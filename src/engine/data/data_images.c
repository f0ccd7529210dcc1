/* data_images.c: import of the image classification datasets — the
 * handwritten digits that Debian's python3-sklearn ships (a gzip'ed CSV) and
 * CIFAR-10's binary record files. Both give task "classification" datasets
 * with X [n × c × h × w] as float64 and int32 labels. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "perturb/data.h"
#include "io/files.h"
#include "text.h"

/* ---- digits ---------------------------------------------------------------- */

enum {
  DIGITS_SIDE = 8,
  DIGITS_PIXELS = DIGITS_SIDE * DIGITS_SIDE,
  DIGITS_CLASSES = 10,
  /* a row is 64 numbers of at most 2 digits and a label: a longer line is
   * not the digits file (and is reported as such) */
  DIGITS_LINE = 4096
};

/* Where python3-sklearn installs the file on Debian 12. */
static const char digits_known_path[] = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

pt_status pt_dataset_digits_path(char *out, size_t size) {
  static const char fn[] = "pt_dataset_digits_path";
  PT_CHECK_PTR(fn, out);
  if (size == 0) return pt_error(PT_EINVAL, "%s: the buffer is empty", fn);
  out[0] = '\0';
  struct stat sb;
  if (stat(digits_known_path, &sb) == 0 && S_ISREG(sb.st_mode)) {
    snprintf(out, size, "%s", digits_known_path);
    return PT_OK;
  }
  /* Another Python version or layout: ask dpkg which files the package
   * installed (dpkg-query -L lists them, one per line). */
  FILE *p = popen("dpkg-query -L python3-sklearn 2>/dev/null", "r");
  char line[1024];
  static const char want[] = "/digits.csv.gz";
  const size_t wl = sizeof want - 1;
  while (p != NULL && fgets(line, sizeof line, p) != NULL) {
    size_t len = strcspn(line, "\n");
    line[len] = '\0';
    if (out[0] == '\0' && len > wl && strcmp(line + len - wl, want) == 0 && len < size) memcpy(out, line, len + 1);
  }
  if (p != NULL) pclose(p);
  if (out[0] == '\0')
    return pt_error(PT_EIO, "the handwritten digits come with Debian's python3-sklearn, which is not installed "
                    "(apt-get install python3-sklearn, or give --from FILE)");
  return PT_OK;
}

/* Parses one CSV row of the digits file (64 pixels then the label) into
 * x[64] and *label. `line` is NUL-terminated without its ending. */
static pt_status digits_row(const char *path, size_t lineno, char *line, double *x, int32_t *label) {
  static const char fn[] = "pt_dataset_import_digits";
  size_t k = 0;
  char *s = line;
  for (;; k++) {
    char *comma = strchr(s, ',');
    if (comma) *comma = '\0';
    if (k > DIGITS_PIXELS)
      return pt_error(PT_EFORMAT, "%s: %s:%zu: the row is too long (more than %d fields; expected %d pixels and a label)",
                      fn, path, lineno, DIGITS_PIXELS + 1, DIGITS_PIXELS);
    char shown[48];
    errno = 0;
    char *end = NULL;
    if (k < DIGITS_PIXELS) {
      const double v = strtod(s, &end);
      while (end != NULL && (*end == ' ' || *end == '\t')) end++;
      if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return pt_error(PT_EFORMAT, "%s: %s:%zu: pixel %zu is not a finite number: '%s'", fn, path, lineno, k + 1,
                        pt_text_shown(s, strlen(s), shown, sizeof shown));
      x[k] = v;
    } else {
      const long v = strtol(s, &end, 10);
      while (end != NULL && (*end == ' ' || *end == '\t')) end++;
      if (end == s || *end != '\0' || errno == ERANGE)
        return pt_error(PT_EFORMAT, "%s: %s:%zu: the label is not an integer: '%s'", fn, path, lineno,
                        pt_text_shown(s, strlen(s), shown, sizeof shown));
      if (v < 0 || v >= DIGITS_CLASSES)
        return pt_error(PT_EFORMAT, "%s: %s:%zu: label %ld is not a digit 0..%d", fn, path, lineno, v,
                        DIGITS_CLASSES - 1);
      *label = (int32_t)v;
    }
    if (comma == NULL) break;
    s = comma + 1;
  }
  if (k < DIGITS_PIXELS)
    return pt_error(PT_EFORMAT, "%s: %s:%zu: the row is too short (%zu fields; expected %d pixels and a label)", fn,
                    path, lineno, k + 1, DIGITS_PIXELS);
  return PT_OK;
}

pt_status pt_dataset_import_digits(const char *path, pt_dataset **out) {
  static const char fn[] = "pt_dataset_import_digits";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, path);
  /* pt_file_open_input first: a clear reason for a missing file, and no
   * blocking on a FIFO. gzdopen then reads the same file (gzip or plain). */
  char why[128];
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "%s: cannot open '%s': %s", fn, path, why);
  const int fd = dup(fileno(f));
  fclose(f);
  gzFile gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
  if (gz == NULL) {
    if (fd >= 0) close(fd);
    return pt_error(PT_EIO, "%s: cannot read '%s': %s", fn, path, fd < 0 ? strerror(errno) : "out of memory");
  }
  /* Rows are collected in growing arrays (the file does not say how many it
   * holds), then copied into the dataset. */
  size_t n = 0, cap = 0, lineno = 0;
  double *X = NULL;
  int32_t *labels = NULL;
  char *line = malloc(DIGITS_LINE);
  pt_status st = line ? PT_OK : pt_error(PT_ENOMEM, "%s: out of memory", fn);
  while (st == PT_OK && gzgets(gz, line, DIGITS_LINE) != NULL) {
    lineno++;
    size_t len = strlen(line);
    if (len == DIGITS_LINE - 1 && line[len - 1] != '\n' && !gzeof(gz)) {
      st = pt_error(PT_EFORMAT, "%s: %s:%zu: the row is too long (over %d characters)", fn, path, lineno,
                    DIGITS_LINE - 2);
      break;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (len == 0) continue; /* a blank line, e.g. at the end */
    if (n == cap) {
      const size_t nc = cap ? 2 * cap : 2048;
      double *nx = realloc(X, nc * DIGITS_PIXELS * sizeof *X);
      if (nx) X = nx;
      int32_t *nl = nx ? realloc(labels, nc * sizeof *labels) : NULL;
      if (nl) labels = nl;
      if (nx == NULL || nl == NULL) {
        st = pt_error(PT_ENOMEM, "%s: out of memory at %s:%zu", fn, path, lineno);
        break;
      }
      cap = nc;
    }
    st = digits_row(path, lineno, line, X + n * DIGITS_PIXELS, labels + n);
    if (st == PT_OK) n++;
  }
  int zerr = Z_OK;
  const char *zmsg = gzerror(gz, &zerr);
  /* zlib names a descriptor "<fd:N>: ": the message names the file itself */
  const char *colon = strncmp(zmsg, "<fd:", 4) == 0 ? strstr(zmsg, ": ") : NULL;
  if (colon) zmsg = colon + 2;
  if (st == PT_OK && zerr != Z_OK && zerr != Z_BUF_ERROR)
    st = pt_error(PT_EIO, "%s: cannot read '%s' (zlib: %s)", fn, path, zmsg);
  else if (st == PT_OK && zerr == Z_BUF_ERROR)
    st = pt_error(PT_EFORMAT, "%s: '%s' is cut short (zlib: %s)", fn, path, zmsg);
  gzclose(gz); /* closes fd */
  if (st == PT_OK && n == 0) st = pt_error(PT_EFORMAT, "%s: '%s' holds no rows", fn, path);
  pt_dataset *ds = NULL;
  if (st == PT_OK) st = pt_dataset_alloc_classification(n, DIGITS_CLASSES, DIGITS_PIXELS, &ds);
  if (st == PT_OK) {
    memcpy(ds->X, X, n * DIGITS_PIXELS * sizeof *X);
    memcpy(ds->labels, labels, n * sizeof *labels);
    for (size_t i = 0; i < n; i++) ds->Y[i * DIGITS_CLASSES + (size_t)labels[i]] = 1.0;
    ds->channels = 1;
    ds->height = ds->width = DIGITS_SIDE;
    snprintf(ds->name, sizeof ds->name, "%s", "digits");
    snprintf(ds->source, sizeof ds->source, "%s", path);
  }
  free(line);
  free(X);
  free(labels);
  *out = ds;
  return st;
}

/* ---- CIFAR-10 -------------------------------------------------------------- */

enum {
  CIFAR_SIDE = 32,
  CIFAR_CHANNELS = 3,
  CIFAR_PIXELS = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE,
  CIFAR_RECORD = 1 + CIFAR_PIXELS, /* the label byte, then red, green, blue planes */
  CIFAR_CLASSES = 10
};

/* The number of records of CIFAR-10 file `path` into *records. */
static pt_status cifar_records(const char *fn, const char *path, size_t *records) {
  char why[128];
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "%s: cannot open '%s': %s", fn, path, why);
  struct stat sb;
  const int ok = fstat(fileno(f), &sb) == 0;
  fclose(f);
  if (!ok) return pt_error(PT_EIO, "%s: cannot read the size of '%s': %s", fn, path, strerror(errno));
  const uintmax_t size = (uintmax_t)sb.st_size;
  if (size == 0) return pt_error(PT_EFORMAT, "%s: '%s' is empty", fn, path);
  if (size % CIFAR_RECORD != 0)
    return pt_error(PT_EFORMAT, "%s: '%s' is not CIFAR-10 records: its %ju bytes are not a multiple of %d (%ju left over)",
                    fn, path, size, CIFAR_RECORD, size % CIFAR_RECORD);
  if (size / CIFAR_RECORD > SIZE_MAX) return pt_error(PT_EFORMAT, "%s: '%s' is too large", fn, path);
  *records = (size_t)(size / CIFAR_RECORD);
  return PT_OK;
}

/* Reads the `records` records of `path` into rows `row`.. of ds. */
static pt_status cifar_read(const char *fn, const char *path, size_t records, size_t row, pt_dataset *ds) {
  char why[128];
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "%s: cannot open '%s': %s", fn, path, why);
  unsigned char rec[CIFAR_RECORD];
  pt_status st = PT_OK;
  for (size_t r = 0; r < records && st == PT_OK; r++) {
    if (fread(rec, 1, sizeof rec, f) != sizeof rec) {
      st = ferror(f) ? pt_error(PT_EIO, "%s: cannot read '%s': %s", fn, path, strerror(errno))
                     : pt_error(PT_EIO, "%s: '%s' got shorter while being read (record %zu)", fn, path, r);
      break;
    }
    if (rec[0] >= CIFAR_CLASSES) {
      st = pt_error(PT_EFORMAT, "%s: '%s': record %zu (0-based) has label %u, not a class 0..%d", fn, path, r,
                    (unsigned)rec[0], CIFAR_CLASSES - 1);
      break;
    }
    const size_t i = row + r;
    ds->labels[i] = rec[0];
    ds->Y[i * CIFAR_CLASSES + rec[0]] = 1.0;
    double *x = ds->X + i * CIFAR_PIXELS;
    for (size_t k = 0; k < CIFAR_PIXELS; k++) x[k] = (double)rec[1 + k];
  }
  fclose(f);
  return st;
}

pt_status pt_dataset_import_cifar10(const char *const *paths, size_t count, pt_dataset **out) {
  static const char fn[] = "pt_dataset_import_cifar10";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, paths);
  if (count == 0) return pt_error(PT_EINVAL, "%s: no files given", fn);
  /* Sizes first, so that a bad file is reported before any reading and the
   * dataset is allocated once. */
  size_t n = 0;
  for (size_t k = 0; k < count; k++) {
    size_t records = 0;
    PT_CHECK_PTR(fn, paths[k]);
    PT_TRY(cifar_records(fn, paths[k], &records));
    if (records > SIZE_MAX - n) return pt_error(PT_EINVAL, "%s: the files hold too many records", fn);
    n += records;
  }
  pt_dataset *ds = NULL;
  PT_TRY(pt_dataset_alloc_classification(n, CIFAR_CLASSES, CIFAR_PIXELS, &ds));
  pt_status st = PT_OK;
  size_t row = 0;
  for (size_t k = 0; k < count && st == PT_OK; k++) {
    size_t records = 0;
    st = cifar_records(fn, paths[k], &records);
    if (st == PT_OK && row + records > n)
      st = pt_error(PT_EIO, "%s: '%s' grew while being read", fn, paths[k]);
    if (st == PT_OK) st = cifar_read(fn, paths[k], records, row, ds);
    row += records;
  }
  if (st == PT_OK && row != n) st = pt_error(PT_EIO, "%s: the files changed while being read", fn);
  if (st != PT_OK) {
    pt_dataset_free(&ds);
    return st;
  }
  ds->channels = CIFAR_CHANNELS;
  ds->height = ds->width = CIFAR_SIDE;
  snprintf(ds->name, sizeof ds->name, "%s", "cifar10");
  /* the files in order, cut to fit */
  size_t used = 0;
  for (size_t k = 0; k < count && used + 1 < sizeof ds->source; k++) {
    const int w = snprintf(ds->source + used, sizeof ds->source - used, "%s%s", k ? " " : "", paths[k]);
    if (w < 0) break;
    used += (size_t)w;
  }
  *out = ds;
  return PT_OK;
}
