/* perturbed.c: Monte-Carlo estimators of F_ε, y_ε and the Jacobian of y_ε. */
#include "perturb/perturbed.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "perturb/rng.h"
#include "perturbed_impl.h"
#include "solver_impl.h"

/* Noise drawn ahead by sample_many: samples first … first + count − 1 of
 * one instance stream. */
typedef struct pt_noise_window {
  int valid;
  uint64_t seed, epoch, id, first, count;
  size_t capacity; /* samples z has room for */
  double *z;       /* capacity × d */
} pt_noise_window;

struct pt_perturbed {
  pt_solver *solver; /* borrowed */
  const pt_noise_type *noise;
  pt_perturbation kind; /* additive θ + εZ, or multiplicative θ ⊙ exp(εZ − ε²/2) */
  double epsilon;
  size_t M, d;
  uint64_t seed, epoch;
  gsl_rng *rng;
  void *solver_work;
  double *z;     /* d: one noise draw */
  double *w;     /* d: θ + εz */
  double *y;     /* d: one solver output */
  double *base;  /* d: baseline y*(θ) */
  double *scratch; /* d: free for the losses (pt_perturbed_scratch) */
  double *factor;  /* d: multiplicative: the factors exp(εz − ε²/2) of the last sample */
  double *ys;    /* M×d: stored outputs (or ∇²ν diagonals) of one instance */
  double *gs;    /* M×d: stored ∇ν(Z_m) of one instance */
  double *fs;    /* M:   stored values F(θ + εZ_m) */
  pt_noise_window window;
  double *group_z; /* GROUP_INSTANCES × GROUP_NUMBERS: noise of a group of instances (pt_perturbed_sums) */
};

/* Instances whose noise pt_perturbed_sums draws together when each needs few
 * numbers (at most GROUP_NUMBERS: one sample at d = 10, say). One instance's
 * vector pass is a chain of dependent steps (log, sqrt, sin, cos) with
 * nothing to overlap; the passes of several instances are independent, so
 * the CPU runs them side by side. The noise is the same bits either way. */
#define GROUP_INSTANCES 8
#define GROUP_NUMBERS 64

/* Samples of noise drawn at once (sample_many): at most M, and no more than
 * fit in 64 KiB, so that they stay in the L2 cache. */
static size_t window_samples(size_t M, size_t d) {
  const size_t fit = 8192 / d;
  return fit < 1 ? 1 : (fit < M ? fit : M);
}

pt_status pt_perturbed_alloc(pt_solver *solver, const pt_noise_type *noise, double epsilon,
                             size_t nsamples, pt_perturbed **out) {
  static const char fn[] = "pt_perturbed_alloc";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, solver);
  PT_CHECK_PTR(fn, noise);
  PT_TRY(pt_check_epsilon(fn, epsilon));
  if (nsamples < 1) return pt_error(PT_EINVAL, "%s: the number of samples M must be >= 1 (got 0)", fn);
  const size_t d = solver->d;
  if (nsamples > SIZE_MAX / 8 / d)
    return pt_error(PT_EINVAL, "%s: M = %zu samples of dimension %zu do not fit in memory", fn, nsamples, d);
  pt_perturbed *p = calloc(1, sizeof *p);
  if (p == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  p->solver = solver;
  p->noise = noise;
  p->epsilon = epsilon;
  p->M = nsamples;
  p->d = d;
  p->rng = pt_rng_alloc();
  size_t wbytes = pt_solver_work_size(solver);
  p->solver_work = malloc(wbytes > 0 ? wbytes : 1);
  p->z = malloc(6 * d * sizeof(double));
  p->ys = malloc(nsamples * d * sizeof(double));
  p->gs = malloc(nsamples * d * sizeof(double));
  p->fs = malloc(nsamples * sizeof(double));
  p->window.capacity = window_samples(nsamples, d);
  p->window.z = malloc(p->window.capacity * d * sizeof(double));
  p->group_z = malloc(GROUP_INSTANCES * GROUP_NUMBERS * sizeof(double));
  if (!p->rng || !p->solver_work || !p->z || !p->ys || !p->gs || !p->fs || !p->window.z || !p->group_z) {
    pt_perturbed_free(&p);
    return pt_error(PT_ENOMEM, "%s: out of memory for M = %zu samples of dimension %zu", fn, nsamples, d);
  }
  p->w = p->z + d;
  p->y = p->w + d;
  p->base = p->y + d;
  p->scratch = p->base + d;
  p->factor = p->scratch + d;
  p->kind = PT_PERTURB_ADDITIVE;
  *out = p;
  return PT_OK;
}

