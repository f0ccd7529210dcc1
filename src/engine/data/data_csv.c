/* data_csv.c: import of label-ranking CSV files (header f1..fp,r1..rd). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "perturb/data.h"
#include "data/data_impl.h"
#include "text.h"
#include "io/files.h"

static const char fn[] = "pt_dataset_import_csv";

/* Buffer for a field quoted in a message: longer fields are cut (with "…"),
 * so that one bad field in a long line still gives a short message. */
enum { FIELD_SHOWN = 48 };

/* A field escaped for a message (control bytes as \r, \x1b, ...). */
static const char *shown(const char *field, char buf[FIELD_SHOWN]) {
  return pt_text_shown(field, strlen(field), buf, FIELD_SHOWN);
}

/* Splits `line` (NUL-terminated, no line ending) in place at commas: fields[k]
 * points at field k. Returns the number of fields, counting past `cap`
 * without storing them so that a long row reports its true length. */
static size_t split_fields(char *line, char **fields, size_t cap) {
  size_t k = 0;
  char *s = line;
  for (;;) {
    if (k < cap) fields[k] = s;
    k++;
    char *comma = strchr(s, ',');
    if (comma == NULL) break;
    *comma = '\0';
    s = comma + 1;
  }
  return k;
}

/* Strips blanks around a field in place (spaces are not part of the number,
 * and people align CSV columns). */
static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t len = strlen(s);
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) s[--len] = '\0';
  return s;
}

/* Parses "<prefix><k>" with k a decimal number ≥ 1 and no leading zeros;
 * returns k or 0 if the field does not have that form. */
static size_t header_index(const char *field, char prefix) {
  if (field[0] != prefix || field[1] < '1' || field[1] > '9') return 0;
  size_t k = 0;
  for (const char *c = field + 1; *c; c++) {
    if (*c < '0' || *c > '9' || k > SIZE_MAX / 10 - 1) return 0;
    k = 10 * k + (size_t)(*c - '0');
  }
  return k;
}

/* Reads the next line of f into *line (NUL-terminated, grown as needed and
 * reused across calls), without its ending: LF, CRLF or a lone CR (old Mac
 * files, which getline() would read as one line). Returns its length, or -1
 * at the end of the file or on a read error (ferror tells). *nul is set if
 * the line holds a NUL byte. */
static ssize_t read_line(FILE *f, char **line, size_t *cap, int *nul) {
  size_t len = 0;
  int ch;
  *nul = 0;
  /* one lock for the line, not one per byte (getc locks the stream each
   * time: most of the time of an import) */
  flockfile(f);
  while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
    if (ch == '\r') {
      const int next = getc_unlocked(f);
      if (next != '\n' && next != EOF) ungetc(next, f);
      break;
    }
    if (len + 2 > *cap) {
      const size_t grown_cap = *cap ? 2 * *cap : 256;
      char *grown = realloc(*line, grown_cap);
      if (grown == NULL) {
        funlockfile(f);
        errno = ENOMEM;
        return -2;
      }
      *line = grown;
      *cap = grown_cap;
    }
    if (ch == '\0') *nul = 1;
    (*line)[len++] = (char)ch;
  }
  funlockfile(f);
  if (ch == EOF && (len == 0 || ferror(f))) return -1;
  if (*line == NULL) { /* an empty line before anything was allocated */
    *line = malloc(256);
    if (*line == NULL) {
      errno = ENOMEM;
      return -2;
    }
    *cap = 256;
  }
  (*line)[len] = '\0';
  return (ssize_t)len;
}

