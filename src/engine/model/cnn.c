/* cnn.c: a convolutional network on images [channels × height × width]:
 * for each model.conv width, a 3×3 convolution (model.stride,
 * model.padding) → ReLU → pooling (model.pool, window = stride =
 * model.pool_size; none: no pooling); then the flattened [c × h × w] maps go
 * through the model.hidden dense layers with ReLU and a dense layer to d.
 *
 * Parameters, layer after layer: per convolution K [cout × cin·9] row-major
 * (entry (o, c·9 + 3·ky + kx)), then b [cout]; then the dense layers as in
 * mlp.c, W [out × in] then b [out]. Initialisation: the weights of layer l
 * (0-based, convolutions first) ~ N(0, 2/fan_in) with fan_in = cin·9 or in
 * (He), the last layer's N(0, 1/fan_in), from the stream (seed,
 * PT_PURPOSE_INIT, l, 0, 0); biases 0.
 *
 * With model.head = cells the maps are not flattened: each cell of the last
 * maps, its c channels, goes through the same small MLP (the model.hidden
 * widths, then one output) — 1×1 convolutions — and θ has one entry per cell,
 * row-major (d = h·w of the last maps). Its parameters are those of a dense
 * stack from c inputs to 1 output, initialised the same way. This is the
 * shape of the Warcraft network of the paper, whose last step averages the
 * channels of a 12×12 map.
 *
 * Inside, the maps of the batch are channel-major (layers.h), so that each
 * convolution of a call is one im2col and one GEMM over all its rows. */
#include <stdlib.h>
#include <string.h>

#include "model/layers.h"
#include "model/model.h"

typedef struct cnn_layer {
  pt_conv_geom conv;
  pt_pool_geom pool;    /* kind PT_POOL_NONE: the output is the ReLU's */
  size_t koff;          /* offset of K among the parameters */
  size_t conv_size;     /* cout·ho·wo: one row's convolution output */
  size_t out_hw;        /* the plane size after pooling */
  double *c, *dc;       /* [cout][rows][ho·wo]: ReLU(conv) and its gradient */
  double *p, *dp;       /* [cout][rows][out_hw]: pooled and its gradient (= c, dc without pooling) */
  size_t *idx;          /* max pooling: each window's argmax */
} cnn_layer;

typedef struct cnn {
  size_t nconv;
  cnn_layer layer[PT_MODEL_MAX_LAYERS];
  size_t flat;          /* inputs of the dense part: cout·h·w of the last maps */
  int cells;            /* model.head = cells: the dense stack runs per cell (c inputs, 1 output) */
  size_t cell_c, cell_hw; /* cells: channels and cells of the last maps */
  pt_dense_stack dense; /* its parameters from dense_off */
  size_t dense_off;
  size_t rows;          /* reserved */
  size_t col_size;      /* doubles of the largest im2col matrix of one row */
  double *col, *dcol;   /* [cin·9 × rows·ho·wo] of the layer at work */
  double *f, *df;       /* [rows × flat]: the flattened maps and their gradient */
} cnn;

static void cnn_free_workspace(cnn *n) {
  for (size_t l = 0; l < n->nconv; l++) {
    cnn_layer *L = &n->layer[l];
    if (L->p != L->c) free(L->p), free(L->dp);
    free(L->c), free(L->dc), free(L->idx);
    L->c = L->dc = L->p = L->dp = NULL;
    L->idx = NULL;
  }
  free(n->col), free(n->dcol), free(n->f), free(n->df);
  n->col = n->dcol = n->f = n->df = NULL;
  pt_dense_stack_release(&n->dense);
  n->rows = 0;
}

static const char *pool_name(pt_pool_kind k) { return k == PT_POOL_MAX ? "max" : "average"; }