void pt_perturbed_free(pt_perturbed **pp) {
  if (pp == NULL || *pp == NULL) return;
  pt_perturbed *p = *pp;
  if (p->rng) gsl_rng_free(p->rng);
  free(p->solver_work);
  free(p->z);
  free(p->ys);
  free(p->gs);
  free(p->fs);
  free(p->window.z);
  free(p->group_z);
  free(p);
  *pp = NULL;
}

void pt_perturbed_set_stream(pt_perturbed *p, uint64_t seed, uint64_t epoch) {
  if (p == NULL) return;
  p->seed = seed;
  p->epoch = epoch;
}

pt_status pt_perturbed_set_epsilon(pt_perturbed *p, double epsilon) {
  PT_CHECK_PTR("pt_perturbed_set_epsilon", p);
  PT_TRY(pt_check_epsilon("pt_perturbed_set_epsilon", epsilon));
  p->epsilon = epsilon;
  return PT_OK;
}

pt_status pt_perturbed_set_perturbation(pt_perturbed *p, pt_perturbation kind) {
  static const char fn[] = "pt_perturbed_set_perturbation";
  PT_CHECK_PTR(fn, p);
  if (kind != PT_PERTURB_ADDITIVE && kind != PT_PERTURB_MULTIPLICATIVE)
    return pt_error(PT_EINVAL, "%s: unknown perturbation %d", fn, (int)kind);
  /* exp(εZ − ε²/2) has mean 1 for Gaussian Z only; other laws would need
   * their own normaliser log E[exp(εZ)] */
  if (kind == PT_PERTURB_MULTIPLICATIVE && !pt_noise_is_gaussian(p->noise))
    return pt_error(PT_EINVAL, "%s: multiplicative perturbations need Gaussian noise (not %s)", fn, p->noise->name);
  p->kind = kind;
  return PT_OK;
}

pt_perturbation pt_perturbed_perturbation(const pt_perturbed *p) { return p ? p->kind : PT_PERTURB_ADDITIVE; }

double pt_perturbed_epsilon(const pt_perturbed *p) { return p ? p->epsilon : NAN; }
size_t pt_perturbed_nsamples(const pt_perturbed *p) { return p ? p->M : 0; }
size_t pt_perturbed_dim(const pt_perturbed *p) { return p ? p->d : 0; }

pt_status pt_perturbed_check_batch(const char *fn, const pt_perturbed *p, size_t n, const double *theta) {
  PT_CHECK_PTR(fn, p);
  PT_CHECK_PTR(fn, theta);
  if (n > SIZE_MAX / p->d) return pt_error(PT_EINVAL, "%s: batch of %zu instances is too large", fn, n);
  return pt_check_finite(fn, "theta", n * p->d, theta);
}

double *pt_perturbed_scratch(pt_perturbed *p) { return p->scratch; }

static inline uint64_t instance_id(const uint64_t *ids, size_t i) { return ids ? ids[i] : (uint64_t)i; }

/* z = Z_m, the noise of sample m of instance `id`. A noise with sample_many
 * fills the window with the samples from m on (up to `end`, the end of the
 * caller's sample range), and the next samples come from it: the estimators
 * ask for the samples of an instance in order. */
