/* fuzz_common.h: what the fuzz targets share: MPI set-up, the input written
 * to a file, a reader of structured input ("recipes"), and the error-contract
 * check every target applies to a loader's failure. */
#ifndef PERTURB_FUZZ_COMMON_H
#define PERTURB_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "perturb/error.h"

/* Writes `size` bytes to a fresh file in this process's scratch directory
 * (under /dev/shm, so that no disk is touched) and returns its path, valid
 * until the next call with the same `name`. Aborts if it cannot. */
const char *fz_write_file(const char *name, const uint8_t *data, size_t size);

/* A path in the scratch directory for a file the target writes itself. */
const char *fz_path(const char *name);

/* Aborts (a finding) unless a loader's failure keeps the error contract:
 * a non-OK status with one non-empty line of message. */
void fz_check_error(pt_status st, const char *what);

/* fz_quiet(1) sends stderr to /dev/null until fz_quiet(0), for the commands
 * that print their error line (thousands a second otherwise); sanitizer
 * reports still show. PERTURB_FUZZ_VERBOSE=1 in the environment keeps it. */
void fz_quiet(int on);

/* Consumes fuzz bytes as the choices of a recipe; reads past the end as 0, so
 * that every input is a valid recipe. */
typedef struct fz_reader {
  const uint8_t *data;
  size_t size, pos;
} fz_reader;

uint8_t fz_u8(fz_reader *r);
uint32_t fz_u32(fz_reader *r);
uint64_t fz_u64(fz_reader *r);
/* A number in [0, n) (n >= 1). */
uint32_t fz_below(fz_reader *r, uint32_t n);
/* A dimension: mostly small, sometimes 0 or very large. */
uint64_t fz_dim(fz_reader *r);
/* A double: mostly ordinary, sometimes NaN, ±Inf, −0, huge or tiny. */
double fz_double(fz_reader *r);
/* An integer for an attribute: small, negative, or an extreme. */
int64_t fz_int(fz_reader *r);
/* Up to `cap` - 1 bytes of text from the input into buf (NUL-terminated). */
size_t fz_text(fz_reader *r, char *buf, size_t cap);

#endif
