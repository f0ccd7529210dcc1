/* sort.c: ascending order of doubles with deterministic tie-breaking (see sort.h). */
#include "sort.h"

#include "simd_impl.h"

#include <math.h>
#include <string.h>

/* Below this size insertion sort beats partitioning. */
#define INSERTION_THRESHOLD 24

/* Order-preserving map of a double (not NaN) to an unsigned integer. */
static inline uint64_t sortable_bits(double x) {
  x += 0.0; /* maps −0.0 to +0.0, so that the two compare equal as doubles do */
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return (b & UINT64_C(0x8000000000000000)) ? ~b : (b | UINT64_C(0x8000000000000000));
}

static void insertion_sort(uint64_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    uint64_t v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
}

static void sift_down(uint64_t *a, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    uint64_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static void heap_sort(uint64_t *a, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
  for (size_t end = n - 1; end > 0; end--) {
    uint64_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
}

static inline uint64_t median3(uint64_t x, uint64_t y, uint64_t z) {
  if (x < y) return y < z ? y : (x < z ? z : x);
  return x < z ? x : (y < z ? z : y);
}

/* Introsort on distinct keys: quicksort with a median-of-three pivot, heap sort
 * past the depth limit (O(n log n) worst case), insertion sort for short runs.
 * The keys are distinct (they carry their index), so the median of three is
 * neither the maximum nor the minimum and both Hoare partitions are non-empty. */
static void intro_sort(uint64_t *a, size_t n, int depth) {
  while (n > INSERTION_THRESHOLD) {
    if (depth-- == 0) {
      heap_sort(a, n);
      return;
    }
    uint64_t pivot = median3(a[0], a[n / 2], a[n - 1]);
    /* Hoare's scheme: the pivot is an element, so both scans stop in bounds. */
    size_t i = SIZE_MAX, j = n;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      uint64_t t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    /* a[0..j] <= pivot <= a[j+1..n-1]; recurse on the smaller side. */
    size_t left = j + 1, right = n - left;
    if (left < right) {
      intro_sort(a, left, depth);
      a += left;
      n = right;
    } else {
      intro_sort(a + left, right, depth);
      n = left;
    }
  }
  insertion_sort(a, n);
}

/* Up to this size counting smaller keys beats sorting (measured with AVX2). */
#define RANK_COUNT_MAX 32
/* Buckets per value in the distribution pass. */
#define BUCKETS_PER_VALUE 2
/* A bucket with more keys than this means clustered values: use introsort. */
#define CROWDED_BUCKET 32

size_t pt_sort_work_size(size_t d) {
  /* keys[d], sorted[d] (uint64), bucket[d], count[2d + 1] (uint32) */
  return 2 * d * sizeof(uint64_t) + (d + BUCKETS_PER_VALUE * d + 1) * sizeof(uint32_t);
}

/* Positions by counting: key j goes to #{k : keys[k] < keys[j]}. Keys are
 * distinct, so this is a permutation. One body, compiled for each
 * instruction set (perturb/simd.h) and vectorised by the compiler: integer
 * comparisons and sums, so every version gives the same positions. */
#define RANK_COUNT_BODY                                            \
  for (size_t j = 0; j < d; j++) {                                 \
    const uint64_t kj = keys[j];                                   \
    uint64_t below = 0;                                            \
    for (size_t k = 0; k < d; k++) below += keys[k] < kj;          \
    sorted[below] = kj;                                            \
  }

static void rank_count_portable(size_t d, const uint64_t *restrict keys, uint64_t *restrict sorted) {
  RANK_COUNT_BODY
}

#if PT_SIMD_X86
PT_TARGET_AVX2 static void rank_count_avx2(size_t d, const uint64_t *restrict keys, uint64_t *restrict sorted) {
  RANK_COUNT_BODY
}

PT_TARGET_AVX512 static void rank_count_avx512(size_t d, const uint64_t *restrict keys, uint64_t *restrict sorted) {
  RANK_COUNT_BODY
}
#endif

static void rank_count(size_t d, const uint64_t *keys, uint64_t *sorted) {
#if PT_SIMD_X86
  switch (pt_simd_active()) {
  case PT_SIMD_AVX512: rank_count_avx512(d, keys, sorted); return;
  case PT_SIMD_AVX2: rank_count_avx2(d, keys, sorted); return;
  case PT_SIMD_PORTABLE: break;
  }
#endif
  rank_count_portable(d, keys, sorted);
}

/* ---- positions for d ≤ 16 -------------------------------------------
 * j's position is #{k : x_k < x_j} + #{k > j : x_k = x_j}: equal values are
 * ordered by decreasing index, as in pt_sort_order (and −0.0 equals +0.0
 * there too). With AVX2, two comparisons of j against 4 entries at once;
 * the AVX-512 path runs the same code (512-bit masked comparisons measured
 * no faster at d ≤ 16, and slower at d ≤ 8). The portable path inverts
 * pt_sort_order: scalar counting is slower than its rank count. */
#if PT_SIMD_X86
#include <immintrin.h>

/* Lanes of a 16-lane mask above lane j, among the first d. */
static inline uint32_t lanes_after(size_t j, uint32_t valid) { return valid & (~UINT32_C(0) << (j + 1)); }

/* d ≤ 8 in two vectors of 4, d ≤ 16 in four. */
#define POSITIONS_AVX2_BODY(NV)                                                                  \
  do {                                                                                           \
    __m256d v[NV];                                                                               \
    for (int q = 0; q < NV; q++) {                                                               \
      const long long n = (long long)d - 4 * q;                                                  \
      const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);                                      \
      v[q] = _mm256_maskload_pd(x + 4 * q, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), lanes));     \
    }                                                                                            \
    for (size_t j = 0; j < d; j++) {                                                             \
      const __m256d b = _mm256_broadcast_sd(x + j);                                              \
      uint32_t lt = 0, eq = 0;                                                                   \
      for (int q = 0; q < NV; q++) {                                                             \
        lt |= (uint32_t)_mm256_movemask_pd(_mm256_cmp_pd(v[q], b, _CMP_LT_OQ)) << (4 * q);       \
        eq |= (uint32_t)_mm256_movemask_pd(_mm256_cmp_pd(v[q], b, _CMP_EQ_OQ)) << (4 * q);       \
      }                                                                                          \
      pos[j] = (uint32_t)__builtin_popcount((lt & valid) | (eq & lanes_after(j, valid)));        \
    }                                                                                            \
  } while (0)