static inline void draw_noise(pt_perturbed *p, uint64_t id, uint64_t m, uint64_t end, double *z) {
  const size_t d = p->d;
  const pt_rng_id rid = {p->seed, PT_PURPOSE_PERTURB, p->epoch, id, m};
  if (p->noise->sample_many == NULL) {
    pt_rng_seek(p->rng, &rid);
    p->noise->sample(p->rng, d, z);
    return;
  }
  pt_noise_window *win = &p->window;
  if (!win->valid || win->seed != p->seed || win->epoch != p->epoch || win->id != id || m < win->first ||
      m - win->first >= win->count) {
    const uint64_t left = end > m ? end - m : 1;
    win->count = left < win->capacity ? left : win->capacity;
    p->noise->sample_many(&rid, m, win->count, d, win->z);
    win->valid = 1;
    win->seed = p->seed;
    win->epoch = p->epoch;
    win->id = id;
    win->first = m;
  }
  memcpy(z, win->z + (m - win->first) * d, d * sizeof *z);
}

/* p->w = θ + εz, or for multiplicative perturbations p->factor =
 * exp(εz − ε²/2) and p->w = θ ⊙ factor (PT_EDOM if a factor overflows). */
static inline pt_status perturb_point(pt_perturbed *p, const double *theta, const double *z) {
  const size_t d = p->d;
  const double eps = p->epsilon;
  double *w = p->w;
  if (p->kind == PT_PERTURB_ADDITIVE) {
    for (size_t j = 0; j < d; j++) w[j] = theta[j] + eps * z[j];
    /* a solver of costs (θ ≤ 0: Dijkstra) takes a perturbed negative cost
     * as a zero cost */
    if (p->solver->type->nonpositive)
      for (size_t j = 0; j < d; j++) w[j] = w[j] > 0 ? 0.0 : w[j];
    return PT_OK;
  }
  const double shift = 0.5 * eps * eps; /* E[exp(εZ)] = exp(ε²/2) */
  for (size_t j = 0; j < d; j++) {
    p->factor[j] = exp(eps * z[j] - shift);
    w[j] = theta[j] * p->factor[j];
  }
  return pt_check_finite("multiplicative perturbation", "theta * exp(eps Z - eps^2/2)", d, w);
}

/* Sample m of instance `id`: z = Z_m and p->w perturbed by it (perturb_point). */
static inline pt_status perturb_sample(pt_perturbed *p, const double *theta, uint64_t id, uint64_t m, uint64_t end,
                                      double *z) {
  draw_noise(p, id, m, end, z);
  return perturb_point(p, theta, z);
}

/* Sample m of instance `id`: z = Z_m, w = θ + εz, y = y*(w); *F = ⟨y, w⟩ if F. */
static pt_status solve_sample(pt_perturbed *p, const double *theta, uint64_t id, uint64_t m, uint64_t end, double *z,
                              double *y, double *F) {
  const size_t d = p->d;
  const double *w = p->w;
  PT_TRY(perturb_sample(p, theta, id, m, end, z));
  PT_TRY(pt_solver_solve_with(p->solver, w, y, p->solver_work));
  if (F) {
    double v = 0.0;
    for (size_t j = 0; j < d; j++) v += y[j] * w[j];
    *F = v;
  }
  return PT_OK;
}

/* Standard error of a mean of M terms from their sum and sum of squares. */
static inline double mean_se(double sum, double sumsq, size_t M) {
  if (M < 2) return NAN;
  double var = (sumsq - sum * sum / (double)M) / (double)(M - 1);
  return var > 0 ? sqrt(var / (double)M) : 0.0;
}

/* pt_perturbed_sums' hot loop for instances that need few numbers each:
 * the noise of up to GROUP_INSTANCES instances drawn together, then their
 * solves (see GROUP_INSTANCES). */
