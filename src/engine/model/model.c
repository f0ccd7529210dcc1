/* model.c: the table of model kinds and what every kind shares
 * (standardisation, input gathering, chunked prediction). */
#include "model/model.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/quantile.h"


#define PT_MODEL_ENTRY(name) &pt_model_##name,
static const pt_model_type *const types[] = {PT_MODEL_TYPES(PT_MODEL_ENTRY) NULL};

const pt_model_type *const *pt_model_types(void) { return types; }

const pt_model_type *pt_model_type_by_name(const char *name) {
  for (size_t k = 0; types[k] != NULL; k++)
    if (strcmp(types[k]->name, name) == 0) return types[k];
  return NULL;
}

/* A list of layer sizes, "64,32" or "64x32" (spaces allowed), into
 * out[0..*count): x as well as the comma, since a sweep's --grid separates
 * its values by commas. "" or "none": no layers (so that a grid axis can
 * choose the depth, none included). */
static const char sizes_wanted[] =
    "want layer sizes between 1 and 1000000 separated by commas or x (64x64), or none for no layer";

static pt_status parse_sizes(const char *key, const char *text, size_t *out, size_t *count) {
  *count = 0;
  const char *s = text;
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '\0') return PT_OK;
  if (strncmp(s, "none", 4) == 0) {
    const char *rest = s + 4;
    while (*rest == ' ' || *rest == '\t') rest++;
    if (*rest == '\0') return PT_OK;
  }
  for (;;) {
    char *end;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0 || v < 1 || v > 1000000)
      return pt_error(PT_ECONFIG, "%s = '%s': %s", key, text, sizes_wanted);
    if (*count == PT_MODEL_MAX_LAYERS)
      return pt_error(PT_ECONFIG, "%s = '%s': at most %d layers", key, text, PT_MODEL_MAX_LAYERS);
    out[(*count)++] = (size_t)v;
    s = end;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0') return PT_OK;
    if (*s != ',' && *s != 'x')
      return pt_error(PT_ECONFIG, "%s = '%s': %s", key, text, sizes_wanted);
    s++;
  }
}

pt_status pt_model_settings_from_config(const pt_config *cfg, pt_model_settings *s) {
  memset(s, 0, sizeof *s);
  const char *hidden, *conv, *pool, *head, *output;
  int64_t stride, padding, pool_size;
  PT_TRY(pt_config_get_string(cfg, "model.hidden", &hidden));
  PT_TRY(pt_config_get_string(cfg, "model.conv", &conv));
  PT_TRY(pt_config_get_string(cfg, "model.pool", &pool));
  PT_TRY(pt_config_get_int(cfg, "model.stride", &stride));
  PT_TRY(pt_config_get_int(cfg, "model.padding", &padding));
  PT_TRY(pt_config_get_int(cfg, "model.pool_size", &pool_size));
  PT_TRY(pt_config_get_string(cfg, "model.head", &head));
  PT_TRY(pt_config_get_string(cfg, "model.output", &output));
  s->head_cells = strcmp(head, "cells") == 0;
  s->output = strcmp(output, "costs") == 0        ? PT_OUTPUT_COSTS
              : strcmp(output, "unit_costs") == 0 ? PT_OUTPUT_UNIT_COSTS
                                                  : PT_OUTPUT_SCORES;
  PT_TRY(parse_sizes("model.hidden", hidden, s->hidden, &s->nhidden));
  PT_TRY(parse_sizes("model.conv", conv, s->conv, &s->nconv));
  s->stride = (size_t)stride;
  s->padding = (size_t)padding;
  s->pool_size = (size_t)pool_size;
  s->pool = strcmp(pool, "max") == 0 ? PT_POOL_MAX : strcmp(pool, "avg") == 0 ? PT_POOL_AVG : PT_POOL_NONE;
  return PT_OK;
}

void pt_model_shape_of(const pt_dataset *ds, pt_model_shape *shape) {
  memset(shape, 0, sizeof *shape);
  shape->d = ds->d;
  shape->p = ds->p;
  shape->per_label = ds->per_label;
  shape->channels = ds->channels;
  shape->height = ds->height;
  shape->width = ds->width;
}

