/* layers.c: the layers of the neural models (layers.h). Every product is a
 * CBLAS dgemm over all the rows of the call; the loops around them only
 * copy, compare and add. */
#include "model/layers.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

void pt_dense_forward(size_t rows, size_t in, size_t out, const double *X, const double *W, const double *b,
                      double *Y) {
  for (size_t r = 0; r < rows; r++) memcpy(Y + r * out, b, out * sizeof *Y);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)out, (int)in, 1.0, X, (int)in, W, (int)in,
              1.0, Y, (int)out);
}

void pt_dense_backward(size_t rows, size_t in, size_t out, const double *X, const double *W, const double *G,
                       double scale, double *dW, double *db, double *dX) {
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)rows, scale, G, (int)out, X, (int)in,
              1.0, dW, (int)in);
  for (size_t r = 0; r < rows; r++) cblas_daxpy((int)out, scale, G + r * out, 1, db, 1);
  if (dX != NULL)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)in, (int)out, 1.0, G, (int)out, W,
                (int)in, 0.0, dX, (int)in);
}

void pt_relu(size_t n, double *a) {
  for (size_t k = 0; k < n; k++) a[k] = a[k] > 0.0 ? a[k] : 0.0;
}

void pt_relu_backward(size_t n, const double *a, double *g) {
  for (size_t k = 0; k < n; k++)
    if (!(a[k] > 0.0)) g[k] = 0.0;
}

int pt_conv_geom_set(pt_conv_geom *g) {
  if (g->h + 2 * g->pad < 3 || g->w + 2 * g->pad < 3) return 0;
  g->ho = (g->h + 2 * g->pad - 3) / g->stride + 1;
  g->wo = (g->w + 2 * g->pad - 3) / g->stride + 1;
  return 1;
}

void pt_im2col(const pt_conv_geom *g, const double *in, size_t cs, size_t rs, size_t rows, double *col) {
  const size_t hw = g->ho * g->wo, ld = rows * hw;
  for (size_t c = 0; c < g->cin; c++)
    for (size_t ky = 0; ky < 3; ky++)
      for (size_t kx = 0; kx < 3; kx++) {
        double *dst = col + (c * 9 + 3 * ky + kx) * ld;
        for (size_t r = 0; r < rows; r++) {
          const double *src = in + c * cs + r * rs;
          for (size_t oy = 0; oy < g->ho; oy++) {
            /* signed: the padding reads above and left of the image */
            const long y = (long)(oy * g->stride + ky) - (long)g->pad;
            double *d = dst + r * hw + oy * g->wo;
            if (y < 0 || y >= (long)g->h) {
              memset(d, 0, g->wo * sizeof *d);
              continue;
            }
            for (size_t ox = 0; ox < g->wo; ox++) {
              const long x = (long)(ox * g->stride + kx) - (long)g->pad;
              d[ox] = x < 0 || x >= (long)g->w ? 0.0 : src[(size_t)y * g->w + (size_t)x];
            }
          }
        }
      }
}

void pt_col2im(const pt_conv_geom *g, const double *dcol, size_t rows, double *din, size_t cs, size_t rs) {
  const size_t hw = g->ho * g->wo, ld = rows * hw;
  for (size_t c = 0; c < g->cin; c++)
    for (size_t r = 0; r < rows; r++) memset(din + c * cs + r * rs, 0, g->h * g->w * sizeof *din);
  for (size_t c = 0; c < g->cin; c++)
    for (size_t ky = 0; ky < 3; ky++)
      for (size_t kx = 0; kx < 3; kx++) {
        const double *src = dcol + (c * 9 + 3 * ky + kx) * ld;
        for (size_t r = 0; r < rows; r++) {
          double *dst = din + c * cs + r * rs;
          for (size_t oy = 0; oy < g->ho; oy++) {
            const long y = (long)(oy * g->stride + ky) - (long)g->pad;
            if (y < 0 || y >= (long)g->h) continue;
            const double *s = src + r * hw + oy * g->wo;
            for (size_t ox = 0; ox < g->wo; ox++) {
              const long x = (long)(ox * g->stride + kx) - (long)g->pad;
              if (x >= 0 && x < (long)g->w) dst[(size_t)y * g->w + (size_t)x] += s[ox];
            }
          }
        }
      }
}