static pt_status sums_in_groups(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                uint64_t sample_begin, uint64_t sample_end, double *ysum) {
  const size_t d = p->d, ms = (size_t)(sample_end - sample_begin);
  for (size_t i0 = 0; i0 < n; i0 += GROUP_INSTANCES) {
    const size_t g = n - i0 < GROUP_INSTANCES ? n - i0 : GROUP_INSTANCES;
    for (size_t k = 0; k < g; k++) {
      const pt_rng_id rid = {p->seed, PT_PURPOSE_PERTURB, p->epoch, instance_id(ids, i0 + k), sample_begin};
      p->noise->sample_many(&rid, sample_begin, ms, d, p->group_z + k * ms * d);
    }
    for (size_t k = 0; k < g; k++) {
      double *ys = ysum + (i0 + k) * d;
      memset(ys, 0, d * sizeof *ys);
      for (size_t m = 0; m < ms; m++) {
        PT_TRY(perturb_point(p, theta + (i0 + k) * d, p->group_z + (k * ms + m) * d));
        PT_TRY(p->solver->type->solve_add(p->solver, p->w, ys, NULL, p->solver_work));
      }
    }
  }
  return PT_OK;
}

pt_status pt_perturbed_sums(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                            uint64_t sample_begin, uint64_t sample_end, double *ysum, double *fsum) {
  static const char fn[] = "pt_perturbed_sums";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  if (sample_end < sample_begin)
    return pt_error(PT_EINVAL, "%s: sample range [%llu, %llu) is reversed", fn,
                    (unsigned long long)sample_begin, (unsigned long long)sample_end);
  const size_t d = p->d;
  /* The FY gradient's hot loop: only output sums wanted and the solver can
   * add in place. */
  const int add_in_place = fsum == NULL && ysum != NULL && p->solver->type->solve_add != NULL;
  const uint64_t ms = sample_end - sample_begin;
  if (add_in_place && p->noise->sample_many != NULL && ms > 0 && ms * d <= GROUP_NUMBERS)
    return sums_in_groups(p, n, theta, ids, sample_begin, sample_end, ysum);
  for (size_t i = 0; i < n; i++) {
    double *ys = ysum ? ysum + i * d : NULL;
    if (ys) memset(ys, 0, d * sizeof *ys);
    double fs = 0.0;
    for (uint64_t m = sample_begin; m < sample_end; m++) {
      if (add_in_place) {
        PT_TRY(perturb_sample(p, theta + i * d, instance_id(ids, i), m, sample_end, p->z));
        PT_TRY(p->solver->type->solve_add(p->solver, p->w, ys, NULL, p->solver_work));
        continue;
      }
      double F;
      PT_TRY(solve_sample(p, theta + i * d, instance_id(ids, i), m, sample_end, p->z, p->y, fsum ? &F : NULL));
      if (ys)
        for (size_t j = 0; j < d; j++) ys[j] += p->y[j];
      if (fsum) fs += F;
    }
    if (fsum) fsum[i] = fs;
  }
  return PT_OK;
}

pt_status pt_perturbed_sample_values(pt_perturbed *p, const double *theta, uint64_t id, uint64_t sample_begin,
                                     uint64_t sample_end, double *ysum, double *F) {
  static const char fn[] = "pt_perturbed_sample_values";
  PT_TRY(pt_perturbed_check_batch(fn, p, 1, theta));
  PT_CHECK_PTR(fn, ysum);
  PT_CHECK_PTR(fn, F);
  if (sample_end < sample_begin)
    return pt_error(PT_EINVAL, "%s: sample range [%llu, %llu) is reversed", fn, (unsigned long long)sample_begin,
                    (unsigned long long)sample_end);
  const size_t d = p->d;
  memset(ysum, 0, d * sizeof *ysum);
  const int multiplicative = p->kind == PT_PERTURB_MULTIPLICATIVE;
  const int add_in_place = !multiplicative && p->solver->type->solve_add != NULL;
  for (uint64_t m = sample_begin; m < sample_end; m++) {
    if (add_in_place) {
      PT_TRY(perturb_sample(p, theta, id, m, sample_end, p->z));
      PT_TRY(p->solver->type->solve_add(p->solver, p->w, ysum, &F[m - sample_begin], p->solver_work));
      continue;
    }
    PT_TRY(solve_sample(p, theta, id, m, sample_end, p->z, p->y, &F[m - sample_begin]));
    /* ∇_θ F(θ ⊙ f) = f ⊙ y*(θ ⊙ f) */
    if (multiplicative)
      for (size_t j = 0; j < d; j++) ysum[j] += p->factor[j] * p->y[j];
    else
      for (size_t j = 0; j < d; j++) ysum[j] += p->y[j];
  }
  return PT_OK;
}

