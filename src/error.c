/* error.c: status strings and the per-thread last-error message. */
#include "perturb/error.h"

#include <stdarg.h>
#include <stdio.h>

/* Thread-local, like errno: the engine is single-threaded per MPI rank, but a
 * user may call the library from several threads on separate objects. */
static _Thread_local char last_error[1024];

const char *pt_strerror(pt_status status) {
  switch (status) {
  case PT_OK: return "success";
  case PT_EFAULT: return "NULL pointer argument";
  case PT_EINVAL: return "invalid argument";
  case PT_EDOM: return "value outside the domain";
  case PT_EBADLEN: return "mismatched dimensions";
  case PT_ENOMEM: return "out of memory";
  case PT_ESOLVER: return "solver failed";
  case PT_EIO: return "input/output error";
  case PT_EFORMAT: return "bad file format";
  case PT_ECONFIG: return "invalid configuration";
  case PT_EMPI: return "MPI error";
  }
  return "unknown error";
}

const char *pt_last_error(void) { return last_error; }

void pt_clear_error(void) { last_error[0] = '\0'; }

pt_status pt_error(pt_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  /* Messages quote values from files and command lines; one with a newline
   * or a terminal escape must still print as the one line of the error
   * contract. */
  for (char *c = last_error; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  return status;
}
