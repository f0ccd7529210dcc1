/* noise.c: Gaussian and Gumbel perturbations; sampling is GSL's. */
#include "perturb/noise.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <threads.h>

#include "perturb/error.h"
#include "rng_impl.h"

/* Euler–Mascheroni constant: the mean of a standard Gumbel variable. */
#define PT_EULER_GAMMA 0.57721566490153286061
#define PT_PI 3.14159265358979323846

/* Gaussian sampling: the ziggurat method of Marsaglia & Tsang (2000) with 256
 * layers, one 64-bit Philox word per try: bits 0–7 choose the layer, bit 8 the
 * sign and bits 11–63 the position, so no bit serves twice (Doornik 2005
 * showed that sharing them biases the classic 32-bit version). GSL's
 * gsl_ran_gaussian_ziggurat implements the same method, but its per-number
 * calls through gsl_rng cost three times as much (docs/performance.md). */
#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088      /* start of the tail */
#define ZIG_V 4.92867323399e-3        /* area of each layer */

static double zig_x[ZIG_LAYERS + 1]; /* right edges; x[0] = V/f(R) is the base layer's virtual width */
static double zig_f[ZIG_LAYERS + 1]; /* f(x[i]) = exp(−x[i]²/2) */
static once_flag zig_once = ONCE_FLAG_INIT;

static void zig_init(void) {
  const double fR = exp(-0.5 * ZIG_R * ZIG_R);
  zig_x[0] = ZIG_V / fR;
  zig_x[1] = ZIG_R;
  for (int i = 1; i < ZIG_LAYERS - 1; i++)
    zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + exp(-0.5 * zig_x[i] * zig_x[i])));
  zig_x[ZIG_LAYERS] = 0.0;
  for (int i = 0; i <= ZIG_LAYERS; i++) zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
  zig_f[0] = fR; /* the base layer's rectangle has height f(R) */
}

/* The fast path: a point inside layer i's core rectangle (about 98.5% of
 * words). Returns 0 and leaves *z alone otherwise. */
static inline int zig_fast(uint64_t w, double *z) {
  const unsigned i = (unsigned)(w & 255);
  /* Branch-free sign (a coin flip mispredicts half the time) and a signed
   * conversion (the unsigned one costs a branch on x86-64). */
  const double sign = 1.0 - (double)(int)((w >> 7) & 2);
  const double x = (double)(int64_t)(w >> 11) * 0x1p-53 * zig_x[i];
  if (x >= zig_x[i + 1]) return 0;
  *z = sign * x;
  return 1;
}

/* The slow path for a word `w` that missed the core rectangle: the tail of the
 * base layer or the wedge of another; further words come from `r`. */
static double zig_slow(gsl_rng *r, uint64_t w) {
  for (;;) {
    double z;
    if (zig_fast(w, &z)) return z;
    const unsigned i = (unsigned)(w & 255);
    const double sign = 1.0 - (double)(int)((w >> 7) & 2);
    const double x = (double)(int64_t)(w >> 11) * 0x1p-53 * zig_x[i];
    if (i == 0) {
      /* tail beyond R (Marsaglia 1964) */
      double a, b;
      do {
        a = -log(pt_u64_to_open01(pt_rng_u64(r))) / ZIG_R;
        b = -log(pt_u64_to_open01(pt_rng_u64(r)));
      } while (b + b < a * a);
      return sign * (ZIG_R + a);
    }
    /* wedge between the rectangle and the curve */
    const double y = zig_f[i] + pt_u64_to_open01(pt_rng_u64(r)) * (zig_f[i + 1] - zig_f[i]);
    if (y < exp(-0.5 * x * x)) return sign * x;
    w = pt_rng_u64(r); /* rejected: start again with a fresh word */
  }
}

/* Each Philox block of four words yields four Gaussians through the fast
 * path; a word that misses it goes to the slow path, which draws its extra
 * words from the blocks that follow. Starting every call on a fresh block
 * and working block-wise keeps the four words in registers (measured: 16 → 9
 * ns per number) and the draws a pure function of the stream's id. */
static void gaussian_sample(gsl_rng *r, size_t n, double *z) {
  call_once(&zig_once, zig_init);
  pt_philox_state *st = r->state;
  size_t j = 0;
  while (j < n) {
    const philox4x64_ctr_t block = philox4x64(st->ctr, st->key);
    st->ctr.v[3]++;
    st->next = 8; /* the slow path must not reuse this block's words */
    for (int q = 0; q < 4 && j < n; q++, j++)
      if (!zig_fast(block.v[q], &z[j])) z[j] = zig_slow(r, block.v[q]);
  }
}

static void gaussian_grad_nu(size_t n, const double *z, double *g) {
  if (g != z) memcpy(g, z, n * sizeof *g);
}

static void gaussian_hess_nu_diag(size_t n, const double *z, double *h) {
  (void)z;
  for (size_t j = 0; j < n; j++) h[j] = 1.0;
}

static void gumbel_sample(gsl_rng *r, size_t n, double *z) {
  /* Inversion: Z = −log(−log U) has density exp(−z − e^{−z}), U in (0, 1). */
  for (size_t j = 0; j < n; j++) z[j] = -log(-log(pt_u64_to_open01(pt_rng_u64(r))));
}

static void gumbel_grad_nu(size_t n, const double *z, double *g) {
  for (size_t j = 0; j < n; j++) g[j] = 1.0 - exp(-z[j]);
}

static void gumbel_hess_nu_diag(size_t n, const double *z, double *h) {
  for (size_t j = 0; j < n; j++) h[j] = exp(-z[j]);
}

static const pt_noise_type gaussian_type = {
  "gaussian", 0.0, 1.0, gaussian_sample, gaussian_grad_nu, gaussian_hess_nu_diag};

static const pt_noise_type gumbel_type = {
  "gumbel", PT_EULER_GAMMA, PT_PI * PT_PI / 6.0, gumbel_sample, gumbel_grad_nu, gumbel_hess_nu_diag};

const pt_noise_type *const pt_noise_gaussian = &gaussian_type;
const pt_noise_type *const pt_noise_gumbel = &gumbel_type;

const pt_noise_type *pt_noise_by_name(const char *name) {
  if (name == NULL) {
    pt_error(PT_EFAULT, "pt_noise_by_name: argument 'name' is NULL");
    return NULL;
  }
  if (strcmp(name, "gaussian") == 0) return pt_noise_gaussian;
  if (strcmp(name, "gumbel") == 0) return pt_noise_gumbel;
  pt_error(PT_EINVAL, "pt_noise_by_name: unknown noise '%s' (expected gaussian or gumbel)", name);
  return NULL;
}
