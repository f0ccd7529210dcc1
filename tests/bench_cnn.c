/* bench_cnn.c: times the forward and backward passes of a model kind on one
 * batch (docs/performance.md, "Neural models"); a report, not a test.
 *
 *   bench_cnn [batch] [channels height width] [conv] [hidden] [outputs] [pool] [padding]
 *
 * defaults: 64 images of 1 × 8 × 8 (the digits), model.conv = 16,32,
 * model.hidden = 64, 10 outputs, max pooling of 2, padding 1, stride 1.
 * conv "-" makes an mlp on the flattened images instead. Prints the median
 * over 15 repeats of the time per batch of forward, backward and both, each
 * repeat the mean of `inner` passes (inner chosen so a repeat takes ≈ 20 ms). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "model/model.h"
#include "perturb/rng.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static size_t sizes(const char *text, size_t *out) {
  size_t n = 0;
  for (const char *s = text; *s != '\0' && n < PT_MODEL_MAX_LAYERS;) {
    char *end;
    out[n++] = (size_t)strtoul(s, &end, 10);
    if (end == s) break;
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

#define REPEATS 15

int main(int argc, char **argv) {
  const size_t batch = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
  pt_model_shape sh = {.d = argc > 7 ? strtoul(argv[7], NULL, 10) : 10,
                       .channels = argc > 2 ? strtoul(argv[2], NULL, 10) : 1,
                       .height = argc > 3 ? strtoul(argv[3], NULL, 10) : 8,
                       .width = argc > 4 ? strtoul(argv[4], NULL, 10) : 8};
  sh.p = sh.channels * sh.height * sh.width;
  const char *conv = argc > 5 ? argv[5] : "16,32", *hidden = argc > 6 ? argv[6] : "64";
  const char *pool = argc > 8 ? argv[8] : "max";
  pt_model_settings st;
  memset(&st, 0, sizeof st);
  const int mlp = strcmp(conv, "-") == 0;
  st.nconv = mlp ? 0 : sizes(conv, st.conv);
  st.nhidden = sizes(hidden, st.hidden);
  st.stride = 1;
  st.padding = argc > 9 ? strtoul(argv[9], NULL, 10) : 1;
  st.pool = strcmp(pool, "max") == 0 ? PT_POOL_MAX : strcmp(pool, "avg") == 0 ? PT_POOL_AVG : PT_POOL_NONE;
  st.pool_size = 2;
  if (mlp) sh.channels = sh.height = sh.width = 0;
  pt_model *m = NULL;
  if (pt_model_alloc(pt_model_type_by_name(mlp ? "mlp" : "cnn"), &sh, &st, "bench", &m) != PT_OK ||
      pt_model_reserve(m, batch) != PT_OK) {
    fprintf(stderr, "bench_cnn: %s\n", pt_last_error());
    return 1;
  }
  gsl_rng *r = pt_rng_alloc();
  pt_model_init(m, r, 1);
  double *X = malloc(batch * sh.p * sizeof *X), *g = malloc(batch * sh.d * sizeof *g);
  double *theta = malloc(batch * sh.d * sizeof *theta), *grad = calloc(m->nparams, sizeof *grad);
  const pt_rng_id id = {1, PT_PURPOSE_USER, 0, 0, 0};
  pt_rng_seek(r, &id);
  for (size_t k = 0; k < batch * sh.p; k++) X[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
  for (size_t k = 0; k < batch * sh.d; k++) g[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
  /* calibrate: passes per repeat for ≈ 20 ms */
  size_t inner = 1;
  for (;;) {
    const double t0 = now();
    for (size_t i = 0; i < inner; i++) {
      pt_model_forward(m, X, 0, batch, theta);
      pt_model_backward(m, X, 0, batch, g, 1.0, grad);
    }
    if (now() - t0 > 0.02 || inner > 1000000) break;
    inner *= 2;
  }
  double tf[REPEATS], tb[REPEATS], tt[REPEATS];
  for (int k = 0; k < REPEATS; k++) {
    double t0 = now();
    for (size_t i = 0; i < inner; i++) pt_model_forward(m, X, 0, batch, theta);
    tf[k] = (now() - t0) / (double)inner;
    t0 = now();
    for (size_t i = 0; i < inner; i++) pt_model_backward(m, X, 0, batch, g, 1.0, grad);
    tb[k] = (now() - t0) / (double)inner;
    t0 = now();
    for (size_t i = 0; i < inner; i++) {
      pt_model_forward(m, X, 0, batch, theta);
      pt_model_backward(m, X, 0, batch, g, 1.0, grad);
    }
    tt[k] = (now() - t0) / (double)inner;
  }
  qsort(tf, REPEATS, sizeof *tf, cmp);
  qsort(tb, REPEATS, sizeof *tb, cmp);
  qsort(tt, REPEATS, sizeof *tt, cmp);
  printf("perturb %s float64 batch %zu, %zu x %zu x %zu -> %zu, %zu parameters: forward %.1f us, backward %.1f us, "
         "forward+backward %.1f us (median of %d)\n", m->type->name, batch, sh.channels, sh.height, sh.width, sh.d,
         m->nparams, 1e6 * tf[REPEATS / 2], 1e6 * tb[REPEATS / 2], 1e6 * tt[REPEATS / 2], REPEATS);
  free(X), free(g), free(theta), free(grad);
  gsl_rng_free(r);
  pt_model_free(&m);
  return 0;
}