void pt_conv_forward(const pt_conv_geom *g, const double *K, const double *b, const double *in, size_t cs,
                     size_t rs, size_t rows, double *col, double *out, size_t ocs) {
  const size_t n = rows * g->ho * g->wo, kk = g->cin * 9;
  pt_im2col(g, in, cs, rs, rows, col);
  for (size_t o = 0; o < g->cout; o++)
    for (size_t j = 0; j < n; j++) out[o * ocs + j] = b[o];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->cout, (int)n, (int)kk, 1.0, K, (int)kk, col, (int)n,
              1.0, out, (int)ocs);
}

void pt_conv_backward(const pt_conv_geom *g, const double *K, const double *in, size_t cs, size_t rs, size_t rows,
                      const double *G, size_t gcs, double scale, double *dK, double *db, double *col, double *dcol,
                      double *din, size_t dcs, size_t drs) {
  const size_t n = rows * g->ho * g->wo, kk = g->cin * 9;
  pt_im2col(g, in, cs, rs, rows, col); /* the forward pass's col is gone: later layers reuse it */
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->cout, (int)kk, (int)n, scale, G, (int)gcs, col,
              (int)n, 1.0, dK, (int)kk);
  for (size_t o = 0; o < g->cout; o++) {
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) sum += G[o * gcs + j];
    db[o] += scale * sum;
  }
  if (din == NULL) return;
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kk, (int)n, (int)g->cout, 1.0, K, (int)kk, G, (int)gcs,
              0.0, dcol, (int)n);
  pt_col2im(g, dcol, rows, din, dcs, drs);
}

void pt_pool_forward(const pt_pool_geom *g, const double *in, size_t cs, size_t rows, double *out, size_t ocs,
                     size_t *idx) {
  const size_t k = g->k, ihw = g->h * g->w, ohw = g->ho * g->wo;
  const double inv = 1.0 / (double)(k * k);
  for (size_t c = 0; c < g->c; c++)
    for (size_t r = 0; r < rows; r++) {
      const double *src = in + c * cs + r * ihw;
      double *dst = out + c * ocs + r * ohw;
      size_t *ix = g->kind == PT_POOL_MAX ? idx + c * ocs + r * ohw : NULL;
      for (size_t oy = 0; oy < g->ho; oy++)
        for (size_t ox = 0; ox < g->wo; ox++) {
          const size_t at0 = oy * k * g->w + ox * k;
          if (ix != NULL) {
            size_t best = at0;
            for (size_t y = 0; y < k; y++)
              for (size_t x = 0; x < k; x++) {
                const size_t at = at0 + y * g->w + x;
                if (src[at] > src[best]) best = at;
              }
            dst[oy * g->wo + ox] = src[best];
            ix[oy * g->wo + ox] = best;
          } else {
            double sum = 0.0;
            for (size_t y = 0; y < k; y++)
              for (size_t x = 0; x < k; x++) sum += src[at0 + y * g->w + x];
            dst[oy * g->wo + ox] = sum * inv;
          }
        }
    }
}

void pt_pool_backward(const pt_pool_geom *g, const double *dout, size_t ocs, const size_t *idx, size_t rows,
                      double *din, size_t cs) {
  const size_t k = g->k, ihw = g->h * g->w, ohw = g->ho * g->wo;
  const double inv = 1.0 / (double)(k * k);
  for (size_t c = 0; c < g->c; c++)
    for (size_t r = 0; r < rows; r++) {
      double *dst = din + c * cs + r * ihw;
      const double *src = dout + c * ocs + r * ohw;
      memset(dst, 0, ihw * sizeof *dst);
      if (g->kind == PT_POOL_MAX) {
        const size_t *ix = idx + c * ocs + r * ohw;
        for (size_t j = 0; j < ohw; j++) dst[ix[j]] += src[j];
        continue;
      }
      for (size_t oy = 0; oy < g->ho; oy++)
        for (size_t ox = 0; ox < g->wo; ox++) {
          const double v = src[oy * g->wo + ox] * inv;
          for (size_t y = 0; y < k; y++)
            for (size_t x = 0; x < k; x++) dst[(oy * k + y) * g->w + ox * k + x] += v;
        }
    }
}

