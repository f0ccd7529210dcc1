/* args.c: strict number parsing for the command line. */
#define _POSIX_C_SOURCE 200809L
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* `text` escaped for a message (control bytes as \r, \x1b, ...). */
static const char *shown(const char *text, char buf[PT_SHOWN_VALUE]) {
  return pt_text_shown(text, strlen(text), buf, PT_SHOWN_VALUE);
}

int pt_arg_double(const char *opt, const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
    char buf[PT_SHOWN_VALUE];
    fprintf(stderr, "perturb: option %s expects a finite number, got '%s'\n", opt, shown(text, buf));
    return -1;
  }
  *out = v;
  return 0;
}

int pt_arg_size(const char *opt, const char *text, size_t lo, size_t hi, size_t *out) {
  char *end = NULL;
  errno = 0;
  char buf[PT_SHOWN_VALUE];
  if (text[0] == '-') {
    fprintf(stderr, "perturb: option %s expects an integer in %zu..%zu, got '%s'\n", opt, lo, hi, shown(text, buf));
    return -1;
  }
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    fprintf(stderr, "perturb: option %s expects an integer in %zu..%zu, got '%s'\n", opt, lo, hi, shown(text, buf));
    return -1;
  }
  *out = (size_t)v;
  return 0;
}

int pt_arg_size_list(const char *opt, const char *text, size_t lo, size_t hi, size_t *out, size_t cap,
                     size_t *count) {
  char buf[256];
  if (strlen(text) >= sizeof buf) {
    fprintf(stderr, "perturb: option %s: list too long\n", opt);
    return -1;
  }
  strcpy(buf, text);
  size_t n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == cap) {
      fprintf(stderr, "perturb: option %s takes at most %zu values\n", opt, cap);
      return -1;
    }
    if (pt_arg_size(opt, tok, lo, hi, &out[n]) != 0) return -1;
    n++;
  }
  if (n == 0) {
    fprintf(stderr, "perturb: option %s expects a comma-separated list of integers\n", opt);
    return -1;
  }
  *count = n;
  return 0;
}

const char *pt_arg_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    fprintf(stderr, "perturb: option %s expects a value\n", argv[*i]);
    return NULL;
  }
  *i += 1;
  return argv[*i];
}
