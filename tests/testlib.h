/* testlib.h: a minimal harness for perturb's test programs.
 *
 * Statistical checks compare an estimate with a reference within z standard
 * errors, where the standard error is computed in the test from the samples
 * (or from a closed form) — never a hand-picked tolerance. Seeds are fixed, so
 * every run draws the same numbers and a pass or a fail is reproducible. */
#ifndef PERTURB_TESTLIB_H
#define PERTURB_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "perturb/perturb.h"

/* Number of failed checks so far. */
extern int pt_test_failures;
/* Number of checks so far. */
extern int pt_test_checks;

/* Records a check; prints a FAIL line with the message if `ok` is false. */
void pt_test_check(int ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 4, 5)))
#endif
  ;

#define CHECK(cond, ...) pt_test_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* A libperturb call that must succeed; prints pt_last_error() otherwise. */
#define CHECK_OK(call)                                                                       \
  do {                                                                                       \
    pt_status st_ = (call);                                                                  \
    pt_test_check(st_ == PT_OK, __FILE__, __LINE__, "%s -> %s: %s", #call, pt_strerror(st_), \
                  pt_last_error());                                                          \
  } while (0)

/* A call that must fail with `want` and leave a non-empty message (which is
 * printed); CHECK_FAILS_MSG also requires the message to contain `sub`. The
 * comma operator clears the message before the call is evaluated. */
#define CHECK_FAILS(call, want) \
  (pt_clear_error(), pt_test_expect_fail((call), (want), NULL, NULL, #call, __FILE__, __LINE__))
#define CHECK_FAILS_MSG(call, want, sub) \
  (pt_clear_error(), pt_test_expect_fail((call), (want), (sub), NULL, #call, __FILE__, __LINE__))
/* The function behind them; the message must contain sub1 and sub2 when they are not NULL. */
int pt_test_expect_fail(pt_status got, pt_status want, const char *sub1, const char *sub2, const char *what,
                        const char *file, int line);

/* |got − want| ≤ z·se + slack; `what` names the quantity in messages. */
#define CHECK_WITHIN(what, got, want, z, se, slack)                                           \
  pt_test_within(what, got, want, z, se, slack, __FILE__, __LINE__)
int pt_test_within(const char *what, double got, double want, double z, double se, double slack,
                   const char *file, int line);

/* Prints a summary line "N passed, N failed" and returns the exit status. */
int pt_test_finish(const char *name);

/* Mean and standard error of the mean of x[0..n-1] (n ≥ 2). */
void pt_test_mean_se(size_t n, const double *x, double *mean, double *se);

/*
 * Batch means: an estimator that writes `len` numbers for a given stream epoch
 * (independent noise per epoch). pt_test_batch_means runs it for epochs
 * 0..K−1 and returns, per entry, the mean of the K estimates and the standard
 * error of that mean, sd/√K — an SE measured in the test, valid whatever the
 * estimator (control variates included).
 */
typedef pt_status (*pt_test_estimator)(void *ctx, uint64_t epoch, double *out);
pt_status pt_test_batch_means(size_t K, size_t len, pt_test_estimator est, void *ctx, double *mean, double *se);

#endif