static pt_status cnn_setup(pt_model *m, const char *origin) {
  const pt_model_shape *sh = &m->shape;
  const pt_model_settings *st = &m->settings;
  if (sh->channels == 0 || sh->height == 0 || sh->width == 0)
    return pt_error(PT_ECONFIG, "model.kind = cnn needs images (channels x height x width); %s has %zu plain features",
                    origin, m->p);
  if (sh->channels * sh->height * sh->width != m->p)
    return pt_error(PT_ECONFIG, "%s: images of %zu x %zu x %zu are not its %zu features", origin, sh->channels,
                    sh->height, sh->width, m->p);
  if (st->nconv == 0)
    return pt_error(PT_ECONFIG, "model.kind = cnn needs at least one convolution: model.conv is empty");
  if (st->stride < 1) return pt_error(PT_ECONFIG, "model.stride = %zu: want at least 1", st->stride);
  if (st->pool != PT_POOL_NONE && st->pool_size < 1)
    return pt_error(PT_ECONFIG, "model.pool_size = %zu: want at least 1", st->pool_size);
  cnn *n = calloc(1, sizeof *n);
  if (n == NULL) return pt_error(PT_ENOMEM, "out of memory for a cnn");
  m->impl = n;
  n->nconv = st->nconv;
  size_t c = sh->channels, h = sh->height, w = sh->width, off = 0;
  for (size_t l = 0; l < n->nconv; l++) {
    cnn_layer *L = &n->layer[l];
    L->conv = (pt_conv_geom){.cin = c, .h = h, .w = w, .cout = st->conv[l], .stride = st->stride, .pad = st->padding};
    if (!pt_conv_geom_set(&L->conv))
      return pt_error(PT_ECONFIG, "model.conv layer %zu: a %zu x %zu input is too small for a 3 x 3 convolution "
                      "with stride %zu and padding %zu", l + 1, h, w, st->stride, st->padding);
    c = L->conv.cout, h = L->conv.ho, w = L->conv.wo;
    L->koff = off;
    off += c * L->conv.cin * 9 + c;
    L->conv_size = c * h * w;
    L->pool = (pt_pool_geom){.kind = st->pool, .c = c, .h = h, .w = w, .k = st->pool_size};
    if (st->pool != PT_POOL_NONE) {
      if (h < st->pool_size || w < st->pool_size)
        return pt_error(PT_ECONFIG, "model.conv layer %zu: its %zu x %zu output is too small for %s pooling of "
                        "%zu x %zu (model.pool_size)", l + 1, h, w, pool_name(st->pool), st->pool_size,
                        st->pool_size);
      L->pool.ho = h / st->pool_size, L->pool.wo = w / st->pool_size;
      h = L->pool.ho, w = L->pool.wo;
    }
    L->out_hw = h * w;
    const size_t col = L->conv.cin * 9 * L->conv.ho * L->conv.wo;
    if (col > n->col_size) n->col_size = col;
  }
  n->flat = c * h * w;
  n->dense_off = off;
  n->cells = st->head_cells;
  n->cell_c = c, n->cell_hw = h * w;
  if (n->cells && h * w != m->d)
    return pt_error(PT_ECONFIG, "model.head = cells: the last maps have %zu x %zu = %zu cells, but %s has %zu outputs",
                    h, w, h * w, origin, m->d);
  if (n->cells) pt_dense_stack_setup(&n->dense, c, st->hidden, st->nhidden, 1);
  else pt_dense_stack_setup(&n->dense, n->flat, st->hidden, st->nhidden, m->d);
  m->nparams = off + n->dense.nparams;
  return PT_OK;
}

static void cnn_init(pt_model *m, gsl_rng *r, uint64_t seed) {
  cnn *n = m->impl;
  for (size_t l = 0; l < n->nconv; l++) {
    const pt_conv_geom *g = &n->layer[l].conv;
    double *K = m->params + n->layer[l].koff;
    pt_init_gaussian(K, g->cout * g->cin * 9, 2.0 / (double)(g->cin * 9), r, seed, l);
    memset(K + g->cout * g->cin * 9, 0, g->cout * sizeof *K);
  }
  pt_dense_stack_init(&n->dense, m->params + n->dense_off, r, seed, n->nconv);
}

#define CNN_ALLOC(ptr, count)                                        \
  do {                                                               \
    (ptr) = malloc((count) * sizeof *(ptr));                         \
    if ((ptr) == NULL) goto nomem;                                   \
  } while (0)

