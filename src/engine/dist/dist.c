/* dist.c: the rank grid and collective agreement on errors. */
#include "dist/dist.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

pt_status pt_decomp_choose(int nranks, int rank, size_t batch, size_t samples, int split_samples, int64_t want_i,
                           int64_t want_s, pt_decomp *out) {
  const size_t max_s = split_samples ? samples : 1;
  int gi = 0, gs = 0;
  if (want_i > 0 || want_s > 0) {
    gi = want_i > 0 ? (int)want_i : (want_s > 0 && nranks % want_s == 0 ? nranks / (int)want_s : 0);
    gs = want_s > 0 ? (int)want_s : (gi > 0 && nranks % gi == 0 ? nranks / gi : 0);
    if (gi <= 0 || gs <= 0 || (int64_t)gi * gs != nranks)
      return pt_error(PT_ECONFIG, "dist.instance_groups x dist.sample_groups must equal the %d ranks (got %lld x %lld)",
                      nranks, (long long)want_i, (long long)want_s);
  } else {
    /* the largest instance split that divides the ranks and fits the batch */
    for (int i = nranks; i >= 1; i--)
      if (nranks % i == 0 && (size_t)i <= batch && (size_t)(nranks / i) <= max_s) {
        gi = i;
        gs = nranks / i;
        break;
      }
    if (gi == 0)
      return pt_error(PT_ECONFIG,
                      "%d ranks cannot share batches of %zu instances x %zu samples%s: use at most %zu ranks",
                      nranks, batch, samples, split_samples ? "" : " (this loss does not split samples)",
                      batch * max_s);
  }
  if ((size_t)gi > batch)
    return pt_error(PT_ECONFIG, "%d instance groups exceed the batch size %zu", gi, batch);
  if ((size_t)gs > max_s)
    return pt_error(PT_ECONFIG, "%d sample groups exceed the %zu samples this loss can split", gs, max_s);
  out->nranks = nranks;
  out->rank = rank;
  out->instance_groups = gi;
  out->sample_groups = gs;
  out->igroup = rank / gs;
  out->sgroup = rank % gs;
  return PT_OK;
}

void pt_share(size_t count, int groups, int g, size_t *begin, size_t *end) {
  *begin = count * (size_t)g / (size_t)groups;
  *end = count * (size_t)(g + 1) / (size_t)groups;
}

pt_status pt_dist_agree_lowest(MPI_Comm comm, int key, pt_status st, const char *message) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  struct {
    int key, rank;
  } mine = {st == PT_OK ? INT_MAX : key, rank}, lowest;
  MPI_Allreduce(&mine, &lowest, 1, MPI_2INT, MPI_MINLOC, comm);
  if (lowest.key == INT_MAX) return PT_OK;
  struct {
    int status;
    char text[1024];
  } msg;
  memset(&msg, 0, sizeof msg);
  if (rank == lowest.rank) {
    msg.status = (int)st;
    strncpy(msg.text, message, sizeof msg.text - 1);
  }
  MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, lowest.rank, comm);
  msg.text[sizeof msg.text - 1] = '\0';
  if (rank != lowest.rank) pt_error((pt_status)msg.status, "%s", msg.text);
  return (pt_status)msg.status;
}

pt_status pt_dist_agree(MPI_Comm comm, pt_status st) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  return pt_dist_agree_lowest(comm, rank, st, st == PT_OK ? "" : pt_last_error());
}

/* Bounds of the exact sums (dist.h): terms below 2^64, one rank's top limb
 * within ±2^31. */
#define EXACT_TERM_MAX 18446744073709551616.0 /* 2^64 */
#define EXACT_TOP_MAX (INT64_C(1) << 31)
#define EXACT_LIMB_MASK INT64_C(0xFFFFFFFF)

/* Carries limbs 0..2 into [0, 2^32) and up. Bitwise AND of an int64_t reads
 * its two's complement bits, so the low part and the exact division below
 * are defined for negative limbs too (a right shift of one is not). */
static void exact_normalise(int64_t limb[PT_EXACT_LIMBS]) {
  for (int k = 0; k < PT_EXACT_LIMBS - 1; k++) {
    const int64_t low = limb[k] & EXACT_LIMB_MASK;
    limb[k + 1] += (limb[k] - low) / (EXACT_LIMB_MASK + 1);
    limb[k] = low;
  }
}