pt_status pt_model_alloc(const pt_model_type *type, const pt_model_shape *shape, const pt_model_settings *settings,
                         const char *origin, pt_model **out) {
  *out = NULL;
  if (shape->d == 0 || shape->p == 0) return pt_error(PT_EINVAL, "%s: a model needs d >= 1 and p >= 1", origin);
  if (type->per_label != (shape->per_label != 0))
    return pt_error(PT_ECONFIG, "%s: model.kind = %s needs %s features, the data have %s", origin, type->name,
                    type->per_label ? "per-label" : "per-instance", shape->per_label ? "per-label" : "per-instance");
  /* a replicated model back-propagates rows whose θ another rank computed
   * (model.h): the output's derivative, which needs θ, would not be there */
  if (settings->output != PT_OUTPUT_SCORES && type->replicated)
    return pt_error(PT_ECONFIG, "model.output = %s needs an mlp or a cnn (model.kind = %s: a linear model's "
                                "costs may take any sign; use a solver that accepts them, such as dag_path)",
                    settings->output == PT_OUTPUT_COSTS ? "costs" : "unit_costs", type->name);
  pt_model *m = calloc(1, sizeof *m);
  if (m == NULL) return pt_error(PT_ENOMEM, "out of memory for a model");
  m->type = type;
  m->shape = *shape;
  m->settings = *settings;
  m->d = shape->d;
  m->p = shape->p;
  pt_status st = type->setup(m, origin);
  if (st == PT_OK) {
    m->params = calloc(m->nparams, sizeof *m->params);
    if (m->params == NULL) st = pt_error(PT_ENOMEM, "out of memory for the %zu parameters of the %s model",
                                         m->nparams, type->name);
  }
  if (st != PT_OK) {
    pt_model_free(&m);
    return st;
  }
  *out = m;
  return PT_OK;
}

pt_status pt_model_from_config(const pt_config *cfg, const pt_dataset *ds, const char *origin, pt_model **out) {
  *out = NULL;
  const char *kind;
  PT_TRY(pt_config_get_string(cfg, "model.kind", &kind));
  const pt_model_type *type = strcmp(kind, "auto") == 0 ? pt_model_type_by_name(ds->per_label ? "linear_scorer"
                                                                                                : "affine")
                                                        : pt_model_type_by_name(kind);
  if (type == NULL) return pt_error(PT_ECONFIG, "model.kind = %s: no such model", kind);
  pt_model_settings settings;
  PT_TRY(pt_model_settings_from_config(cfg, &settings));
  pt_model_shape shape;
  pt_model_shape_of(ds, &shape);
  return pt_model_alloc(type, &shape, &settings, origin, out);
}

void pt_model_free(pt_model **m) {
  if (m == NULL || *m == NULL) return;
  if ((*m)->type->release) (*m)->type->release(*m);
  free((*m)->x_mean);
  free((*m)->x_sd);
  free((*m)->x_quantiles);
  free((*m)->out_sum);
  free((*m)->params);
  free(*m);
  *m = NULL;
}

size_t pt_model_input_size(const pt_model *m) { return m->shape.per_label ? m->d * m->p : m->p; }

void pt_model_init(pt_model *m, gsl_rng *r, uint64_t seed) { m->type->init(m, r, seed); }

pt_status pt_model_reserve(pt_model *m, size_t rows) {
  if (m->settings.output == PT_OUTPUT_UNIT_COSTS && rows > m->out_rows) {
    free(m->out_sum);
    m->out_rows = 0;
    if ((m->out_sum = malloc(rows * sizeof *m->out_sum)) == NULL)
      return pt_error(PT_ENOMEM, "out of memory for %zu rows of a model", rows);
    m->out_rows = rows;
  }
  return m->type->reserve ? m->type->reserve(m, rows) : PT_OK;
}

/* softplus(s) = max(s, 0) + log1p(exp(−|s|)): no overflow */
static double softplus(double s) { return (s > 0 ? s : 0.0) + log1p(exp(-fabs(s))); }

void pt_model_gather(const pt_model *m, const pt_dataset *ds, const size_t *rows, size_t count, double *X) {
  const size_t in = pt_model_input_size(m);
  for (size_t k = 0; k < count; k++) memcpy(X + k * in, ds->X + rows[k] * in, in * sizeof *X);
}

void pt_model_forward(pt_model *m, const double *X, size_t first, size_t count, double *theta) {
  m->type->forward(m, X, first, count, theta);
  const size_t d = m->d;
  if (m->settings.output == PT_OUTPUT_SCORES) return;
  for (size_t k = first * d; k < (first + count) * d; k++) theta[k] = -softplus(theta[k]);
  if (m->settings.output == PT_OUTPUT_COSTS) return;
  for (size_t r = first; r < first + count; r++) {
    double *t = theta + r * d, sum = 0.0;
    for (size_t j = 0; j < d; j++) sum -= t[j];
    m->out_sum[r] = sum;
    for (size_t j = 0; j < d; j++) t[j] = (double)d * t[j] / sum;
  }
}

