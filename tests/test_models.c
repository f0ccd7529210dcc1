/* test_models.c: the model kinds (model/model.h) against themselves:
 *  - every kind's backward pass equals central finite differences of its
 *    forward pass: for an upstream gradient g and f(w) = Σ_k ⟨g_k, θ_k(w)⟩
 *    over a few rows, scale·(f(w + h e_j) − f(w − h e_j)) / 2h against
 *    grad_j for every parameter j, h = 1e-6·max(1, |w_j|); affine,
 *    linear_scorer, an mlp with 2 hidden layers, cnns with stride 1 and 2,
 *    padding 0 and 1, max, average and no pooling, partial pooling windows,
 *    and a hidden dense layer;
 *  - forward on rows [2, 5) of a batch gives the bits of forward on those
 *    rows alone at row 0 (a row's θ depends only on its shard);
 *  - backward over two shards summed equals backward over their union to
 *    rounding;
 *  - initialisation is a pure function of the seed, changes with it, has
 *    zero biases and weights of variance 2/fan_in (1/fan_in for the last
 *    layer) within 4 standard errors;
 *  - the setup errors (plain features for a cnn, no convolution, a layer too
 *    small for its convolution or its pooling) and the check of data against
 *    a cnn's image shape, one message each.
 *
 * Tolerance of the finite differences. Between activation kinks the network
 * is affine in any single weight (every layer is linear in its own weights),
 * so the central difference has no truncation error: what is left is the
 * rounding of the two forward passes, a few ulps of the terms of f each,
 * divided by 2h. We allow tol_j = 1e-6·|grad_j| + 1e3·ε·F/h_j with
 * F = Σ|g ⊙ θ| + 1 (about 2e-7 here) — orders of magnitude below the O(1)
 * error of a wrong term. Inputs, weights and g are random Gaussians, so a
 * ReLU input or a max-pool tie within h of a switch has probability ≈ 1e-6
 * per unit: kinks are not hit (the seed is fixed, so the outcome is
 * reproducible anyway). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model/model.h"
#include "perturb/rng.h"
#include "testlib.h"

static gsl_rng *rng;

static void gaussians(double *x, size_t n, uint64_t stream) {
  const pt_rng_id id = {7, PT_PURPOSE_USER, stream, 0, 0};
  pt_rng_seek(rng, &id);
  for (size_t k = 0; k < n; k++) x[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
}

typedef struct spec {
  const char *name;
  const char *kind;
  size_t d, p, c, h, w;
  int per_label;
  const char *conv, *hidden;
  size_t stride, padding, pool_size;
  pt_pool_kind pool;
} spec;

/* The widths of a list "a,b" (well-formed, at most PT_MODEL_MAX_LAYERS). */
static size_t sizes(const char *text, size_t *out) {
  size_t n = 0;
  for (const char *s = text; s != NULL && *s != '\0';) {
    char *end;
    out[n++] = (size_t)strtoul(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

static pt_status make(const spec *s, pt_model **m) {
  pt_model_shape sh = {.d = s->d, .p = s->p, .per_label = s->per_label, .channels = s->c, .height = s->h,
                       .width = s->w};
  pt_model_settings st;
  memset(&st, 0, sizeof st);
  st.nconv = sizes(s->conv, st.conv);
  st.nhidden = sizes(s->hidden, st.hidden);
  st.stride = s->stride ? s->stride : 1;
  st.padding = s->padding;
  st.pool = s->pool;
  st.pool_size = s->pool_size ? s->pool_size : 2;
  return pt_model_alloc(pt_model_type_by_name(s->kind), &sh, &st, "test data", m);
}

/* f = Σ over rows [0, rows) of ⟨g, θ⟩, and F = Σ |g ⊙ θ| + 1 */
static double dot_theta(pt_model *m, const double *X, size_t rows, const double *g, double *theta, double *F) {
  pt_model_forward(m, X, 0, rows, theta);
  double f = 0.0, a = 1.0;
  for (size_t k = 0; k < rows * m->d; k++) f += g[k] * theta[k], a += fabs(g[k] * theta[k]);
  if (F != NULL) *F = a;
  return f;
}

static void test_gradient(const spec *s) {
  pt_model *m = NULL;
  CHECK_OK(make(s, &m));
  if (m == NULL) return;
  const size_t rows = 4, in = pt_model_input_size(m);
  double *X = malloc(rows * in * sizeof *X), *g = malloc(rows * m->d * sizeof *g);
  double *theta = malloc(rows * m->d * sizeof *theta), *grad = calloc(m->nparams, sizeof *grad);
  gaussians(X, rows * in, 1);
  gaussians(g, rows * m->d, 2);
  pt_model_init(m, rng, 11);
  /* the linear models start at zero: give them random weights */
  if (strcmp(s->kind, "affine") == 0 || strcmp(s->kind, "linear_scorer") == 0) gaussians(m->params, m->nparams, 3);
  CHECK_OK(pt_model_reserve(m, rows));
  const double scale = 0.7;
  double F;
  dot_theta(m, X, rows, g, theta, &F);
  pt_model_backward(m, X, 0, rows, g, scale, grad);
  size_t bad = 0, worst_j = 0;
  double worst = 0.0, nonzero = 0.0;
  for (size_t j = 0; j < m->nparams; j++) {
    const double w = m->params[j], h = 1e-6 * fmax(1.0, fabs(w));
    m->params[j] = w + h;
    const double fp = dot_theta(m, X, rows, g, theta, NULL);
    m->params[j] = w - h;
    const double fm = dot_theta(m, X, rows, g, theta, NULL);
    m->params[j] = w;
    const double fd = scale * (fp - fm) / (2.0 * h);
    const double tol = 1e-6 * fabs(grad[j]) + 1e3 * DBL_EPSILON * F / h, r = fabs(fd - grad[j]) / tol;
    if (r > 1.0) bad++;
    if (r > worst) worst = r, worst_j = j;
    if (grad[j] != 0.0) nonzero++;
  }
  CHECK(bad == 0, "%s: %zu of %zu gradient entries differ from finite differences (worst: entry %zu, |diff| = %.3g "
        "tolerances)", s->name, bad, m->nparams, worst_j, worst);
  /* a backward pass that does nothing would pass with all-zero gradients */
  CHECK(nonzero > 0.5 * (double)m->nparams, "%s: only %.0f of %zu gradient entries are non-zero", s->name, nonzero,
        m->nparams);
  printf("%s: %zu parameters, finite differences within %.3g of the tolerance\n", s->name, m->nparams, worst);
  free(X), free(g), free(theta), free(grad);
  pt_model_free(&m);
}

/* Row independence and shards: a batch of 7 rows. */
static void test_shards(const spec *s) {
  pt_model *m = NULL;
  CHECK_OK(make(s, &m));
  if (m == NULL) return;
  const size_t rows = 7, in = pt_model_input_size(m), d = m->d;
  double *X = malloc(rows * in * sizeof *X), *g = malloc(rows * d * sizeof *g);
  double *theta = malloc(rows * d * sizeof *theta), *alone = malloc(rows * d * sizeof *alone);
  double *g1 = calloc(m->nparams, sizeof *g1), *g2 = calloc(m->nparams, sizeof *g2);
  gaussians(X, rows * in, 4);
  gaussians(g, rows * d, 5);
  pt_model_init(m, rng, 3);
  if (strcmp(s->kind, "affine") == 0 || strcmp(s->kind, "linear_scorer") == 0) gaussians(m->params, m->nparams, 6);
  CHECK_OK(pt_model_reserve(m, rows));
  pt_model_forward(m, X, 2, 3, theta);
  pt_model_forward(m, X + 2 * in, 0, 3, alone);
  CHECK(memcmp(theta + 2 * d, alone, 3 * d * sizeof *theta) == 0,
        "%s: forward on rows [2, 5) differs from forward on those rows at row 0", s->name);
  /* two shards, each forward then both backward, against the union */
  pt_model_forward(m, X, 0, 3, theta);
  pt_model_forward(m, X, 3, 4, theta);
  pt_model_backward(m, X, 0, 3, g, 0.5, g1);
  pt_model_backward(m, X, 3, 4, g, 0.5, g1);
  pt_model_forward(m, X, 0, rows, alone);
  pt_model_backward(m, X, 0, rows, g, 0.5, g2);
  double worst = 0.0, norm = 0.0;
  for (size_t j = 0; j < m->nparams; j++) worst = fmax(worst, fabs(g1[j] - g2[j])), norm = fmax(norm, fabs(g2[j]));
  CHECK(worst <= 1e-13 * norm && norm > 0.0, "%s: backward over two shards differs from the union by %.3g (max %.3g)",
        s->name, worst, norm);
  free(X), free(g), free(theta), free(alone), free(g1), free(g2);
  pt_model_free(&m);
}

/* Initialisation: a pure function of the seed; He variances. */
static void test_init(void) {
  const spec s = {"mlp 100-200-50", "mlp", 50, 100, 0, 0, 0, 0, NULL, "200", 0, 0, 0, PT_POOL_NONE};
  pt_model *a = NULL, *b = NULL;
  CHECK_OK(make(&s, &a));
  CHECK_OK(make(&s, &b));
  if (a == NULL || b == NULL) return;
  pt_model_init(a, rng, 42);
  gsl_rng *other = pt_rng_alloc();
  pt_model_init(b, other, 42); /* another stream object, the same numbers */
  CHECK(memcmp(a->params, b->params, a->nparams * sizeof *a->params) == 0, "init: seed 42 twice differs");
  pt_model_init(b, rng, 43);
  size_t same = 0;
  for (size_t j = 0; j < a->nparams; j++) same += a->params[j] == b->params[j];
  /* only the biases (zero) agree */
  CHECK(same == 200 + 50, "init: seeds 42 and 43 share %zu values (want the 250 zero biases)", same);
  /* layer 0: W [200 × 100] ~ N(0, 2/100), b = 0; layer 1: W [50 × 200] ~ N(0, 1/200) */
  const size_t n0 = 200 * 100, n1 = 50 * 200;
  const double *W0 = a->params, *b0 = W0 + n0, *W1 = b0 + 200, *b1 = W1 + n1;
  double v0 = 0.0, v1 = 0.0, bias = 0.0;
  for (size_t k = 0; k < n0; k++) v0 += W0[k] * W0[k];
  for (size_t k = 0; k < n1; k++) v1 += W1[k] * W1[k];
  for (size_t k = 0; k < 200; k++) bias += fabs(b0[k]);
  for (size_t k = 0; k < 50; k++) bias += fabs(b1[k]);
  v0 /= (double)n0, v1 /= (double)n1;
  /* the mean of n squares of N(0, σ²) has standard error σ²·√(2/n) */
  CHECK_WITHIN("init: variance of the first layer", v0, 0.02, 4.0, 0.02 * sqrt(2.0 / (double)n0), 0.0);
  CHECK_WITHIN("init: variance of the last layer", v1, 0.005, 4.0, 0.005 * sqrt(2.0 / (double)n1), 0.0);
  CHECK(bias == 0.0, "init: biases are not zero");
  gsl_rng_free(other);
  pt_model_free(&a);
  pt_model_free(&b);

  /* a cnn: its convolution draws from stream layer 0, its dense layer from 1 */
  const spec c = {"cnn", "cnn", 3, 2 * 5 * 5, 2, 5, 5, 0, "4", "", 1, 1, 2, PT_POOL_MAX};
  pt_model *x = NULL, *y = NULL;
  CHECK_OK(make(&c, &x));
  CHECK_OK(make(&c, &y));
  if (x == NULL || y == NULL) return;
  pt_model_init(x, rng, 9);
  pt_model_init(y, rng, 9);
  CHECK(memcmp(x->params, y->params, x->nparams * sizeof *x->params) == 0, "init: a cnn from seed 9 twice differs");
  /* the first conv weight is the first draw of (9, INIT, 0, 0, 0), scaled by √(2/18) */
  const pt_rng_id id = {9, PT_PURPOSE_INIT, 0, 0, 0};
  pt_rng_seek(rng, &id);
  const double first = gsl_ran_gaussian_ziggurat(rng, sqrt(2.0 / 18.0));
  CHECK(x->params[0] == first, "init: the first conv weight %.17g is not the stream's first draw %.17g",
        x->params[0], first);
  pt_model_free(&x);
  pt_model_free(&y);
}

static void test_setup_errors(void) {
  pt_model *m = NULL;
  const spec plain = {"", "cnn", 3, 20, 0, 0, 0, 0, "4", "", 1, 1, 2, PT_POOL_MAX};
  CHECK_FAILS_MSG(make(&plain, &m), PT_ECONFIG,
                  "model.kind = cnn needs images (channels x height x width); test data has 20 plain features");
  const spec noconv = {"", "cnn", 3, 25, 1, 5, 5, 0, "", "8", 1, 1, 2, PT_POOL_MAX};
  CHECK_FAILS_MSG(make(&noconv, &m), PT_ECONFIG, "model.kind = cnn needs at least one convolution");
  const spec small = {"", "cnn", 3, 25, 1, 5, 5, 0, "2,2,2", "", 2, 0, 2, PT_POOL_NONE};
  CHECK_FAILS_MSG(make(&small, &m), PT_ECONFIG,
                  "model.conv layer 2: a 2 x 2 input is too small for a 3 x 3 convolution with stride 2 and "
                  "padding 0");
  const spec one = {"", "cnn", 3, 9, 1, 3, 3, 0, "2,2,2", "", 2, 0, 2, PT_POOL_NONE};
  CHECK_FAILS_MSG(make(&one, &m), PT_ECONFIG,
                  "model.conv layer 2: a 1 x 1 input is too small for a 3 x 3 convolution with stride 2 and "
                  "padding 0");
  const spec pool = {"", "cnn", 3, 16, 1, 4, 4, 0, "2", "", 1, 0, 3, PT_POOL_AVG};
  CHECK_FAILS_MSG(make(&pool, &m), PT_ECONFIG,
                  "model.conv layer 1: its 2 x 2 output is too small for average pooling of 3 x 3 (model.pool_size)");
  const spec wrongp = {"", "cnn", 3, 24, 1, 5, 5, 0, "2", "", 1, 1, 2, PT_POOL_MAX};
  CHECK_FAILS_MSG(make(&wrongp, &m), PT_ECONFIG, "test data: images of 1 x 5 x 5 are not its 24 features");
  const spec perlabel = {"", "mlp", 3, 4, 0, 0, 0, 1, "", "8", 1, 1, 2, PT_POOL_NONE};
  CHECK_FAILS_MSG(make(&perlabel, &m), PT_ECONFIG,
                  "test data: model.kind = mlp needs per-instance features, the data have per-label");
  CHECK(m == NULL, "a failed setup leaves no model");

  /* data against a cnn's images: the same p in another shape */
  const spec ok = {"", "cnn", 3, 24, 2, 3, 4, 0, "2", "", 1, 1, 1, PT_POOL_MAX};
  CHECK_OK(make(&ok, &m));
  if (m == NULL) return;
  pt_dataset ds;
  memset(&ds, 0, sizeof ds);
  ds.d = 3, ds.p = 24, ds.channels = 2, ds.height = 3, ds.width = 4;
  CHECK_OK(pt_model_check_data(m, &ds, "x.h5"));
  ds.channels = 1, ds.height = 6;
  CHECK_FAILS_MSG(pt_model_check_data(m, &ds, "x.h5"), PT_ECONFIG,
                  "x.h5: images of 1 x 6 x 4 do not fit the model's 2 x 3 x 4");
  ds.channels = ds.height = ds.width = 0;
  CHECK_FAILS_MSG(pt_model_check_data(m, &ds, "x.h5"), PT_ECONFIG,
                  "x.h5: images of 0 x 0 x 0 do not fit the model's 2 x 3 x 4");
  pt_model_free(&m);
}

/* The biases (pt_model_type.mark_biases, model.l2_biases = false) are where
 * model.h's table of layouts puts them: each layer's parameters are its
 * weights, then one bias per output. Walks the layers of `s` (dense widths,
 * then for a cnn its convolutions first) and compares every index. */
static void test_biases(const spec *s) {
  pt_model *m = NULL;
  CHECK_OK(make(s, &m));
  if (m == NULL) return;
  unsigned char *mark = calloc(m->nparams, 1), *want = calloc(m->nparams, 1);
  size_t off = 0, in = s->per_label ? s->p : s->p;
  const int cnn = strcmp(s->kind, "cnn") == 0;
  if (strcmp(s->kind, "linear_scorer") == 0) {
    want[s->p] = 1; /* w [p], then c */
    off = s->p + 1;
  } else {
    size_t widths[2 * PT_MODEL_MAX_LAYERS + 2], n = 0, h = s->h, w = s->w, c = s->c;
    if (cnn) { /* each conv: K [cout × cin·9], then b [cout]; the maps' size for the dense part */
      size_t conv[PT_MODEL_MAX_LAYERS];
      const size_t nconv = sizes(s->conv, conv);
      for (size_t l = 0; l < nconv; l++) {
        off += conv[l] * c * 9;
        for (size_t k = 0; k < conv[l]; k++) want[off + k] = 1;
        off += conv[l];
        c = conv[l];
        h = (h + 2 * s->padding - 3) / (s->stride ? s->stride : 1) + 1;
        w = (w + 2 * s->padding - 3) / (s->stride ? s->stride : 1) + 1;
        if (s->pool != PT_POOL_NONE) h /= s->pool_size, w /= s->pool_size;
      }
      in = c * h * w;
    }
    widths[n++] = in;
    n += sizes(s->hidden, widths + n);
    widths[n++] = s->d;
    for (size_t l = 0; l + 1 < n; l++) { /* W [out × in], then b [out] */
      off += widths[l + 1] * widths[l];
      for (size_t k = 0; k < widths[l + 1]; k++) want[off + k] = 1;
      off += widths[l + 1];
    }
  }
  CHECK(off == m->nparams, "%s: the layout walks %zu parameters, the model has %zu", s->name, off, m->nparams);
  m->type->mark_biases(m, mark);
  size_t wrong = 0, first = 0;
  for (size_t k = 0; k < m->nparams; k++)
    if (mark[k] != want[k] && wrong++ == 0) first = k;
  CHECK(wrong == 0, "%s: %zu parameters marked wrongly as (not) biases, the first %zu", s->name, wrong, first);
  free(mark);
  free(want);
  pt_model_free(&m);
}

int main(void) {
  rng = pt_rng_alloc();
  /* name, kind, d, p, channels, height, width, per_label, conv, hidden, stride, padding, pool_size, pool */
  const spec specs[] = {
    {"affine", "affine", 3, 5, 0, 0, 0, 0, "", "", 0, 0, 0, PT_POOL_NONE},
    {"linear_scorer", "linear_scorer", 4, 3, 0, 0, 0, 1, "", "", 0, 0, 0, PT_POOL_NONE},
    {"mlp 6-7-5-3", "mlp", 3, 6, 0, 0, 0, 0, "", "7,5", 0, 0, 0, PT_POOL_NONE},
    {"mlp without hidden layers", "mlp", 3, 6, 0, 0, 0, 0, "", "", 0, 0, 0, PT_POOL_NONE},
    {"cnn stride 1, padding 0, max pool 2", "cnn", 3, 2 * 7 * 6, 2, 7, 6, 0, "3", "", 1, 0, 2, PT_POOL_MAX},
    {"cnn 2 convs, stride 1, padding 1, avg pool 2 (partial windows)", "cnn", 3, 2 * 7 * 6, 2, 7, 6, 0, "3,4", "", 1,
     1, 2, PT_POOL_AVG},
    {"cnn stride 2, padding 1, max pool 2", "cnn", 3, 2 * 7 * 6, 2, 7, 6, 0, "4", "", 2, 1, 2, PT_POOL_MAX},
    {"cnn stride 2, padding 0, no pooling", "cnn", 3, 2 * 7 * 6, 2, 7, 6, 0, "3", "", 2, 0, 0, PT_POOL_NONE},
    {"cnn stride 1, padding 2, avg pool 3", "cnn", 2, 1 * 5 * 5, 1, 5, 5, 0, "3", "", 1, 2, 3, PT_POOL_AVG},
    {"cnn 2 convs, max pool 2, hidden dense 5", "cnn", 3, 2 * 7 * 6, 2, 7, 6, 0, "3,2", "5", 1, 1, 2, PT_POOL_MAX},
  };
  for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) test_gradient(&specs[k]);
  for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) test_shards(&specs[k]);
  for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) test_biases(&specs[k]);
  test_init();
  test_setup_errors();
  gsl_rng_free(rng);
  return pt_test_finish("test_models");
}