pt_status pt_perturbed_maximizer(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                 double *y, double *y_se) {
  static const char fn[] = "pt_perturbed_maximizer";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  PT_CHECK_PTR(fn, y);
  const size_t d = p->d, M = p->M;
  for (size_t i = 0; i < n; i++) {
    double *yi = y + i * d, *sq = y_se ? y_se + i * d : NULL;
    memset(yi, 0, d * sizeof *yi);
    if (sq) memset(sq, 0, d * sizeof *sq);
    for (size_t m = 0; m < M; m++) {
      PT_TRY(solve_sample(p, theta + i * d, instance_id(ids, i), m, M, p->z, p->y, NULL));
      for (size_t j = 0; j < d; j++) yi[j] += p->y[j];
      if (sq)
        for (size_t j = 0; j < d; j++) sq[j] += p->y[j] * p->y[j];
    }
    for (size_t j = 0; j < d; j++) {
      if (sq) sq[j] = mean_se(yi[j], sq[j], M);
      yi[j] /= (double)M;
    }
  }
  return PT_OK;
}

pt_status pt_perturbed_maximum(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                               double *F, double *F_se) {
  static const char fn[] = "pt_perturbed_maximum";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  PT_CHECK_PTR(fn, F);
  const size_t d = p->d, M = p->M;
  for (size_t i = 0; i < n; i++) {
    double sum = 0.0, sumsq = 0.0;
    for (size_t m = 0; m < M; m++) {
      double v;
      PT_TRY(solve_sample(p, theta + i * d, instance_id(ids, i), m, M, p->z, p->y, &v));
      sum += v;
      sumsq += v * v;
    }
    F[i] = sum / (double)M;
    if (F_se) F_se[i] = mean_se(sum, sumsq, M);
  }
  return PT_OK;
}

pt_status pt_perturbed_maximum_gradient(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                        double *g, double *g_se) {
  static const char fn[] = "pt_perturbed_maximum_gradient";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  PT_CHECK_PTR(fn, g);
  const size_t d = p->d, M = p->M;
  const int multiplicative = p->kind == PT_PERTURB_MULTIPLICATIVE;
  for (size_t i = 0; i < n; i++) {
    double *gi = g + i * d, *sq = g_se ? g_se + i * d : NULL;
    memset(gi, 0, d * sizeof *gi);
    if (sq) memset(sq, 0, d * sizeof *sq);
    for (size_t m = 0; m < M; m++) {
      PT_TRY(solve_sample(p, theta + i * d, instance_id(ids, i), m, M, p->z, p->y, NULL));
      for (size_t j = 0; j < d; j++) {
        const double t = multiplicative ? p->factor[j] * p->y[j] : p->y[j];
        gi[j] += t;
        if (sq) sq[j] += t * t;
      }
    }
    for (size_t j = 0; j < d; j++) {
      if (sq) sq[j] = mean_se(gi[j], sq[j], M);
      gi[j] /= (double)M;
    }
  }
  return PT_OK;
}

/* ---- first-order Jacobian products ------------------------------------- */

/* Multiplicative perturbations differentiate through log|θ| (see the header):
 * every θ_j must be non-zero. */
static pt_status check_multiplicative_theta(const char *fn, const pt_perturbed *p, size_t n, const double *theta) {
  if (p->kind != PT_PERTURB_MULTIPLICATIVE) return PT_OK;
  for (size_t k = 0; k < n * p->d; k++)
    if (theta[k] == 0.0)
      return pt_error(PT_EDOM, "%s: theta[%zu][%zu] = 0: the Jacobian of a multiplicative perturbation is "
                               "undefined there (the coordinate is never perturbed)", fn, k / p->d, k % p->d);
  return PT_OK;
}