void pt_model_output_grad(const pt_model *m, size_t first, size_t count, const double *theta, double *g) {
  const size_t d = m->d;
  if (m->settings.output == PT_OUTPUT_COSTS) {
    /* θ = −softplus(s): dθ/ds = −sigmoid(s) = −(1 − e^θ) = expm1(θ) */
    for (size_t k = 0; k < count * d; k++) g[k] *= expm1(theta[k]);
    return;
  }
  if (m->settings.output != PT_OUTPUT_UNIT_COSTS) return;
  /* θ_j = −d a_j/S, a = softplus(s), S = Σa: ∂L/∂a_k = −(d/S)(g_k − ⟨g, a⟩/S),
   * and ∂a/∂s = sigmoid(s) = 1 − e^{−a} = −expm1(−a), with a_j = −θ_j S/d */
  for (size_t r = 0; r < count; r++) {
    const double *t = theta + r * d, S = m->out_sum[first + r], scale = (double)d / S;
    double *gr = g + r * d, ga = 0.0;
    for (size_t j = 0; j < d; j++) ga += gr[j] * (-t[j] / scale);
    for (size_t j = 0; j < d; j++) {
      const double a = -t[j] / scale;
      gr[j] = -scale * (gr[j] - ga / S) * -expm1(-a);
    }
  }
}

void pt_model_backward(pt_model *m, const double *X, size_t first, size_t count, const double *g, double scale,
                       double *grad) {
  m->type->backward(m, X, first, count, g, scale, grad);
}

pt_status pt_model_predict(pt_model *m, const pt_dataset *ds, size_t begin, size_t end, size_t chunk, double *X,
                           double *theta, pt_status (*visit)(void *ctx, size_t i, const double *theta_i), void *ctx) {
  const size_t in = pt_model_input_size(m);
  for (size_t c0 = begin; c0 < end; c0 += chunk) {
    const size_t count = end - c0 < chunk ? end - c0 : chunk;
    memcpy(X, ds->X + c0 * in, count * in * sizeof *X); /* rows are consecutive */
    pt_model_forward(m, X, 0, count, theta);
    for (size_t k = 0; k < count; k++) PT_TRY(visit(ctx, c0 + k, theta + k * m->d));
  }
  return PT_OK;
}

pt_status pt_model_set_standardization(pt_model *m, const double *mean, const double *sd) {
  for (size_t j = 0; j < m->p; j++)
    if (!isfinite(mean[j]) || !isfinite(sd[j]) || !(sd[j] > 0))
      return pt_error(PT_EINVAL, "feature %zu (0-based): standardisation mean %g, deviation %g (want finite, "
                      "deviation > 0)", j, mean[j], sd[j]);
  if (m->x_mean == NULL) {
    m->x_mean = malloc(m->p * sizeof *m->x_mean);
    m->x_sd = malloc(m->p * sizeof *m->x_sd);
    if (m->x_mean == NULL || m->x_sd == NULL) {
      free(m->x_mean);
      free(m->x_sd);
      m->x_mean = m->x_sd = NULL;
      return pt_error(PT_ENOMEM, "out of memory for the standardisation of %zu features", m->p);
    }
  }
  memcpy(m->x_mean, mean, m->p * sizeof *mean);
  memcpy(m->x_sd, sd, m->p * sizeof *sd);
  return PT_OK;
}

pt_status pt_model_set_quantiles(pt_model *m, const double *knots, size_t K) {
  if (K < 2) return pt_error(PT_EINVAL, "a quantile transform with K = %zu knots per feature (want at least 2)", K);
  for (size_t j = 0; j < m->p; j++)
    for (size_t k = 0; k < K; k++) {
      const double q = knots[j * K + k];
      if (!isfinite(q) || (k > 0 && q < knots[j * K + k - 1]))
        return pt_error(PT_EINVAL, "feature %zu (0-based): quantile knot %zu is %g (want finite and not below the "
                        "one before)", j, k, q);
    }
  double *copy = malloc(m->p * K * sizeof *copy);
  if (copy == NULL) return pt_error(PT_ENOMEM, "out of memory for the %zu quantiles of %zu features", K, m->p);
  memcpy(copy, knots, m->p * K * sizeof *copy);
  free(m->x_quantiles);
  m->x_quantiles = copy;
  m->n_quantiles = K;
  return PT_OK;
}

