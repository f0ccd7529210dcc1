/* model.h (internal): the models θ = g_w(x) the engine trains, as type
 * descriptors (GSL's `*_type` structs): each kind is one file in this folder
 * and one line in model/types.h.
 *
 * | kind          | input                 | θ                                              | parameters                        |
 * |---------------|-----------------------|------------------------------------------------|-----------------------------------|
 * | linear_scorer | features per label    | θ_ij = ⟨x_ij, w⟩ + c                           | w [p], then c                     |
 * | affine        | one feature vector    | θ_i = W x_i + b                                | W [d × p] row-major, then b [d]   |
 * | mlp           | one feature vector    | dense → ReLU → … → dense                       | per layer: W [out × in], then b   |
 * | cnn           | an image [c × h × w]  | (3×3 conv → ReLU → pool) × L → dense … → dense | per conv: K [cout × cin·9], then b; then as mlp |
 *
 * The linear models start at zero (their losses are convex and the
 * perturbation breaks the ties of θ = 0); the neural ones from He-scaled
 * Gaussians drawn from the counter stream (train.seed, PT_PURPOSE_INIT,
 * layer, …), so initialisation is the same on every rank.
 *
 * Inputs are gathered by the caller: X holds a batch's rows one after the
 * other, each `in` = pt_model_input_size() doubles (p, or d·p per label).
 * A model keeps the activations of the rows it last went forward on in a
 * workspace of pt_model_reserve() rows, row k at its own place, so that the
 * training loop can go forward on fixed shards of a batch (rows [first,
 * first + count)) and come back on each shard separately. The arithmetic of a
 * row's θ, and of a shard's gradient, depends only on that row (that shard),
 * never on which process runs it or what else it runs: the basis of the
 * engine's bitwise reproducibility on any number of ranks (dist/dist.h).
 *
 * A model trained on standardised features (data.standardize) owns the
 * statistics: the per-feature mean and deviation of its training part. They
 * are stored with its parameters, and every path that predicts (training's
 * evaluation, `perturb eval`) brings its data to the model's scale with
 * pt_model_prepare_data — the same arithmetic everywhere, so a prediction is
 * bitwise the same wherever it is made. The quantile transform
 * (data.quantile, model/quantile.h) is owned the same way, and comes first:
 * the standardisation's statistics are then those of the scores. */
#ifndef PERTURB_MODEL_H
#define PERTURB_MODEL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "perturb/config.h"
#include "perturb/data.h"
#include "perturb/error.h"
#include "model/types.h"

/* Most layers a model may have of each kind (convolutions, hidden dense layers). */
#define PT_MODEL_MAX_LAYERS 8

typedef enum pt_pool_kind { PT_POOL_NONE = 0, PT_POOL_MAX = 1, PT_POOL_AVG = 2 } pt_pool_kind;
/* model.output: θ = s (scores); θ = −softplus(s), positive predicted costs
 * −θ (costs); or those costs scaled to mean 1 per instance, θ_j = −d·a_j/Σa,
 * a = softplus(s) (unit_costs). A path does not depend on the scale of its
 * costs, and under multiplicative noise the FY loss is positively homogeneous
 * in θ (L(cθ) = cL(θ)): without a fixed scale it is lowered by shrinking
 * every cost towards 0 rather than by ranking them. */
typedef enum pt_model_output { PT_OUTPUT_SCORES = 0, PT_OUTPUT_COSTS = 1, PT_OUTPUT_UNIT_COSTS = 2 } pt_model_output;

/* The data a model maps: what the dataset says of its inputs and outputs. */
typedef struct pt_model_shape {
  size_t d;                       /* outputs: the dimension of θ */
  size_t p;                       /* input features per instance (per label when per_label) */
  int per_label;                  /* 1: an instance's input is d × p (one vector per label) */
  size_t channels, height, width; /* image inputs: p = channels·height·width; all 0 when not images */
} pt_model_shape;

/* The architecture, from the [model] section (pt_model_settings_from_config). */
typedef struct pt_model_settings {
  size_t hidden[PT_MODEL_MAX_LAYERS]; /* widths of the hidden dense layers (mlp; cnn after its convolutions) */
  size_t nhidden;
  size_t conv[PT_MODEL_MAX_LAYERS];   /* output channels of each 3×3 convolution (cnn) */
  size_t nconv;
  size_t stride, padding;             /* of every convolution */
  pt_pool_kind pool;                  /* after each convolution's ReLU */
  size_t pool_size;                   /* window and stride of that pooling */
  int head_cells;                     /* cnn, model.head = cells: one output per cell of the last maps */
  pt_model_output output;             /* model.output: how the raw outputs s become θ */
} pt_model_settings;