/* The refusal of a term (pt_exact_sum_add). */
static int exact_term_ok(double x) { return isfinite(x) && fabs(x) < EXACT_TERM_MAX; }

/* Adds x, rounded to a multiple of 2^-32, to limbs 0..2 without carrying:
 * each limb moves by at most 2^32. x = c2·2^32 + c1 + c0·2^-32, every part
 * with the sign of x, |c2|, |c1| < 2^32, |c0| ≤ 2^32. Each step is exact in
 * double: scaling by a power of 2 (a product below 2^-1022 loses only bits
 * that round to 0 anyway), a cast truncating a value below 2^63, and the
 * remainders (x's own low bits). Only c0 rounds: to the nearest integer,
 * ties to even, by adding and subtracting 1.5·2^52 (exact for |v| < 2^51 in
 * the default rounding mode). Casts and products rather than
 * trunc/ldexp/llround calls: this runs for every loss sample. */
static inline void exact_accumulate(int64_t limb[PT_EXACT_LIMBS], double x) {
  const int64_t c2 = (int64_t)(x * 0x1p-32);
  const double r1 = x - (double)c2 * 0x1p32;
  const int64_t c1 = (int64_t)r1;
  const double v = (r1 - (double)c1) * 0x1p32, c0 = (v + 0x1.8p52) - 0x1.8p52;
  limb[0] += (int64_t)c0;
  limb[1] += c1;
  limb[2] += c2;
}

pt_status pt_exact_sum_add(pt_exact_sum *s, double x) { return pt_exact_sum_add_n(s, 1, &x); }

pt_status pt_exact_sum_add_n(pt_exact_sum *s, size_t n, const double *x) {
  for (size_t k = 0; k < n; k++)
    if (!exact_term_ok(x[k]))
      return pt_error(PT_EDOM, "a value to sum reached %g (not finite, or beyond the 2^64 the exact sums allow)",
                      x[k]);
  /* Carries wait for the end: limbs 0..2 start below 2^32 and move by at
   * most 2^32 a term, so up to 2^30 terms fit in an int64 before the one
   * normalisation; longer lists go in slices. The integers are the same
   * whatever the order of the carries, so is the sum. */
  pt_exact_sum t = *s;
  for (size_t k0 = 0; k0 < n; k0 += (size_t)1 << 30) {
    const size_t k1 = n - k0 > ((size_t)1 << 30) ? k0 + ((size_t)1 << 30) : n;
    for (size_t k = k0; k < k1; k++) exact_accumulate(t.limb, x[k]);
    exact_normalise(t.limb);
    if (t.limb[3] > EXACT_TOP_MAX || t.limb[3] < -EXACT_TOP_MAX)
      return pt_error(PT_EDOM, "a sum reached %g with the term%s %g%s (beyond the 2^95 the exact sums allow)",
                      pt_exact_sum_value(&t), n > 1 ? "s" : "", x[k0], n > 1 ? ", ..." : "");
  }
  *s = t;
  return PT_OK;
}

uint64_t pt_hash_bytes(uint64_t h, const void *data, size_t bytes) {
  const unsigned char *b = data;
  for (size_t k = 0; k < bytes; k++) {
    h ^= b[k];
    h *= UINT64_C(1099511628211);
  }
  return h;
}

pt_status pt_dist_check_same(MPI_Comm comm, const void *data, size_t bytes, const char *what) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const uint64_t mine = pt_hash_bytes(PT_HASH_INIT, data, bytes);
  uint64_t *all = malloc((size_t)size * sizeof *all);
  PT_TRY(pt_dist_agree(comm, all ? PT_OK : pt_error(PT_ENOMEM, "out of memory checking %s across ranks", what)));
  MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, comm);
  char list[256] = "";
  size_t len = 0;
  int ndiff = 0;
  for (int r = 1; r < size; r++) {
    if (all[r] == all[0]) continue;
    if (ndiff++ < 16 && len < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", ndiff > 1 ? ", " : "", r);
  }
  const uint64_t ref = all[0];
  free(all);
  if (ndiff == 0) return PT_OK;
  return pt_error(PT_EMPI, "%s differ between ranks: rank%s %s%s differ%s from rank 0 (checksum %016" PRIx64
                  "); the ranks' arithmetic has drifted apart (different CPUs or BLAS kernels?)",
                  what, ndiff > 1 ? "s" : "", list, ndiff > 16 ? ", ..." : "", ndiff > 1 ? "" : "s", ref);
}

