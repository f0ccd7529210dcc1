/* noise.c: Gaussian and Gumbel perturbations. */
#include "perturb/noise.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <threads.h>

#include "normal.h"
#include "perturb/error.h"
#include "rng_impl.h"

/* Euler–Mascheroni constant: the mean of a standard Gumbel variable. */
#define PT_EULER_GAMMA 0.57721566490153286061
#define PT_PI 3.14159265358979323846

/* Gaussian sampling: the ziggurat method of Marsaglia & Tsang (2000) with 128
 * layers. Each 64-bit Philox word gives two 32-bit tries, laid out as in GSL's
 * gsl_ran_gaussian_ziggurat: bits 0–6 choose the layer, bit 7 the sign and
 * bits 8–31 the position (24 bits), so no bit serves twice (Doornik 2005
 * showed that sharing them biases the classic version). GSL's function does
 * the same through one gsl_rng call per number, which costs twice as much
 * here (docs/performance.md). Tails and wedges (about 1.2% of tries) use
 * 53-bit uniforms from the words that follow. */
#define ZIG_LAYERS 128
#define ZIG_R 3.442619855899           /* start of the tail */
#define ZIG_V 9.91256303526217e-3      /* area of each layer */

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

/* Position of a 32-bit try inside its layer: x = U·x[i] with U on 24 bits. */
static inline double zig_position(uint32_t h, unsigned i) { return (double)(h >> 8) * 0x1p-24 * zig_x[i]; }
/* ±1 from bit 7, without a branch (a coin flip mispredicts half the time). */
static inline double zig_sign(uint32_t h) { return 1.0 - (double)(int)((h >> 6) & 2); }

/* The fast path: a try inside layer i's core rectangle (about 98.8% of
 * tries). Returns 0 and leaves *z alone otherwise. */
static inline int zig_fast(uint32_t h, double *z) {
  const unsigned i = h & (ZIG_LAYERS - 1);
  const double x = zig_position(h, i);
  if (x >= zig_x[i + 1]) return 0;
  *z = zig_sign(h) * x;
  return 1;
}

/* The slow path for a try `h` that missed the core rectangle: the tail of the
 * base layer or the wedge of another; further randomness comes from `r`. */
static double zig_slow(gsl_rng *r, uint32_t h) {
  for (;;) {
    double z;
    if (zig_fast(h, &z)) return z;
    const unsigned i = h & (ZIG_LAYERS - 1);
    const double sign = zig_sign(h), x = zig_position(h, i);
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
    h = (uint32_t)pt_rng_u64(r); /* rejected: start again with a fresh try */
  }
}

/* Each Philox block of four words yields eight tries through the fast path;
 * a try that misses it goes to the slow path, which draws from the blocks
 * that follow. Every call starts on a fresh block and works block-wise, which
 * keeps the words in registers; the draws stay a pure function of the
 * stream's id. */
static void ziggurat_sample(gsl_rng *r, size_t n, double *z) {
  call_once(&zig_once, zig_init);
  pt_philox_state *st = r->state;
  size_t j = 0;
  while (j < n) {
    const philox4x64_ctr_t block = philox4x64(st->ctr, st->key);
    st->ctr.v[3]++;
    st->next = 8; /* the slow path must not reuse this block's words */
    for (int q = 0; q < 8 && j < n; q++, j++) {
      const uint32_t h = (uint32_t)(block.v[q / 2] >> (32 * (q % 2)));
      if (!zig_fast(h, &z[j])) z[j] = zig_slow(r, h);
    }
  }
}

/* The SIMD sampler through a GSL stream: the stream of the whole id the
 * generator was sought to (its own Philox4x32 key), positions counted in the
 * generator's block word from the seek on. */
static void gaussian_sample(gsl_rng *r, size_t n, double *z) {
  pt_philox_state *st = r->state;
  const pt_rng_id id = {st->key.v[0], st->key.v[1], st->ctr.v[0], st->ctr.v[1], st->ctr.v[2]};
  pt_normal_stream s;
  pt_normal_stream_of_sample(&id, &s);
  pt_normal_fill(&s, st->ctr.v[3], n, z);
  st->ctr.v[3] += n;
  st->next = 8; /* 32-bit draws that follow start past the numbers used */
}

static void gaussian_sample_many(const pt_rng_id *id, uint64_t first, size_t count, size_t n, double *z) {
  pt_normal_stream s;
  pt_normal_stream_of(id, &s);
  pt_normal_fill(&s, first * n, count * n, z);
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
  "gaussian", 0.0, 1.0, gaussian_sample, gaussian_sample_many, gaussian_grad_nu, gaussian_hess_nu_diag};

static const pt_noise_type ziggurat_type = {
  "gaussian-ziggurat", 0.0, 1.0, ziggurat_sample, NULL, gaussian_grad_nu, gaussian_hess_nu_diag};

static const pt_noise_type gumbel_type = {
  "gumbel", PT_EULER_GAMMA, PT_PI * PT_PI / 6.0, gumbel_sample, NULL, gumbel_grad_nu, gumbel_hess_nu_diag};

const pt_noise_type *const pt_noise_gaussian = &gaussian_type;
const pt_noise_type *const pt_noise_gaussian_ziggurat = &ziggurat_type;
const pt_noise_type *const pt_noise_gumbel = &gumbel_type;

int pt_noise_is_gaussian(const pt_noise_type *noise) { return noise == &gaussian_type || noise == &ziggurat_type; }

const pt_noise_type *pt_noise_by_name(const char *name) {
  if (name == NULL) {
    pt_error(PT_EFAULT, "pt_noise_by_name: argument 'name' is NULL");
    return NULL;
  }
  if (strcmp(name, "gaussian") == 0) return pt_noise_gaussian;
  if (strcmp(name, "gaussian-ziggurat") == 0) return pt_noise_gaussian_ziggurat;
  if (strcmp(name, "gumbel") == 0) return pt_noise_gumbel;
  pt_error(PT_EINVAL, "pt_noise_by_name: unknown noise '%s' (expected gaussian, gaussian-ziggurat or gumbel)", name);
  return NULL;
}
