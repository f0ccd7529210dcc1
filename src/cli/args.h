/* args.h (internal): strict parsing of command-line numbers and lists. Each
 * returns 0 on success, or prints one line naming the option and returns -1. */
#ifndef PERTURB_ARGS_H
#define PERTURB_ARGS_H

#include <stddef.h>

/* A finite double from `text` for option `opt`. */
int pt_arg_double(const char *opt, const char *text, double *out);
/* An integer in [lo, hi] from `text` for option `opt`. */
int pt_arg_size(const char *opt, const char *text, size_t lo, size_t hi, size_t *out);
/* A comma-separated list of up to `cap` integers in [lo, hi]; *count gets the length. */
int pt_arg_size_list(const char *opt, const char *text, size_t lo, size_t hi, size_t *out, size_t cap,
                     size_t *count);
/* The value after option argv[*i], advancing *i; prints an error if missing. */
const char *pt_arg_value(int argc, char **argv, int *i);

#endif