void pt_dense_stack_setup(pt_dense_stack *s, size_t in, const size_t *hidden, size_t nhidden, size_t out) {
  memset(s, 0, sizeof *s);
  s->n = nhidden + 1;
  s->width[0] = in;
  for (size_t l = 0; l < nhidden; l++) s->width[l + 1] = hidden[l];
  s->width[s->n] = out;
  for (size_t l = 0; l < s->n; l++) {
    s->offset[l] = s->nparams;
    s->nparams += s->width[l + 1] * s->width[l] + s->width[l + 1];
  }
}

void pt_dense_stack_mark_biases(const pt_dense_stack *s, size_t offset, unsigned char *is_bias) {
  for (size_t l = 0; l < s->n; l++) {
    const size_t b = offset + s->offset[l] + s->width[l + 1] * s->width[l]; /* after W [out × in] */
    for (size_t k = 0; k < s->width[l + 1]; k++) is_bias[b + k] = 1;
  }
}

pt_status pt_dense_stack_reserve(pt_dense_stack *s, size_t rows) {
  if (rows <= s->rows) return PT_OK;
  for (size_t l = 1; l < s->n; l++) {
    free(s->act[l]);
    free(s->grad[l]);
    s->act[l] = malloc(rows * s->width[l] * sizeof *s->act[l]);
    s->grad[l] = malloc(rows * s->width[l] * sizeof *s->grad[l]);
    if (s->act[l] == NULL || s->grad[l] == NULL) {
      pt_dense_stack_release(s);
      return pt_error(PT_ENOMEM, "out of memory for the activations of %zu rows of a %zu-wide layer", rows,
                      s->width[l]);
    }
  }
  s->rows = rows;
  return PT_OK;
}

void pt_dense_stack_release(pt_dense_stack *s) {
  for (size_t l = 0; l <= PT_MODEL_MAX_LAYERS; l++) {
    free(s->act[l]);
    free(s->grad[l]);
    s->act[l] = s->grad[l] = NULL;
  }
  s->rows = 0;
}

/* The input rows of layer l for rows from `first`. */
static const double *layer_input(const pt_dense_stack *s, const double *X0, size_t l, size_t first) {
  return l == 0 ? X0 : s->act[l] + first * s->width[l];
}

void pt_dense_stack_forward(pt_dense_stack *s, const double *params, const double *X0, size_t first, size_t count,
                            double *theta0) {
  for (size_t l = 0; l < s->n; l++) {
    const size_t in = s->width[l], out = s->width[l + 1];
    const double *W = params + s->offset[l];
    double *Y = l + 1 == s->n ? theta0 : s->act[l + 1] + first * out;
    pt_dense_forward(count, in, out, layer_input(s, X0, l, first), W, W + out * in, Y);
    if (l + 1 < s->n) pt_relu(count * out, Y);
  }
}

void pt_dense_stack_backward(pt_dense_stack *s, const double *params, const double *X0, size_t first, size_t count,
                             const double *g0, double scale, double *grad, double *dX0) {
  const double *G = g0;
  for (size_t l = s->n; l-- > 0;) {
    const size_t in = s->width[l], out = s->width[l + 1];
    const double *W = params + s->offset[l];
    double *dW = grad + s->offset[l];
    double *dX = l == 0 ? dX0 : s->grad[l] + first * in;
    pt_dense_backward(count, in, out, layer_input(s, X0, l, first), W, G, scale, dW, dW + out * in, dX);
    if (l > 0) {
      pt_relu_backward(count * in, s->act[l] + first * in, dX);
      G = dX;
    }
  }
}
