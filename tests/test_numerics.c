/* test_numerics.c: the exact sums of dist.h and the Spearman correlation of
 * metrics.h (average ranks for ties), run under mpirun with 1 and 3 ranks.
 *
 *  - exact sums: every state equals an independent __int128 sum of the terms
 *    rounded to 2^-32 (huge terms, negative terms, cancellation, rounding
 *    halves), the bounds (largest term, largest partial sum per rank) refuse
 *    with PT_EDOM and leave the sum unchanged, and the MPI sum of ranks at
 *    the largest allowed state is exact (no overflow: UBSan would flag it in
 *    the carries), as is any split of the terms among ranks (bitwise);
 *  - Spearman: equals 1 − 6Σ(ŷ − y)²/(d(d² − 1)) without ties, a value worked
 *    out by hand with ties, and a direct O(d²) Pearson correlation of average
 *    ranks on random tied scores; a constant score scores 0; a tie is never
 *    an exact ranking. */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "task/metrics.h"
#include "testlib.h"

__extension__ typedef __int128 i128; /* the reference: a GCC extension, tests only */

static int rank = 0, nranks = 1;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double unif(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1p-53; }

/* The value of an accumulator in units of 2^-32, as a 128-bit integer. */
static i128 limbs_value(const pt_exact_sum *s) {
  i128 v = 0;
  for (int k = PT_EXACT_LIMBS - 1; k >= 0; k--) v = v * ((i128)1 << 32) + s->limb[k];
  return v;
}

/* The reference rounding of one term: to the nearest multiple of 2^-32, ties to even (rint in the default mode). */
static i128 ref_units(double x) { return (i128)rint(ldexp(x, 32)); }

static int canonical(const pt_exact_sum *s) {
  for (int k = 0; k < PT_EXACT_LIMBS - 1; k++)
    if (s->limb[k] < 0 || s->limb[k] >= (INT64_C(1) << 32)) return 0;
  return 1;
}

/* A random term: random sign, magnitude 2^-40 .. 2^64 (log-uniform). */
static double random_term(uint64_t *s) {
  const double x = ldexp(1.0 + unif(s), (int)(unif(s) * 104.0) - 41);
  return splitmix(s) & 1 ? -x : x;
}

static void test_exact_local(void) {
  pt_exact_sum s = {{0}};
  CHECK(pt_exact_sum_value(&s) == 0.0, "zero sum is 0");
  /* cancellation: a double sum of these loses the 1 */
  CHECK_OK(pt_exact_sum_add(&s, 1e18));
  CHECK_OK(pt_exact_sum_add(&s, 1.0));
  CHECK_OK(pt_exact_sum_add(&s, -1e18));
  CHECK(pt_exact_sum_value(&s) == 1.0, "1e18 + 1 - 1e18 = %.17g (want 1)", pt_exact_sum_value(&s));
  /* negative sums, and back to exactly zero limbs */
  CHECK_OK(pt_exact_sum_add(&s, -1.25));
  CHECK(pt_exact_sum_value(&s) == -0.25, "1 - 1.25 = %.17g", pt_exact_sum_value(&s));
  CHECK(canonical(&s) && s.limb[3] == -1, "-0.25 is canonical with top limb -1");
  CHECK_OK(pt_exact_sum_add(&s, 0.25));
  const pt_exact_sum zero = {{0}};
  CHECK(memcmp(&s, &zero, sizeof s) == 0, "a sum back to 0 has all-zero limbs (a unique representation)");
  /* rounding to the nearest unit 2^-32, ties to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2, 0.75 -> 1 */
  CHECK_OK(pt_exact_sum_add(&s, 0x1p-33));
  CHECK(limbs_value(&s) == 0, "2^-33 (half a unit) rounds to 0");
  CHECK_OK(pt_exact_sum_add(&s, 3 * 0x1p-33));
  CHECK(limbs_value(&s) == 2, "3*2^-33 (1.5 units) rounds to 2");
  CHECK_OK(pt_exact_sum_add(&s, -5 * 0x1p-33));
  CHECK(limbs_value(&s) == 0, "-5*2^-33 (-2.5 units) rounds to -2");
  CHECK_OK(pt_exact_sum_add(&s, 3 * 0x1p-34));
  CHECK(limbs_value(&s) == 1, "3*2^-34 (0.75 units) rounds to 1");
  CHECK_OK(pt_exact_sum_add(&s, -3 * 0x1p-34));
  CHECK_OK(pt_exact_sum_add(&s, 1e-300));
  CHECK_OK(pt_exact_sum_add(&s, -4.9e-324));
  CHECK(limbs_value(&s) == 0, "1e-300 and the smallest subnormal round to 0 units");
  CHECK_OK(pt_exact_sum_add(&s, 1.0 + 0x1p-52));
  CHECK_OK(pt_exact_sum_add(&s, -(1.0 + 0x1p-52)));
  CHECK(limbs_value(&s) == 0, "x - x is 0 whatever x's low bits");

  /* many terms of every magnitude and sign against the __int128 reference */
  uint64_t seed = 42;
  i128 ref = 0;
  long double naive = 0.0L;
  int all_canonical = 1, exact = 1;
  for (int i = 0; i < 200000; i++) {
    const double x = random_term(&seed);
    ref += ref_units(x);
    naive += x;
    CHECK_OK(pt_exact_sum_add(&s, x));
    all_canonical &= canonical(&s);
    exact &= limbs_value(&s) == ref;
  }
  CHECK(exact, "200000 random terms: every partial sum equals the __int128 reference");
  CHECK(all_canonical, "limbs 0..2 stay in [0, 2^32)");
  const double want = ldexp((double)ref, -32), got = pt_exact_sum_value(&s);
  CHECK(fabs(got - want) <= 2.0 * nextafter(fabs(want), INFINITY) - 2.0 * fabs(want),
        "value %.17g is the reference %.17g within 2 ulp", got, want);
  printf("  random terms: exact sum %.17g, long double sum %.17Lg\n", got, naive);

  /* merge: two halves merged equal the whole */
  pt_exact_sum a = {{0}}, b = {{0}}, whole = {{0}};
  seed = 7;
  for (int i = 0; i < 1000; i++) {
    const double x = random_term(&seed);
    CHECK_OK(pt_exact_sum_add(i % 2 ? &a : &b, x));
    CHECK_OK(pt_exact_sum_add(&whole, x));
  }
  CHECK_OK(pt_exact_sum_merge(&a, &b));
  CHECK(memcmp(&a, &whole, sizeof a) == 0, "a merge of two halves is bitwise the whole sum");
}