static pt_status check_cv(const char *fn, const pt_perturbed *p, pt_control_variate cv) {
  if (cv != PT_CV_NONE && cv != PT_CV_UNPERTURBED && cv != PT_CV_LEAVE_ONE_OUT)
    return pt_error(PT_EINVAL, "%s: unknown control variate %d", fn, (int)cv);
  if (cv == PT_CV_LEAVE_ONE_OUT && p->M < 2)
    return pt_error(PT_EINVAL, "%s: the leave-one-out control variate needs M >= 2 samples (M = %zu)", fn, p->M);
  return PT_OK;
}

/* Draws samples first..first+M−1 of one instance and stores ∇ν(Z_m) in gs.
 * First order: y_m in ys. Second order: F_m in fs and diag ∇²ν(Z_m) in ys
 * (the outputs themselves are not needed then). */
static pt_status solve_all(pt_perturbed *p, const double *theta, uint64_t id, uint64_t first, int second_order) {
  const size_t d = p->d;
  for (size_t m = 0; m < p->M; m++) {
    double *g = p->gs + m * d, *y = p->ys + m * d;
    PT_TRY(solve_sample(p, theta, id, first + m, first + p->M, g, y, second_order ? p->fs + m : NULL));
    if (second_order) p->noise->hess_nu_diag(d, g, y);
    p->noise->grad_nu(d, g, g); /* the noise draw is replaced by ∇ν of it */
    /* multiplicative: additive noise on u = log|θ|, and ∂u_j/∂θ_j = 1/θ_j */
    if (p->kind == PT_PERTURB_MULTIPLICATIVE)
      for (size_t j = 0; j < d; j++) g[j] /= theta[j];
  }
  return PT_OK;
}

/* base = y*(θ) for the unperturbed control variate, else nothing. */
static pt_status unperturbed_baseline(pt_perturbed *p, const double *theta, pt_control_variate cv) {
  if (cv != PT_CV_UNPERTURBED) return PT_OK;
  return pt_solver_solve_with(p->solver, theta, p->base, p->solver_work);
}

/* r = y_m − b_m for the chosen baseline; `total` is Σ_m y_m (leave-one-out). */
static inline void centred_output(const pt_perturbed *p, pt_control_variate cv, size_t m, const double *total,
                                  double *r) {
  const size_t d = p->d, M = p->M;
  const double *ym = p->ys + m * d;
  switch (cv) {
  case PT_CV_NONE:
    memcpy(r, ym, d * sizeof *r);
    break;
  case PT_CV_UNPERTURBED:
    for (size_t j = 0; j < d; j++) r[j] = ym[j] - p->base[j];
    break;
  case PT_CV_LEAVE_ONE_OUT:
    /* y_m − (S − y_m)/(M−1) = (M y_m − S)/(M−1) */
    for (size_t j = 0; j < d; j++) r[j] = ((double)M * ym[j] - total[j]) / (double)(M - 1);
    break;
  }
}

/* Σ_m y_m into `total` (leave-one-out only). */
static void output_total(const pt_perturbed *p, pt_control_variate cv, double *total) {
  if (cv != PT_CV_LEAVE_ONE_OUT) return;
  const size_t d = p->d;
  memset(total, 0, d * sizeof *total);
  for (size_t m = 0; m < p->M; m++)
    for (size_t j = 0; j < d; j++) total[j] += p->ys[m * d + j];
}

/* Turns per-entry sums and sums of squares of M terms into means and SEs. */
static void finish_means(size_t len, size_t M, double *sum, double *sumsq) {
  for (size_t j = 0; j < len; j++) {
    if (sumsq) sumsq[j] = mean_se(sum[j], sumsq[j], M);
    sum[j] /= (double)M;
  }
}

