/* mlp.c: a multilayer perceptron on one feature vector per instance:
 * dense → ReLU for each model.hidden width, then dense to the d outputs (no
 * hidden width: θ = W x + b, an affine model started at random).
 *
 * Parameters, layer after layer: W [out × in] row-major, then b [out].
 * Initialisation: W of layer l (0-based) ~ N(0, 2/in) (He), the last layer's
 * N(0, 1/in), from the stream (seed, PT_PURPOSE_INIT, l, 0, 0); biases 0.
 * Each layer of a call is one GEMM over its rows (layers.c). */
#include <stdlib.h>

#include "model/layers.h"
#include "model/model.h"

static pt_status mlp_setup(pt_model *m, const char *origin) {
  (void)origin;
  pt_dense_stack *s = calloc(1, sizeof *s);
  if (s == NULL) return pt_error(PT_ENOMEM, "out of memory for an mlp");
  pt_dense_stack_setup(s, m->p, m->settings.hidden, m->settings.nhidden, m->d);
  m->nparams = s->nparams;
  m->impl = s;
  return PT_OK;
}

static void mlp_init(pt_model *m, gsl_rng *r, uint64_t seed) { pt_dense_stack_init(m->impl, m->params, r, seed, 0); }

static pt_status mlp_reserve(pt_model *m, size_t rows) { return pt_dense_stack_reserve(m->impl, rows); }

static void mlp_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta) {
  pt_dense_stack_forward(m->impl, m->params, X + first * m->p, first, count, theta + first * m->d);
}

static void mlp_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                         double *grad) {
  pt_dense_stack_backward(m->impl, m->params, X + first * m->p, first, count, g + first * m->d, scale, grad, NULL);
}

static void mlp_mark_biases(const pt_model *m, unsigned char *is_bias) {
  pt_dense_stack_mark_biases(m->impl, 0, is_bias);
}

static void mlp_release(pt_model *m) {
  if (m->impl == NULL) return;
  pt_dense_stack_release(m->impl);
  free(m->impl);
  m->impl = NULL;
}

const pt_model_type pt_model_mlp = {
  .name = "mlp",
  .doc = "dense -> ReLU for each model.hidden width, then dense to theta, on one feature vector per instance",
  .replicated = 0,
  .per_label = 0,
  .setup = mlp_setup,
  .init = mlp_init,
  .reserve = mlp_reserve,
  .forward = mlp_forward,
  .backward = mlp_backward,
  .mark_biases = mlp_mark_biases,
  .release = mlp_release,
};
