/* sort.h (internal): the sort behind the ranking and top-k solvers.
 *
 * Sorting is the wall of the perturbed ranking estimators (a sort per
 * sample), so this module picks, by size, the fastest exact method measured
 * on random inputs (docs/performance.md):
 *  - every value becomes an order-preserving 64-bit integer whose low
 *    ceil(log2 d) bits are replaced by the index, so one integer comparison
 *    orders (value, index) and all keys are distinct;
 *  - d ≤ 32: each key's position is the count of smaller keys (branch-free,
 *    vectorised);
 *  - larger d: one counting pass into 2d buckets spread evenly between the
 *    minimum and the maximum, then insertion sort of the nearly sorted keys;
 *    if a bucket is crowded (clustered values), introsort instead;
 *  - a last linear pass re-orders neighbours whose keys agree above the index
 *    bits by their exact doubles, so dropping those bits never changes the
 *    result. */
#ifndef PERTURB_SORT_H
#define PERTURB_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of workspace pt_sort_order needs for d values. */
size_t pt_sort_work_size(size_t d);

/*
 * order[k] = index of the k-th smallest entry of x (k = 0 … d−1). Equal values
 * are ordered by decreasing index, so that among ties the smaller index comes
 * last (ranks higher). `work` holds pt_sort_work_size(d) bytes, aligned for
 * uint64_t. x must hold no NaN; d must be below 2^31.
 */
void pt_sort_order(size_t d, const double *x, void *work, uint32_t *order);

/* Largest d pt_sort_positions takes. */
#define PT_SORT_POSITIONS_MAX 16

/*
 * pos[j] = the position of x[j] in the order of pt_sort_order (order[pos[j]]
 * = j): the number of entries below it, equal entries of larger index
 * counting as below. For 1 ≤ d ≤ PT_SORT_POSITIONS_MAX: with AVX2 (and on
 * the AVX-512 path) a broadcast and vector comparisons per entry, no sort at
 * all; the portable path inverts pt_sort_order. Exact integer counts: every
 * path gives the same positions. `work` holds pt_sort_work_size(d) bytes,
 * aligned for uint64_t; x must hold no NaN.
 */
void pt_sort_positions(size_t d, const double *x, void *work, uint32_t *pos);

#endif
