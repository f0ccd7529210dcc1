/* dist.h (internal): how ranks share the work of a batch, and how they agree.
 *
 * The ranks form a grid of instance_groups × sample_groups: rank r works on
 * the instances of share (r / sample_groups) of every batch and on the samples
 * of share (r % sample_groups). Results are made independent of the grid:
 *  - sums over samples are of integer-valued solver outputs (exact in double),
 *  - every other per-instance quantity has exactly one owner, who sends it
 *    as it is to the ranks that need it (pt_row_gather),
 *  - real-valued sums over instances (losses, Spearman correlations) go
 *    through pt_exact_sum: fixed point, exact, so their order is irrelevant.
 */
#ifndef PERTURB_DIST_H
#define PERTURB_DIST_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "perturb/error.h"

typedef struct pt_decomp {
  int nranks, rank;
  int instance_groups, sample_groups; /* instance_groups × sample_groups = nranks */
  int igroup, sgroup;                 /* this rank's place in the grid */
} pt_decomp;

/*
 * Chooses the grid for `nranks` ranks, batches of `batch` instances and
 * `samples` samples per instance. `split_samples` is 0 for losses whose
 * per-sample terms are not integers (they must keep sample_groups = 1).
 * `want_i`, `want_s` are the configured group counts (0 = automatic). The
 * automatic choice splits instances first (cheaper: no duplicated work), then
 * samples. Fails with PT_ECONFIG if the ranks cannot all get work.
 */
pt_status pt_decomp_choose(int nranks, int rank, size_t batch, size_t samples, int split_samples, int64_t want_i,
                           int64_t want_s, pt_decomp *out);

/* [*begin, *end): this rank's contiguous share of `count` items among `groups`, as group `g`. */
void pt_share(size_t count, int groups, int g, size_t *begin, size_t *end);

/*
 * Agreement on a status after a phase in which any rank may fail: collective
 * over `comm`. If some rank failed, every rank returns the status and the
 * message of the lowest failing rank (so all ranks stop with the same line);
 * otherwise PT_OK.
 */
pt_status pt_dist_agree(MPI_Comm comm, pt_status st);

/*
 * The general agreement: every rank that failed (st != PT_OK) offers `key`
 * and its `message`; every rank returns the status and the message of the
 * failure with the lowest key (ties: the lowest rank), or PT_OK if no rank
 * failed. pt_dist_agree is this with key = rank; a sweep uses the index of
 * the first failed point. Collective: one MPI_Allreduce, and one MPI_Bcast
 * when some rank failed. `key` < INT_MAX.
 */
pt_status pt_dist_agree_lowest(MPI_Comm comm, int key, pt_status st, const char *message);

/* FNV-1a (64-bit) of `bytes` bytes at `data`, continuing from `h` (start
 * with PT_HASH_INIT): a checksum, not a cryptographic hash. Not collective. */
#define PT_HASH_INIT UINT64_C(14695981039346656037)
uint64_t pt_hash_bytes(uint64_t h, const void *data, size_t bytes);

/*
 * Checks that `bytes` bytes at `data` are the same on every rank of `comm`
 * (by their pt_hash_bytes, gathered on every rank). Collective; every rank
 * returns the same status: PT_EMPI with a message naming `what` and the ranks
 * that differ from rank 0 if they are not all the same. Every rank applies
 * the optimiser's update itself, so this is how a rank whose arithmetic
 * differs (another CPU, another BLAS kernel) is caught rather than left to
 * drift.
 */
pt_status pt_dist_check_same(MPI_Comm comm, const void *data, size_t bytes, const char *what);


/*
 * An exact sum of real numbers, independent of the order of its terms and of
 * how they are split among ranks. Each term is rounded once to the nearest
 * multiple of 2^-32 (ties to even; error at most 2^-33), and the multiples
 * are added exactly as integers held in four int64 limbs:
 *   value = limb[0]·2^-32 + limb[1] + limb[2]·2^32 + limb[3]·2^64,
 * limbs 0..2 kept in [0, 2^32) after every add (carries go up), limb[3]
 * signed. A term must be finite with |x| < 2^64, so each add moves limb[3] by
 * at most 2; pt_exact_sum_add refuses a term that would take one rank's
 * |limb[3]| beyond 2^31 (a partial sum beyond 2^95 ≈ 4·10^28: a diverged
 * run). Hence no count of terms can overflow, and an MPI sum over P < 2^31
 * ranks cannot either: limbs 0..2 add to below P·2^32 < 2^63 and limb[3] to
 * at most P·2^31 < 2^62 in magnitude. The struct is plain int64_t fields (it
 * can be stored, e.g. in a checkpoint, and summed as an int64 array); zero it
 * with `pt_exact_sum s = {{0}};`.
 */
#define PT_EXACT_LIMBS 4
typedef struct pt_exact_sum {
  int64_t limb[PT_EXACT_LIMBS];
} pt_exact_sum;

/* s += x, exactly (x rounded to the nearest multiple of 2^-32). Local.
 * PT_EDOM, naming x, if x is not finite, |x| ≥ 2^64 or the sum would leave
 * the range above; s is then unchanged. */
pt_status pt_exact_sum_add(pt_exact_sum *s, double x);