pt_status pt_perturbed_jvp(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                           const double *v, pt_control_variate cv, double *jv, double *jv_se) {
  static const char fn[] = "pt_perturbed_jvp";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  PT_CHECK_PTR(fn, v);
  PT_CHECK_PTR(fn, jv);
  PT_TRY(check_cv(fn, p, cv));
  PT_TRY(check_multiplicative_theta(fn, p, n, theta));
  PT_TRY(pt_check_finite(fn, "v", n * p->d, v));
  const size_t d = p->d, M = p->M;
  double *total = p->w, *r = p->y; /* free between solve passes */
  for (size_t i = 0; i < n; i++) {
    const double *th = theta + i * d, *vi = v + i * d;
    double *out = jv + i * d, *sq = jv_se ? jv_se + i * d : NULL;
    PT_TRY(solve_all(p, th, instance_id(ids, i), 0, 0));
    PT_TRY(unperturbed_baseline(p, th, cv));
    output_total(p, cv, total);
    memset(out, 0, d * sizeof *out);
    if (sq) memset(sq, 0, d * sizeof *sq);
    for (size_t m = 0; m < M; m++) {
      /* term_m = (y_m − b) ⟨∇ν(Z_m), v⟩ / ε */
      const double s = cblas_ddot((int)d, p->gs + m * d, 1, vi, 1) / p->epsilon;
      centred_output(p, cv, m, total, r);
      for (size_t j = 0; j < d; j++) {
        const double t = r[j] * s;
        out[j] += t;
        if (sq) sq[j] += t * t;
      }
    }
    finish_means(d, M, out, sq);
  }
  return PT_OK;
}

pt_status pt_perturbed_vjp_from(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                                const double *u, pt_control_variate cv, uint64_t first_sample,
                                double *uj, double *uj_se) {
  PT_TRY(check_multiplicative_theta("pt_perturbed_vjp", p, n, theta));
  const size_t d = p->d, M = p->M;
  double *total = p->w, *r = p->y;
  for (size_t i = 0; i < n; i++) {
    const double *th = theta + i * d, *ui = u + i * d;
    double *out = uj + i * d, *sq = uj_se ? uj_se + i * d : NULL;
    PT_TRY(solve_all(p, th, instance_id(ids, i), first_sample, 0));
    PT_TRY(unperturbed_baseline(p, th, cv));
    output_total(p, cv, total);
    memset(out, 0, d * sizeof *out);
    if (sq) memset(sq, 0, d * sizeof *sq);
    for (size_t m = 0; m < M; m++) {
      /* term_m = ⟨u, y_m − b⟩ ∇ν(Z_m) / ε */
      centred_output(p, cv, m, total, r);
      const double s = cblas_ddot((int)d, r, 1, ui, 1) / p->epsilon;
      const double *g = p->gs + m * d;
      for (size_t j = 0; j < d; j++) {
        const double t = s * g[j];
        out[j] += t;
        if (sq) sq[j] += t * t;
      }
    }
    finish_means(d, M, out, sq);
  }
  return PT_OK;
}

pt_status pt_perturbed_vjp(pt_perturbed *p, size_t n, const double *theta, const uint64_t *ids,
                           const double *u, pt_control_variate cv, double *uj, double *uj_se) {
  static const char fn[] = "pt_perturbed_vjp";
  PT_TRY(pt_perturbed_check_batch(fn, p, n, theta));
  PT_CHECK_PTR(fn, u);
  PT_CHECK_PTR(fn, uj);
  PT_TRY(check_cv(fn, p, cv));
  PT_TRY(pt_check_finite(fn, "u", n * p->d, u));
  return pt_perturbed_vjp_from(p, n, theta, ids, u, cv, 0, uj, uj_se);
}

/* ---- full Jacobian ------------------------------------------------------ */

/* First order: J = mean_m (y_m − b)(∇ν_m)ᵀ / ε; squares (y−b)²(∇ν²)ᵀ / ε². */
static void jacobian_first_order(pt_perturbed *p, pt_control_variate cv, double *J, double *sq) {
  const size_t d = p->d;
  const int di = (int)d;
  double *total = p->w, *r = p->y, *r2 = p->z;
  output_total(p, cv, total);
  for (size_t m = 0; m < p->M; m++) {
    const double *g = p->gs + m * d;
    centred_output(p, cv, m, total, r);
    cblas_dger(CblasRowMajor, di, di, 1.0 / p->epsilon, r, 1, g, 1, J, di);
    if (sq) {
      /* (r_a g_b)² = r_a² g_b²: a rank-one update of squares; r2 holds r², and
       * the squares of g go into r once r is no longer needed. */
      for (size_t j = 0; j < d; j++) r2[j] = r[j] * r[j];
      for (size_t j = 0; j < d; j++) r[j] = g[j] * g[j];
      cblas_dger(CblasRowMajor, di, di, 1.0 / (p->epsilon * p->epsilon), r2, 1, r, 1, sq, di);
    }
  }
}