static pt_status cnn_reserve(pt_model *m, size_t rows) {
  cnn *n = m->impl;
  if (rows <= n->rows) return PT_OK;
  cnn_free_workspace(n);
  for (size_t l = 0; l < n->nconv; l++) {
    cnn_layer *L = &n->layer[l];
    CNN_ALLOC(L->c, rows * L->conv_size);
    CNN_ALLOC(L->dc, rows * L->conv_size);
    if (L->pool.kind == PT_POOL_NONE) {
      L->p = L->c, L->dp = L->dc;
    } else {
      CNN_ALLOC(L->p, rows * L->conv.cout * L->out_hw);
      CNN_ALLOC(L->dp, rows * L->conv.cout * L->out_hw);
      if (L->pool.kind == PT_POOL_MAX) CNN_ALLOC(L->idx, rows * L->conv.cout * L->out_hw);
    }
  }
  CNN_ALLOC(n->col, rows * n->col_size);
  CNN_ALLOC(n->dcol, rows * n->col_size);
  CNN_ALLOC(n->f, rows * n->flat);
  CNN_ALLOC(n->df, rows * n->flat);
  if (pt_dense_stack_reserve(&n->dense, n->cells ? rows * n->cell_hw : rows) != PT_OK) goto nomem;
  n->rows = rows;
  return PT_OK;
nomem:
  cnn_free_workspace(n);
  return pt_error(PT_ENOMEM, "out of memory for the activations of %zu rows of a cnn", rows);
}

/* The input maps of convolution l for the rows from `first`: the caller's
 * images (image-major) or the previous layer's output (channel-major). */
static const double *conv_input(const cnn *n, const double *X, size_t l, size_t first, size_t *cs, size_t *rs) {
  const pt_conv_geom *g = &n->layer[l].conv;
  if (l == 0) {
    *cs = g->h * g->w, *rs = g->cin * g->h * g->w;
    return X + first * *rs;
  }
  const cnn_layer *P = &n->layer[l - 1];
  *cs = n->rows * P->out_hw, *rs = P->out_hw;
  return P->p + first * P->out_hw;
}

static void cnn_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta) {
  cnn *n = m->impl;
  for (size_t l = 0; l < n->nconv; l++) {
    cnn_layer *L = &n->layer[l];
    size_t cs, rs;
    const double *in = conv_input(n, X, l, first, &cs, &rs);
    const size_t hw = L->conv.ho * L->conv.wo, ocs = n->rows * hw;
    double *out = L->c + first * hw;
    pt_conv_forward(&L->conv, m->params + L->koff, m->params + L->koff + L->conv.cout * L->conv.cin * 9, in, cs, rs,
                    count, n->col, out, ocs);
    for (size_t o = 0; o < L->conv.cout; o++) pt_relu(count * hw, out + o * ocs);
    if (L->pool.kind != PT_POOL_NONE)
      pt_pool_forward(&L->pool, out, ocs, count, L->p + first * L->out_hw, n->rows * L->out_hw,
                      L->idx == NULL ? NULL : L->idx + first * L->out_hw);
  }
  const cnn_layer *T = &n->layer[n->nconv - 1];
  const size_t hw = T->out_hw, cs = n->rows * hw;
  if (n->cells) {
    /* one row of c channels per cell, row r's cells r·hw … (r + 1)·hw − 1 */
    const size_t C = T->conv.cout;
    for (size_t r = first; r < first + count; r++)
      for (size_t q = 0; q < hw; q++)
        for (size_t c = 0; c < C; c++) n->f[(r * hw + q) * C + c] = T->p[c * cs + r * hw + q];
    pt_dense_stack_forward(&n->dense, m->params + n->dense_off, n->f + first * n->flat, first * hw, count * hw,
                           theta + first * m->d);
    return;
  }
  /* flatten: row r's maps [c][h·w] side by side, as the dense part wants them */
  for (size_t r = first; r < first + count; r++)
    for (size_t c = 0; c < T->conv.cout; c++)
      memcpy(n->f + r * n->flat + c * hw, T->p + c * cs + r * hw, hw * sizeof *n->f);
  pt_dense_stack_forward(&n->dense, m->params + n->dense_off, n->f + first * n->flat, first, count,
                         theta + first * m->d);
}