/* s += x[0] + … + x[n−1], exactly: the same bits as n calls of
 * pt_exact_sum_add, with one carry pass for the lot (the loss of every
 * sample of an instance). PT_EDOM, naming a term, if one is not finite or
 * |x| ≥ 2^64, or if the sum with the terms leaves the range above (checked
 * once for up to 2^30 terms, not after each); s is then unchanged. Local. */
pt_status pt_exact_sum_add_n(pt_exact_sum *s, size_t n, const double *x);

/* s += t, exactly (t may be the raw limb-wise sum of several accumulators,
 * as an MPI_SUM leaves it). Local. PT_EDOM if the result leaves the range
 * above; s is then unchanged. */
pt_status pt_exact_sum_merge(pt_exact_sum *s, const pt_exact_sum *t);

/* Replaces every rank's s by the exact sum over the ranks of comm (one
 * MPI_Allreduce of PT_EXACT_LIMBS int64 values, which cannot overflow, see
 * above). Collective; the same bits on every rank whatever their number. */
void pt_exact_sum_allreduce(pt_exact_sum *s, MPI_Comm comm);

/* The sum as a double: within 2 ulp of the exact value (the limbs'
 * contributions are exact doubles, added smallest first: three roundings).
 * Local; accepts raw limb-wise sums. */
double pt_exact_sum_value(const pt_exact_sum *s);

/*
 * The weight gradient of a batch as a sum over fixed shards, bitwise the same
 * whichever ranks compute which shards (the models that are not replicated,
 * model.h). Each rank writes the gradient of each of its shards into a slot;
 * pt_grad_sum_reduce then
 *  1. agrees on A = max over all shards of |g| (an MPI_MAX; a non-finite
 *     entry anywhere makes every rank return PT_EDOM),
 *  2. rounds every shard's entries to integers at the common scale 2^e, with
 *     e = 62 − ⌈log2 K⌉ − E for K shards and A < 2^E (frexp), so that no
 *     shard's integer exceeds 2^62/K in magnitude and the sum over the K
 *     shards stays within 2^62 < 2^63: no overflow is possible,
 *  3. adds the integers (exact, so order and split play no part: locally,
 *     then one MPI_Allreduce of int64 values), and
 *  4. scales the sum back by 2^−e (one rounding to double).
 * Rounding: each shard's entry moves by at most 2^−e−1, so the sum by at most
 * K·2^−e−1 ≤ K·2^⌈log2 K⌉·A·2^−62 ≤ 2K²·A·2^−62 (for K = 64 shards: 2^−49·A),
 * then the conversion to double adds at most half an ulp of the result. A
 * plain double sum of K terms errs by up to about K·2^−53·A, in an order that
 * depends on the split: the fixed-point sum is as accurate and reproducible.
 */
typedef struct pt_grad_sum {
  size_t n;       /* entries of the gradient */
  size_t slots;   /* shard gradients a rank can hold */
  double *slot;   /* [slots × n] this rank's shards' gradients */
  int64_t *fixed; /* [n] the integer sum */
} pt_grad_sum;

/* Room for `slots` shard gradients of `n` entries (allocated once). Local. */
pt_status pt_grad_sum_alloc(size_t n, size_t slots, pt_grad_sum **out);

/* NULL-safe; clears the handle. */
void pt_grad_sum_free(pt_grad_sum **s);

/* Slot k (< slots) set to zero, for the gradient of this rank's k-th shard. Local. */
double *pt_grad_sum_slot(pt_grad_sum *s, size_t k);

/* out[0..n) = the sum of the first `nlocal` slots of every rank of comm,
 * `nshards` slots in all (K above), bitwise independent of how the shards
 * are spread over the ranks. PT_EDOM on every rank if any entry is not
 * finite (out untouched). Collective: two messages, 2 doubles then n int64s. */
pt_status pt_grad_sum_reduce(pt_grad_sum *s, size_t nlocal, size_t nshards, MPI_Comm comm, double *out);

/*
 * Rows that each have one owner, gathered on every rank, with a few flags
 * summed on the way: one message per step where a sum over ranks (an
 * MPI_Allreduce of the rows with zeros elsewhere) would move the data twice
 * and add. Rank r owns values [first[r], first[r+1]) of `data`, the ranges
 * in rank order and contiguous from first[0] = 0. Every rank's `data` ends
 * with every rank's values, bit for bit as their owner left them (a sum with
 * zeros would also turn −0 into +0, which no rank count can then match), and
 * flags[0..nflags) with the sum over the ranks of their flags, added in rank
 * order (make them small integers and the sum is exact).
 */
typedef struct pt_row_gather {
  int nranks;
  size_t nflags, capacity; /* flags per rank; values of data at most */
  int *counts, *displs;    /* [nranks] each rank's flags and values in staging */
  double *staging;         /* [nranks × nflags + capacity] */
} pt_row_gather;

/* Room for `nranks` ranks, `nflags` flags each and at most `capacity` values
 * in all (allocated once). PT_ENOMEM, or PT_ECONFIG if the staging would
 * exceed what one MPI message can count (INT_MAX). Local. */
pt_status pt_row_gather_alloc(int nranks, size_t nflags, size_t capacity, pt_row_gather **out);

/* NULL-safe; clears the handle. */
void pt_row_gather_free(pt_row_gather **g);

/* The gather above (first[nranks] ≤ capacity). Collective over `comm`
 * (nranks ranks): one MPI_Allgatherv. */
void pt_row_gather_run(pt_row_gather *g, double *data, const size_t *first, double *flags, MPI_Comm comm);

#endif
