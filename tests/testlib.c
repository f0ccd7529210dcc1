/* testlib.c: the test harness. */
#include "testlib.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int pt_test_failures = 0;
int pt_test_checks = 0;

void pt_test_check(int ok, const char *file, int line, const char *fmt, ...) {
  pt_test_checks++;
  if (ok) return;
  pt_test_failures++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAIL %s:%d: ", file, line);
  vfprintf(stdout, fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
}

int pt_test_expect_fail(pt_status got, pt_status want, const char *sub1, const char *sub2, const char *what,
                        const char *file, int line) {
  const char *msg = pt_last_error();
  const int has1 = sub1 == NULL || strstr(msg, sub1) != NULL;
  const int has2 = sub2 == NULL || strstr(msg, sub2) != NULL;
  const int ok = got == want && msg[0] != '\0' && has1 && has2;
  pt_test_check(ok, file, line, "%s -> %s (wanted %s), message '%s' (must be non-empty and contain '%s' and '%s')",
                what, pt_strerror(got), pt_strerror(want), msg, sub1 ? sub1 : "", sub2 ? sub2 : "");
  if (ok) printf("  ok: %s -> %s\n", what, msg);
  return ok;
}

int pt_test_within(const char *what, double got, double want, double z, double se, double slack,
                   const char *file, int line) {
  const double tol = z * se + slack;
  const int ok = fabs(got - want) <= tol;
  pt_test_check(ok, file, line, "%s: got %.10g, want %.10g, |diff| %.3g > %g SE (SE %.3g) + %.3g", what, got,
                want, fabs(got - want), z, se, slack);
  return ok;
}

int pt_test_finish(const char *name) {
  printf("%s: %d checks, %d passed, %d failed\n", name, pt_test_checks, pt_test_checks - pt_test_failures,
         pt_test_failures);
  return pt_test_failures == 0 ? 0 : 1;
}

void pt_test_mean_se(size_t n, const double *x, double *mean, double *se) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += x[i];
  const double m = s / (double)n;
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  *mean = m;
  *se = sqrt(ss / (double)(n - 1) / (double)n);
}

pt_status pt_test_batch_means(size_t K, size_t len, pt_test_estimator est, void *ctx, double *mean, double *se) {
  double *all = malloc(K * len * sizeof *all), *col = malloc(K * sizeof *col);
  pt_status st = (all && col) ? PT_OK : PT_ENOMEM;
  for (size_t k = 0; k < K && st == PT_OK; k++) st = est(ctx, (uint64_t)k, all + k * len);
  for (size_t j = 0; j < len && st == PT_OK; j++) {
    for (size_t k = 0; k < K; k++) col[k] = all[k * len + j];
    pt_test_mean_se(K, col, &mean[j], &se[j]);
  }
  free(all);
  free(col);
  return st;
}