pt_status pt_exact_sum_merge(pt_exact_sum *s, const pt_exact_sum *t) {
  pt_exact_sum u = *t;
  exact_normalise(u.limb);
  if (u.limb[3] > EXACT_TOP_MAX || u.limb[3] < -EXACT_TOP_MAX)
    return pt_error(PT_EDOM, "a partial sum of %g is beyond the 2^95 the exact sums allow", pt_exact_sum_value(&u));
  for (int k = 0; k < PT_EXACT_LIMBS; k++) u.limb[k] += s->limb[k];
  exact_normalise(u.limb);
  if (u.limb[3] > EXACT_TOP_MAX || u.limb[3] < -EXACT_TOP_MAX)
    return pt_error(PT_EDOM, "a sum reached %g (beyond the 2^95 the exact sums allow)", pt_exact_sum_value(&u));
  *s = u;
  return PT_OK;
}

void pt_exact_sum_allreduce(pt_exact_sum *s, MPI_Comm comm) {
  exact_normalise(s->limb); /* a no-op for sums built by pt_exact_sum_add; the bounds in dist.h need it */
  MPI_Allreduce(MPI_IN_PLACE, s->limb, PT_EXACT_LIMBS, MPI_INT64_T, MPI_SUM, comm);
  exact_normalise(s->limb);
}

double pt_exact_sum_value(const pt_exact_sum *s) {
  pt_exact_sum u = *s;
  exact_normalise(u.limb);
  const int negative = u.limb[3] < 0;
  if (negative) { /* the magnitude, so that the four parts below have one sign and nothing cancels */
    for (int k = 0; k < PT_EXACT_LIMBS; k++) u.limb[k] = -u.limb[k];
    exact_normalise(u.limb);
  }
  /* each part is exact in double (limb[3] < 2^53 by the bounds); three roundings */
  double v = ldexp((double)u.limb[0], -32);
  v += (double)u.limb[1];
  v += ldexp((double)u.limb[2], 32);
  v += ldexp((double)u.limb[3], 64);
  return negative ? -v : v;
}

/* ---- the shard sum (dist.h) ------------------------------------------------ */

pt_status pt_grad_sum_alloc(size_t n, size_t slots, pt_grad_sum **out) {
  *out = NULL;
  pt_grad_sum *s = calloc(1, sizeof *s);
  if (s == NULL || slots == 0 || n > SIZE_MAX / sizeof(double) / slots) {
    free(s);
    return pt_error(PT_ENOMEM, "out of memory for %zu shard gradients of %zu entries", slots, n);
  }
  s->n = n;
  s->slots = slots;
  s->slot = malloc(slots * n * sizeof *s->slot);
  s->fixed = malloc(n * sizeof *s->fixed);
  if (s->slot == NULL || s->fixed == NULL) {
    pt_grad_sum_free(&s);
    return pt_error(PT_ENOMEM, "out of memory for %zu shard gradients of %zu entries", slots, n);
  }
  *out = s;
  return PT_OK;
}

void pt_grad_sum_free(pt_grad_sum **s) {
  if (s == NULL || *s == NULL) return;
  free((*s)->slot);
  free((*s)->fixed);
  free(*s);
  *s = NULL;
}

double *pt_grad_sum_slot(pt_grad_sum *s, size_t k) {
  double *g = s->slot + k * s->n;
  memset(g, 0, s->n * sizeof *g);
  return g;
}

