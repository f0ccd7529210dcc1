/* layers.h (internal): the layers of the neural models (mlp.c, cnn.c) on a
 * batch of rows: dense, ReLU, 3×3 convolution (im2col + GEMM), max and
 * average pooling, and a stack of dense layers with ReLU between them.
 *
 * Images inside a cnn are kept channel-major across the batch ("CNHW"): the
 * plane of channel c of row r at base + c·cs + r·h·w, so that one GEMM maps
 * all rows of a call (K [cout × cin·9] times the im2col matrix [cin·9 ×
 * rows·ho·wo]) and writes straight into the next activation. The caller's
 * input rows are image-major ("NCHW", cs = h·w, row stride c·h·w); every
 * function takes the strides.
 *
 * None allocates and none is collective. The arithmetic of a row depends
 * only on that row and on the rows of the same call (the GEMM shapes), never
 * on where the rows lie in memory. */
#ifndef PERTURB_MODEL_LAYERS_H
#define PERTURB_MODEL_LAYERS_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Y[r·out …] = W X_r + b for the `rows` rows of X (row stride `in`): one GEMM. */
void pt_dense_forward(size_t rows, size_t in, size_t out, const double *X, const double *W, const double *b,
                      double *Y);

/* For the rows of X (as in forward) and the upstream gradients G [rows × out]:
 * dW += scale·Gᵀ X (one GEMM), db += scale·Σ_r G_r (in row order), and, if dX
 * is not NULL, dX = G W [rows × in] (unscaled). */
void pt_dense_backward(size_t rows, size_t in, size_t out, const double *X, const double *W, const double *G,
                       double scale, double *dW, double *db, double *dX);

/* a = max(a, 0) on n values. */
void pt_relu(size_t n, double *a);

/* g = 0 where the ReLU output a is not positive (its derivative there is 0). */
void pt_relu_backward(size_t n, const double *a, double *g);

/* The geometry of a 3×3 convolution: cin × h × w in, cout × ho × wo out,
 * ho = (h + 2·pad − 3) / stride + 1 (floor), the same for wo. */
typedef struct pt_conv_geom {
  size_t cin, h, w, cout, stride, pad, ho, wo;
} pt_conv_geom;

/* Fills in g->ho and g->wo from the rest; 0 (and nothing set) if the padded
 * input is smaller than the 3 × 3 kernel. */
int pt_conv_geom_set(pt_conv_geom *g);

/* The im2col matrix of `rows` images: col [cin·9 × rows·ho·wo], entry
 * (c·9 + 3·ky + kx, r·ho·wo + oy·wo + ox) = in(c, r, oy·s + ky − pad, ox·s + kx − pad),
 * 0 outside the image. Plane (c, r) of the input at in + c·cs + r·rs. */
void pt_im2col(const pt_conv_geom *g, const double *in, size_t cs, size_t rs, size_t rows, double *col);

/* The adjoint of pt_im2col: din (planes as in pt_im2col) = the sum of the
 * entries of dcol that read each input value (din's planes of these rows are
 * overwritten). */
void pt_col2im(const pt_conv_geom *g, const double *dcol, size_t rows, double *din, size_t cs, size_t rs);

/* out = K ⋆ in + b for `rows` images: im2col into col [cin·9 × rows·ho·wo],
 * then one GEMM. K is [cout × cin·9] row-major, b [cout]; the output is
 * channel-major: channel o of the rows at out + o·ocs (rows·ho·wo values). */
void pt_conv_forward(const pt_conv_geom *g, const double *K, const double *b, const double *in, size_t cs,
                     size_t rs, size_t rows, double *col, double *out, size_t ocs);

/* For the upstream gradients G (laid out as pt_conv_forward's output, channel
 * stride gcs): dK += scale·G colᵀ, db += scale·Σ G, with col rebuilt from
 * `in`; and if din is not NULL, din = the gradient of the input (unscaled;
 * through dcol = Kᵀ G and pt_col2im). col and dcol hold cin·9·rows·ho·wo. */
void pt_conv_backward(const pt_conv_geom *g, const double *K, const double *in, size_t cs, size_t rs, size_t rows,
                      const double *G, size_t gcs, double scale, double *dK, double *db, double *col, double *dcol,
                      double *din, size_t dcs, size_t drs);