/* Second order: J = mean_m c_m (∇ν_m ∇ν_mᵀ − diag ∇²ν_m) / ε², c_m = F_m − b.
 * ys holds the diagonals ∇²ν(Z_m) here. */
static void jacobian_second_order(pt_perturbed *p, pt_control_variate cv, double F0, double *J, double *sq) {
  const size_t d = p->d, M = p->M;
  const int di = (int)d;
  const double e2 = p->epsilon * p->epsilon;
  double Ftotal = 0.0;
  for (size_t m = 0; m < M; m++) Ftotal += p->fs[m];
  double *g2 = p->y;
  for (size_t m = 0; m < M; m++) {
    const double *g = p->gs + m * d, *h = p->ys + m * d;
    double c = p->fs[m];
    if (cv == PT_CV_UNPERTURBED) c -= F0;
    if (cv == PT_CV_LEAVE_ONE_OUT) c = ((double)M * p->fs[m] - Ftotal) / (double)(M - 1);
    const double a = c / e2;
    cblas_dger(CblasRowMajor, di, di, a, g, 1, g, 1, J, di);
    for (size_t j = 0; j < d; j++) J[j * d + j] -= a * h[j];
    if (sq) {
      for (size_t j = 0; j < d; j++) g2[j] = g[j] * g[j];
      cblas_dger(CblasRowMajor, di, di, a * a, g2, 1, g2, 1, sq, di);
      /* diagonal: replace a²g⁴ by a²(g² − h)² */
      for (size_t j = 0; j < d; j++) {
        const double diag = g2[j] - h[j];
        sq[j * d + j] += a * a * (diag * diag - g2[j] * g2[j]);
      }
    }
  }
}

pt_status pt_perturbed_jacobian(pt_perturbed *p, const double *theta, uint64_t id,
                                pt_jacobian_method method, pt_control_variate cv,
                                double *J, double *J_se) {
  static const char fn[] = "pt_perturbed_jacobian";
  PT_TRY(pt_perturbed_check_batch(fn, p, 1, theta));
  PT_CHECK_PTR(fn, J);
  PT_TRY(check_cv(fn, p, cv));
  if (method != PT_JACOBIAN_FIRST_ORDER && method != PT_JACOBIAN_SECOND_ORDER)
    return pt_error(PT_EINVAL, "%s: unknown Jacobian method %d", fn, (int)method);
  if (method == PT_JACOBIAN_SECOND_ORDER && p->kind == PT_PERTURB_MULTIPLICATIVE)
    return pt_error(PT_EINVAL, "%s: the second-order estimator is for additive perturbations; use the first order", fn);
  PT_TRY(check_multiplicative_theta(fn, p, 1, theta));
  const size_t d = p->d;
  if (d > 46340) return pt_error(PT_EINVAL, "%s: a %zu x %zu Jacobian is too large", fn, d, d);
  memset(J, 0, d * d * sizeof *J);
  if (J_se) memset(J_se, 0, d * d * sizeof *J_se);
  const int second = method == PT_JACOBIAN_SECOND_ORDER;
  PT_TRY(solve_all(p, theta, id, 0, second));
  if (second) {
    double F0 = 0.0;
    if (cv == PT_CV_UNPERTURBED) {
      PT_TRY(pt_solver_solve_with(p->solver, theta, p->base, p->solver_work));
      for (size_t j = 0; j < d; j++) F0 += p->base[j] * theta[j];
    }
    jacobian_second_order(p, cv, F0, J, J_se);
  } else {
    PT_TRY(unperturbed_baseline(p, theta, cv));
    jacobian_first_order(p, cv, J, J_se);
  }
  finish_means(d * d, p->M, J, J_se);
  return PT_OK;
}