typedef struct pt_model pt_model;

/* A kind of model. Every function gets a model whose shape, settings and
 * type are set; none is collective. */
typedef struct pt_model_type {
  const char *name; /* the model.kind value */
  const char *doc;  /* one line for the docs */
  /* 1: the backward pass is cheap (linear in the inputs): the engine sums the
   * batch's θ-gradients over ranks and every rank runs the whole backward
   * pass itself; 0: ranks run the backward passes of their own shards and
   * sum the weight gradients (dist/dist.h). */
  int replicated;
  /* 1: needs per-label inputs; 0: one input vector per instance. */
  int per_label;
  /* Checks the shape and the settings (PT_ECONFIG naming `origin`, the data,
   * and the offending key), sets m->nparams and builds m->impl. */
  pt_status (*setup)(pt_model *m, const char *origin);
  /* Sets the initial parameters (zero, or from the counter stream `seed`
   * with `r`, a stream of pt_rng_alloc()). */
  void (*init)(pt_model *m, gsl_rng *r, uint64_t seed);
  /* Workspace for the activations of `rows` rows (called before training;
   * forward and backward allocate nothing). */
  pt_status (*reserve)(pt_model *m, size_t rows);
  /* theta[k·d …] = g_w(X[k·in …]) for k in [first, first + count), keeping
   * their activations in workspace rows [first, first + count); X and theta
   * are indexed from row 0 of the batch. first + count ≤ the reserved rows. */
  void (*forward)(pt_model *m, const double *X, size_t first, size_t count, double *theta);
  /* grad += scale · Σ_{k ∈ [first, first+count)} (∂θ_k/∂w)ᵀ g[k·d …], after a
   * forward pass over those rows (activations kept); X and g are indexed from
   * row 0 of the batch. */
  void (*backward)(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                   double *grad);
  /* Sets is_bias[k] = 1 for each parameter k that is a bias (an offset added
   * after a product), leaving the others as they are (0): model.l2_biases =
   * false spares these from the L2 penalty. */
  void (*mark_biases)(const pt_model *m, unsigned char *is_bias);
  /* Frees m->impl and the workspace (not the model). */
  void (*release)(pt_model *m);
} pt_model_type;

struct pt_model {
  const pt_model_type *type;
  pt_model_shape shape;
  pt_model_settings settings;
  size_t d, p;     /* = shape.d, shape.p */
  size_t nparams;
  double *params;
  double *x_mean;  /* [p] features are standardised as (x − x_mean) / x_sd; NULL: not standardised */
  double *x_sd;    /* [p] (NULL with x_mean) */
  double *x_quantiles; /* [p × n_quantiles] each feature's knots (model/quantile.h), applied before the
                        * standardisation; NULL: no quantile transform */
  size_t n_quantiles;
  void *impl;      /* the kind's own geometry and workspace */
  double *out_sum; /* [reserved rows] unit_costs: Σ_j softplus(s_j) of each row's last forward pass */
  size_t out_rows; /* rows of out_sum */
};

#define PT_MODEL_DECLARE(name) extern const pt_model_type pt_model_##name;
PT_MODEL_TYPES(PT_MODEL_DECLARE)
#undef PT_MODEL_DECLARE

/* The kind named `name` (model/types.h), or NULL. */
const pt_model_type *pt_model_type_by_name(const char *name);

/* The table of kinds, NULL-terminated. */
const pt_model_type *const *pt_model_types(void);

/* The [model] section's architecture keys into `s`; PT_ECONFIG naming the key
 * for a list that does not parse or has too many layers. Not collective. */
pt_status pt_model_settings_from_config(const pt_config *cfg, pt_model_settings *s);

/* A model of kind `type` for data of shape `shape` and architecture
 * `settings`, its parameters zero (call pt_model_init before training).
 * PT_ECONFIG naming `origin` if the shape or the settings do not fit the
 * kind. Not collective. */
pt_status pt_model_alloc(const pt_model_type *type, const pt_model_shape *shape, const pt_model_settings *settings,
                         const char *origin, pt_model **out);