static void cnn_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                         double *grad) {
  cnn *n = m->impl;
  const cnn_layer *T = &n->layer[n->nconv - 1];
  const size_t thw = T->out_hw, tcs = n->rows * thw;
  if (n->cells) {
    const size_t C = T->conv.cout;
    pt_dense_stack_backward(&n->dense, m->params + n->dense_off, n->f + first * n->flat, first * thw, count * thw,
                            g + first * m->d, scale, grad + n->dense_off, n->df + first * n->flat);
    for (size_t r = first; r < first + count; r++)
      for (size_t q = 0; q < thw; q++)
        for (size_t c = 0; c < C; c++) T->dp[c * tcs + r * thw + q] = n->df[(r * thw + q) * C + c];
  } else {
    pt_dense_stack_backward(&n->dense, m->params + n->dense_off, n->f + first * n->flat, first, count,
                            g + first * m->d, scale, grad + n->dense_off, n->df + first * n->flat);
    for (size_t r = first; r < first + count; r++)
      for (size_t c = 0; c < T->conv.cout; c++)
        memcpy(T->dp + c * tcs + r * thw, n->df + r * n->flat + c * thw, thw * sizeof *n->df);
  }
  for (size_t l = n->nconv; l-- > 0;) {
    cnn_layer *L = &n->layer[l];
    const size_t hw = L->conv.ho * L->conv.wo, ocs = n->rows * hw;
    double *dc = L->dc + first * hw;
    if (L->pool.kind != PT_POOL_NONE)
      pt_pool_backward(&L->pool, L->dp + first * L->out_hw, n->rows * L->out_hw,
                       L->idx == NULL ? NULL : L->idx + first * L->out_hw, count, dc, ocs);
    for (size_t o = 0; o < L->conv.cout; o++) pt_relu_backward(count * hw, L->c + first * hw + o * ocs, dc + o * ocs);
    size_t cs, rs;
    const double *in = conv_input(n, X, l, first, &cs, &rs);
    double *K = m->params + L->koff, *dK = grad + L->koff;
    const size_t nk = L->conv.cout * L->conv.cin * 9;
    double *din = NULL;
    size_t dcs = 0, drs = 0;
    if (l > 0) {
      const cnn_layer *P = &n->layer[l - 1];
      din = P->dp + first * P->out_hw, dcs = n->rows * P->out_hw, drs = P->out_hw;
    }
    pt_conv_backward(&L->conv, K, in, cs, rs, count, dc, ocs, scale, dK, dK + nk, n->col, n->dcol, din, dcs, drs);
  }
}

static void cnn_mark_biases(const pt_model *m, unsigned char *is_bias) {
  const cnn *n = m->impl;
  for (size_t l = 0; l < n->nconv; l++) {
    const pt_conv_geom *g = &n->layer[l].conv;
    const size_t b = n->layer[l].koff + g->cout * g->cin * 9; /* after K [cout × cin·9] */
    for (size_t k = 0; k < g->cout; k++) is_bias[b + k] = 1;
  }
  pt_dense_stack_mark_biases(&n->dense, n->dense_off, is_bias);
}

static void cnn_release(pt_model *m) {
  if (m->impl == NULL) return;
  cnn_free_workspace(m->impl);
  free(m->impl);
  m->impl = NULL;
}

const pt_model_type pt_model_cnn = {
  .name = "cnn",
  .doc = "(3x3 conv -> ReLU -> pool) for each model.conv width, then the model.hidden dense layers, on images",
  .replicated = 0,
  .per_label = 0,
  .setup = cnn_setup,
  .init = cnn_init,
  .reserve = cnn_reserve,
  .forward = cnn_forward,
  .backward = cnn_backward,
  .mark_biases = cnn_mark_biases,
  .release = cnn_release,
};