static void test_exact_bounds(void) {
  pt_exact_sum s = {{0}};
  const double big = nextafter(0x1p64, 0.0); /* the largest term */
  CHECK_OK(pt_exact_sum_add(&s, big));
  CHECK_OK(pt_exact_sum_add(&s, -big));
  CHECK(limbs_value(&s) == 0, "+/- the largest term cancel exactly");
  const pt_exact_sum before = s;
  CHECK_FAILS_MSG(pt_exact_sum_add(&s, 0x1p64), PT_EDOM, "1.84467e+19");
  CHECK_FAILS_MSG(pt_exact_sum_add(&s, -0x1p64), PT_EDOM, "2^64");
  CHECK_FAILS_MSG(pt_exact_sum_add(&s, INFINITY), PT_EDOM, "inf");
  CHECK_FAILS_MSG(pt_exact_sum_add(&s, NAN), PT_EDOM, "nan");
  CHECK(memcmp(&s, &before, sizeof s) == 0, "a refused term leaves the sum unchanged");

  /* the largest partial sum of one rank: top limb ±2^31 */
  for (int sign = 1; sign >= -1; sign -= 2) {
    /* (the reference counts from the start: the whole sum would overflow an __int128) */
    const int64_t top0 = sign * ((INT64_C(1) << 31) - 4);
    pt_exact_sum t = {{0, 0, 0, top0}};
    i128 ref = 0;
    int adds = 0, ok = 1;
    pt_status st = PT_OK;
    while ((st = pt_exact_sum_add(&t, sign * big)) == PT_OK && adds < 100) {
      ref += ref_units(sign * big);
      pt_exact_sum u = t;
      u.limb[3] -= top0;
      ok &= limbs_value(&u) == ref;
      adds++;
    }
    CHECK(st == PT_EDOM && adds >= 3 && adds < 100 && ok,
          "sign %+d: %d adds of the largest term up to the 2^95 bound, exact; then PT_EDOM (%s)", sign, adds,
          pt_last_error());
    pt_exact_sum u = t;
    u.limb[3] -= top0;
    CHECK(limbs_value(&u) == ref && t.limb[3] * sign <= (INT64_C(1) << 31), "the refused add left the sum unchanged");
  }
  pt_exact_sum full = {{0, 0, 0, INT64_C(1) << 31}}, one = {{0, 0, 0, 1}};
  CHECK_FAILS_MSG(pt_exact_sum_merge(&full, &one), PT_EDOM, "2^95");
}