PT_TARGET_AVX2 static void positions_avx2(size_t d, const double *restrict x, uint32_t *restrict pos) {
  const uint32_t valid = (UINT32_C(1) << d) - 1;
  if (d <= 8)
    POSITIONS_AVX2_BODY(2);
  else
    POSITIONS_AVX2_BODY(4);
}

#endif

void pt_sort_positions(size_t d, const double *x, void *work, uint32_t *pos) {
#if PT_SIMD_X86
  if (pt_simd_active() >= PT_SIMD_AVX2) {
    positions_avx2(d, x, pos);
    return;
  }
#endif
  uint32_t order[PT_SORT_POSITIONS_MAX];
  pt_sort_order(d, x, work, order);
  for (size_t k = 0; k < d; k++) pos[order[k]] = (uint32_t)k;
}

/* Distributes the keys into 2d buckets spread evenly over [lo, hi] = [min x, max x],
 * then insertion-sorts the nearly sorted result into `sorted`. Bucket order
 * agrees with key order because both grow with x. Returns 0 without sorting
 * if the values are all equal, span more than a double, or crowd a bucket. */
static int bucket_sort(size_t d, const double *restrict x, double lo, double hi, const uint64_t *restrict keys,
                       uint64_t *restrict sorted, uint32_t *restrict bucket, uint32_t *restrict count) {
  const size_t nb = BUCKETS_PER_VALUE * d;
  const double span = hi - lo;
  if (!(span > 0) || !isfinite(span)) return 0;
  const double scale = (double)nb / span;
  memset(count, 0, (nb + 1) * sizeof *count);
  for (size_t j = 0; j < d; j++) {
    double t = (x[j] - lo) * scale;
    if (!(t < (double)nb)) t = (double)(nb - 1); /* the maximum itself, or an overflow of scale */
    bucket[j] = (uint32_t)(int64_t)t;            /* signed conversion: no branch on x86-64 */
    count[bucket[j] + 1]++;
  }
  uint32_t largest = 0;
  for (size_t b = 0; b < nb; b++) {
    largest = count[b + 1] > largest ? count[b + 1] : largest;
    count[b + 1] += count[b];
  }
  if (largest > CROWDED_BUCKET) return 0;
  for (size_t j = 0; j < d; j++) sorted[count[bucket[j]]++] = keys[j];
  insertion_sort(sorted, d);
  return 1;
}

void pt_sort_order(size_t d, const double *x, void *work, uint32_t *order) {
  if (d == 0) return;
  uint64_t *keys = work, *sorted = keys + d;
  uint32_t *bucket = (uint32_t *)(sorted + d), *count = bucket + d;
  unsigned bits = 0;
  while (bits < 32 && (UINT64_C(1) << bits) < d) bits++;
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  /* Low bits hold d−1−j: among equal high bits, the larger index sorts first.
   * The same pass finds the range for the buckets. */
  double lo = x[0], hi = x[0];
  for (size_t j = 0; j < d; j++) {
    keys[j] = (sortable_bits(x[j]) & ~mask) | (uint64_t)(d - 1 - j);
    lo = x[j] < lo ? x[j] : lo;
    hi = x[j] > hi ? x[j] : hi;
  }

  if (d <= RANK_COUNT_MAX) {
    rank_count(d, keys, sorted);
  } else if (!bucket_sort(d, x, lo, hi, keys, sorted, bucket, count)) {
    memcpy(sorted, keys, d * sizeof *keys);
    int depth = 2;
    for (size_t m = d; m > 1; m >>= 1) depth += 2;
    intro_sort(sorted, d, depth);
  }
  for (size_t k = 0; k < d; k++) order[k] = (uint32_t)(d - 1 - (sorted[k] & mask));

  /* Exactness pass: neighbours whose high bits agree may be out of order in
   * their full values; insertion-sort each such run by (value, −index). */
  size_t k = 1;
  while (k < d) {
    if (((sorted[k] ^ sorted[k - 1]) & ~mask) != 0) {
      k++;
      continue;
    }
    const size_t start = k - 1;
    while (k < d && ((sorted[k] ^ sorted[start]) & ~mask) == 0) k++;
    for (size_t i = start + 1; i < k; i++) {
      const uint32_t v = order[i];
      size_t t = i;
      while (t > start) {
        const uint32_t u = order[t - 1];
        /* u belongs after v if x[u] > x[v], or the values are equal and u < v */
        if (!(x[u] > x[v] || (x[u] == x[v] && u < v))) break;
        order[t] = u;
        t--;
      }
      order[t] = v;
    }
  }
}
