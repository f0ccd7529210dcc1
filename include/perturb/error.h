/**
 * @file perturb/error.h
 * @brief Status codes and error messages.
 *
 * Every fallible function of libperturb returns a ::pt_status; 0 (#PT_OK)
 * means success. On failure the library also records a one-line message that
 * names the function and the offending argument or value; read it with
 * pt_last_error(). The message is kept per thread (like errno), so it stays
 * valid until the next failing call in the same thread.
 */
#ifndef PERTURB_ERROR_H
#define PERTURB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/** Result of a libperturb call. */
typedef enum pt_status {
  PT_OK = 0,        /**< success */
  PT_EFAULT = 1,    /**< a required pointer argument was NULL */
  PT_EINVAL = 2,    /**< an argument is out of its range (epsilon <= 0, M < 1, k > d, ...) */
  PT_EDOM = 3,      /**< input data outside the problem's domain (NaN, Inf, negative path cost, ...) */
  PT_EBADLEN = 4,   /**< mismatched dimensions between arguments */
  PT_ENOMEM = 5,    /**< memory allocation failed */
  PT_ESOLVER = 6,   /**< a user-supplied solver reported failure */
  PT_EIO = 7,       /**< reading or writing a file failed */
  PT_EFORMAT = 8,   /**< a file exists but does not hold what was expected */
  PT_ECONFIG = 9,   /**< invalid configuration (unknown key, bad value, ...) */
  PT_EMPI = 10,     /**< an MPI call failed, or another rank reported an error */
  PT_EINTR = 11     /**< stopped by a signal (SIGTERM, SIGINT) after saving the state to continue from */
} pt_status;

/**
 * Short description of a status code ("invalid argument", ...).
 * Never returns NULL; unknown codes give "unknown error".
 */
const char *pt_strerror(pt_status status);

/**
 * Message of the last failing libperturb call in the calling thread, e.g.
 * "pt_perturbed_alloc: epsilon must be finite and > 0 (got -1)".
 * Returns "" if no call has failed yet in this thread.
 */
const char *pt_last_error(void);

/**
 * Records @p status with a printf-style message as the calling thread's last
 * error and returns @p status, so that callers can write
 * `return pt_error(PT_EINVAL, "...", ...);`. Exposed for user solvers and
 * the engine; the message is truncated to 1023 bytes. Control characters in
 * it (a newline inside a value read from a file, say) are shown escaped, as
 * `\n`, `\r`, `\t` or `\xHH`, so that the message is always one line.
 */
pt_status pt_error(pt_status status, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/** Clears the calling thread's last error message. */
void pt_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