/* pt_exact_sum_add_n: the same bits as one pt_exact_sum_add per term, on
 * terms of every magnitude and sign (the largest included, so that limbs
 * carry late); a refused list leaves the sum unchanged. */
static void test_exact_add_n(void) {
  enum { N = 2000 };
  static double x[N];
  uint64_t h = 88172645463325252u; /* xorshift: terms of 40 magnitudes, both signs */
  for (int k = 0; k < N; k++) {
    h ^= h << 13;
    h ^= h >> 7;
    h ^= h << 17;
    const double u = (double)(h >> 11) * 0x1p-53;
    x[k] = (h & 1 ? -1.0 : 1.0) * ldexp(u, (int)(h >> 58) - 40);
    if (k % 97 == 0) x[k] = (h & 2 ? -1.0 : 1.0) * nextafter(0x1p64, 0.0);
  }
  int same = 1;
  for (int n = 0; n <= N; n += n < 10 ? 1 : 199) {
    pt_exact_sum one = {{0, 7, 0, -3}}, many = one;
    for (int k = 0; k < n; k++) CHECK_OK(pt_exact_sum_add(&one, x[k]));
    CHECK_OK(pt_exact_sum_add_n(&many, (size_t)n, x));
    same &= memcmp(&one, &many, sizeof one) == 0 && canonical(&many);
  }
  CHECK(same, "add_n of 0..%d terms gives the bits of one add per term", N);
  pt_exact_sum s = {{1, 2, 3, 4}};
  const pt_exact_sum before = s;
  double bad[3] = {1.0, NAN, 2.0};
  CHECK_FAILS_MSG(pt_exact_sum_add_n(&s, 3, bad), PT_EDOM, "nan");
  pt_exact_sum full = {{0, 0, 0, (INT64_C(1) << 31) - 1}};
  const double big[4] = {0x1p63, 0x1p63, 0x1p63, 0x1p63};
  CHECK_FAILS_MSG(pt_exact_sum_add_n(&full, 4, big), PT_EDOM, "2^95");
  CHECK(memcmp(&s, &before, sizeof s) == 0 && full.limb[3] == (INT64_C(1) << 31) - 1,
        "a refused list leaves the sum unchanged");
}

/* Every rank at the largest allowed state; the reduced sum is exact. */
static void test_exact_mpi(void) {
  const int64_t m = (INT64_C(1) << 32) - 1, top = INT64_C(1) << 31;
  pt_exact_sum s = {{m, m, m, top}};
  pt_exact_sum_allreduce(&s, MPI_COMM_WORLD);
  /* P·(2^127 + 2^96 − 1) units = (P·2^31 + P − 1)·2^96 + (2^96 − P) */
  const int64_t P = nranks;
  CHECK(s.limb[0] == (INT64_C(1) << 32) - P && s.limb[1] == m && s.limb[2] == m && s.limb[3] == P * top + P - 1,
        "%d ranks at the largest state: limbs %lld %lld %lld %lld", nranks, (long long)s.limb[0],
        (long long)s.limb[1], (long long)s.limb[2], (long long)s.limb[3]);

  /* any split of the terms among ranks: bitwise the one-rank sum */
  pt_exact_sum mine = {{0}}, all = {{0}};
  uint64_t seed = 99;
  for (int i = 0; i < 5000; i++) {
    const double x = i % 3 ? random_term(&seed) : ldexp(random_term(&seed), -50);
    CHECK_OK(pt_exact_sum_add(&all, x));
    if (i % nranks == rank) CHECK_OK(pt_exact_sum_add(&mine, x));
  }
  pt_exact_sum_allreduce(&mine, MPI_COMM_WORLD);
  CHECK(memcmp(&mine, &all, sizeof mine) == 0, "terms split among %d ranks: bitwise the one-rank sum", nranks);
}

/* The definition, directly: average ranks by counting, Pearson in long double. */
static double ref_spearman(size_t d, const double *theta, const double *y) {
  long double a[64], ma = 0, my = 0, sab = 0, saa = 0, syy = 0;
  for (size_t j = 0; j < d; j++) {
    size_t less = 0, equal = 0;
    for (size_t k = 0; k < d; k++) less += theta[k] < theta[j], equal += theta[k] == theta[j];
    a[j] = (long double)less + ((long double)equal - 1.0L) / 2.0L;
    ma += a[j] / (long double)d;
    my += (long double)y[j] / (long double)d;
  }
  for (size_t j = 0; j < d; j++) {
    sab += (a[j] - ma) * ((long double)y[j] - my);
    saa += (a[j] - ma) * (a[j] - ma);
    syy += ((long double)y[j] - my) * ((long double)y[j] - my);
  }
  return saa == 0 ? 0.0 : (double)(sab / sqrtl(saa * syy));
}