/* Pooling of c planes h × w with window = stride = k: ho = h / k, wo = w / k
 * (floor). A partial window at the bottom or right edge is dropped: those
 * h mod k rows and w mod k columns reach no output (and get zero gradient). */
typedef struct pt_pool_geom {
  pt_pool_kind kind;
  size_t c, h, w, k, ho, wo;
} pt_pool_geom;

/* out = the max (or the mean) of each window for `rows` rows, planes (ch, r)
 * at in + ch·cs + r·h·w and out + ch·ocs + r·ho·wo; for max pooling idx (laid
 * out as out) keeps the offset in its input plane of each window's first
 * maximum, for the backward pass. */
void pt_pool_forward(const pt_pool_geom *g, const double *in, size_t cs, size_t rows, double *out, size_t ocs,
                     size_t *idx);

/* din (as pool_forward's in; these rows overwritten) = the gradient of the
 * input for the output gradients dout: to each window's maximum (idx) or
 * shared evenly over the window. */
void pt_pool_backward(const pt_pool_geom *g, const double *dout, size_t ocs, const size_t *idx, size_t rows,
                      double *din, size_t cs);

/* A stack of dense layers: width[0] inputs → ReLU(dense) for each hidden
 * width → dense to width[n] outputs. Its parameters, from the stack's own
 * base: per layer W [width[l+1] × width[l]] then b [width[l+1]]. */
typedef struct pt_dense_stack {
  size_t n;                             /* dense layers */
  size_t width[PT_MODEL_MAX_LAYERS + 2];
  size_t offset[PT_MODEL_MAX_LAYERS + 1]; /* of each layer's W among the stack's parameters */
  size_t nparams;
  size_t rows;                          /* reserved rows */
  double *act[PT_MODEL_MAX_LAYERS + 1];   /* act[l], l = 1..n−1: the ReLU outputs of hidden layer l [rows × width[l]] */
  double *grad[PT_MODEL_MAX_LAYERS + 1];  /* the same for their gradients */
} pt_dense_stack;

/* Sets the widths in → hidden[0..nhidden) → out and the parameter count. */
void pt_dense_stack_setup(pt_dense_stack *s, size_t in, const size_t *hidden, size_t nhidden, size_t out);

/* is_bias[offset + k] = 1 for the stack's biases, its parameters being at
 * `offset` among the model's (the b of every layer). */
void pt_dense_stack_mark_biases(const pt_dense_stack *s, size_t offset, unsigned char *is_bias);

/* Workspace for `rows` rows (a second call with fewer rows keeps it). */
pt_status pt_dense_stack_reserve(pt_dense_stack *s, size_t rows);

/* Frees the workspace. */
void pt_dense_stack_release(pt_dense_stack *s);

/* He-scaled Gaussians N(0, 2/fan_in) for the weights (N(0, 1/fan_in) for the
 * last layer, which has no ReLU after it), biases 0; layer l draws from the stream
 * (seed, PT_PURPOSE_INIT, layer_base + l, 0, 0). */
void pt_dense_stack_init(const pt_dense_stack *s, double *params, gsl_rng *r, uint64_t seed, uint64_t layer_base);

/* n Gaussians N(0, var) from the stream (seed,
 * PT_PURPOSE_INIT, layer, 0, 0). */
void pt_init_gaussian(double *w, size_t n, double var, gsl_rng *r, uint64_t seed, uint64_t layer);

/* theta rows [first, first + count) (stride width[n]) of the input rows X0
 * (the row `first`, stride width[0]); keeps the hidden activations at
 * workspace rows [first, first + count). */
void pt_dense_stack_forward(pt_dense_stack *s, const double *params, const double *X0, size_t first, size_t count,
                            double *theta0);

/* grad += scale·Jᵀ g for those rows after their forward pass (X0, g0 and dX0
 * point at row `first`); dX0, if not NULL, gets the (unscaled) gradient of the
 * inputs [count × width[0]]. */
void pt_dense_stack_backward(pt_dense_stack *s, const double *params, const double *X0, size_t first, size_t count,
                             const double *g0, double scale, double *grad, double *dX0);

#endif