pt_status pt_grad_sum_reduce(pt_grad_sum *s, size_t nlocal, size_t nshards, MPI_Comm comm, double *out) {
  const size_t n = s->n, total = nlocal * n;
  double mx[2] = {0.0, 0.0}; /* the largest magnitude; 1 if some entry is not finite */
  for (size_t k = 0; k < total; k++) {
    const double a = fabs(s->slot[k]);
    if (!(a <= DBL_MAX)) mx[1] = 1.0;
    else if (a > mx[0]) mx[0] = a;
  }
  MPI_Allreduce(MPI_IN_PLACE, mx, 2, MPI_DOUBLE, MPI_MAX, comm);
  if (mx[1] != 0.0) return pt_error(PT_EDOM, "the gradient became non-finite (inf or NaN)");
  int E = 0, kbits = 0;
  frexp(mx[0], &E); /* mx[0] < 2^E (0 gives E = 0: every integer is 0) */
  while (((size_t)1 << kbits) < nshards) kbits++;
  const int e = 62 - kbits - E;
  /* multiplying by a power of two is exact (|g|·2^e ≤ 2^62 cannot overflow;
   * ldexp would round a result below the normal range the same way), and
   * llrint rounds to nearest, ties to even: one cvtsd2si each where
   * -fno-math-errno lets the compiler inline it (CMakeLists.txt) */
  const double up = ldexp(1.0, e), down = ldexp(1.0, -e);
  memset(s->fixed, 0, n * sizeof *s->fixed);
  for (size_t k = 0; k < nlocal; k++) {
    const double *g = s->slot + k * n;
    for (size_t j = 0; j < n; j++) s->fixed[j] += (int64_t)llrint(g[j] * up);
  }
  MPI_Allreduce(MPI_IN_PLACE, s->fixed, (int)n, MPI_INT64_T, MPI_SUM, comm);
  for (size_t j = 0; j < n; j++) out[j] = (double)s->fixed[j] * down;
  return PT_OK;
}

/* ---- the row gather (dist.h) ------------------------------------------------ */

pt_status pt_row_gather_alloc(int nranks, size_t nflags, size_t capacity, pt_row_gather **out) {
  *out = NULL;
  if (nranks < 1 || capacity > (size_t)INT_MAX || nflags > ((size_t)INT_MAX - capacity) / (size_t)nranks)
    return pt_error(PT_ECONFIG, "%zu values and %zu flags on each of %d ranks are more than one MPI message can "
                    "count", capacity, nflags, nranks);
  pt_row_gather *g = calloc(1, sizeof *g);
  if (g != NULL) {
    *g = (pt_row_gather){nranks, nflags, capacity, NULL, NULL, NULL};
    g->counts = malloc((size_t)nranks * sizeof *g->counts);
    g->displs = malloc((size_t)nranks * sizeof *g->displs);
    g->staging = malloc(((size_t)nranks * nflags + capacity) * sizeof *g->staging);
  }
  if (g == NULL || g->counts == NULL || g->displs == NULL || g->staging == NULL) {
    pt_row_gather_free(&g);
    return pt_error(PT_ENOMEM, "out of memory for gathering %zu values across %d ranks", capacity, nranks);
  }
  *out = g;
  return PT_OK;
}

void pt_row_gather_free(pt_row_gather **g) {
  if (g == NULL || *g == NULL) return;
  free((*g)->counts);
  free((*g)->displs);
  free((*g)->staging);
  free(*g);
  *g = NULL;
}

void pt_row_gather_run(pt_row_gather *g, double *data, const size_t *first, double *flags, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  const size_t nf = g->nflags;
  /* rank r's block of the staging: its flags, then its values */
  for (int r = 0; r < g->nranks; r++) {
    g->counts[r] = (int)(nf + first[r + 1] - first[r]);
    g->displs[r] = (int)((size_t)r * nf + first[r]);
  }
  double *mine = g->staging + g->displs[rank];
  memcpy(mine, flags, nf * sizeof *flags);
  memcpy(mine + nf, data + first[rank], (first[rank + 1] - first[rank]) * sizeof *data);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, g->staging, g->counts, g->displs, MPI_DOUBLE, comm);
  for (size_t f = 0; f < nf; f++) flags[f] = 0.0;
  for (int r = 0; r < g->nranks; r++) {
    const double *block = g->staging + g->displs[r];
    for (size_t f = 0; f < nf; f++) flags[f] += block[f];
    if (r != rank) memcpy(data + first[r], block + nf, (first[r + 1] - first[r]) * sizeof *data);
  }
}