/* y: a random permutation of 0..d−1 */
static void random_perm(size_t d, double *y, uint64_t *seed) {
  for (size_t j = 0; j < d; j++) y[j] = (double)j;
  for (size_t j = d - 1; j > 0; j--) {
    const size_t k = (size_t)(splitmix(seed) % (j + 1));
    const double t = y[j];
    y[j] = y[k];
    y[k] = t;
  }
}

static void test_spearman(void) {
  size_t order[64];
  int ex;
  /* by hand: labels 0, 1 tied on top (average 2.5), 2, 3 tied below (0.5);
   * a − ā = (1, 1, −1, −1), y − ȳ = (1.5, 0.5, −0.5, −1.5): 4/√(4·5) */
  const double th4[4] = {1, 1, 0, 0}, y4[4] = {3, 2, 1, 0};
  double rho = pt_spearman(4, th4, y4, order, &ex);
  CHECK(fabs(rho - 4.0 / sqrt(20.0)) < 1e-15 && !ex, "tied pairs: %.17g (want 2/sqrt(5)), exact %d", rho, ex);
  /* a constant model: no variance, correlation 0, not exact */
  const double c5[5] = {0.5, 0.5, 0.5, 0.5, 0.5}, y5[5] = {0, 1, 2, 3, 4};
  rho = pt_spearman(5, c5, y5, order, &ex);
  CHECK(rho == 0.0 && !ex, "constant scores: %g, exact %d (want 0, 0)", rho, ex);
  /* index order would call this exact (tie broken towards label 0); a tie is not an exact ranking */
  const double t3[3] = {2, 2, 0}, y3[3] = {2, 1, 0};
  rho = pt_spearman(3, t3, y3, order, &ex);
  CHECK(!ex && rho < 1.0 && fabs(rho - ref_spearman(3, t3, y3)) < 1e-15, "one tie: %.17g, exact %d", rho, ex);
  /* perfect and reversed */
  const double r5[5] = {0, -1, -2, -3, -4};
  rho = pt_spearman(5, y5, y5, order, &ex);
  CHECK(rho == 1.0 && ex, "identical ranking: %g, exact %d", rho, ex);
  rho = pt_spearman(5, r5, y5, order, &ex);
  CHECK(rho == -1.0 && !ex, "reversed ranking: %g, exact %d", rho, ex);

  uint64_t seed = 5;
  double y[64], th[64];
  int classic_ok = 1, ties_ok = 1, exact_ok = 1;
  double worst = 0.0;
  for (int trial = 0; trial < 300; trial++) {
    const size_t d = 2 + (size_t)(splitmix(&seed) % 62);
    random_perm(d, y, &seed);
    /* no ties: the classical formula */
    for (size_t j = 0; j < d; j++) th[j] = unif(&seed);
    rho = pt_spearman(d, th, y, order, &ex);
    double sq = 0.0;
    for (size_t j = 0; j < d; j++) {
      size_t less = 0;
      for (size_t k = 0; k < d; k++) less += th[k] < th[j];
      sq += ((double)less - y[j]) * ((double)less - y[j]);
    }
    const double dd = (double)d, classic = 1.0 - 6.0 * sq / (dd * (dd * dd - 1.0));
    classic_ok &= fabs(rho - classic) <= 1e-14;
    exact_ok &= ex == (sq == 0.0);
    /* many ties: scores in {0, ..., 4} */
    for (size_t j = 0; j < d; j++) th[j] = (double)(splitmix(&seed) % 5);
    rho = pt_spearman(d, th, y, order, &ex);
    const double want = ref_spearman(d, th, y);
    worst = fmax(worst, fabs(rho - want));
    ties_ok &= fabs(rho - want) <= 1e-14 && (ex == 0 || d <= 5);
  }
  CHECK(classic_ok, "300 random untied scores: the classical formula within 1e-14");
  CHECK(exact_ok, "untied: exact iff the ranking matches");
  CHECK(ties_ok, "300 random tied scores: the direct average-rank Pearson within 1e-14 (worst %.3g)", worst);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  test_exact_local();
  test_exact_bounds();
  test_exact_add_n();
  test_exact_mpi();
  test_spearman();
  /* Every rank fails if any rank failed. */
  int total = 0;
  MPI_Allreduce(&pt_test_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (total > 0 && pt_test_failures == 0) CHECK(0, "another rank failed %d check(s)", total);
  const int status = pt_test_finish("test_numerics");
  MPI_Finalize();
  return status;
}