/* The model the configuration's [model] section describes for `ds` (whose
 * shape it takes): model.kind = auto picks linear_scorer for per-label
 * features, else affine. Not collective. */
pt_status pt_model_from_config(const pt_config *cfg, const pt_dataset *ds, const char *origin, pt_model **out);

/* The shape of the data of `ds` as a model sees it. */
void pt_model_shape_of(const pt_dataset *ds, pt_model_shape *shape);

/* NULL-safe; clears the handle. */
void pt_model_free(pt_model **m);

/* Doubles per input row: p, or d·p for per-label inputs. */
size_t pt_model_input_size(const pt_model *m);

/* The model's initial parameters from the seed (see the file comment). */
void pt_model_init(pt_model *m, gsl_rng *r, uint64_t seed);

/* PT_ECONFIG naming `origin` if `ds` does not have the shape the model was made for. */
pt_status pt_model_check_data(const pt_model *m, const pt_dataset *ds, const char *origin);

/* Gives the model the standardisation x → (x − mean) / sd (copies of the p
 * values each; sd > 0 and both finite). Not collective. */
pt_status pt_model_set_standardization(pt_model *m, const double *mean, const double *sd);

/* Computes the standardisation of `train` (pt_dataset_feature_stats; of its
 * quantile scores if the model has a quantile transform) and gives it to the
 * model. PT_EDOM naming `origin` and the feature if a statistic is
 * not finite. Not collective. */
pt_status pt_model_standardize_from(pt_model *m, const pt_dataset *train, const char *origin);

/* Gives the model the quantile transform of K knots per feature (knots:
 * p × K, feature-major, copied; K ≥ 2, each feature's knots finite and
 * non-decreasing, else PT_EINVAL). Not collective. */
pt_status pt_model_set_quantiles(pt_model *m, const double *knots, size_t K);

/* Fits the quantile transform to `train` (model/quantile.h) and gives it to
 * the model. Call before pt_model_standardize_from. PT_ECONFIG naming
 * `origin` if the training part has fewer than 2 rows. Not collective. */
pt_status pt_model_quantile_from(pt_model *m, const pt_dataset *train, const char *origin);

/* Brings the features of `ds` to the model's scale in place: its quantile
 * transform, then its standardisation, each if it has one. Every predicting path calls it
 * on raw data before pt_model_forward. PT_EDOM naming `origin`, the row and
 * the feature if a standardised value is not finite. Not collective. */
pt_status pt_model_prepare_data(const pt_model *m, pt_dataset *ds, const char *origin);

/* Workspace for up to `rows` rows (type->reserve). */
pt_status pt_model_reserve(pt_model *m, size_t rows);

/* Copies the input rows rows[0..count) of ds one after the other into X
 * ([count × pt_model_input_size]). */
void pt_model_gather(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, double *X);

/* type->forward (see pt_model_type), then, for model.output = costs, θ =
 * −softplus(s) of the kind's raw outputs s: predicted costs −θ > 0, as
 * Dijkstra needs. */
void pt_model_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta);
/* For model.output = costs or unit_costs: turns the workspace rows [first,
 * first + count) of dL/dθ in g (pointing at row first) into dL/ds in place,
 * from the same rows of θ (theta at row first) and of the last forward pass
 * (costs: dθ/ds = −sigmoid(s) = expm1(θ)); nothing for scores. Call it
 * before pt_model_backward on those rows. */
void pt_model_output_grad(const pt_model *m, size_t first, size_t count, const double *theta, double *g);
/* type->backward (see pt_model_type): g is the gradient in the raw outputs. */
void pt_model_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                       double *grad);

/* The θ of the rows [begin, end) of ds, `chunk` rows at a time from `begin`
 * (each chunk gathered into X, its forward pass at workspace rows
 * 0..chunk−1), calling visit(ctx, i, θ_i) for every row i in order. With
 * chunks aligned to fixed row numbers the θ are the same bits whichever
 * process computes them. X holds chunk input rows, theta chunk × d; chunk ≤
 * the reserved rows. Stops at the first status visit returns that is not
 * PT_OK and returns it. Not collective. */
pt_status pt_model_predict(pt_model *m, const pt_dataset *ds, size_t begin, size_t end, size_t chunk, double *X,
                           double *theta, pt_status (*visit)(void *ctx, size_t i, const double *theta_i), void *ctx);

#endif