/* The rows of a dataset's feature matrix: n, or n·d for per-label features. */
static size_t feature_rows(const pt_dataset *ds) { return ds->n * (ds->per_label ? ds->d : 1); }

pt_status pt_model_quantile_from(pt_model *m, const pt_dataset *train, const char *origin) {
  if (train->p != m->p) return pt_error(PT_EINVAL, "%s: %zu features, the model has %zu", origin, train->p, m->p);
  const size_t rows = feature_rows(train), K = pt_quantile_knot_count(rows);
  if (K < 2) return pt_error(PT_ECONFIG, "%s: data.quantile needs at least 2 training rows, the training part has %zu",
                             origin, rows);
  double *knots = malloc(m->p * K * sizeof *knots);
  if (knots == NULL) return pt_error(PT_ENOMEM, "out of memory for the %zu quantiles of %zu features", K, m->p);
  pt_status st = pt_quantile_fit(train->X, rows, m->p, K, knots, origin);
  if (st == PT_OK) st = pt_model_set_quantiles(m, knots, K);
  free(knots);
  return st;
}

pt_status pt_model_standardize_from(pt_model *m, const pt_dataset *train, const char *origin) {
  if (train->p != m->p) return pt_error(PT_EINVAL, "%s: %zu features, the model has %zu", origin, train->p, m->p);
  const size_t nx = feature_rows(train) * m->p;
  double *stats = malloc(2 * m->p * sizeof *stats);
  /* with a quantile transform, the statistics are those of the scores */
  double *scores = m->x_quantiles ? malloc(nx * sizeof *scores) : NULL;
  if (stats == NULL || (m->x_quantiles && scores == NULL)) {
    free(stats);
    free(scores);
    return pt_error(PT_ENOMEM, "out of memory for the standardisation of %zu features", m->p);
  }
  pt_dataset view = *train;
  if (scores) {
    memcpy(scores, train->X, nx * sizeof *scores);
    pt_quantile_apply(m->x_quantiles, m->n_quantiles, scores, nx / m->p, m->p);
    view.X = scores;
  }
  pt_status st = pt_dataset_feature_stats(&view, stats, stats + m->p, origin);
  if (st == PT_OK) st = pt_model_set_standardization(m, stats, stats + m->p);
  free(scores);
  free(stats);
  return st;
}

pt_status pt_model_prepare_data(const pt_model *m, pt_dataset *ds, const char *origin) {
  if (m->x_mean == NULL && m->x_quantiles == NULL) return PT_OK;
  if (ds->p != m->p) return pt_error(PT_EINVAL, "%s: %zu features do not fit the model's %zu", origin, ds->p, m->p);
  if (m->x_quantiles) pt_quantile_apply(m->x_quantiles, m->n_quantiles, ds->X, feature_rows(ds), ds->p);
  if (m->x_mean == NULL) return PT_OK; /* scores are finite */
  pt_dataset_standardize_with(ds, m->x_mean, m->x_sd);
  /* finite statistics can still take a far-out value of other data (a test
   * part) beyond the largest double */
  const size_t per = ds->per_label ? ds->d : 1, nx = ds->n * per * ds->p;
  for (size_t k = 0; k < nx; k++)
    if (!isfinite(ds->X[k]))
      return pt_error(PT_EDOM, "%s: row %zu, feature %zu (0-based): not finite once standardised with the model's "
                      "mean %g and deviation %g", origin, k / ds->p / per, k % ds->p, m->x_mean[k % ds->p],
                      m->x_sd[k % ds->p]);
  return PT_OK;
}

pt_status pt_model_check_data(const pt_model *m, const pt_dataset *ds, const char *origin) {
  if (ds->d != m->d || ds->p != m->p)
    return pt_error(PT_ECONFIG, "%s: %zu outputs x %zu features do not fit the %s model's %zu x %zu", origin, ds->d,
                    ds->p, m->type->name, m->d, m->p);
  if ((ds->per_label != 0) != (m->shape.per_label != 0))
    return pt_error(PT_ECONFIG, "%s: model.kind = %s needs %s features, the data have %s", origin, m->type->name,
                    m->shape.per_label ? "per-label" : "per-instance", ds->per_label ? "per-label" : "per-instance");
  if (ds->channels != m->shape.channels || ds->height != m->shape.height || ds->width != m->shape.width)
    return pt_error(PT_ECONFIG, "%s: images of %zu x %zu x %zu do not fit the model's %zu x %zu x %zu", origin,
                    ds->channels, ds->height, ds->width, m->shape.channels, m->shape.height, m->shape.width);
  return PT_OK;
}