/* Checks the header; sets *p and *d from it. */
static pt_status parse_header(const char *path, char *line, size_t *p, size_t *d) {
  /* A UTF-8 byte-order mark, as some spreadsheet programs write. */
  if ((unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
    memmove(line, line + 3, strlen(line + 3) + 1);
  const size_t nf = split_fields(line, NULL, 0);
  /* Second pass over the now NUL-separated fields. */
  char *f = line;
  size_t np = 0, nd = 0;
  for (size_t k = 0; k < nf; k++) {
    char *next = f + strlen(f) + 1; /* before trim() shortens the field */
    char *field = trim(f);
    f = next;
    size_t idx;
    if (nd == 0 && (idx = header_index(field, 'f')) != 0 && idx == np + 1) {
      np++;
      continue;
    }
    if (np >= 1 && (idx = header_index(field, 'r')) != 0 && idx == nd + 1) {
      nd++;
      continue;
    }
    char got[FIELD_SHOWN];
    return pt_error(PT_EFORMAT,
                    "%s: %s:1: bad header: column %zu is '%s' (expected f1,...,fp,r1,...,rd with p >= 1, d >= 2)",
                    fn, path, k + 1, shown(field, got));
  }
  if (np < 1 || nd < 2)
    return pt_error(PT_EFORMAT, "%s: %s:1: bad header: %zu feature and %zu rank columns (expected f1,...,fp,r1,...,rd "
                    "with p >= 1, d >= 2)", fn, path, np, nd);
  *p = np;
  *d = nd;
  return PT_OK;
}

/* Growable storage for the rows read so far. */
typedef struct rows {
  size_t n, cap, p, d;
  double *X;
  int32_t *ranks;
} rows;

static pt_status rows_reserve(rows *rs) {
  if (rs->n < rs->cap) return PT_OK;
  const size_t cap = rs->cap ? 2 * rs->cap : 1024;
  if (cap > SIZE_MAX / sizeof(double) / (rs->p > rs->d ? rs->p : rs->d))
    return pt_error(PT_ENOMEM, "%s: too many rows", fn);
  double *X = realloc(rs->X, cap * rs->p * sizeof *X);
  if (X == NULL) return pt_error(PT_ENOMEM, "%s: out of memory after %zu rows", fn, rs->n);
  rs->X = X;
  int32_t *r = realloc(rs->ranks, cap * rs->d * sizeof *r);
  if (r == NULL) return pt_error(PT_ENOMEM, "%s: out of memory after %zu rows", fn, rs->n);
  rs->ranks = r;
  rs->cap = cap;
  return PT_OK;
}

/* Parses one data row (fields already split) into row rs->n. */
static pt_status parse_row(const char *path, size_t lineno, char **fields, size_t nf, rows *rs,
                           unsigned char *seen) {
  const size_t p = rs->p, d = rs->d, want = p + d;
  if (nf != want)
    return pt_error(PT_EFORMAT, "%s: %s:%zu: %s row (expected %zu fields, got %zu)", fn, path, lineno,
                    nf < want ? "short" : "long", want, nf);
  double *x = rs->X + rs->n * p;
  int32_t *r = rs->ranks + rs->n * d;
  for (size_t k = 0; k < want; k++) {
    char *field = trim(fields[k]), *end = NULL, got[FIELD_SHOWN];
    errno = 0;
    if (k < p) {
      const double v = strtod(field, &end);
      if (end == field || *end != '\0' || isnan(v))
        return pt_error(PT_EFORMAT, "%s: %s:%zu: field %zu ('%s') is not a number", fn, path, lineno, k + 1,
                        shown(field, got));
      if (!isfinite(v))
        return pt_error(PT_EFORMAT, "%s: %s:%zu: field %zu ('%s') is not a finite number", fn, path, lineno,
                        k + 1, shown(field, got));
      x[k] = v;
    } else {
      const long v = strtol(field, &end, 10);
      if (end == field || *end != '\0')
        return pt_error(PT_EFORMAT, "%s: %s:%zu: field %zu ('%s') is not a number (ranks are integers 1..%zu)", fn,
                        path, lineno, k + 1, shown(field, got), d);
      if (errno == ERANGE || v < 1 || (unsigned long)v > d)
        return pt_error(PT_EFORMAT, "%s: %s:%zu: ranks are not a permutation of 1..%zu (field %zu is '%s')", fn,
                        path, lineno, d, k + 1, shown(field, got));
      r[k - p] = (int32_t)v;
    }
  }
  memset(seen, 0, d);
  for (size_t j = 0; j < d; j++) {
    if (seen[r[j] - 1])
      return pt_error(PT_EFORMAT, "%s: %s:%zu: ranks are not a permutation of 1..%zu (rank %" PRId32 " appears twice)",
                      fn, path, lineno, d, r[j]);
    seen[r[j] - 1] = 1;
  }
  rs->n++;
  return PT_OK;
}


pt_status pt_dataset_import_csv(const char *path, pt_dataset **out) {
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, path);
  char where[PT_SHOWN_PATH]; /* the path as messages show it */
  pt_text_shown(path, strlen(path), where, sizeof where);
  char why[128]; /* a FIFO or a directory is refused, never waited on */
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "%s: cannot open '%s': %s", fn, where, why);

  char *line = NULL, **fields = NULL;
  unsigned char *seen = NULL;
  size_t linecap = 0, lineno = 0;
  rows rs = {0};
  pt_dataset *ds = NULL;
  pt_status st = PT_OK;
  int nul = 0;

  errno = 0;
  ssize_t got = read_line(f, &line, &linecap, &nul);
  lineno = 1;
  if (got < 0) {
    if (got == -2)
      st = pt_error(PT_ENOMEM, "%s: out of memory", fn);
    else if (ferror(f))
      st = pt_error(PT_EIO, "%s: cannot read '%s': %s", fn, where, strerror(errno));
    else
      st = pt_error(PT_EFORMAT, "%s: %s: the file is empty (expected a header f1,...,fp,r1,...,rd)", fn, where);
    goto done;
  }
  if (nul) {
    st = pt_error(PT_EFORMAT, "%s: %s:1: the line holds a NUL byte (not a text file?)", fn, where);
    goto done;
  }
  if ((st = parse_header(where, line, &rs.p, &rs.d)) != PT_OK) goto done;
  fields = malloc((rs.p + rs.d) * sizeof *fields);
  seen = malloc(rs.d);
  if (fields == NULL || seen == NULL) {
    st = pt_error(PT_ENOMEM, "%s: out of memory", fn);
    goto done;
  }

  for (;;) {
    errno = 0;
    got = read_line(f, &line, &linecap, &nul);
    if (got == -2) st = pt_error(PT_ENOMEM, "%s: out of memory", fn);
    if (got < 0) {
      if (got == -1 && ferror(f))
        st = pt_error(PT_EIO, "%s: %s:%zu: read error: %s", fn, where, lineno + 1, strerror(errno));
      break;
    }
    lineno++;
    if (nul) {
      st = pt_error(PT_EFORMAT, "%s: %s:%zu: the line holds a NUL byte", fn, where, lineno);
      break;
    }
    /* Blank lines (a trailing one is common) carry no row. */
    if (got == 0) continue;
    const size_t nf = split_fields(line, fields, rs.p + rs.d);
    if ((st = rows_reserve(&rs)) != PT_OK || (st = parse_row(where, lineno, fields, nf, &rs, seen)) != PT_OK) break;
  }
  if (st != PT_OK) goto done;
  if (rs.n == 0) {
    st = pt_error(PT_EFORMAT, "%s: %s: no data rows after the header", fn, where);
    goto done;
  }

  if ((st = pt_dataset_alloc(rs.n, rs.d, rs.p, 0, 1, &ds)) != PT_OK) goto done;
  memcpy(ds->X, rs.X, rs.n * rs.p * sizeof *ds->X);
  memcpy(ds->ranks, rs.ranks, rs.n * rs.d * sizeof *ds->ranks);
  for (size_t k = 0; k < rs.n * rs.d; k++) ds->Y[k] = (double)rs.d - (double)rs.ranks[k];
  pt_path_stem(path, ".csv", ds->name, sizeof ds->name);
  snprintf(ds->source, sizeof ds->source, "%s", path);

done:
  fclose(f);
  free(line);
  free(fields);
  free(seen);
  free(rs.X);
  free(rs.ranks);
  *out = ds;
  return st;
}
